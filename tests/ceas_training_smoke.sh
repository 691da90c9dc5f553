#!/bin/bash
# Smoke test of the CEAS training experiment (issue 16, part 1): the tiny model
# trains 30 steps in each arm a-e with the C controller and gating rules
# (libceasim_attention through ceasctl); the run files, the checkpoints and the
# arms' defining properties are checked, and the torch gating equals the C keep
# rule (experiments/ceas_training/check_gating.py).
#   usage: ceas_training_smoke.sh LIBCEASIM_ATTENTION
set -euo pipefail
export CEASIM_ATTENTION_LIB=${1:?usage: ceas_training_smoke.sh LIBCEASIM_ATTENTION}
src=${CEASIM_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
py=${CEASIM_PYTHON:-/usr/bin/python3}
exp=$src/experiments/ceas_training
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$py" "$exp/check_gating.py"
"$py" - "$exp" "$tmp" <<'PY'
import json, math, os, sys
exp, tmp = sys.argv[1], sys.argv[2]
sys.path.insert(0, exp)
import numpy as np
import torch
import train
from model import load_checkpoint

steps = 30
for arm in 'abcde':
    rc = train.main(['--size', 'tiny', '--arm', arm, '--seed', '3', '--steps', str(steps), '--batch', '8',
                     '--eval-every', '10', '--peak-every', '15', '--val-batches', '2',
                     '--out', os.path.join(tmp, arm)])
    assert rc == 0, arm
R = {arm: json.load(open(os.path.join(tmp, arm, 'run.json'))) for arm in 'abcde'}
fail = []
def check(ok, what):
    if not ok:
        fail.append(what)
b0 = R['a']['beta0']
for arm, r in R.items():
    check(r['status'] == 'done' and len(r['step']) == steps and len(r['loss']) == steps, arm + ': run length')
    check(r['val_step'] == [0, 10, 20, 30], arm + ': validation steps')
    check(all(math.isfinite(v) for v in r['loss'] + r['val_loss']), arm + ': finite losses')
    w = np.diff([0.0] + r['work'])
    check(np.all(w > 0) and np.all(w <= r['tokens_per_step'] * r['config']['n_layer'] + 1e-9), arm + ': work per step')
    for k in (0, 3, 15, 30):
        ck = os.path.join(tmp, arm, 'ckpt_%06d.pt' % k)
        check(os.path.exists(ck), arm + ': checkpoint %d' % k)
    model, cfg = load_checkpoint(os.path.join(tmp, arm, 'ckpt_%06d.pt' % steps))
    check(np.allclose(model.current_beta().detach().numpy(), r['beta'][-1], rtol=1e-6), arm + ': checkpoint beta')
    check(cfg == r['config'], arm + ': checkpoint config')
# same seed: the same initial weights and batches -> identical first loss where beta
# starts at 1/sqrt(d_k) ungated (b starts at beta*_0, e gates from step 0)
for arm in 'cd':
    check(R[arm]['loss'][0] == R['a']['loss'][0], arm + ': same start as a')
check(np.allclose(R['a']['beta'], b0), 'a: beta fixed at 1/sqrt(d_k)')
check(np.allclose(R['b']['beta'], [R['b']['beta_star0']] * steps), 'b: beta fixed at beta*_0')
check(np.allclose(R['b']['beta_star0'], np.sqrt(2 * np.array(R['b']['H0'])) / np.array(R['b']['sigma0'])), 'b: beta*_0 formula')
check(not np.allclose(R['c']['beta'][-1], b0), 'c: the thermostat moved beta')
check(not np.allclose(R['d']['beta'][-1], b0), 'd: beta learned')
chi = np.array(R['e']['chi'])
check(np.all((chi >= 0) & (chi < 1)) and chi.max() > 0, 'e: gating applied (0 < chi < 1)')
check(np.all(np.array(R['c']['chi']) == 0), 'c: no gating')
check(abs(R['e']['work'][-1] - sum(R['e']['tokens_per_step'] * R['e']['config']['n_layer'] * (1 - chi))) < 1e-6,
      'e: work = tokens x layers x (1 - chi)')
if fail:
    print('ceas_training_smoke: FAILED: ' + '; '.join(fail))
    sys.exit(1)
print('ceas_training_smoke: 5 arms, run files, checkpoints and arm properties ok')
PY
