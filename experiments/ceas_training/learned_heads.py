#!/usr/bin/python3
"""learned_heads: trained attention heads through ceasim (issue 16, part 2).

  learned_heads.py RUN_DIR [RUN_DIR ...] [--out OUT] [--update-docs] [options]

For every checkpoint (RUN_DIR/ckpt_*.pt of train.py), layer and head:

1. export_heads.py exports the heads on the fixed validation sequence (validation
   split, offset 0, n = block size tokens) to OUT/export/<run>/<ckpt>/layer<l>.h5;
2. `ceasim attention --weights layer<l>.h5 --n-heads H --head h` (the projection
   layout, read unchanged) scans beta: sigma_qk, REM beta_c, beta*(beta0),
   self-consistent beta*, the per-query and the head-mean heat peaks;
   `ceasim map --normalize none` gives lambda_max(J) of the raw scores;
3. against the Gaussian null model (n i.i.d. Gaussian scores per query with that
   query's sigma_qk, Derrida's REM): the exact finite-n REM heat curve (computed with
   attention_critical.rem_exact, no sampling) and its head-mean peak; the excess
   kurtosis of each query's scores and its top-score z and top-two gap against their
   Gaussian expectation for n; the effective rank of S = Q K^T (participation ratio of
   its singular values) against random Gaussian Q, K of the same shape; positional
   structure (mean score vs lag i - j, the share of the score variance that the lag
   explains) against the same random heads;
4. for a subset (default: the final checkpoint of the first run, every head of its
   last layer) the couplings of two sizes, n/2 and n tokens (the first n/2 tokens of
   the same sequence: the model is causal, so they are exactly the export of n/2
   tokens), `ceasim map --normalize lambda_max --gauge top`, one
   `mpirun -np NP ceasim sweep --model graph` over both sizes and `ceasim analyze`:
   pseudo-critical beta from the C and chi' peaks and the U4 crossing (n/2, n),
   against the mean-field 1/lambda_max(J). lambda_max normalisation (not none) puts
   the mean-field point of both sizes at beta = 1, so a U4 crossing of the two sizes
   means something (in raw units the two sizes' transitions sit at different beta);
   every beta is also converted back to raw-score units (beta_raw = beta/lambda_max
   of the raw J). --gauge top makes the uniform magnetisation the Mattis overlap with
   the top mode, the order parameter of the mean-field instability (docs/mapping.md).

Which formula predicts the measured head-mean heat peak best: per head the log ratio
ln(peak/prediction); mean +- sd/sqrt(heads) and the RMS, per training stage. Heads
of one checkpoint share the sequence and the model, so the spread over heads is the
whole error (there is no other sampling); per-query quantities carry sd/sqrt(n).

Note: ceasim scores every query against every key (n x n), the model only j <= i
(causal). Both are reported where it matters (the causal heat peak of ceasctl is
train.py's; this script studies the full score matrix that ceasim reads).

Outputs in OUT: results.json, heads.csv, learned_heads.md and
ceas_learned_heads_*.png; --update-docs writes docs/ceas_learned_heads.md and
docs/img/ceas_learned_heads_*.png (with --tag T: ceas_learned_heads_T*, one doc per
model size; the markdown has a "Findings" placeholder for the lead, and a rerun keeps
what the lead wrote there). Finished exports, scans, maps and sweeps are kept and reused.

Environment: QUICK=1 (one checkpoint, one layer, short sweep, < 30 s; OUT defaults to
experiments/out/ceas_learned_heads_quick), CEASIM [build/ceasim], NP [2].
"""
import argparse
import concurrent.futures as cf
import glob
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, 'experiments'))
import attention_critical as ac  # noqa: E402
import export_heads  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

FORMULAS = [('brem', 'REM β_c = √(2 ln n)/σ'), ('bstar0', 'β*(β₀)'), ('bstarfix', 'β* self-consistent'),
            ('rem_exact', 'exact finite-n REM'), ('inv_lambda', '1/λ_max(J)')]
# File names of the plots and the doc: ceas_learned_heads[_TAG] (set in main).
PREFIX = ['ceas_learned_heads']
PLACEHOLDER = '*(to be written by the lead from the tables below)*'
MC_BETA = '0.5,0.7,0.8,0.9,1.0,1.1,1.2,1.35,1.5,1.7,2.0,2.4,3.0'
MC_BETA_QUICK = '0.6,0.9,1.1,1.4,2.0'


def run(cmd, log=None):
    p = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if log:
        with open(log, 'w') as fh:
            fh.write(p.stdout + p.stderr)
    if p.returncode != 0:
        raise RuntimeError('%s failed (exit %d): %s' % (' '.join(cmd[:3]), p.returncode,
                                                         (p.stderr or p.stdout).strip()[-400:]))
    return p


def checkpoints(rundir):
    """The run's checkpoints, or (a run whose heads were exported where it ran,
    gpu_grid.sh: RUN/heads/ckpt_<step>/, compact) its export directories."""
    cks = sorted(glob.glob(os.path.join(rundir, 'ckpt_*.pt')))
    if not cks:
        cks = sorted(os.path.dirname(p) for p in
                     glob.glob(os.path.join(rundir, 'heads', 'ckpt_*', 'layer0.h5')))
    if not cks:
        raise export_heads.InputError('%s: no ckpt_*.pt checkpoints (nor heads/ckpt_*/ exports)'
                                      % rundir)
    return cks


# ------------------------------------------------------- Gaussian null model ----

_null_cache = {}


