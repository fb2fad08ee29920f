#!/usr/bin/env bash
# Train the default model's VAE, vocoder and U-Net in one time-boxed run on one GPU machine.
#
#   configs/default_model/gpu_run.sh DATA STATES WORK PACK [VAE_MIN VOCODER_MIN DIFFUSION_MIN]
#
# DATA is the training audiofolder (the GM dataset, see MODEL_CARD.md), STATES its caption states
# (`latentaudio data embed-captions`), WORK a scratch folder, PACK where the results go: the trained
# components as weights.tar.part-* (join with `cat`, then `tar -x`) and logs.tar.gz.
# The vocoder trains on ground-truth mels alongside the VAE; the U-Net starts as soon as the VAE is
# done and trains on its cached latents. configs/default_model/assemble.py joins the three.
# The machine needs no text encoder: the pipeline is built without loading it and training reads
# the caption states. Each budget counts from that trainer's setup; then it checkpoints and saves.
set -u
DATA=$1 STATES=$2 WORK=$3 PACK=$4
VAE_MIN=${5:-2.5} VOCODER_MIN=${6:-7.4} DIFFUSION_MIN=${7:-4.6}
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
LA="python3 -m latentaudio"
mkdir -p "$WORK" "$PACK"
started=$(date +%s)
stamp() { echo "[$(( $(date +%s) - started )) s] $*"; }

stamp "init"
$LA init "$HERE/../small.yaml" "$WORK/init" --skip-packaged-encoder || exit 1
printf 'base: %s\ntext_states_file: %s\n' "$HERE/diffusion.yaml" "$(cd "$(dirname "$STATES")" && pwd)/$(basename "$STATES")" \
    > "$WORK/diffusion.yaml"

stamp "vocoder and VAE start"
$LA train vocoder --model "$WORK/init" --data "$DATA" --output "$WORK/vocoder" --config "$HERE/vocoder.yaml" \
    --max-minutes "$VOCODER_MIN" > "$WORK/vocoder.log" 2>&1 &
vocoder=$!
$LA train vae --model "$WORK/init" --data "$DATA" --output "$WORK/vae" --config "$HERE/vae.yaml" \
    --max-minutes "$VAE_MIN" > "$WORK/vae.log" 2>&1
stamp "VAE done ($?)"
$LA train diffusion --model "$WORK/vae" --data "$DATA" --output "$WORK/diffusion" --config "$WORK/diffusion.yaml" \
    --max-minutes "$DIFFUSION_MIN" > "$WORK/diffusion.log" 2>&1
stamp "diffusion done ($?)"
wait $vocoder
stamp "vocoder done ($?)"

# Whatever finished comes back, even when a stage failed.
cd "$WORK"
vae=diffusion/vae; [ -d diffusion/vae ] || vae=vae/vae
tar -cf - --ignore-failed-read $vae vocoder/vocoder diffusion/unet diffusion/text_projection \
    diffusion/scheduler diffusion/spectrogram diffusion/model_index.json 2>/dev/null \
    | split -b 15M - "$PACK/weights.tar.part-"
tar -czf "$PACK/logs.tar.gz" --ignore-failed-read ./*.log ./*/training.json ./*/loss_curve.png 2>/dev/null
stamp "packed"
ls -la "$PACK"
