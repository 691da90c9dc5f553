#!/usr/bin/python3
"""The training loop's torch gating (gating.keep_rule) equals ceasctl.gate_keep,
the C reference rule ceas_attention_gate_keep, row by row: random scores, scores
with many ties (a few distinct values), thresholds below/inside/above the range,
q in [0, 1] including 0 and 1, m_min from 0 to beyond n (the floor), n from 1;
and the float32 gate scores of a real model pass. Exit 1 on any difference."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ceasctl  # noqa: E402
from gating import keep_rule  # noqa: E402
from model import CharTransformer, make_config  # noqa: E402


def compare(T, T_gate, q, m_min):
    """T [rows, n] float tensor -> number of rows where torch and C differ."""
    fast = keep_rule(T, T_gate, q, m_min).numpy()
    bad = 0
    for r in range(T.shape[0]):
        ref = ceasctl.gate_keep(T[r].double().numpy(), T_gate, q, m_min)
        bad += int((ref != fast[r]).any())
    return bad


def main():
    g = torch.Generator().manual_seed(16)
    cases = bad = 0
    for trial in range(600):
        n = 1 + int(torch.randint(0, 80, (1,), generator=g))
        rows = 1 + int(torch.randint(0, 6, (1,), generator=g))
        if trial % 3 == 0:   # heavy ties: 1..4 distinct values
            k = 1 + int(torch.randint(0, 4, (1,), generator=g))
            T = torch.randint(0, k, (rows, n), generator=g).double() * 0.5
        else:
            T = torch.rand(rows, n, generator=g, dtype=torch.float64) * 3.0
        T_gate = [-1.0, 0.5, 1.0, 1.5, 9.0][trial % 5]
        q = [0.0, 1.0, 0.55, 0.75, float(torch.rand(1, generator=g))][(trial // 5) % 5]
        m_min = [0, 1, 16, n, n + 5, int(torch.randint(0, 40, (1,), generator=g))][trial % 6]
        bad += compare(T, T_gate, q, m_min)
        cases += rows
    # gate scores of a model pass (float32 in torch; exact in float64)
    torch.manual_seed(0)
    m = CharTransformer(make_config('tiny', 97))
    idx = torch.randint(0, 97, (4, 16), generator=g)
    with torch.no_grad():
        _, info = m(idx, gate_scores=True)
    Tm = info['stats']['T']                     # [L, B, H, T]
    for T_gate, q, m_min in ((0.3, 0.55, 4), (1.8, 0.0, 16), (0.0, 0.75, 0)):
        flat = Tm.reshape(-1, Tm.shape[-1])
        bad += compare(flat, T_gate, q, m_min)
        cases += flat.shape[0]
    print('gating: torch keep_rule vs ceasctl.gate_keep: %d of %d rows differ' % (bad, cases))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