def null_scores(n, rows=20000, seed=12345):
    """Per-row statistics of n i.i.d. N(0,1) scores (fixed seed): mean and sd of the
    excess kurtosis, the top z-score and the top-two gap in units of the row's sd."""
    if n not in _null_cache:
        rng = np.random.default_rng(seed)
        s = rng.standard_normal((rows, n))
        st = row_stats(s)
        _null_cache[n] = {k: (float(v.mean()), float(v.std(ddof=1))) for k, v in st.items()}
    return _null_cache[n]


def row_stats(S):
    mu = S.mean(1, keepdims=True)
    c = S - mu
    m2 = (c ** 2).mean(1)
    sd = np.sqrt(m2)
    top = np.sort(S, axis=1)[:, -2:]
    ok = sd > 0
    sd = np.where(ok, sd, np.nan)
    return {'kurtosis': (c ** 4).mean(1) / np.where(ok, m2, np.nan) ** 2 - 3.0,
            'top_z': (top[:, 1] - mu[:, 0]) / sd, 'top_gap': (top[:, 1] - top[:, 0]) / sd}


def participation_ratio(S):
    s2 = np.linalg.svd(S, compute_uv=False) ** 2
    return float(s2.sum() ** 2 / (s2 ** 2).sum())


def positional_share(S, causal):
    """Share of the variance of the scores explained by the lag i - j (and the
    mean score per lag). causal: only j <= i, the entries the model uses."""
    n = S.shape[0]
    i, j = np.indices(S.shape)
    lag = (i - j).ravel()
    s = S.ravel()
    if causal:
        keep = lag >= 0
        lag, s = lag[keep], s[keep]
    lag = lag + (n - 1)
    cnt = np.bincount(lag, minlength=2 * n - 1)
    sm = np.bincount(lag, weights=s, minlength=2 * n - 1)
    used = cnt > 0
    mean_lag = np.where(used, sm / np.maximum(cnt, 1), np.nan)
    tot = float(((s - s.mean()) ** 2).sum())
    expl = float((cnt[used] * (mean_lag[used] - s.mean()) ** 2).sum())
    return (expl / tot if tot > 0 else np.nan), mean_lag


_rank_cache = {}


def null_matrix(n, dk, draws=100, seed=777):
    """Participation ratio and positional shares of S = Q K^T for i.i.d. Gaussian Q, K."""
    key = (n, dk)
    if key not in _rank_cache:
        rng = np.random.default_rng(seed)
        pr, pf, pc = [], [], []
        for _ in range(draws):
            S = rng.standard_normal((n, dk)) @ rng.standard_normal((n, dk)).T
            pr.append(participation_ratio(S))
            pf.append(positional_share(S, False)[0])
            pc.append(positional_share(S, True)[0])
        _rank_cache[key] = {k: (float(np.mean(v)), float(np.std(v, ddof=1)))
                            for k, v in (('pr', pr), ('pos_full', pf), ('pos_causal', pc))}
    return _rank_cache[key]


_rem_cache = {}


def rem_curve(n, bmax):
    """E[beta^2 Var] of n i.i.d. N(0,1) scores at b = beta sigma (exact), on a grid:
    steps of 0.05 up to b = 15 (the peak sits at b ~ 0.8 sqrt(2 ln n) < 6 for n <= 2^16),
    then 3 % apart (the curve decays smoothly, ~1/b). dx = 0.05, du = 0.2 in rem_exact
    agree with its default (0.02, 0.1) to 1e-10 for n = 64, 256, b = 1..15 and are 20x
    faster."""
    c = _rem_cache.get(n)
    if c is None or c[0][-1] < bmax:
        top = max(bmax, 1.0) * 1.05
        bs = np.arange(0.0, min(top, 15.0) + 0.05, 0.05)
        if top > bs[-1]:
            bs = np.concatenate([bs, bs[-1] * 1.03 ** np.arange(1, math.ceil(math.log(top / bs[-1]) / math.log(1.03)) + 1)])
        _, C = ac.rem_exact([n], bs, dx=0.05, du=0.2)
        _rem_cache[n] = (bs, C[0])
    return _rem_cache[n]


# ---------------------------------------------------------------- per head ----

