"""CEAS token gating in torch (the training loop's fast path).

keep_rule is ceasctl.gate_keep (the C reference ceas_attention_gate_keep) on a
whole batch at once: for one head on one sequence of n gate scores T, keep i if
T[i] >= T_gate or i is among the ceil(q n) largest T (ties: lower index first),
then add the largest remaining T until min(m_min, n) are kept. Both kept sets
are prefixes of the order "T descending, lower index first" (every T >= T_gate
sorts before every T < T_gate), and so is the floor's completion: the rule is
rank < max(#{T >= T_gate}, ceil(q n), min(m_min, n)). tests/ceas_training_smoke.sh
checks it against ceasctl.gate_keep on random inputs with ties.
"""
import math

import torch


def keep_rule(T, T_gate, q, m_min):
    """T [..., n] (rows are (batch, head) sequences) -> bool keep [..., n]."""
    n = T.shape[-1]
    order = torch.sort(T, dim=-1, descending=True, stable=True).indices
    ar = torch.arange(n, device=T.device).expand_as(order)
    rank = torch.empty_like(order).scatter_(-1, order, ar)
    fixed = max(int(math.ceil(q * n)), min(int(m_min), n))
    K = (T >= T_gate).sum(-1, keepdim=True).clamp_min(fixed)
    return rank < K
