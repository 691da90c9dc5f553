#!/usr/bin/python3
"""Runs the grid sizes x arms x seeds of train.py, --jobs processes at once
(each with one torch thread), into OUT/<size>/<arm>/seed<k>/. A run whose
run.json says 'done' is skipped, so an interrupted grid is resumed by running
the same command again. The per-size defaults are the planned grid (README)."""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# steps, seeds, batch, extra train.py options
PLAN = {
    'tiny': dict(steps=60, seeds=2, batch=8, extra=['--eval-every', '10', '--peak-every', '20',
                                                    '--val-batches', '2']),
    '9k': dict(steps=1800, seeds=5, batch=32, extra=[]),
    'mid': dict(steps=250, seeds=3, batch=16, extra=['--eval-every', '25', '--peak-every', '50']),
    '14m': dict(steps=700, seeds=2, batch=64, extra=['--device', 'cuda', '--amp', '--eval-every', '50',
                                                     '--peak-every', '200', '--peak-seqs', '1',
                                                      '--lr', '1e-3']),
}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--sizes', default='9k')
    ap.add_argument('--arms', default='abcde')
    ap.add_argument('--seeds', type=int, default=0, help='0: the plan of the size')
    ap.add_argument('--steps', type=int, default=0, help='0: the plan of the size')
    ap.add_argument('--jobs', type=int, default=2)
    ap.add_argument('--out', required=True)
    a = ap.parse_args()
    todo = []
    for size in a.sizes.split(','):
        if size not in PLAN:
            ap.error('unknown size %r' % size)
        pl = PLAN[size]
        for seed in range(a.seeds or pl['seeds']):
            for arm in a.arms:
                d = os.path.join(a.out, size, arm, 'seed%d' % seed)
                rj = os.path.join(d, 'run.json')
                if os.path.exists(rj):
                    with open(rj) as fh:
                        if json.load(fh).get('status') == 'done':
                            continue
                todo.append([sys.executable, os.path.join(HERE, 'train.py'), '--size', size,
                             '--arm', arm, '--seed', str(seed), '--steps', str(a.steps or pl['steps']),
                             '--batch', str(pl['batch']), '--out', d] + pl['extra'])
    t0 = time.time()
    running, failed = [], 0
    while todo or running:
        while todo and len(running) < a.jobs:
            cmd = todo.pop(0)
            running.append((cmd, subprocess.Popen(cmd)))
        time.sleep(0.2)
        for item in list(running):
            rc = item[1].poll()
            if rc is not None:
                running.remove(item)
                if rc != 0:
                    failed += 1
                    print('grid: failed (exit %d): %s' % (rc, ' '.join(item[0])), file=sys.stderr)
    print('grid: %.0f s, %d failed' % (time.time() - t0, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