def head_record(att_path, map_path, layer_path, h, dk):
    with h5py.File(att_path, 'r') as f:
        beta = f['beta'][()]
        r = {'n': int(f.attrs['n_tokens']), 'd_k': int(f.attrs['d_k']),
             'heat_mean': f['heat_mean'][()], 'beta': beta,
             'query_peak': f['query/peak_beta'][()], 'sigma_q': f['query/sigma_qk'][()],
             'heat_peak_of_mean': float(f.attrs['heat_peak_of_mean']),
             'beta0': float(f.attrs['beta0'])}
        for q in ('sigma_qk', 'beta_rem', 'beta_star_at_beta0', 'beta_star_fixed', 'H_at_beta0',
                  'heat_peak_beta'):
            r[q] = float(f.attrs[q + '_mean'])
            r[q + '_err'] = float(f.attrs[q + '_err'])
    with h5py.File(map_path, 'r') as f:
        r['lambda_max'] = float(f.attrs['lambda_max_unscaled'])
    with h5py.File(layer_path, 'r') as f:
        if 'heads/%d/Q' % h in f:
            Q, K = f['heads/%d/Q' % h][()], f['heads/%d/K' % h][()]
        else:  # a compact export (export_heads --compact): the projection layout
            X, sl = f['X'][()], slice(h * dk, (h + 1) * dk)
            Q = X @ f['W_q'][sl].astype(np.float64).T
            K = X @ f['W_k'][sl].astype(np.float64).T
        r['beta_model'] = float(f.attrs['beta'][h])
    n = r['n']
    r['brem'], r['bstar0'], r['bstarfix'] = r['beta_rem'], r['beta_star_at_beta0'], r['beta_star_fixed']
    r['inv_lambda'] = 1.0 / r['lambda_max']
    # Exact finite-n REM with each query's own sigma: head-mean curve and its peak.
    sig = r['sigma_q']
    bs, C = rem_curve(n, float(beta[-1] * sig.max()))
    pred = np.interp(beta[:, None] * sig[None, :], bs, C).mean(1)
    r['rem_exact'] = ac.parabola_peak(beta, pred)
    r['rem_exact_heat'] = pred
    r['rem_exact_query_peak'] = float(np.mean(ac.parabola_peak(bs, C) / sig))
    r['query_peak_mean'] = float(np.mean(r['query_peak']))
    r['query_peak_median'] = float(np.median(r['query_peak']))
    # Departures from the Gaussian null model.
    S = Q @ K.T
    st = row_stats(S)
    nul = null_scores(n)
    for k, v in st.items():
        r[k] = float(np.nanmean(v))
        r[k + '_err'] = float(np.nanstd(v, ddof=1) / math.sqrt(np.isfinite(v).sum()))
        r[k + '_null'], r[k + '_null_sd'] = nul[k][0], nul[k][1] / math.sqrt(n)
    nm = null_matrix(n, dk)
    r['pr'] = participation_ratio(S)
    r['pr_null'], r['pr_null_sd'] = nm['pr']
    r['pos_full'], r['mean_by_lag'] = positional_share(S, False)
    r['pos_causal'], _ = positional_share(S, True)
    r['pos_full_null'], r['pos_full_null_sd'] = nm['pos_full']
    r['pos_causal_null'], r['pos_causal_null_sd'] = nm['pos_causal']
    r['mean_score'] = float(S.mean())
    return r


# ----------------------------------------------------------------- main work ----

def export_all(runs, out, a, log):
    """-> list of (run, ckpt_path, ckpt_tag, export_dir, meta)."""
    items = []
    corpus = None
    if a.quick:
        runs = runs[:1]
    # Run names: the run directories relative to their common parent (grid.py writes
    # SIZE/ARM/seedK, whose last component alone is not unique).
    top = os.path.commonpath([os.path.abspath(r) for r in runs]) if len(runs) > 1 else None
    for rd in runs:
        rname = (os.path.relpath(os.path.abspath(rd), top).replace(os.sep, '_') if top
                 else os.path.basename(os.path.normpath(rd)))
        cks = checkpoints(rd)
        if a.quick:
            cks = cks[-1:]
        for ck in cks:
            tag = os.path.splitext(os.path.basename(ck))[0]
            ed = ck if os.path.isdir(ck) else os.path.join(out, 'export', rname, tag)
            if not os.path.exists(os.path.join(ed, 'layer0.h5')):
                if corpus is None:
                    import data
                    corpus = data.Corpus()
                export_heads.export(ck, ed, corpus=corpus, quiet=True)
                log('exported %s' % ed)
            with h5py.File(os.path.join(ed, 'layer0.h5'), 'r') as f:
                meta = {k: (f.attrs[k].decode() if isinstance(f.attrs[k], bytes) else f.attrs[k])
                        for k in ('step', 'arm', 'seed', 'n_layer', 'n_head', 'd_k', 'n_tokens', 'block')}
            meta = {k: (v.item() if isinstance(v, np.generic) else v) for k, v in meta.items()}
            items.append((rname, ck, tag, ed, meta))
    return items


def scan_jobs(items, out, a):
    jobs = []
    for rname, ck, tag, ed, m in items:
        layers = [a.layer if a.layer >= 0 else m['n_layer'] - 1] if a.quick else range(m['n_layer'])
        for l in layers:
            lp = os.path.join(ed, 'layer%d.h5' % l)
            for h in range(m['n_head']):
                ad = os.path.join(out, 'attention', rname, tag)
                att = os.path.join(ad, 'l%d_h%d.h5' % (l, h))
                jm = os.path.join(out, 'maps', rname, tag, 'l%d_h%d_raw.h5' % (l, h))
                jobs.append(dict(run=rname, ckpt=ck, tag=tag, layer=l, head=h, layer_file=lp, att=att,
                                 map=jm, meta=m))
    return jobs


def do_scan(j, a):
    hs = ['--weights', j['layer_file'], '--n-heads', str(j['meta']['n_head']), '--head', str(j['head'])]
    if not os.path.exists(j['att']):
        os.makedirs(os.path.dirname(j['att']), exist_ok=True)
        grid = ['--beta', '0:%r:%d' % (a.beta_max, a.beta_points)] if a.beta_max else []
        run([a.ceasim, 'attention'] + hs + grid + ['--out', j['att']], j['att'][:-3] + '.txt')
    if not os.path.exists(j['map']):
        os.makedirs(os.path.dirname(j['map']), exist_ok=True)
        run([a.ceasim, 'map'] + hs + ['--normalize', 'none', '--out', j['map']], j['map'][:-3] + '.txt')
    return j


def mc_subset(jobs, items, a):
    runs = sorted({j['run'] for j in jobs}, key=[i[0] for i in items].index)
    r0 = runs[0]
    last_tag = [i for i in items if i[0] == r0][-1][2]
    sel = [j for j in jobs if j['run'] == r0 and j['tag'] == last_tag]
    L = sel[0]['meta']['n_layer']
    layer = a.mc_layer if a.mc_layer >= 0 else L - 1
    sel = [j for j in sel if j['layer'] == layer]
    if a.mc_heads != 'all':
        want = {int(x) for x in a.mc_heads.split(',')}
        sel = [j for j in sel if j['head'] in want]
    return sel


