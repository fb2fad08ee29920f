#!/usr/bin/env bash
# Distil the embedded teacher into a 4-step consistency student (the one once embedded as default-fast) on
# this machine's CPU, in the background.
#
#   configs/default_model/distill_cpu.sh WORK [MINUTES] [THREADS]
#
# 1. renders the dense one-shots (every General MIDI program of FluidR3_GM at every second semitone of
#    its range, whole pitches held out, 8 captions per clip, 2.56 s: MODEL_CARD.md) into
#    WORK/data/gm_dense2, unless they are there;
# 2. runs `latentaudio distill` (configs/default_model/distill.yaml) for MINUTES of wall clock
#    (default 600), writing atomic checkpoints every 100 steps to WORK/student/checkpoints.
# Run it again to continue: an existing run resumes from its newest complete checkpoint. The
# student (WORK/student) is an ordinary pipeline folder: `latentaudio generate --model WORK/student`
# samples it in 4 steps. Logs: WORK/distill.log, TensorBoard in WORK/student/logs. The release is
# `python configs/default_model/assemble.py OUT WORK/student --half`.
set -eu
WORK=$1 MINUTES=${2:-600} THREADS=${3:-2}
HERE=$(cd "$(dirname "$0")" && pwd)
export HF_HUB_OFFLINE=1 PYTHONUNBUFFERED=1 OMP_NUM_THREADS=$THREADS
LA="python3 -m latentaudio"
TEACHER=$(python3 -c "import latentaudio; print(latentaudio.DEFAULT_TEACHER)")
mkdir -p "$WORK"
resume=""
[ -d "$WORK/student/checkpoints" ] && resume=--resume
nohup bash -c "
  [ -f '$WORK/data/gm_dense2/metadata.jsonl' ] || $LA data soundfont --out '$WORK/data/gm_dense2' --pitch-step 2 \
      --captions-per-clip 8 --holdout pitches --seconds 2.56 || exit 1
  exec $LA distill --model '$TEACHER' --data '$WORK/data/gm_dense2' --output '$WORK/student' \
      --config '$HERE/distill.yaml' --max-minutes $MINUTES $resume
" > "$WORK/distill.log" 2>&1 &
echo $! > "$WORK/distill.pid"
echo "Distilling in the background (pid $(cat "$WORK/distill.pid")); follow it with: tail -f $WORK/distill.log"
