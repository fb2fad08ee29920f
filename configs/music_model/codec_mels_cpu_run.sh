#!/usr/bin/env bash
# A music model's codec on a finer mel, on a 2-core CPU: widen_mels.py writes MODEL's pipeline at N_MELS bins, then
# the VAE (vae_mels_cpu.yaml) and the vocoder (vocoder_mels_cpu.yaml) train side by side, one core each, both from
# the widened pipeline. The U-Net is not trained here: WORK/codec is the widened pipeline with the new VAE and
# vocoder, for benchmarks/music_codec.py (what the codec lets through) and for a U-Net round on the new latent.
#
#   configs/music_model/codec_mels_cpu_run.sh WORK DATA [VAE_STEPS] [VOCODER_STEPS] [N_MELS] [MINUTES] [MODEL]
#
# DATA is beat_cpu_run.sh's WORK/data (build_data.sh's shards). At batch 8 beside each other a step takes about
# 7 s (VAE) and 0.7 s (vocoder). MINUTES (default: none) also time-boxes each stage; the steps it reached are then the
# STEPS that reproduce it. Each stage is resumable: rerun with the same WORK and a stage continues from its last
# checkpoint; a finished stage returns at once.
set -u
WORK=$1 DATA=$2 VAE_STEPS=${3:-20000} VOCODER_STEPS=${4:-20000} N_MELS=${5:-128} MINUTES=${6:-} MODEL=${7:-music}
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
LA="python3 -m latentaudio"
mkdir -p "$WORK/logs"

[ -f "$WORK/wide/model_index.json" ] || python3 "$HERE/widen_mels.py" "$WORK/wide" --model "$MODEL" --n-mels "$N_MELS" || exit 1

stage() {  # KIND NAME CONFIG STEPS
    [ -f "$WORK/$2/model_index.json" ] && { echo "stage $2 done"; return; }
    local resume=(); [ -d "$WORK/$2/checkpoints" ] && resume=(--resume)
    local budget=(); [ -n "$MINUTES" ] && budget=(--max-minutes "$MINUTES")
    $LA train "$1" --model "$WORK/wide" --data "$DATA" --output "$WORK/$2" --config "$HERE/$3" --max-steps "$4" \
        "${budget[@]}" "${resume[@]}" > "$WORK/logs/$2.log" 2>&1 || { echo "stage $2 failed:"; tail -n 5 "$WORK/logs/$2.log"; return 1; }
    echo "stage $2 done"
}
stage vae vae vae_mels_cpu.yaml "$VAE_STEPS" & vae=$!
stage vocoder vocoder vocoder_mels_cpu.yaml "$VOCODER_STEPS" & vocoder=$!
wait $vae || exit 1
wait $vocoder || exit 1

# The widened pipeline with the trained VAE and vocoder
python3 "$HERE/swap_components.py" "$WORK/codec" "$WORK/wide" --vae "$WORK/vae" --vocoder "$WORK/vocoder" || exit 1