def do_mc(j, out, a, log):
    """map (n/2 and n) + sweep + analyze for one head; -> dict of results."""
    m = j['meta']
    n = m['n_tokens']
    n2 = n // 2
    base = os.path.join(out, 'mc', j['run'], j['tag'], 'l%d_h%d' % (j['layer'], j['head']))
    os.makedirs(base, exist_ok=True)
    # The first n/2 tokens: a prefix of the exported arrays (causal model).
    half = os.path.join(base, 'layer_n%d.h5' % n2)
    if not os.path.exists(half):
        tmp = half + '.tmp'
        with h5py.File(j['layer_file'], 'r') as f, h5py.File(tmp, 'w') as g:
            g['X'] = f['X'][:n2]
            for k in ('W_q', 'W_k', 'W_v'):
                if k in f:  # a compact export has no W_v
                    g[k] = f[k][()]
            for k, v in f.attrs.items():
                g.attrs[k] = v
            g.attrs['n_tokens'] = n2
        os.replace(tmp, half)
    maps = {}
    for size, src in ((n2, half), (n, j['layer_file'])):
        p = os.path.join(base, 'J_n%d.h5' % size)
        if not os.path.exists(p):
            run([a.ceasim, 'map', '--weights', src, '--n-heads', str(m['n_head']), '--head', str(j['head']),
                 '--normalize', 'lambda_max', '--gauge', 'top', '--out', p], p[:-3] + '.txt')
        with h5py.File(p, 'r') as f:
            maps[size] = {'lambda_max_unscaled': float(f.attrs['lambda_max_unscaled']),
                          'lambda_2_over_max': float(f.attrs['lambda_2']) / float(f.attrs['lambda_max']),
                          'file': p}
    sw = os.path.join(base, 'mc', 'seed1')
    if not os.path.exists(os.path.join(sw, 'analysis.h5')):
        mpi = ['mpirun', '-np', str(a.np)]
        if os.geteuid() == 0:
            mpi.append('--allow-run-as-root')
        mpi.append('--oversubscribe')
        run(mpi + [a.ceasim, 'sweep', '--model', 'graph', '--couplings',
                   maps[n2]['file'] + ',' + maps[n]['file'], '--beta', a.mc_beta, '--algo', 'metropolis',
                   '--sweeps', str(a.mc_sweeps), '--therm', str(a.mc_therm), '--measure-every', '4',
                   '--seed', '1', '--out', sw, '--no-analysis', '--quiet'], os.path.join(base, 'sweep.txt'))
        run([a.ceasim, 'analyze', sw, '--grid', '101'], os.path.join(base, 'analyze.txt'))
    # One sweep (seed 1) under base; load_mc keys it by the first "seed<k>" in the
    # path, which a run name such as a_seed0 also contains.
    mc = next(iter(ac.load_mc(base).values()))
    res = {'n_small': n2, 'n': n, 'maps': {str(k): v for k, v in maps.items()}, 'dir': base}
    for size in (n2, n):
        i = np.nonzero(mc['n'] == size)[0]
        lam = maps[size]['lambda_max_unscaled']
        d = {}
        for key, q in (('C_peak', 'specific_heat'), ('chi_peak', 'susceptibility_connected')):
            v = float(mc[q][i[0]]) if i.size else np.nan
            e = float(mc[q + '_error'][i[0]]) if i.size else np.nan
            d[key] = v
            d[key + '_error'] = e
            d[key + '_raw'] = v / lam
            d[key + '_raw_error'] = e / lam
        # Degenerate top pair (docs/mapping.md): chi' of one overlap is then not the transition.
        d['degenerate'] = bool((1 - maps[size]['lambda_2_over_max']) * math.sqrt(size) < 1)
        d['tau_int_max'] = mc['tau_max'].get(size, np.nan)
        res[str(size)] = d
    k = np.nonzero((mc['cross_n1'] == n2) & (mc['cross_n2'] == n))[0]
    res['U4_cross'] = float(mc['cross'][k[0]]) if k.size else np.nan
    res['U4_cross_error'] = float(mc['cross_error'][k[0]]) if k.size else np.nan
    log('mc %s' % base)
    return res


# ------------------------------------------------------------------ summary ----

def stage_of(step, last):
    if step == 0:
        return 'init'
    f = step / last if last else 1.0
    return 'final' if f >= 0.999 else ('early' if f < 0.3 else 'mid')


STAGES = ['init', 'early', 'mid', 'final']


def groups(recs):
    """(label, heads): every training stage over all runs, all, and with several arms
    the final checkpoints of each arm."""
    out = [(stg, [r for r in recs if r['stage'] == stg]) for stg in STAGES] + [('all', recs)]
    arms = sorted({str(r['arm']) for r in recs})
    if len(arms) > 1:
        out += [('final, arm %s' % arm, [r for r in recs if r['stage'] == 'final' and str(r['arm']) == arm])
                for arm in arms]
    return [(g, rs) for g, rs in out if rs]


