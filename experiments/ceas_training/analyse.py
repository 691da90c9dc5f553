#!/usr/bin/python3
"""Report of the CEAS training grid: reads RUNS/<size>/<arm>/seed<k>/run.json,
writes the markdown report (--doc) and PNG plots (--img/ceas_training_*.png).

Definitions (every number is a mean over seeds with its standard error, and a
95 % t interval where it is a ratio; paired by seed where arms are compared):
- target losses: L_final = arm a's final validation loss (seed mean) and
  L_mid = arm a's validation loss at a quarter of the run (seed mean); a run
  reaches L at the first evaluation with val <= L, linearly interpolated in
  step, wall time and work from the previous evaluation; runs that never reach
  it are counted and left out of the ratio (said in the table).
- corridor: D(t) = mean over heads of |H_h(t) - H_target_h| on the 10-step
  grid of recorded statistics; corridor entry = the first grid step from which
  D <= tol for 5 consecutive grid points (50 steps); never -> censored.
- warm-up speed-up s = entry(a) / entry(x), per seed; s_loss = steps(a to
  L_mid) / steps(x to L_mid). W = entry(a) / steps of the run (1 if arm a never
  enters: all of its run is warm-up).
- chi_warm / chi_steady: mean applied pruned fraction of arm e before / after
  its own corridor entry. Work: token-layers B*T*n_layer*(1 - chi) per step.
- Save = 1 - work(x to L_final) / work(a, whole run); the cost model's
  prediction 1 - [(1 - chi_warm) W / s + (1 - chi_steady)(1 - W)], once with
  s and W from the corridor and once with s_loss and W = steps(a to L_mid) /
  steps (the corridor is the controller's own target, which arm a never
  enters, so the first reading credits the controller with reaching it).
- gradient-norm noise: std of gnorm / its 50-step running mean, second half.
- steadier: the standard deviation over seeds of the final validation loss,
  with its standard error sd / sqrt(2 (n - 1)).
"""
import argparse
import glob
import json
import math
import os
import re

import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402

ARMS = 'abcde'
NAMES = {'a': '(a) fixed 1/sqrt(d_k)', 'b': '(b) CEAS initializer', 'c': '(c) thermostat',
         'd': '(d) learned temperature', 'e': '(e) thermostat + gating'}
CLAIMS = {'9k': dict(s=(2.4, 3.2), chi_warm=(0.45, 0.55), chi_steady=(0.22, 0.30), save=(0.35, 0.52)),
          '14m': dict(s=(1.8, 2.4), chi_warm=(0.35, 0.45), chi_steady=(0.18, 0.26), save=(0.26, 0.40))}


def load(runs):
    out = {}
    for rj in sorted(glob.glob(os.path.join(runs, '*', '*', 'seed*', 'run.json'))):
        with open(rj) as fh:
            r = json.load(fh)
        if r.get('status') != 'done':
            continue
        out.setdefault(r['size'], {}).setdefault(r['arm'], []).append(r)
    for size in out:
        for arm in out[size]:
            out[size][arm].sort(key=lambda r: r['seed'])
    return out


def mse(x):
    x = np.asarray([v for v in x if np.isfinite(v)], float)
    if len(x) == 0:
        return math.nan, math.nan, 0
    return float(x.mean()), float(x.std(ddof=1) / math.sqrt(len(x))) if len(x) > 1 else math.nan, len(x)


def fmt(x, nd=3):
    m, e, n = mse(x)
    if n == 0:
        return 'n/a'
    return ('%.*f ± %.*f' % (nd, m, nd, e)) if np.isfinite(e) else ('%.*f (1 seed)' % (nd, m))


def fmt_ci(x, nd=2):
    m, e, n = mse(x)
    if n < 2:
        return fmt(x, nd)
    h = stats.t.ppf(0.975, n - 1) * e
    return '%.*f ± %.*f [%.*f, %.*f]' % (nd, m, nd, e, nd, m - h, nd, m + h)


