#!/usr/bin/env bash
# Prepare, on the CPU, everything a GPU machine needs to go on distilling the released guidance student
# (distill_guidance_more_gpu.yaml), so that the machine's time is spent training. About 10 minutes here.
#
#   configs/default_model/prepare_distill_more.sh WORK
#
# WORK keeps the dense set and its caption states between runs (a rerun reuses them). In the repository it
# writes three ignored folders, each small enough for one transfer of 64 MiB with the code:
#   .whl            the wheels the GPU machine lacks (diffusers, soundfile, cffi, pycparser, soxr; 8 MB)
#   .gpu/packed     the teacher as a float16 pack, every third training clip of the dense set as Ogg Opus with
#                   its template caption, and those captions' states (about 45 MB)
#   .gpu2/student   the released student's trained parts: U-Net (float16), text projection, scheduler,
#                   model_index.json (22 MB)
# Every call sends the repository's tracked files too, and the embedded models (87 MB) do not fit beside
# these: for both calls, `git rm -r --cached` the embedded models' folders (latentaudio/default_model,
# default_teacher, music_model) and list them in .git/info/exclude, then `git reset` them afterwards.
# The two calls (device tool), then the release here, are printed at the end.
set -euo pipefail
WORK=$(mkdir -p "$1" && cd "$1" && pwd)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
export HF_HUB_OFFLINE=1
cd "$REPO"

DATA=$WORK/data/gm_dense2
if [ ! -f "$DATA/dataset_card.md" ]; then
    latentaudio data soundfont --out "$DATA.tmp" --pitch-step 2 --captions-per-clip 8 --holdout pitches --seconds 2.56
    mv "$DATA.tmp" "$DATA"
fi
[ -f "$WORK/states.safetensors" ] || \
    latentaudio data embed-captions "$DATA" --model default-teacher --output "$WORK/states.safetensors"
mkdir -p "$WORK/src" && ln -sfn "$DATA" "$WORK/src/oneshots"
rm -rf .gpu .gpu2 .whl
python configs/music_model/pack_transfer.py --model latentaudio/default_teacher --data "$WORK/src" \
    --states "$WORK/states.safetensors" --out .gpu/packed --oneshot-every 3 --captions 1
mkdir -p .gpu2/student
cp -r latentaudio/default_model/{unet,text_projection,scheduler,model_index.json} .gpu2/student/
configs/default_model/gpu_wheels.sh .whl
du -sh .whl .gpu .gpu2

cat <<'CALLS'
# call 1 (carry .whl .gpu): the wheels and the teacher, kept in /tmp for the next call
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 \
 && python3 configs/default_model/snapshot.py apply .gpu/packed/start.safetensors .gpu/packed/base /tmp/teacher \
 && rm -rf /tmp/packed && cp -r .gpu/packed /tmp/packed && nvidia-smi -L
# call 2 (carry .gpu2), straight after: the student over a copy of the teacher, then MINUTES of distillation
export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 && rm -rf /tmp/student && cp -r /tmp/teacher /tmp/student \
 && cp -r .gpu2/student/. /tmp/student/ && STUDENT=/tmp/student TEACHER=/tmp/teacher bash configs/default_model/distill_gpu.sh \
    /tmp/packed/data/oneshots /tmp/packed/states.safetensors /tmp/work $OUT 8 configs/default_model/distill_guidance_more_gpu.yaml
# here, with the call's files in FILES: the new student over a copy of the teacher, then measure it beside the
# released one (MODEL_CARD, "The default model: guidance distillation") before it replaces latentaudio/default_model
cp -r latentaudio/default_teacher runs/student_more && cat FILES/student.tar.part-* | tar -xf - -C runs/student_more
CALLS