def formula_table(recs):
    """ln(peak/prediction) per formula and group: mean +- sd/sqrt(N), RMS."""
    rows = []
    for stg, rs in groups(recs):
        row = {'stage': stg, 'heads': len(rs)}
        for key, _ in FORMULAS:
            lr = np.array([math.log(r['heat_peak_of_mean'] / r[key]) for r in rs
                           if r[key] > 0 and r['heat_peak_of_mean'] > 0])
            row[key] = {'mean': float(lr.mean()) if lr.size else np.nan,
                        'error': float(lr.std(ddof=1) / math.sqrt(lr.size)) if lr.size > 1 else np.nan,
                        'rms': float(np.sqrt(np.mean(lr ** 2))) if lr.size else np.nan}
        best = min((k for k, _ in FORMULAS), key=lambda k: row[k]['rms'] if math.isfinite(row[k]['rms']) else 1e300)
        row['best'] = best
        rows.append(row)
    return rows


def null_table(recs):
    rows = []
    for stg, rs in groups(recs):
        row = {'stage': stg, 'heads': len(rs)}
        for k in ('kurtosis', 'top_z', 'top_gap', 'pr', 'pos_full', 'pos_causal'):
            d = np.array([r[k] - r[k + '_null'] for r in rs])
            row[k] = ac.combine([r[k] for r in rs])
            row[k + '_null'] = float(np.mean([r[k + '_null'] for r in rs]))
            row[k + '_null_sd'] = float(np.mean([r[k + '_null_sd'] for r in rs]))
            sd = np.array([r[k + '_null_sd'] for r in rs])
            # Share of heads more than 3 null sds away from the Gaussian expectation.
            row[k + '_frac_3sd'] = float(np.mean(np.abs(d) > 3 * sd))
        row['beta_model_over_peak'] = ac.combine([r['beta_model'] / r['heat_peak_of_mean'] for r in rs])
        rows.append(row)
    return rows


def fm(x, e=None, d=None):
    if e is None or not isinstance(e, float) or not math.isfinite(e):
        return '–' if not math.isfinite(x) else ('%.3g' % x)
    return ac.fmt(x, e, d)


def markdown(recs, ftab, ntab, mc, info, imgdir):
    L = ['# Learned attention heads through ceasim',
         '',
         '*Generated by `experiments/ceas_training/learned_heads.py` (issue 16, part 2); '
         'do not edit by hand except the Findings section.*',
         '',
         info,
         '',
         '## Findings',
         '',
         PLACEHOLDER,
         '',
         '## Which formula predicts the heat peak',
         '',
         'Measured: the peak of the head-mean β² Var_p[s] of `ceasim attention` on the exported head '
         '(all n × n scores). Predictions (head means over queries where per query): REM β_c = √(2 ln n)/σ_qk, '
         'β\\*(β₀) = √(2 ln N_eff(β₀))/σ_qk, the self-consistent β\\* = √(2H(β\\*))/σ_qk, the exact finite-n '
         'REM (n i.i.d. Gaussian scores per query with that query\'s σ_qk, no sampling), and the mean-field '
         'point 1/λ_max(J) of the mapped couplings J = (S + Sᵀ)/2. Entry: ln(peak/prediction), mean ± '
         'sd/√heads over the heads of that stage, [RMS]; 0 = exact. β in raw-score units '
         '(textbook softmax β₀ = 1/√d_k).',
         '']
    L.append('| stage | heads | ' + ' | '.join(lab for _, lab in FORMULAS) + ' | best (smallest RMS) |')
    L.append('|---|---|' + '---|' * len(FORMULAS) + '---|')
    labs = dict(FORMULAS)
    for r in ftab:
        L.append('| %s | %d | ' % (r['stage'], r['heads']) + ' | '.join(
            '%s [%.2f]' % (fm(r[k]['mean'], r[k]['error'], 3), r[k]['rms']) for k, _ in FORMULAS)
            + ' | %s |' % labs[r['best']])
    L += ['', '## Departures from the Gaussian null model', '',
          'Per head, head means over queries; null: the same statistic for n i.i.d. Gaussian scores per '
          'query (kurtosis, top z, top-two gap, in units of the query\'s σ) or for i.i.d. Gaussian Q, K of the '
          'same shape (participation ratio PR of the singular values of S = QKᵀ, at most d_k; share of the '
          'score variance explained by the lag i − j, over all n² entries and over the causal ones j ≤ i). '
          'Entry: mean ± sd/√heads; (null); share of heads more than 3 null sds off. '
          'β_model/peak: where the model\'s own β[l, h] sits relative to the head\'s measured heat peak.', '']
    cols = [('kurtosis', 'excess kurtosis'), ('top_z', 'top z'), ('top_gap', 'top-two gap'),
            ('pr', 'PR of S'), ('pos_full', 'lag share (all)'), ('pos_causal', 'lag share (causal)')]
    L.append('| stage | heads | ' + ' | '.join(c for _, c in cols) + ' | β_model/peak |')
    L.append('|---|---|' + '---|' * len(cols) + '---|')
    for r in ntab:
        L.append('| %s | %d | ' % (r['stage'], r['heads']) + ' | '.join(
            '%s (%.3g); %d %%' % (fm(r[k]['mean'], r[k]['error'], 3), r[k + '_null'], round(100 * r[k + '_frac_3sd']))
            for k, _ in cols) + ' | %s |' % fm(r['beta_model_over_peak']['mean'], r['beta_model_over_peak']['error'], 3))
    if mc:
        L += ['', '## Mapped couplings: Metropolis on J of learned heads', '',
              '`ceasim map --normalize lambda_max --gauge top` of the first n/2 and all n tokens, one '
              '`ceasim sweep --model graph` over both sizes, `ceasim analyze` (reweighting, jackknife errors). '
              'β in units of 1/λ_max(J) of each size (mean field: 1); the last three columns are raw-score β of the '
              'n-token head: the mean-field point, the C peak, and for comparison the head\'s attention heat peak '
              '(one query\'s softmax freezes there; the token Ising system orders at a much smaller β). A head whose top two modes are closer than '
              'the critical window ((1 − λ₂/λ_max)√n < 1) has a χ′ that is not the transition (marked *).', '']
        L.append('| head | n/2, n | λ₂/λ_max (n) | C peak n/2 | C peak n | χ′ peak n/2 | χ′ peak n '
                 '| U4 crossing | 1/λ_max raw (n) | C peak n, raw | attention heat peak |')
        L.append('|---|---|---|---|---|---|---|---|---|---|---|')
        for r in mc:
            s, b = r['mc'][str(r['mc']['n_small'])], r['mc'][str(r['mc']['n'])]
            L.append('| %s L%d h%d | %d, %d | %.3f | %s | %s | %s%s | %s%s | %s | %.4g | %s | %.4g |' % (
                r['tag'], r['layer'], r['head'], r['mc']['n_small'], r['mc']['n'],
                r['mc']['maps'][str(r['mc']['n'])]['lambda_2_over_max'],
                fm(s['C_peak'], s['C_peak_error']), fm(b['C_peak'], b['C_peak_error']),
                fm(s['chi_peak'], s['chi_peak_error']), '*' if s['degenerate'] else '',
                fm(b['chi_peak'], b['chi_peak_error']), '*' if b['degenerate'] else '',
                fm(r['mc']['U4_cross'], r['mc']['U4_cross_error']), r['inv_lambda'],
                fm(b['C_peak_raw'], b['C_peak_raw_error']), r['heat_peak_of_mean']))
    L += ['', '## Plots', '']
    for name, cap in (('peaks', 'measured head-mean heat peak against each formula (left) and ln(peak/prediction) by training stage (right)'),
                      ('null', 'departures from the Gaussian null model over training'),
                      ('beta', 'the model\'s β[l, h] against the head\'s measured heat peak, by training stage'),
                      ('mc', 'pseudo-critical β of the mapped couplings in units of 1/λ_max(J)')):
        L.append('![%s](%s%s_%s.png)  ' % (cap, imgdir + '/' if imgdir else '', PREFIX[0], name))
        L.append('*%s.*' % (cap[0].upper() + cap[1:]))
        L.append('')
    return '\n'.join(L) + '\n'


