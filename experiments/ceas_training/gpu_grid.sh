#!/bin/bash
# The whole training grid in one call on a GPU machine with 16 CPU cores (the lent
# H100): 14m on the GPU (bf16 autocast, JOBS14 runs sharing the card) while the 9k
# and mid grids use the CPU cores (one torch thread a run). Every run stops at
# LIMIT seconds; finished runs are complete (run.json written atomically), an
# unfinished one is dropped. Then the 14m heads of the final checkpoints of seed 0
# are exported (Q and K per head only: the device's return limit is 16 MiB a file)
# and everything is packed into OUTDIR as seven tarballs (the device returns at most
# eight files of 16 MiB).
#   experiments/ceas_training/gpu_grid.sh OUTDIR
# Needs: $CEAS_FORTUNES_DIR (a copy of /usr/share/games/fortunes) and
# $CEASIM_ATTENTION_LIB (a build of libceasim_attention.so: it needs only libc/libm).
set -u
out=${1:?usage: gpu_grid.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
py=${CEASIM_PYTHON:-python3}
runs=${RUNS:-/tmp/ceas_training}
LIMIT=${LIMIT:-480}
STEPS14=${STEPS14:-1000}
JOBS14=${JOBS14:-4}
STEPSMID=${STEPSMID:-500}
SEEDSMID=${SEEDSMID:-2}
JOBS9K=${JOBS9K:-8}
JOBSMID=${JOBSMID:-4}
export PYTHONUNBUFFERED=1
logs=$runs/logs
mkdir -p "$out" "$runs" "$logs"
{
  date -u
  nvidia-smi -L
  lscpu | grep -E 'Model name|^CPU\(s\)'
  "$py" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'
} > "$logs/device.txt" 2>&1
t0=$(date +%s)
timeout "$LIMIT" "$py" "$here/grid.py" --sizes 14m --jobs "$JOBS14" --steps "$STEPS14" \
  --out "$runs" > "$logs/grid_14m.log" 2>&1 &
timeout "$LIMIT" "$py" "$here/grid.py" --sizes 9k --jobs "$JOBS9K" --out "$runs" \
  > "$logs/grid_9k.log" 2>&1 &
timeout "$LIMIT" "$py" "$here/grid.py" --sizes mid --jobs "$JOBSMID" --steps "$STEPSMID" \
  --seeds "$SEEDSMID" --out "$runs" \
  > "$logs/grid_mid.log" 2>&1 &
wait
pkill -f "$here/train.py" 2>/dev/null
echo "grids: $(( $(date +%s) - t0 )) s" >> "$logs/device.txt"

# 14m heads (compact export: X and float32 W_q, W_k, which give Q, K exactly; 128
# tokens): the last checkpoint of seed 0 of arms a and c, and the initial one.
export14() {  # arm, checkpoint
  local tag
  tag=$(basename "$2" .pt)
  "$py" "$here/export_heads.py" "$2" --out "$runs/14m/$1/seed0/heads/$tag" --tokens 128 \
    --compact --device cuda >> "$logs/export.log" 2>&1
}
ckpt() {  # arm, head|tail: the run's first or last checkpoint (names are zero-padded steps)
  local ck
  ck=$(ls "$runs/14m/$1/seed0" 2>/dev/null | grep '^ckpt_[0-9]*\.pt$' | sort -V | "$2" -1)
  [ -n "$ck" ] && echo "$runs/14m/$1/seed0/$ck"
}
for arm in a c; do
  ck=$(ckpt "$arm" tail) && export14 "$arm" "$ck"
done
ck=$(ckpt a head) && export14 a "$ck"
cd "$runs"
# xz: the run.json files are text (a third of gzip's size); 16 MiB a file comes back.
tar cJf "$out/runs_9k.txz" 9k 2>/dev/null
tar cJf "$out/runs_mid.txz" --exclude='seed[1-9]*/ckpt_*' --exclude='[bde]/seed0/ckpt_*' mid 2>/dev/null
tar cJf "$out/runs_14m.txz" --exclude='ckpt_*' --exclude='heads' 14m 2>/dev/null
for d in 14m/*/seed0/heads/*; do
  [ -d "$d" ] && tar cJf "$out/heads_$(echo "$d" | cut -d/ -f2)_$(basename "$d").txz" "$d"
done
echo "total: $(( $(date +%s) - t0 )) s" >> "$logs/device.txt"
du -a "$out" >> "$logs/device.txt"
tar cJf "$out/logs.txz" logs
