"""Small decoder-only character transformer with an explicit per-head inverse
temperature, for the CEAS training experiment (issue 16, part 1).

Attention logits are beta[l, h] * (q . k) in RAW score units (the textbook
softmax is beta = 1/sqrt(d_k)), the convention of ceasim's attention module and
of ceasctl. W_q, W_k, W_v, W_o are separate bias-free nn.Linear per layer whose
weights have shape [n_head * d_k, d_model] (W_o: [d_model, n_head * d_k]): the
layout `ceasim attention --weights FILE --x X --wq W_q --wk W_k --head h
--n-heads H` reads, head h owning rows h*d_k .. (h+1)*d_k - 1.

forward(idx, stats=False, gate_scores=False, keep=None, gate=None, capture=False)
returns (logits, info). info['stats'] (when stats) holds, per layer, detached
[n_head] tensors measured at the beta used in this pass:
  H      mean over (batch, query) of the softmax entropy (nats),
  var    mean over (batch, query) of Var_p[s] (raw scores),
  sigma  mean over queries with >= 2 keys of the population std of the query's
         causal raw scores,
and, only with gate_scores, T [B, n_head, T] = beta sigma_i sqrt(2 H_i) per
(batch, query) (the CEAS gate score, N_eff = e^H of that query).
keep: bool [n_layer, B, n_head, T]; a False (query, head) pair contributes zero
attention output (the residual passes the token through). gate: a callable
gate(layer, T [B, n_head, T]) -> keep [B, n_head, T] evaluated inside the pass
(the gating arm decides each layer from that layer's own scores); it implies
gate_scores. capture stores per layer X = ln1(x), q and k ([B, T, n_head*d_k]).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    # 9 000 parameters at the fortunes vocabulary (97 symbols): see count_params.
    '9k': dict(d_model=16, n_layer=2, n_head=4, d_k=4, d_ff=64, block=64, tie=True),
    'mid': dict(d_model=48, n_layer=4, n_head=4, d_k=12, d_ff=192, block=64, tie=True),
    '14m': dict(d_model=384, n_layer=8, n_head=6, d_k=64, d_ff=1536, block=256, tie=False),
    # The smoke test's model: seconds for a few dozen steps on one core.
    'tiny': dict(d_model=8, n_layer=2, n_head=2, d_k=4, d_ff=16, block=32, tie=True),
}


def make_config(size, vocab_size, beta_mode='fixed'):
    if size not in PRESETS:
        raise ValueError('unknown model size %r (one of %s)' % (size, ', '.join(PRESETS)))
    cfg = dict(PRESETS[size])
    cfg.update(size=size, vocab_size=int(vocab_size), beta_mode=beta_mode)
    return cfg


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, hd = cfg['d_model'], cfg['n_head'] * cfg['d_k']
        self.n_head, self.d_k = cfg['n_head'], cfg['d_k']
        self.ln1 = nn.LayerNorm(d)
        self.W_q = nn.Linear(d, hd, bias=False)
        self.W_k = nn.Linear(d, hd, bias=False)
        self.W_v = nn.Linear(d, hd, bias=False)
        self.W_o = nn.Linear(hd, d, bias=False)
        self.ln2 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, cfg['d_ff'])
        self.ff2 = nn.Linear(cfg['d_ff'], d)

    def split(self, t):
        B, T, _ = t.shape
        return t.view(B, T, self.n_head, self.d_k).transpose(1, 2)  # [B, H, T, d_k]

    def forward(self, x, beta, want_stats, want_T, keep, gate, layer, store):
        X = self.ln1(x)
        q, k, v = self.W_q(X), self.W_k(X), self.W_v(X)
        if store is not None:
            store.append({'X': X.detach(), 'q': q.detach(), 'k': k.detach()})
        qh, kh, vh = self.split(q), self.split(k), self.split(v)
        T = x.shape[1]
        s = qh @ kh.transpose(-1, -2)                        # raw scores [B, H, T, T]
        causal = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
        logits = (beta.view(1, -1, 1, 1).to(s.dtype) * s).masked_fill(~causal, float('-inf'))
        p = torch.softmax(logits.float(), dim=-1)
        st = None
        if want_stats or want_T or gate is not None:
            st = head_stats(s.detach().float(), p.detach(), causal, beta.detach().float(),
                            want_T or gate is not None)
        out = p.to(vh.dtype) @ vh                            # [B, H, T, d_k]
        if gate is not None:
            kp = gate(layer, st['T'])
            out = out * kp.unsqueeze(-1).to(out.dtype)
        elif keep is not None:
            out = out * keep[layer].unsqueeze(-1).to(out.dtype)
        B = x.shape[0]
        x = x + self.W_o(out.transpose(1, 2).reshape(B, T, -1))
        x = x + self.ff2(F.gelu(self.ff1(self.ln2(x))))
        return x, st


def head_stats(s, p, causal, beta, want_T):
    """Per-head statistics of one layer from raw scores s and weights p [B,H,T,T]."""
    T = s.shape[-1]
    cm = causal.view(1, 1, T, T)
    n = causal.sum(-1).to(s.dtype).view(1, 1, T)             # keys seen by query i
    plogp = torch.where(p > 0, p * torch.log(p.clamp_min(1e-45)), torch.zeros_like(p))
    H = -plogp.sum(-1)                                       # [B, H, T]
    sz = s.masked_fill(~cm, 0.0)
    m1 = (p * sz).sum(-1)
    var = ((p * sz * sz).sum(-1) - m1 * m1).clamp_min(0.0)
    mu = sz.sum(-1) / n
    sig = ((sz * sz).sum(-1) / n - mu * mu).clamp_min(0.0).sqrt()  # population std
    multi = (n > 1.5).expand_as(sig)
    st = {'H': H.mean((0, 2)), 'var': var.mean((0, 2)),
          'sigma': (sig * multi).sum((0, 2)) / multi.sum((0, 2))}
    if want_T:
        st['T'] = beta.view(1, -1, 1) * sig * torch.sqrt(2.0 * H.clamp_min(0.0))
    return st


class CharTransformer(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = dict(cfg)
        d, L, nh = cfg['d_model'], cfg['n_layer'], cfg['n_head']
        self.tok = nn.Embedding(cfg['vocab_size'], d)
        self.pos = nn.Embedding(cfg['block'], d)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(L)])
        self.ln_f = nn.LayerNorm(d)
        self.head = nn.Linear(d, cfg['vocab_size'], bias=False)
        if cfg['tie']:
            self.head.weight = self.tok.weight
        b0 = 1.0 / math.sqrt(cfg['d_k'])
        # beta is a buffer (arms a, b, c, e set it from outside); arm d learns
        # beta = softplus(rho), rho starting at softplus^-1(1/sqrt(d_k)).
        self.register_buffer('beta', torch.full((L, nh), b0))
        if cfg.get('beta_mode', 'fixed') == 'learned':
            self.rho = nn.Parameter(torch.full((L, nh), math.log(math.expm1(b0))))
        else:
            self.rho = None
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02 if m.weight.shape[-1] >= 64 else 0.1)
            if isinstance(m, nn.Linear) and m.bias is not None:
                nn.init.zeros_(m.bias)

    def current_beta(self):
        return F.softplus(self.rho) if self.rho is not None else self.beta

    def forward(self, idx, stats=False, gate_scores=False, keep=None, gate=None, capture=False):
        B, T = idx.shape
        x = self.tok(idx) + self.pos(torch.arange(T, device=idx.device))
        beta = self.current_beta()
        store = [] if capture else None
        per_layer = []
        for l, blk in enumerate(self.blocks):
            x, st = blk(x, beta[l], stats, gate_scores, keep, gate, l, store)
            per_layer.append(st)
        logits = self.head(self.ln_f(x))
        info = {}
        if stats or gate_scores or gate is not None:
            info['stats'] = {key: torch.stack([st[key] for st in per_layer])
                             for key in per_layer[0]}
        if capture:
            info['capture'] = store
        return logits, info


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def save_checkpoint(path, model, step, arm, seed):
    import os
    tmp = path + '.tmp'
    torch.save({'config': model.cfg, 'model': model.state_dict(),
                'beta': model.current_beta().detach().cpu(), 'step': int(step),
                'arm': arm, 'seed': int(seed)}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, device='cpu'):
    """-> (model, cfg): the model in eval mode with the checkpoint's beta."""
    ck = torch.load(path, map_location=device)
    cfg = ck['config']
    model = CharTransformer(cfg).to(device)
    model.load_state_dict(ck['model'])
    model.eval()
    return model, cfg
