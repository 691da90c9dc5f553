#!/usr/bin/python3
"""One training run of the CEAS training experiment (issue 16, part 1).

Arms (same seed -> same initial weights and the same batches in every arm):
  a  beta = 1/sqrt(d_k), fixed
  b  CEAS initializer: beta*_h = sqrt(2 H_h) / sigma_h from the head means of the
     entropy H (nats, ln N_eff) and the score spread sigma_qk on the first batch
     at beta0 = 1/sqrt(d_k), then fixed
  c  CEAS thermostat: one ceasctl.Controller per head, observing the batch's
     head-mean H and Var_p[s] at the current beta every step; H_target = H(beta0)
     on the first batch - target_offset; margin centre = the head's heat peak
     (ceasctl.heat_peak on causal score rows), re-measured every --peak-every steps
  d  learned per-head temperature beta = softplus(rho), rho trained by AdamW
     (no weight decay), starting at 1/sqrt(d_k)
  e  c + gating: token gating by T = beta sigma sqrt(2 H) per (query, head) with
     T_gate(t) and top-q(t), m_min floor per sequence; head freezing (frozen heads
     output nothing, their W_q/W_k/W_v rows and beta stay fixed; at least h_min
     active heads per layer); the validation back-off.

Writes DIR/run.json (atomically) and checkpoints DIR/ckpt_<step>.pt at step 0,
~10 %, ~50 % and the end. Work is counted in token-layers: per step
B * T * n_layer * (1 - chi), chi the fraction of (query token, head) pairs whose
attention output was gated off (frozen heads count fully). Masking computes the
pruned pairs anyway, so wall time is not reduced by chi.
"""
import argparse
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import Corpus  # noqa: E402
from gating import keep_rule  # noqa: E402
from model import CharTransformer, count_params, make_config, save_checkpoint  # noqa: E402

ARMS = 'abcde'
CTRL_PRESET = {'tiny': '9k', '9k': '9k', 'mid': '9k', '14m': '14m'}


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--size', default='9k', choices=['tiny', '9k', 'mid', '14m'])
    ap.add_argument('--arm', required=True, choices=list(ARMS))
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--steps', type=int, default=2000)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--block', type=int, default=0, help='sequence length (0: the size preset)')
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--warmup', type=int, default=100)
    ap.add_argument('--schedule', default='cosine', choices=['cosine', 'constant'])
    ap.add_argument('--wd', type=float, default=0.01)
    ap.add_argument('--clip', type=float, default=1.0, help='gradient-norm clip (same for all arms)')
    ap.add_argument('--eval-every', type=int, default=50)
    ap.add_argument('--val-batches', type=int, default=8)
    ap.add_argument('--stats-every', type=int, default=10,
                    help='head statistics of arms a, b, d every k steps (c, e: every step)')
    ap.add_argument('--peak-every', type=int, default=100)
    ap.add_argument('--peak-seqs', type=int, default=4, help='sequences of the batch used for the heat peak')
    ap.add_argument('--tol', type=float, default=0.2, help='corridor half-width |H - H_target| (nats)')
    ap.add_argument('--ctl-preset', default='', help='ceasctl preset (default: 9k for tiny/9k/mid, 14m for 14m)')
    ap.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    ap.add_argument('--amp', action='store_true', help='bf16 autocast (CUDA)')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--no-ckpt', action='store_true')
    ap.add_argument('--out', required=True, help='run directory')
    a = ap.parse_args(argv)
    for k in ('steps', 'batch', 'eval_every', 'val_batches', 'stats_every', 'peak_every', 'peak_seqs'):
        if getattr(a, k) < 1:
            ap.error('--%s must be >= 1' % k.replace('_', '-'))
    return a


def lr_at(a, t):
    if t < a.warmup:
        return a.lr * (t + 1) / a.warmup
    if a.schedule == 'constant':
        return a.lr
    u = (t - a.warmup) / max(1, a.steps - a.warmup)
    return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, u))))


