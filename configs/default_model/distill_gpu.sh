#!/usr/bin/env bash
# Distil the embedded default model into its 4-step student for MINUTES on one GPU machine.
#
#   configs/default_model/distill_gpu.sh DATA STATES WORK PACK MINUTES [CONFIG]
#
# CONFIG is a distillation config (default distill_gpu.yaml in this folder; a small one smoke-tests the script on a CPU).
# Prepared on the CPU beforehand, small enough to travel with the repository:
#   latentaudio data soundfont --out gm_sparse --pitch-step 4 --captions-per-clip 2 --holdout pitches --seconds 2.56
#   latentaudio data transcode gm_sparse --out DATA --format opus --compression 0.9 --split train
#   latentaudio data embed-captions DATA --model default --output STATES   # every caption the data holds
# (the dense set, --pitch-step 2 --captions-per-clip 8, is ~86 MB of Opus and ~46 MB of states: too large to carry).
# WORK/student resumes when it exists. PACK receives the student as student.tar.part-* (15 MB parts, the
# layout assemble.py reads) and logs.tar.gz; on the CPU machine the release is
#   python configs/default_model/assemble.py latentaudio/default_fast PACK --half
set -u
DATA=$1 STATES=$2 WORK=$3 PACK=$4 MINUTES=$5
HERE=$(cd "$(dirname "$0")" && pwd)
CONFIG=$(cd "$(dirname "${6:-$HERE/distill_gpu.yaml}")" && pwd)/$(basename "${6:-$HERE/distill_gpu.yaml}")
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
started=$(date +%s)
stamp() { echo "[$(( $(date +%s) - started )) s] $*"; }
mkdir -p "$WORK" "$PACK"

printf 'base: %s\ntext_states_file: %s\n' "$CONFIG" "$(cd "$(dirname "$STATES")" && pwd)/$(basename "$STATES")" \
    > "$WORK/distill.yaml"
resume=""
[ -d "$WORK/student/checkpoints" ] && resume=--resume
stamp "distillation starts"
python3 -m latentaudio distill --model "$HERE/../../latentaudio/default_model" --data "$DATA" --output "$WORK/student" \
    --config "$WORK/distill.yaml" --max-minutes "$MINUTES" $resume > "$WORK/distill.log" 2>&1
stamp "distillation done ($?)"
tail -n 5 "$WORK/distill.log"

# Whatever was saved comes back, even when the run stopped early: the student pipeline as assemble.py's
# "diffusion" folder, its vocoder (the teacher's) as "vocoder/vocoder".
if [ -f "$WORK/student/model_index.json" ]; then
    tar -cf - -C "$WORK" --transform 's,^student/vocoder,vocoder/vocoder,' --transform 's,^student,diffusion,' \
        student/unet student/vae student/vocoder student/text_projection student/scheduler student/spectrogram \
        student/model_index.json | split -b 15M - "$PACK/student.tar.part-"
fi
tar -czf "$PACK/logs.tar.gz" -C "$WORK" --ignore-failed-read distill.log student/training.json student/loss_curve.png student/logs 2>/dev/null
stamp "packed"
ls -la "$PACK"
