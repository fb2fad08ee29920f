#!/usr/bin/env bash
# Distil the default model into its few-step student for MINUTES on one GPU machine.
#
#   configs/default_model/distill_gpu.sh DATA STATES WORK PACK MINUTES [CONFIG]
#
# CONFIG is a distillation config (default distill_gpu.yaml in this folder, the consistency student;
# distill_guidance_gpu.yaml the guidance student; a small one smoke-tests the script on a CPU). TEACHER, when
# set, is the teacher's pipeline folder (default the embedded teacher, default_teacher); on a machine reached by small
# transfers it is made there from a float16 pack (configs/music_model/pack_transfer.py writes one):
#   python configs/default_model/snapshot.py apply PACKED/start.safetensors PACKED/base TEACHER
# Prepared on the CPU beforehand, small enough to travel with the repository:
#   latentaudio data soundfont --out data/gm_dense2 --pitch-step 2 --captions-per-clip 8 --holdout pitches --seconds 2.56
#   latentaudio data embed-captions data/gm_dense2 --model default --output states_dense2.safetensors
#   mkdir src && ln -s "$PWD/data/gm_dense2" src/oneshots
#   python configs/music_model/pack_transfer.py --model latentaudio/default_teacher --data src \
#       --states states_dense2.safetensors --out PACKED --oneshot-every 3 --captions 4
# (every third training clip, 4 captions each, Opus at 16 kbit/s: DATA is PACKED/data/oneshots and STATES
# PACKED/states.safetensors). WORK/student resumes when it exists. STUDENT, when set, is an earlier student
# of this teacher to go on from (the config's student_from), e.g. the released default model, whose trained
# parts travel on their own (22 MB) and go over a copy of the teacher there:
#   mkdir -p STUDENT_PARTS && cp -r latentaudio/default_model/{unet,text_projection,scheduler,model_index.json} STUDENT_PARTS/
#   (on the machine) cp -r TEACHER /tmp/student && cp -r STUDENT_PARTS/. /tmp/student/ && export STUDENT=/tmp/student PACK receives the student's trained parts
# (U-Net in float16, text projection, scheduler, model_index.json) as student.tar.part-* (15 MB parts) and
# logs.tar.gz; the VAE, vocoder and spectrogram are the teacher's, which the CPU machine has:
#   cp -r latentaudio/default_teacher STUDENT && cat PACK/student.tar.part-* | tar -xf - -C STUDENT
#   python configs/default_model/assemble.py OUT STUDENT --half
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
[ -n "${STUDENT:-}" ] && printf 'student_from: %s\n' "$(cd "$STUDENT" && pwd)" >> "$WORK/distill.yaml"
resume=""
[ -d "$WORK/student/checkpoints" ] && resume=--resume
stamp "distillation starts"
python3 -m latentaudio distill --model "${TEACHER:-$HERE/../../latentaudio/default_teacher}" --data "$DATA" --output "$WORK/student" \
    --config "$WORK/distill.yaml" --max-minutes "$MINUTES" $resume > "$WORK/distill.log" 2>&1
stamp "distillation done ($?)"
tail -n 5 "$WORK/distill.log"

# Whatever was saved comes back, even when the run stopped early: the parts distillation changed.
if [ -f "$WORK/student/model_index.json" ]; then
    rm -rf "$WORK/stage" && mkdir -p "$WORK/stage"
    cp -r "$WORK/student/unet" "$WORK/student/text_projection" "$WORK/student/scheduler" \
        "$WORK/student/model_index.json" "$WORK/stage/"
    python3 "$HERE/snapshot.py" half "$WORK/stage/unet/diffusion_pytorch_model.safetensors"
    tar -cf - -C "$WORK/stage" . | split -b 15M - "$PACK/student.tar.part-"
fi
tar -czf "$PACK/logs.tar.gz" -C "$WORK" --ignore-failed-read distill.log student/training.json student/loss_curve.png student/logs 2>/dev/null
stamp "packed"
ls -la "$PACK"
