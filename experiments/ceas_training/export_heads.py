#!/usr/bin/python3
"""export_heads: one checkpoint's attention heads on a fixed validation sequence,
as files that `ceasim attention --weights` and `ceasim map --weights` read unchanged.

  export_heads.py CHECKPOINT --out DIR [--tokens n] [--offset o] [--device cpu|cuda] [--force]

The sequence: the validation split of data.Corpus (the last 10 % of the fortunes
text, the split train.py validates on), tokens [offset, offset + n), n = the model's
block size unless --tokens n (2 <= n <= block). The default offset 0 is the first
validation character, so every checkpoint of every run sees the same sequence.

The model runs once in capture mode (model.py: X = ln1(x), q, k of every layer) in
float64: the float32 weights convert to float64 exactly and Q, K are then computed
by the model itself in float64, so Q = X W_q,h^T holds to rounding (~1e-16, checked
below to 1e-12 relative) and the projection layout (X, W_q, W_k) and the direct one
(Q, K) describe the same head. The float32 forward of training gives the same Q, K
to ~1e-7 relative (written as the attribute q_float32_rel_dev).

Output: DIR/layer<l>.h5 per layer l, HDF5, all float64 (docs/weights.md):

  X        [n, d_model]          attention input ln1(x) of layer l
  W_q, W_k, W_v [n_head*d_k, d_model]  PyTorch nn.Linear layout, head h = rows h*d_k..
  heads/<h>/Q, heads/<h>/K  [n, d_k]   head h as the model computes it (q, k of capture)
  tokens   [n] int64             the token ids of the sequence (listed, never read by ceasim)

so that
  ceasim attention --weights DIR/layer0.h5 --n-heads H --head h          (projection)
  ceasim attention --weights DIR/layer0.h5 --q heads/h/Q --k heads/h/K   (direct)
  ceasim map --weights DIR/layer0.h5 --n-heads H --head h --out J.h5
(the file has no top-level tensor Q, so the projection layout is the default).
Root attributes: checkpoint, step, arm, seed, layer, n_layer, n_head, d_k, d_model,
n_tokens, block, offset, split, beta (the model's beta[l, h] for this layer, raw-score
units: logits = beta q.k), beta_all [n_layer, n_head], q_check_rel_dev,
q_float32_rel_dev, torch_version.

Files are written under a temporary name and renamed; existing ones are kept unless
--force. Bad input: one line on stderr, exit 2, nothing written.
"""
import argparse
import os
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


class InputError(Exception):
    """Bad input: reported as one line, exit 2."""


def validation_sequence(cfg, tokens, offset, corpus=None):
    import torch

    import data
    corpus = corpus if corpus is not None else data.Corpus()
    if corpus.vocab_size != cfg['vocab_size']:
        raise InputError('the checkpoint\'s vocabulary (%d symbols) is not the corpus\'s (%d)'
                         % (cfg['vocab_size'], corpus.vocab_size))
    n = cfg['block'] if tokens is None else tokens
    if not 2 <= n <= cfg['block']:
        raise InputError('--tokens %d: must be in 2..%d (the model\'s block size)' % (n, cfg['block']))
    if offset < 0 or offset + n > len(corpus.val):
        raise InputError('--offset %d: the validation split has %d tokens, %d needed from there'
                         % (offset, len(corpus.val), n))
    return corpus.val[offset:offset + n].to(torch.long)


def capture(model, ids, dtype):
    """Per layer (X, q, k) [n, *] of one forward pass in dtype (float64 or float32)."""
    import torch
    m = model.to(dtype)
    with torch.no_grad():
        _, info = m(ids.view(1, -1).to(next(m.parameters()).device), capture=True)
    return [{k: v[0].detach().cpu().double().numpy() for k, v in st.items()}
            for st in info['capture']]