def plots(recs, ftab, mc, outdir, written):
    cols = {'init': 'C0', 'early': 'C1', 'mid': 'C2', 'final': 'C3'}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8))
    ax = axes[0]
    mk = dict(zip([k for k, _ in FORMULAS], 'osD^v'))
    for key, lab in FORMULAS:
        ax.scatter([r[key] for r in recs], [r['heat_peak_of_mean'] for r in recs], marker=mk[key], s=14,
                   alpha=0.7, label=lab)
    lo = min(min(r[k] for r in recs for k, _ in FORMULAS), min(r['heat_peak_of_mean'] for r in recs))
    hi = max(max(r[k] for r in recs for k, _ in FORMULAS), max(r['heat_peak_of_mean'] for r in recs))
    ax.plot([lo, hi], [lo, hi], 'k-', lw=0.8)
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('prediction (raw-score β)')
    ax.set_ylabel('measured peak of head-mean β² Var')
    ax.legend(fontsize=7)
    ax = axes[1]
    st = [r for r in ftab if r['stage'] in STAGES]
    x = np.arange(len(st))
    for i, (key, lab) in enumerate(FORMULAS):
        ax.errorbar(x + 0.1 * (i - 2), [r[key]['mean'] for r in st], yerr=[r[key]['error'] for r in st],
                    fmt=mk[key], capsize=2, label=lab)
    ax.axhline(0, color='k', lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels([r['stage'] for r in st])
    ax.set_ylabel('ln(peak / prediction), mean ± sd/√heads')
    ax.legend(fontsize=7)
    ac.save(fig, outdir, PREFIX[0] + '_peaks.png', written)

    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    fr = np.array([r['step_frac'] for r in recs])
    for ax, (k, lab) in zip(axes, (('kurtosis', 'excess kurtosis of a query\'s scores'),
                                   ('top_z', 'top score z (in σ)'), ('pr', 'participation ratio of S'),
                                   ('pos_causal', 'lag share of score variance (causal)'))):
        y = np.array([r[k] for r in recs])
        e = np.array([r.get(k + '_err', 0.0) for r in recs])
        lay = np.array([r['layer'] for r in recs])
        for l in sorted(set(lay)):
            s = lay == l
            ax.errorbar(fr[s] + 0.01 * l, y[s], yerr=e[s], fmt='o', ms=3, capsize=1, label='layer %d' % l)
        # The null depends only on (n, d_k): one band per distinct value.
        for i, (nm, ns) in enumerate(sorted({(r[k + '_null'], r[k + '_null_sd']) for r in recs})):
            ax.axhspan(nm - 3 * ns, nm + 3 * ns, color='gray', alpha=0.3, lw=0,
                       label='Gaussian null ± 3 sd' if i == 0 else None)
            ax.axhline(nm, color='gray', lw=0.8)
        ax.set_xlabel('training step / final step')
        ax.set_title(lab, fontsize=9)
        ax.legend(fontsize=6)
    ac.save(fig, outdir, PREFIX[0] + '_null.png', written)

    fig, ax = plt.subplots(figsize=(6.5, 4.5))
    for stg in STAGES:
        rs = [r for r in recs if r['stage'] == stg]
        if rs:
            ax.scatter([r['heat_peak_of_mean'] for r in rs], [r['beta_model'] for r in rs], s=16,
                       color=cols[stg], label=stg)
    lo = min(min(r['heat_peak_of_mean'], r['beta_model']) for r in recs)
    hi = max(max(r['heat_peak_of_mean'], r['beta_model']) for r in recs)
    ax.plot([lo, hi], [lo, hi], 'k-', lw=0.8, label='β_model = peak')
    ax.set_xscale('log')
    ax.set_yscale('log')
    ax.set_xlabel('measured heat peak of the head (raw-score β)')
    ax.set_ylabel('the model\'s β[l, h]')
    ax.legend(fontsize=7)
    ac.save(fig, outdir, PREFIX[0] + '_beta.png', written)

    fig, ax = plt.subplots(figsize=(7, 4.5))
    if mc:
        lab = []
        for i, r in enumerate(mc):
            lab.append('L%d h%d' % (r['layer'], r['head']))
            for dx, size, c in ((-0.15, r['mc']['n_small'], 'C0'), (0.15, r['mc']['n'], 'C1')):
                d = r['mc'][str(size)]
                ax.errorbar(i + dx, d['C_peak'], yerr=d['C_peak_error'], fmt='s', color=c, capsize=2,
                            label='C peak, n = %d' % size if i == 0 else None)
                ax.errorbar(i + dx, d['chi_peak'], yerr=d['chi_peak_error'], fmt='o', mfc='none', color=c,
                            capsize=2, label='χ′ peak, n = %d' % size if i == 0 else None)
            ax.errorbar(i, r['mc']['U4_cross'], yerr=r['mc']['U4_cross_error'], fmt='^k', capsize=2,
                        label='U4 crossing' if i == 0 else None)
        ax.set_xticks(range(len(mc)))
        ax.set_xticklabels(lab)
        ax.axhline(1, color='k', lw=0.8, label='mean field 1/λ_max')
        ax.legend(fontsize=7)
    ax.set_ylabel('β λ_max(J)')
    ax.set_title('mapped learned heads (%s)' % (mc[0]['tag'] if mc else 'no MC run'), fontsize=9)
    ac.save(fig, outdir, PREFIX[0] + '_mc.png', written)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('runs', nargs='+', help='run directories of train.py (ckpt_*.pt)')
    quick = os.environ.get('QUICK', '0') == '1'
    ap.add_argument('--out', default=os.path.join(ROOT, 'experiments', 'out',
                                                  'ceas_learned_heads' + ('_quick' if quick else '')))
    ap.add_argument('--ceasim', default=os.environ.get('CEASIM', os.path.join(ROOT, 'build', 'ceasim')))
    ap.add_argument('--jobs', type=int, default=2, help='ceasim attention/map processes at a time [2]')
    ap.add_argument('--np', type=int, default=int(os.environ.get('NP', '2')), help='MPI ranks of the sweeps [2]')
    ap.add_argument('--beta-max', type=float, default=0.0,
                    help='beta grid 0..B of the scans (default: ceasim\'s, 0..3 REM beta_c of each head)')
    ap.add_argument('--beta-points', type=int, default=301, help='points of the --beta-max grid [301]')
    ap.add_argument('--layer', type=int, default=-1, help='QUICK: the layer scanned [last]')
    ap.add_argument('--mc-layer', type=int, default=-1, help='layer of the MC subset [last]')
    ap.add_argument('--mc-heads', default='all', help='heads of the MC subset: all or a list 0,2')
    ap.add_argument('--mc-beta', default=None, help='beta grid in units of 1/lambda_max [%s]' % MC_BETA)
    ap.add_argument('--mc-sweeps', type=int, default=None)
    ap.add_argument('--mc-therm', type=int, default=None)
    ap.add_argument('--no-mc', action='store_true')
    ap.add_argument('--update-docs', action='store_true',
                    help='write docs/ceas_learned_heads[_TAG].md and docs/img/ceas_learned_heads[_TAG]_*.png')
    ap.add_argument('--tag', default='', help='suffix of the doc and plot names, e.g. 9k, mid, 14m')
    a = ap.parse_args(argv)
    a.quick = quick
    if a.tag and not re.fullmatch(r'[A-Za-z0-9_-]+', a.tag):
        ap.error('--tag: letters, digits, - and _ only')
    PREFIX[0] = 'ceas_learned_heads' + ('_' + a.tag if a.tag else '')
    a.mc_beta = a.mc_beta or (MC_BETA_QUICK if quick else MC_BETA)
    a.mc_sweeps = a.mc_sweeps or (400 if quick else 4000)
    a.mc_therm = a.mc_therm or (100 if quick else 500)
    if a.beta_max and a.beta_points < 3:
        ap.error('--beta-points must be >= 3')
    if not os.access(a.ceasim, os.X_OK):
        print('learned_heads: %s is not an executable (build ceasim or set CEASIM)' % a.ceasim, file=sys.stderr)
        return 2
    t0 = time.time()

    def log(msg):
        print('learned_heads [%5.1f s]: %s' % (time.time() - t0, msg), file=sys.stderr, flush=True)
    try:
        for rd in a.runs:
            checkpoints(rd)
        os.makedirs(a.out, exist_ok=True)
        items = export_all(a.runs, a.out, a, log)
    except export_heads.InputError as e:
        print('learned_heads: %s' % e, file=sys.stderr)
        return 2
    timing = {'export': time.time() - t0}
    jobs = scan_jobs(items, a.out, a)
    t1 = time.time()
    with cf.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        list(ex.map(lambda j: do_scan(j, a), jobs))
    timing['attention_and_map'] = time.time() - t1
    log('%d heads scanned and mapped' % len(jobs))
    last = {}
    for j in jobs:
        last[j['run']] = max(last.get(j['run'], 0), j['meta']['step'])
    recs = []
    for j in jobs:
        r = head_record(j['att'], j['map'], j['layer_file'], j['head'], j['meta']['d_k'])
        r.update(run=j['run'], tag=j['tag'], layer=j['layer'], head=j['head'], step=j['meta']['step'],
                 arm=j['meta']['arm'], seed=j['meta']['seed'])
        r['step_frac'] = r['step'] / last[j['run']] if last[j['run']] else 1.0
        r['stage'] = stage_of(r['step'], last[j['run']])
        recs.append(r)
    timing['null_model'] = time.time() - t1 - timing['attention_and_map']
    mcs = []
    if not a.no_mc:
        t2 = time.time()
        for j in mc_subset(jobs, items, a):
            r = next(x for x in recs if x['run'] == j['run'] and x['tag'] == j['tag']
                     and x['layer'] == j['layer'] and x['head'] == j['head'])
            r['mc'] = do_mc(j, a.out, a, log)
            mcs.append(r)
        timing['mc'] = time.time() - t2
    ftab = formula_table(recs)
    ntab = null_table(recs)
    written = []
    m0 = items[0][4]
    info = ('Runs: %s; %d checkpoints, %d heads scanned (n = %d tokens of the validation split from offset 0, '
            'd_k = %d); MC subset: %s. Run time: %s.' % (
                ', '.join(sorted({i[0] for i in items})), len(items), len(recs), m0['n_tokens'], m0['d_k'],
                ('%d heads of %s, %d Metropolis sweeps (+%d), β/λ_max in {%s}' % (
                    len(mcs), mcs[0]['tag'], a.mc_sweeps, a.mc_therm, a.mc_beta)) if mcs else 'none',
                ', '.join('%s %.0f s' % (k, v) for k, v in timing.items())))
    plots(recs, ftab, mcs, a.out, written)
    md = markdown(recs, ftab, ntab, mcs, info, None)
    with open(os.path.join(a.out, 'learned_heads.md'), 'w') as fh:
        fh.write(md)
    written.append(os.path.join(a.out, 'learned_heads.md'))
    keep = ('run', 'tag', 'layer', 'head', 'step', 'step_frac', 'stage', 'arm', 'seed', 'n', 'd_k', 'beta0',
            'beta_model', 'sigma_qk', 'sigma_qk_err', 'brem', 'bstar0', 'bstarfix', 'rem_exact',
            'rem_exact_query_peak', 'inv_lambda', 'lambda_max', 'heat_peak_of_mean', 'heat_peak_beta',
            'heat_peak_beta_err', 'query_peak_median', 'H_at_beta0', 'kurtosis', 'kurtosis_err',
            'kurtosis_null', 'kurtosis_null_sd', 'top_z', 'top_z_err', 'top_z_null', 'top_z_null_sd',
            'top_gap', 'top_gap_err', 'top_gap_null', 'top_gap_null_sd', 'pr', 'pr_null', 'pr_null_sd',
            'pos_full', 'pos_full_null', 'pos_full_null_sd', 'pos_causal', 'pos_causal_null',
            'pos_causal_null_sd', 'mean_score')
    res = {'heads': [dict({k: r[k] for k in keep}, **({'mc': r['mc']} if 'mc' in r else {})) for r in recs],
           'formulas': ftab, 'null_model': ntab, 'timing_seconds': timing,
           'settings': {'mc_beta': a.mc_beta, 'mc_sweeps': a.mc_sweeps, 'mc_therm': a.mc_therm,
                        'quick': a.quick, 'runs': [os.path.abspath(r) for r in a.runs]}}
    with open(os.path.join(a.out, 'results.json'), 'w') as fh:
        json.dump(ac.jsonable(res), fh, indent=1)
    written.append(os.path.join(a.out, 'results.json'))
    ac.write_csv(os.path.join(a.out, 'heads.csv'), recs, [(k, (lambda k: lambda r: r[k])(k)) for k in keep])
    written.append(os.path.join(a.out, 'heads.csv'))
    if a.update_docs:
        img = os.path.join(ROOT, 'docs', 'img')
        os.makedirs(img, exist_ok=True)
        for p in written:
            if p.endswith('.png'):
                shutil.copyfile(p, os.path.join(img, os.path.basename(p)))
        doc = os.path.join(ROOT, 'docs', PREFIX[0] + '.md')
        text = markdown(recs, ftab, ntab, mcs, info, 'img')
        # A rerun keeps the Findings the lead wrote into the previous version.
        if os.path.exists(doc):
            old = re.search(r'\n## Findings\n(.*?)\n(?=## )', open(doc, encoding='utf-8').read(), re.S)
            if old and PLACEHOLDER not in old.group(1):
                text = re.sub(r'\n## Findings\n.*?\n(?=## )', lambda _: '\n## Findings\n' + old.group(1) + '\n',
                              text, count=1, flags=re.S)
        tmp = doc + '.tmp'
        with open(tmp, 'w') as fh:
            fh.write(text)
        os.replace(tmp, doc)
        written.append(doc)
    print(md)
    log('wrote ' + ', '.join(os.path.relpath(p, ROOT) for p in written))
    return 0


if __name__ == '__main__':
    sys.exit(main())