def write_json_atomic(path, obj):
    tmp = path + '.tmp'
    with open(tmp, 'w') as fh:
        json.dump(obj, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def score_rows(cap, blk, nseq):
    """Causal raw-score rows per head from a captured layer: list (per head) of
    lists of float64 arrays (query i sees keys 0..i)."""
    q, k = cap['q'][:nseq].float(), cap['k'][:nseq].float()
    qh, kh = blk.split(q), blk.split(k)
    s = (qh @ kh.transpose(-1, -2)).cpu().double().numpy()   # [b, H, T, T]
    T = s.shape[-1]
    return [[s[b, h, i, :i + 1] for b in range(s.shape[0]) for i in range(1, T)]
            for h in range(s.shape[1])]


def heat_peaks(ceasctl, model, x, nseq, sigma):
    """Per-head heat peak (ceasctl.heat_peak) on the batch's causal score rows;
    the beta grid spans 0.05..5 x the REM estimate sqrt(2 ln(T/2))/sigma."""
    with torch.no_grad():
        _, info = model(x[:nseq], capture=True)
    L, Hn = model.beta.shape
    T = x.shape[1]
    peaks = np.zeros((L, Hn))
    for l, blk in enumerate(model.blocks):
        rows = score_rows(info['capture'][l], blk, nseq)
        for h in range(Hn):
            sg = max(float(sigma[l, h]), 1e-12)
            b_rem = math.sqrt(2 * math.log(max(T / 2, 2))) / sg
            grid = b_rem * np.geomspace(0.05, 5.0, 61)
            peaks[l, h] = ceasctl.heat_peak(rows[h], grid)[0]
    return peaks


def main(argv):
    a = parse(argv)
    torch.set_num_threads(a.threads)
    if a.device == 'cuda' and not torch.cuda.is_available():
        print('train.py: --device cuda but CUDA is not available', file=sys.stderr)
        return 2
    dev = torch.device(a.device)
    os.makedirs(a.out, exist_ok=True)
    corpus = Corpus()
    cfg = make_config(a.size, corpus.vocab_size, 'learned' if a.arm == 'd' else 'fixed')
    if a.block:
        cfg['block'] = a.block
    T = cfg['block']
    torch.manual_seed(a.seed)
    model = CharTransformer(cfg).to(dev)
    L, Hn, dk = cfg['n_layer'], cfg['n_head'], cfg['d_k']
    beta0 = 1.0 / math.sqrt(dk)
    gen = torch.Generator().manual_seed(a.seed)
    vals = [(x.to(dev), y.to(dev)) for x, y in corpus.val_batches(a.val_batches, a.batch, T)]
    use_amp = a.amp and a.device == 'cuda'

    def autocast():
        return torch.autocast('cuda', dtype=torch.bfloat16, enabled=use_amp) if a.device == 'cuda' \
            else torch.autocast('cpu', enabled=False)

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if (p.dim() < 2 or n == 'rho') else decay).append(p)
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': a.wd},
                             {'params': no_decay, 'weight_decay': 0.0}], lr=a.lr)

    # Every arm loads ceasctl: the heat peaks are measured (for the record) in all.
    import ceasctl
    ceasctl.load()
    pname = a.ctl_preset or CTRL_PRESET[a.size]
    pre = ceasctl.preset(pname)

    # Step-0 measurement on the first training batch at beta0 (every arm: the
    # corridor of arm a is defined by the same H_target).
    x0, y0 = corpus.batch('train', a.batch, T, gen)
    x0, y0 = x0.to(dev), y0.to(dev)
    with torch.no_grad(), autocast():
        _, info0 = model(x0, stats=True)
    H0 = info0['stats']['H'].double().cpu().numpy()
    sig0 = info0['stats']['sigma'].double().cpu().numpy()
    H_target = H0 - pre['target_offset']
    beta_star0 = np.sqrt(2.0 * H0) / sig0
    if a.arm == 'b':
        model.beta.copy_(torch.tensor(beta_star0, dtype=model.beta.dtype))
    ctrls = None
    peaks = heat_peaks(ceasctl, model, x0, a.peak_seqs, sig0)
    if a.arm in 'ce':
        ctrls = [[ceasctl.Controller(pname, beta0=beta0, H_target=float(H_target[l, h]),
                                     beta_c=float(peaks[l, h]), ema_H=pre['ema_H'],
                                     ema_var=pre['ema_sigma'])
                  for h in range(Hn)] for l in range(L)]
        model.beta.copy_(torch.tensor([[c.beta for c in row] for row in ctrls]))

    rec = dict(config=cfg, arm=a.arm, seed=a.seed, size=a.size, n_params=count_params(model),
               args=vars(a), argv=[sys.executable] + sys.argv, torch=torch.__version__,
               device=(torch.cuda.get_device_name(0) if a.device == 'cuda' else platform.processor()
                       or platform.machine()),
               python=platform.python_version(), ctl_preset=pname, preset=pre,
               corpus_files=corpus.files, beta0=beta0, H0=H0.tolist(), sigma0=sig0.tolist(),
               H_target=H_target.tolist(), beta_star0=beta_star0.tolist(), tol=a.tol,
               tokens_per_step=a.batch * T, work_unit='token-layers: B*T*n_layer*(1-chi) per step',
               step=[], loss=[], lr=[], gnorm=[], wall=[], beta=[], chi=[], work=[],
               stats_step=[], H=[], var=[], sigma=[], n_eff=[],
               peak_step=[0], peak=[peaks.tolist()],
               val_step=[], val_loss=[], val_sd=[], val_wall=[],
               clip_count=np.zeros((L, Hn), int).tolist(), guard_count=np.zeros((L, Hn), int).tolist(),
               margin_count=np.zeros((L, Hn), int).tolist(), corridor_count=np.zeros((L, Hn), int).tolist(),
               stats_count=0, frozen=[], backoff=[], T_gate=[], q=[], status='running')
    clip_c = np.zeros((L, Hn), int)
    guard_c = np.zeros((L, Hn), int)
    margin_c = np.zeros((L, Hn), int)
    corr_c = np.zeros((L, Hn), int)
    run_json = os.path.join(a.out, 'run.json')
    ckpt_steps = sorted({0, max(1, a.steps // 10), a.steps // 2, a.steps})

    def ckpt(step):
        if not a.no_ckpt:
            save_checkpoint(os.path.join(a.out, 'ckpt_%06d.pt' % step), model, step, a.arm, a.seed)

    def evaluate(gate_fn):
        losses = []
        with torch.no_grad(), autocast():
            for x, y in vals:
                lg, _ = model(x, gate=gate_fn)
                losses.append(float(F.cross_entropy(lg.float().view(-1, lg.shape[-1]), y.reshape(-1))))
        return float(np.mean(losses)), float(np.std(losses, ddof=1)) if len(losses) > 1 else 0.0

    # gating state (arm e)
    frozen = torch.zeros(L, Hn, dtype=torch.bool, device=dev)
    freeze_run = np.zeros((L, Hn), int)
    frozen_rows = {}
    backoff_until = -1
    v_ema = None
    gstate = {'T_gate': 0.0, 'q': 0.0, 'kept': 0, 'total': 0}

    def gate_fn(layer, Tsc):
        kp = keep_rule(Tsc, gstate['T_gate'], gstate['q'], pre['m_min'])
        kp = kp & ~frozen[layer].view(1, -1, 1)
        gstate['kept'] += int(kp.sum())
        gstate['total'] += kp.numel()
        return kp

    def set_gate(t):
        shift = pre['backoff_dT'] if t < backoff_until else 0.0
        gstate['T_gate'] = ceasctl.gate_threshold(pname, t, shift=shift)
        gstate['q'] = ceasctl.gate_topq(pname, t)

    ckpt(0)
    t_train = 0.0
    t_peak = 0.0
    work_cum = 0.0
    xb, yb = x0, y0
    for t in range(a.steps + 1):
        if t % a.eval_every == 0 or t == a.steps:
            if a.arm == 'e':
                set_gate(t)
                gstate['kept'] = gstate['total'] = 0
            vl, vsd = evaluate(gate_fn if a.arm == 'e' else None)
            rec['val_step'].append(t)
            rec['val_loss'].append(vl)
            rec['val_sd'].append(vsd)
            rec['val_wall'].append(t_train + (t_peak if a.arm in 'ce' else 0.0))
            if a.arm == 'e':
                # back-off: the short EMA (alpha 1/2 per evaluation) rising by more
                # than backoff_sigma x the spread of the loss over the validation batches
                prev = v_ema
                v_ema = vl if v_ema is None else 0.5 * v_ema + 0.5 * vl
                if prev is not None and v_ema - prev > pre['backoff_sigma'] * vsd:
                    backoff_until = t + pre['backoff_steps']
                    rec['backoff'].append(t)
        if t == a.steps:
            break
        if t > 0:
            xb, yb = corpus.batch('train', a.batch, T, gen)
            xb, yb = xb.to(dev), yb.to(dev)
        if t > 0 and t % a.peak_every == 0:
            tp = time.perf_counter()
            sg = np.array(rec['sigma'][-1]) if rec['sigma'] else sig0
            peaks = heat_peaks(ceasctl, model, xb, a.peak_seqs, sg)
            if ctrls is not None:
                for l in range(L):
                    for h in range(Hn):
                        ctrls[l][h].set_beta_c(float(peaks[l, h]))
            t_peak += time.perf_counter() - tp
            rec['peak_step'].append(t)
            rec['peak'].append(peaks.tolist())
        if a.device == 'cuda':
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        lr = lr_at(a, t)
        for g in opt.param_groups:
            g['lr'] = lr
        want = a.arm in 'ce' or t % a.stats_every == 0
        if a.arm == 'e':
            set_gate(t)
            gstate['kept'] = gstate['total'] = 0
        with autocast():
            logits, info = model(xb, stats=want, gate=gate_fn if a.arm == 'e' else None)
            loss = F.cross_entropy(logits.float().view(-1, logits.shape[-1]), yb.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gn = float(torch.nn.utils.clip_grad_norm_(model.parameters(), a.clip))
        opt.step()
        if frozen_rows:
            with torch.no_grad():
                for (l, h), saved in frozen_rows.items():
                    blk = model.blocks[l]
                    for W, S in zip((blk.W_q, blk.W_k, blk.W_v), saved):
                        W.weight[h * dk:(h + 1) * dk].copy_(S)
        chi = 1.0 - gstate['kept'] / gstate['total'] if a.arm == 'e' else 0.0
        if want:
            st = info['stats']
            Hs = st['H'].double().cpu().numpy()
            Vs = st['var'].double().cpu().numpy()
            Ss = st['sigma'].double().cpu().numpy()
            if ctrls is not None:
                nb = model.beta.detach().cpu().numpy().copy()
                for l in range(L):
                    for h in range(Hn):
                        if frozen[l, h]:
                            continue
                        c = ctrls[l][h]
                        c.observe(float(Hs[l, h]), float(Vs[l, h]))
                        nb[l, h], fl = c.update()
                        clip_c[l, h] += fl['clipped']
                        guard_c[l, h] += fl['guard']
                        margin_c[l, h] += fl['margin']
                model.beta.copy_(torch.tensor(nb, dtype=model.beta.dtype))
            if a.arm == 'e':
                below = Hs <= H0 - pre['freeze_offset']
                freeze_run = np.where(below, freeze_run + 1, 0)
                for l in range(L):
                    for h in range(Hn):
                        active = int((~frozen[l]).sum())
                        if not frozen[l, h] and freeze_run[l, h] >= pre['freeze_w'] and active > pre['h_min']:
                            frozen[l, h] = True
                            blk = model.blocks[l]
                            frozen_rows[(l, h)] = [W.weight[h * dk:(h + 1) * dk].detach().clone()
                                                   for W in (blk.W_q, blk.W_k, blk.W_v)]
                            rec['frozen'].append([t, l, h])
                g = 0.5 if t < backoff_until else 1.0
                for row in ctrls:
                    for c in row:
                        c.set_gain_scale(g)
        if a.device == 'cuda':
            torch.cuda.synchronize()
        t_train += time.perf_counter() - t0
        work_cum += a.batch * T * L * (1.0 - chi)
        rec['step'].append(t)
        rec['loss'].append(float(loss.detach()))
        rec['lr'].append(lr)
        rec['gnorm'].append(gn)
        rec['wall'].append(t_train + (t_peak if a.arm in 'ce' else 0.0))
        rec['beta'].append(model.current_beta().detach().cpu().double().numpy().tolist())
        rec['chi'].append(chi)
        rec['work'].append(work_cum)
        if a.arm == 'e':
            rec['T_gate'].append(gstate['T_gate'])
            rec['q'].append(gstate['q'])
        if want:
            rec['stats_step'].append(t)
            rec['H'].append(Hs.tolist())
            rec['var'].append(Vs.tolist())
            rec['sigma'].append(Ss.tolist())
            rec['n_eff'].append(np.exp(Hs).tolist())
            corr_c += np.abs(Hs - H_target) <= a.tol
            rec['stats_count'] += 1
        if t + 1 in ckpt_steps:
            ckpt(t + 1)
        if not math.isfinite(rec['loss'][-1]):
            rec['status'] = 'diverged at step %d' % t
            break
    rec['clip_count'] = clip_c.tolist()
    rec['guard_count'] = guard_c.tolist()
    rec['margin_count'] = margin_c.tolist()
    rec['corridor_count'] = corr_c.tolist()
    rec['t_train'] = t_train
    rec['t_peak'] = t_peak
    rec['s_per_step'] = t_train / max(1, len(rec['step']))
    if rec['status'] == 'running':
        rec['status'] = 'done'
    write_json_atomic(run_json, rec)
    print('%s arm %s seed %d: %d params, %d steps, val %.4f, %.1f ms/step'
          % (a.size, a.arm, a.seed, rec['n_params'], len(rec['step']), rec['val_loss'][-1],
             1e3 * rec['s_per_step']))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