def export(ckpt, out, tokens=None, offset=0, device='cpu', force=False, corpus=None, quiet=False,
           compact=False):
    """Writes out/layer<l>.h5 for every layer; returns the paths. compact: X, W_q and
    W_k only, the weights as float32 (the model's own parameters, so exact); the
    projection layout gives the same Q, K (for moving a large model's heads off a
    machine with a file-size limit)."""
    import torch

    import model as modelpy
    torch.set_num_threads(1)
    if not os.path.isfile(ckpt):
        raise InputError('%s: no such checkpoint file' % ckpt)
    try:
        raw = torch.load(ckpt, map_location='cpu')
        for key in ('config', 'model', 'beta', 'step', 'arm', 'seed'):
            if key not in raw:
                raise KeyError(key)
        net, cfg = modelpy.load_checkpoint(ckpt, device=device)
    except (KeyError, RuntimeError, ValueError, EOFError, OSError, TypeError) as e:
        raise InputError('%s: not a ceas_training checkpoint (%s)' % (ckpt, str(e).splitlines()[0] if str(e) else type(e).__name__))
    L, H, dk, d = cfg['n_layer'], cfg['n_head'], cfg['d_k'], cfg['d_model']
    paths = [os.path.join(out, 'layer%d.h5' % l) for l in range(L)]
    if not os.path.isdir(out):
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as e:
            raise InputError('--out %s: %s' % (out, e.strerror))
    if not force:
        for p in paths:
            if os.path.exists(p):
                raise InputError('%s exists (use --force to replace it)' % p)
    ids = validation_sequence(cfg, tokens, offset, corpus)
    n = int(ids.numel())
    beta = raw['beta'].detach().cpu().double().numpy().reshape(L, H)
    cap32 = capture(net, ids, torch.float32)
    cap = capture(net, ids, torch.float64)
    sd = {k: v.detach().cpu().double().numpy() for k, v in net.state_dict().items()}
    for l in range(L):
        c, c32 = cap[l], cap32[l]
        X = c['X']
        W = {name: sd['blocks.%d.%s.weight' % (l, name)] for name in ('W_q', 'W_k', 'W_v')}
        # The layout check: the model's own q, k are X W^T with head h on rows
        # h*d_k.. (any bias, rotation or reordering inside the model would show here).
        dev = 0.0
        for name, t in (('W_q', c['q']), ('W_k', c['k'])):
            ref = X @ W[name].T
            dev = max(dev, float(np.max(np.abs(t - ref)) / max(np.max(np.abs(ref)), 1e-300)))
        if not dev <= 1e-12:
            raise RuntimeError('layer %d: the captured q, k are not X W^T (relative deviation %.3g): '
                               'model.py and this exporter disagree on the layout' % (l, dev))
        dev32 = max(float(np.max(np.abs(c32[k] - c[k])) / max(np.max(np.abs(c[k])), 1e-300))
                    for k in ('q', 'k'))
        tmp = os.path.join(out, '.layer%d.h5.tmp%d' % (l, os.getpid()))
        try:
            with h5py.File(tmp, 'w') as f:
                f['X'] = X
                for name, w in W.items():
                    if compact and name == 'W_v':
                        continue
                    if compact:
                        w32 = w.astype(np.float32)
                        if not np.array_equal(w32.astype(np.float64), w):
                            raise RuntimeError('layer %d: %s is not float32-exact; no --compact' % (l, name))
                        w = w32
                    f[name] = w
                for h in range(H if not compact else 0):
                    sl = slice(h * dk, (h + 1) * dk)
                    f['heads/%d/Q' % h] = c['q'][:, sl]
                    f['heads/%d/K' % h] = c['k'][:, sl]
                f['tokens'] = ids.cpu().numpy().astype(np.int64)
                a = f.attrs
                a['checkpoint'] = os.path.abspath(ckpt)
                a['step'] = int(raw['step'])
                a['arm'] = str(raw['arm'])
                a['seed'] = int(raw['seed'])
                a['layer'] = l
                a['n_layer'], a['n_head'], a['d_k'], a['d_model'] = L, H, dk, d
                a['n_tokens'], a['block'], a['offset'] = n, int(cfg['block']), int(offset)
                a['split'] = 'validation (data.Corpus().val, the last 10 % of the fortunes text)'
                a['beta'] = beta[l]
                a['beta_all'] = beta
                a['beta_units'] = 'raw-score: logits = beta * q.k (textbook softmax beta = 1/sqrt(d_k))'
                a['q_check_rel_dev'] = dev
                a['q_float32_rel_dev'] = dev32
                a['capture_dtype'] = 'float64'
                a['torch_version'] = str(torch.__version__)
                a['compact'] = int(compact)
            os.replace(tmp, paths[l])
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    if not quiet:
        print('export_heads: %s (step %d, arm %s, seed %d): %d layers x %d heads, n = %d, '
              'offset %d -> %s' % (ckpt, raw['step'], raw['arm'], raw['seed'], L, H, n, offset, out))
    return paths


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('checkpoint')
    ap.add_argument('--out', required=True, help='output directory (layer<l>.h5 per layer)')
    ap.add_argument('--tokens', type=int, default=None, help='sequence length n [block size]')
    ap.add_argument('--offset', type=int, default=0, help='start in the validation split [0]')
    ap.add_argument('--device', default='cpu', choices=('cpu', 'cuda'))
    ap.add_argument('--force', action='store_true', help='replace existing files')
    ap.add_argument('--compact', action='store_true',
                    help='X, W_q, W_k only (weights as float32, exact): no W_v, no per-head Q, K')
    a = ap.parse_args(argv)
    try:
        export(a.checkpoint, a.out, a.tokens, a.offset, a.device, a.force, compact=a.compact)
    except InputError as e:
        print('export_heads: %s' % e, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
