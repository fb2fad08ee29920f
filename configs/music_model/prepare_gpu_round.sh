#!/usr/bin/env bash
# Prepare, on the CPU, a GPU machine's round of the music model from its released weights (the embedded
# latentaudio/music_model), so that the machine's time is spent training. About 40 minutes here.
#
#   [MODEL=FOLDER] configs/music_model/prepare_gpu_round.sh WORK
#
# MODEL (default latentaudio/music_model) is the pipeline whose U-Net the round trains and whose other components it
# keeps: e.g. codec_mels_cpu_run.sh's WORK/codec, the music model on a finer mel with its codec trained.
# WORK keeps the data (cpu_run.sh's 6.2 h build) and the caption states between
# runs (a rerun reuses them). In the repository it writes three ignored folders, each small enough for one
# transfer of 64 MiB with the code:
#   .gpu   the starting U-Net and projection (float16), the other components, the caption states, and the
#          smallest of the training split's Opus shards up to SHARD_BUDGET bytes (pack_transfer.py; 52 MB)
#   .gpu2  the other shards and the states again (26 MB)
#   .whl   the wheels the GPU machine lacks (diffusers, soundfile, cffi, pycparser, soxr; 8 MB), with .gpu2
# Every call sends the repository's tracked files too: for both calls, `git rm -r --cached` the embedded
# models' folders (latentaudio/default_model, default_teacher, music_model) and list them in .git/info/exclude,
# then `git reset` them afterwards. The two calls (device tool) and the way back are printed at the end.
set -euo pipefail
WORK=$(mkdir -p "$1" && cd "$1" && pwd)
REPO=$(cd "$(dirname "$0")/../.." && pwd)
MODEL=${MODEL:-latentaudio/music_model}
SHARD_BUDGET=${SHARD_BUDGET:-12000000}  # bytes of audio that travel beside the weights in the first call
export HF_HUB_OFFLINE=1
cd "$REPO"

configs/music_model/build_data.sh "$WORK/data" 2 2 2 0.5 6 80,112
[ -f "$WORK/states.safetensors" ] || latentaudio data embed-captions "$WORK/data" --model music \
    --output "$WORK/states.safetensors" --prompt "a loud snare drum hit" --prompt "a soft acoustic grand piano note, C4"
rm -rf .gpu .gpu2 .whl "$WORK/transfer"
python configs/music_model/pack_transfer.py --model "$MODEL" --data "$WORK/data" --states "$WORK/states.safetensors" \
    --out "$WORK/transfer"
mkdir -p .gpu/data .gpu2/data
mv "$WORK/transfer/base" "$WORK/transfer/start.safetensors" "$WORK/transfer/states.safetensors" .gpu/
cp .gpu/states.safetensors .gpu2/
used=0
for shard in "$WORK"/transfer/data/*; do  # the smallest shards first, into the first call while they fit
    echo "$(du -sb "$shard" | cut -f1) $shard"
done | sort -n | while read -r size shard; do
    if [ $(( used + size )) -le "$SHARD_BUDGET" ]; then used=$(( used + size )); mv "$shard" .gpu/data/; else mv "$shard" .gpu2/data/; fi
done
configs/default_model/gpu_wheels.sh .whl
du -sh --apparent-size .whl .gpu .gpu2

cat <<'CALLS'
# call 1 (carry .gpu): the weights, the states and the first shards, kept in /tmp
rm -rf /tmp/round && mkdir -p /tmp/round/data && cp -r .gpu/base .gpu/start.safetensors .gpu/states.safetensors /tmp/round/ \
 && cp -r .gpu/data/. /tmp/round/data/ && nvidia-smi -L
# call 2 (carry .whl .gpu2), straight after: the wheels, the other shards, then MINUTES of training (the latent cache first)
python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site:$PWD HF_HUB_OFFLINE=1 \
 && cp -r .gpu2/data/. /tmp/round/data/ && BASE=/tmp/round/base CACHE=/tmp/round/cache \
    bash configs/default_model/gpu_finetune.sh /tmp/round/data /tmp/round/states.safetensors /tmp/round/start.safetensors \
    /tmp/round/work $OUT 8.5 ../music_model/finetune_gpu.yaml
# here, with the call's files in FILES: each snapshot as a pipeline folder, then back to the WAVs on the CPU
# (wav_cpu.yaml, MODEL_CARD "The music model on a GPU machine") and the evaluation there
cat FILES/checkpoint-NNNNNNNN.safetensors.part-* > gpu.safetensors
CALLS
echo "python configs/default_model/snapshot.py apply gpu.safetensors $MODEL runs/music_gpu"