def reach(r, L, key):
    """Step / wall / work at which run r's validation loss first reaches L."""
    vs, vl = np.array(r['val_step'], float), np.array(r['val_loss'])
    idx = np.nonzero(vl <= L)[0]
    if len(idx) == 0:
        return math.inf
    i = idx[0]
    if i == 0:
        s = vs[0]
    else:
        f = (vl[i - 1] - L) / (vl[i - 1] - vl[i])
        s = vs[i - 1] + f * (vs[i] - vs[i - 1])
    if key == 'step':
        return float(s)
    steps = np.array(r['step'], float)
    series = np.array(r['wall'] if key == 'wall' else r['work'], float)
    return float(np.interp(s - 1, steps, series)) if s >= 1 else 0.0


def corridor_entry(r, every=10, run_len=5):
    st = np.array(r['stats_step'])
    H = np.array(r['H'])
    D = np.abs(H - np.array(r['H_target'])[None]).mean(axis=(1, 2))
    keep = st % every == 0
    st, D = st[keep], D[keep]
    ok = D <= r['tol']
    for i in range(len(ok) - run_len + 1):
        if ok[i:i + run_len].all():
            return float(st[i])
    return math.inf


def gn_noise(r):
    g = np.array(r['gnorm'])
    g = g[len(g) // 2:]
    if len(g) < 60:
        return math.nan
    rm = np.convolve(g, np.ones(50) / 50, mode='valid')
    return float(np.std(g[49:] / rm))


def band(ax, xs, ys, label):
    n = min(len(y) for y in ys)
    Y = np.array([y[:n] for y in ys])
    X = np.mean([x[:n] for x in xs], axis=0)
    m = Y.mean(0)
    e = Y.std(0, ddof=1) / math.sqrt(len(Y)) if len(Y) > 1 else np.zeros_like(m)
    ax.plot(X, m, label=label)
    ax.fill_between(X, m - e, m + e, alpha=0.3)


def analyse_size(size, arms, img, docdir, lines):
    A = arms.get('a', [])
    lines.append('\n## Size %s\n' % size)
    r0 = next(iter(arms.values()))[0]
    cfg = r0['config']
    lines.append('Model: %d parameters (d_model %d, %d layers, %d heads of d_k %d, block %d, %s embeddings); '
                 'batch %d, %d steps, controller preset %s, device %s, torch %s. Seeds per arm: %s.\n'
                 % (r0['n_params'], cfg['d_model'], cfg['n_layer'], cfg['n_head'], cfg['d_k'], cfg['block'],
                    'tied' if cfg['tie'] else 'untied', r0['args']['batch'], r0['args']['steps'],
                    r0['ctl_preset'], r0['device'], r0['torch'],
                    ', '.join('%s %d' % (k, len(v)) for k, v in sorted(arms.items()))))
    if not A:
        lines.append('No fixed-beta runs (arm a): no comparisons.\n')
        return
    L_final = float(np.mean([r['val_loss'][-1] for r in A]))
    q = [np.interp(r['args']['steps'] / 4, r['val_step'], r['val_loss']) for r in A]
    L_mid = float(np.mean(q))
    lines.append('Targets: L_final = %.4f (arm a, final), L_mid = %.4f (arm a at a quarter of the run).\n'
                 % (L_final, L_mid))

    # plots
    fig, axs = plt.subplots(1, 2, figsize=(11, 4))
    for arm in ARMS:
        rs = arms.get(arm)
        if not rs:
            continue
        band(axs[0], [r['val_step'] for r in rs], [r['val_loss'] for r in rs], NAMES[arm])
        band(axs[1], [r['val_wall'] for r in rs], [r['val_loss'] for r in rs], NAMES[arm])
    axs[0].set_xlabel('step')
    axs[1].set_xlabel('training wall time (s)')
    for ax in axs:
        ax.set_ylabel('validation loss (nats/char)')
        ax.axhline(L_final, color='k', lw=0.5, ls=':')
        ax.legend(fontsize=7)
    fig.suptitle('%s: validation loss, mean ± seed standard error' % size)
    fig.tight_layout()
    p_loss = os.path.join(img, 'ceas_training_%s_loss.png' % size)
    fig.savefig(p_loss, dpi=110)
    plt.close(fig)

    # beta and heat peak traces of seed 0
    fig, axs = plt.subplots(1, 3, figsize=(15, 4))
    for ax, arm in zip(axs, 'ace'):
        rs = arms.get(arm)
        if not rs:
            continue
        r = rs[0]
        B = np.array(r['beta'])
        P = np.array(r['peak'])
        L, Hn = B.shape[1], B.shape[2]
        for l in range(L):
            for h in range(Hn):
                c = ax.plot(r['step'], B[:, l, h], lw=0.8)[0].get_color()
                ax.plot(r['peak_step'], P[:, l, h], 'o', ms=2.5, color=c)
        ax.set_yscale('log')
        ax.set_title('%s seed %d: beta(t) lines, heat peak dots' % (NAMES[arm], r['seed']), fontsize=8)
        ax.set_xlabel('step')
    fig.tight_layout()
    p_beta = os.path.join(img, 'ceas_training_%s_beta.png' % size)
    fig.savefig(p_beta, dpi=110)
    plt.close(fig)

    # entropy and chi
    fig, axs = plt.subplots(1, 2, figsize=(11, 4))
    for arm in ARMS:
        rs = arms.get(arm)
        if not rs:
            continue
        Ds = []
        for r in rs:
            st = np.array(r['stats_step'])
            D = (np.array(r['H']) - np.array(r['H_target'])[None]).mean(axis=(1, 2))
            k = st % 10 == 0
            Ds.append((st[k], D[k]))
        band(axs[0], [d[0] for d in Ds], [d[1] for d in Ds], NAMES[arm])
    axs[0].axhspan(-r0['tol'], r0['tol'], color='g', alpha=0.15)
    axs[0].set_ylabel('head mean H - H_target (nats)')
    axs[0].set_xlabel('step')
    axs[0].legend(fontsize=7)
    if arms.get('e'):
        band(axs[1], [r['step'] for r in arms['e']], [np.array(r['chi']) for r in arms['e']], 'chi(t), arm e')
        axs[1].set_ylabel('pruned fraction chi')
        axs[1].set_xlabel('step')
    fig.tight_layout()
    p_H = os.path.join(img, 'ceas_training_%s_entropy.png' % size)
    fig.savefig(p_H, dpi=110)
    plt.close(fig)

    entry_a = {r['seed']: corridor_entry(r) for r in A}
    reach_a = {r['seed']: (reach(r, L_mid, 'step'), reach(r, L_final, 'step'),
                           reach(r, L_mid, 'wall'), reach(r, L_final, 'wall')) for r in A}
    lines.append('\n### Per arm\n')
    lines.append('| arm | final val loss | seed sd of final loss | steps to L_mid | steps to L_final '
                 '(reached) | ratio a/x steps to L_mid | ratio a/x steps to L_final | ratio a/x time to '
                 'L_final | grad-norm noise | corridor entry step (entered) | time in corridor |')
    lines.append('|' + ' --- |' * 11)
    res = {}
    for arm in ARMS:
        rs = arms.get(arm)
        if not rs:
            continue
        fin = [r['val_loss'][-1] for r in rs]
        sd = np.std(fin, ddof=1) if len(fin) > 1 else math.nan
        sd_e = sd / math.sqrt(2 * (len(fin) - 1)) if len(fin) > 1 else math.nan
        sm = [reach(r, L_mid, 'step') for r in rs]
        sf = [reach(r, L_final, 'step') for r in rs]
        rm, rf, rt = [], [], []
        for r, a_m, a_f in zip(rs, sm, sf):
            ra = reach_a.get(r['seed'])
            if ra is None:
                continue
            if np.isfinite(a_m) and np.isfinite(ra[0]) and a_m > 0:
                rm.append(ra[0] / a_m)
            if np.isfinite(a_f) and np.isfinite(ra[1]) and a_f > 0:
                rf.append(ra[1] / a_f)
                tw = reach(r, L_final, 'wall')
                if tw > 0 and np.isfinite(ra[3]):
                    rt.append(ra[3] / tw)
        ent = [corridor_entry(r) for r in rs]
        tic = [np.mean(np.array(r['corridor_count']) / max(1, r['stats_count'])) for r in rs]
        nreach = sum(np.isfinite(v) for v in sf)
        lines.append('| %s | %s | %s | %s | %s (%d/%d) | %s | %s | %s | %s | %s (%d/%d) | %s |' % (
            NAMES[arm], fmt(fin, 4), ('%.4f ± %.4f' % (sd, sd_e)) if np.isfinite(sd) else 'n/a',
            fmt(sm, 0), fmt(sf, 0), nreach, len(rs), fmt_ci(rm), fmt_ci(rf), fmt_ci(rt),
            fmt([gn_noise(r) for r in rs], 3), fmt(ent, 0), sum(np.isfinite(e) for e in ent), len(rs),
            fmt(tic, 3)))
        res[arm] = dict(rs=rs, ent=ent)
    lines.append('\nRatios > 1: the arm is faster than arm a (paired by seed, only seeds where both reach '
                 'the target). Wall time counts the training steps and, for arms c and e, the controller '
                 'and heat-peak measurements; masking does not skip FLOPs, so gating saves no wall time here.\n')

    # controller diagnostics
    lines.append('\n### Thermostat diagnostics (arms c, e; per head-step, seed mean)\n')
    lines.append('| arm | clip fired | guard fired | margin fired | final beta / heat peak (head mean) | '
                 'final beta (head mean) | beta*_0 (head mean) |')
    lines.append('|' + ' --- |' * 7)
    for arm in 'ce':
        rs = arms.get(arm)
        if not rs:
            continue
        n = [r['stats_count'] for r in rs]
        cl = [np.mean(r['clip_count']) / k for r, k in zip(rs, n)]
        gu = [np.mean(r['guard_count']) / k for r, k in zip(rs, n)]
        ma = [np.mean(r['margin_count']) / k for r, k in zip(rs, n)]
        rel = [np.mean(np.array(r['beta'][-1]) / np.array(r['peak'][-1])) for r in rs]
        lines.append('| %s | %s | %s | %s | %s | %s | %s |' % (
            NAMES[arm], fmt(cl), fmt(gu), fmt(ma), fmt(rel, 2), fmt([np.mean(r['beta'][-1]) for r in rs], 2),
            fmt([np.mean(r['beta_star0']) for r in rs], 2)))
    if arms.get('e'):
        fr = [len(r['frozen']) for r in arms['e']]
        bo = [len(r['backoff']) for r in arms['e']]
        lines.append('\nArm e: frozen heads per run %s, validation back-offs per run %s.\n' % (fmt(fr, 1), fmt(bo, 1)))

    # savings table
    lines.append('\n### CEAS savings table (hypothesis: ../shared/CEAS.md)\n')
    claim = CLAIMS.get(size)
    steps = A[0]['args']['steps']
    W = [min(1.0, e / steps) if np.isfinite(e) else 1.0 for e in (entry_a[s] for s in sorted(entry_a))]
    work_a = {r['seed']: r['work'][-1] for r in A}
    lines.append('| quantity | arm c | arm e | claimed (%s) |' % (size if claim else 'no claim at this size'))
    lines.append('| --- | --- | --- | --- |')
    rows = {}
    for arm in 'ce':
        rs = arms.get(arm, [])
        s_c, s_l, chw, chs, sv, pred, pred_l = [], [], [], [], [], [], []
        for r in rs:
            sd = r['seed']
            if sd not in entry_a:
                continue
            ee = corridor_entry(r)
            if np.isfinite(ee) and ee > 0:
                s_c.append((entry_a[sd] if np.isfinite(entry_a[sd]) else steps) / ee)
            xm = reach(r, L_mid, 'step')
            if np.isfinite(xm) and xm > 0 and np.isfinite(reach_a[sd][0]):
                s_l.append(reach_a[sd][0] / xm)
            chi = np.array(r['chi'])
            cut = int(ee) if np.isfinite(ee) else len(chi)
            cw = float(chi[:cut].mean()) if cut > 0 else 0.0
            cs = float(chi[cut:].mean()) if cut < len(chi) else math.nan
            chw.append(cw)
            chs.append(cs)
            wk = reach(r, L_final, 'work')
            sv.append(1.0 - wk / work_a[sd] if np.isfinite(wk) else -math.inf)
            w = min(1.0, entry_a[sd] / steps) if np.isfinite(entry_a[sd]) else 1.0
            s_use = s_c[-1] if s_c and np.isfinite(ee) else (s_l[-1] if s_l else math.nan)
            pred.append(1.0 - ((1 - cw) * w / s_use + (1 - (cs if np.isfinite(cs) else cw)) * (1 - w)))
            # The same cost model with the warm-up read off the loss instead of the
            # corridor (arm a, whose beta is fixed, never enters a corridor defined by
            # the controller's target): W = steps(a to L_mid) / steps, s = s_loss.
            if np.isfinite(xm) and xm > 0 and np.isfinite(reach_a[sd][0]):
                wl = min(1.0, reach_a[sd][0] / steps)
                pred_l.append(1.0 - ((1 - cw) * wl / (reach_a[sd][0] / xm)
                                     + (1 - (cs if np.isfinite(cs) else cw)) * (1 - wl)))
        nsv = sum(np.isfinite(v) for v in sv)
        rows[arm] = dict(s=fmt_ci(s_c), s_loss=fmt_ci(s_l), chw=fmt(chw), chs=fmt(chs),
                         save=('%s (reached in %d/%d seeds)' % (fmt_ci([v for v in sv if np.isfinite(v)]),
                                                                 nsv, len(sv))),
                         pred=fmt(pred), pred_l=fmt(pred_l), n=len(rs))
    W_s = fmt(W, 3)

    def row(name, key, cl):
        lines.append('| %s | %s | %s | %s |' % (name, rows.get('c', {}).get(key, 'n/a'),
                                               rows.get('e', {}).get(key, 'n/a'), cl))
    row('warm-up speed-up s (corridor entry a / x)', 's', '%.1f–%.1f' % claim['s'] if claim else '')
    row('s via steps to L_mid (a / x)', 's_loss', '')
    row('chi_warm (applied, before entry)', 'chw', '%.2f–%.2f' % claim['chi_warm'] if claim else '')
    row('chi_steady (applied, after entry)', 'chs', '%.2f–%.2f' % claim['chi_steady'] if claim else '')
    row('Save (measured, work to L_final)', 'save', '%.0f–%.0f %%' % tuple(100 * v for v in claim['save'])
        if claim else '')
    row('Save predicted by the cost model (s, W from the corridor)', 'pred', '')
    row('Save predicted by the cost model (s_loss, W = steps(a to L_mid) / steps)', 'pred_l', '')
    lines.append('\nW (warm-up share of arm a: corridor entry / steps; 1 if never entered) = %s. '
                 'A Save below zero, or not reached, means CEAS cost work at this size; '
                 'the claimed ranges are met only where the interval lies inside them.\n' % W_s)
    lines.append('\n![loss](%s)\n\n![beta](%s)\n\n![entropy](%s)\n'
                 % tuple(os.path.relpath(p, docdir) for p in (p_loss, p_beta, p_H)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--runs', required=True)
    ap.add_argument('--doc', required=True)
    ap.add_argument('--img', required=True)
    a = ap.parse_args()
    data = load(a.runs)
    if not data:
        raise SystemExit('analyse.py: no finished runs under %s' % a.runs)
    os.makedirs(a.img, exist_ok=True)
    r0 = next(iter(next(iter(data.values())).values()))[0]
    lines = ['# CEAS in a training loop: results (issue 16, part 1)\n',
             'Written by experiments/ceas_training/analyse.py from %s; do not edit except "Findings".\n'
             % os.path.relpath(a.runs),
             'Corpus: Debian fortunes (%d files: %s). Arms: %s.\n'
             % (len(r0['corpus_files']), ', '.join(r0['corpus_files']), '; '.join(NAMES[k] for k in ARMS)),
             '## Definitions\n\n```\n' + __doc__.split('\n\n', 1)[1] + '```\n']
    # The hand-written Findings come first and survive a rerun.
    findings = '(to be written by hand from the tables below)\n'
    if os.path.exists(a.doc):
        m = re.search(r'\n## Findings\n(.*?)\n(?=## )', open(a.doc, encoding='utf-8').read(), re.S)
        if m:
            findings = m.group(1).strip('\n') + '\n'
    lines.insert(3, '\n## Findings\n\n' + findings)
    for size in ('tiny', '9k', 'mid', '14m'):
        if size in data:
            analyse_size(size, data[size], a.img, os.path.dirname(os.path.abspath(a.doc)), lines)
    os.makedirs(os.path.dirname(os.path.abspath(a.doc)), exist_ok=True)
    tmp = a.doc + '.tmp'
    with open(tmp, 'w') as fh:
        fh.write('\n'.join(lines))
    os.replace(tmp, a.doc)
    print('analyse.py: wrote %s' % a.doc)


if __name__ == '__main__':
    main()
