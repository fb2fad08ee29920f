#!/usr/bin/env bash
# The music model's codec fine-tuned on the music data on a 2-core CPU: the VAE decoder (the encoder frozen, so
# the latents and the U-Net trained on them stay valid; vae_decoder_cpu.yaml), then the vocoder on that decoder's
# reconstructions (vocoder_cpu.yaml). Both start from the embedded music model. Measured, not released: the
# real clips' mels come back closer, but generated takes move further from the real clips (MODEL_CARD.md).
#
#   configs/music_model/codec_cpu_run.sh WORK DATA [DECODER_STEPS] [VOCODER_STEPS] [UNET_MODEL]
#
# DATA is beat_cpu_run.sh's WORK/data (build_data.sh's shards). At batch 8 a step takes about 1.5 s (decoder) and
# 0.4 s (vocoder) on two cores, about 3 s and 1 s beside another run. Each stage is resumable: rerun with the same
# WORK and a stage continues from its last checkpoint; a finished stage returns at once. The result is
# WORK/codec: UNET_MODEL's pipeline (default: the embedded music model) with the new VAE and vocoder.
set -u
WORK=$1 DATA=$2 DECODER_STEPS=${3:-657} VOCODER_STEPS=${4:-710} UNET_MODEL=${5:-music}
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
LA="python3 -m latentaudio"
mkdir -p "$WORK/logs"

stage() {  # KIND NAME CONFIG BASE_MODEL STEPS
    [ -f "$WORK/$2/model_index.json" ] && { echo "stage $2 done"; return; }
    local resume=(); [ -d "$WORK/$2/checkpoints" ] && resume=(--resume)
    $LA train "$1" --model "$4" --data "$DATA" --output "$WORK/$2" --config "$HERE/$3" --max-steps "$5" \
        "${resume[@]}" > "$WORK/logs/$2.log" 2>&1 || { echo "stage $2 failed:"; tail -n 5 "$WORK/logs/$2.log"; exit 1; }
    echo "stage $2 done"
}
stage vae decoder vae_decoder_cpu.yaml music "$DECODER_STEPS"
stage vocoder vocoder vocoder_cpu.yaml "$WORK/decoder" "$VOCODER_STEPS"

# UNET_MODEL's pipeline with the new codec (the spectrogram and scheduler are the same files in every music model)
python3 "$HERE/swap_components.py" "$WORK/codec" "$UNET_MODEL" --vae "$WORK/decoder" --vocoder "$WORK/vocoder" || exit 1
