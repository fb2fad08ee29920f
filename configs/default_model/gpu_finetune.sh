#!/usr/bin/env bash
# Continue the default model's U-Net (finetune_v_gpu.yaml) for MINUTES on one GPU machine.
#
#   configs/default_model/gpu_finetune.sh DATA STATES SNAPSHOT WORK PACK MINUTES [CONFIG]
#
# CONFIG is a training config, a path relative to this folder (default finetune_v_gpu.yaml; generalise_gpu.yaml
# adds the pitch embedding and trains on a dense, many-caption set; ../music_model/finetune_gpu.yaml continues the
# music model).
# DATA is the training split as Ogg Opus (`latentaudio data transcode data/gm --out gm_opus --format
# opus --compression 0.9 --split train`, 21 MB), STATES its caption states (`latentaudio data
# embed-captions`), SNAPSHOT the starting U-Net and text projection as float16 (`snapshot.py pack
# latentaudio/default_teacher start.safetensors`, 22 MB): together they fit one transfer beside the
# repository. The VAE, scheduler and spectrogram come from BASE (default latentaudio/default_teacher; the
# music model's pack_transfer.py writes one that travels); CACHE, when set, is the latent cache folder, so that
# a later run on the same machine (or data sent in two transfers) encodes each clip once. PACK receives the
# EMA of the last checkpoint and of the one halfway through as float16 snapshots, split into
# NAME.safetensors.part-* (join with `cat`; `snapshot.py apply` makes a pipeline folder of one), and logs.tar.gz.
set -u
DATA=$1 STATES=$2 SNAPSHOT=$3 WORK=$4 PACK=$5 MINUTES=$6 CONFIG=${7:-finetune_v_gpu.yaml}
HERE=$(cd "$(dirname "$0")" && pwd)
BASE=${BASE:-$HERE/../../latentaudio/default_teacher}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
started=$(date +%s)
stamp() { echo "[$(( $(date +%s) - started )) s] $*"; }
mkdir -p "$WORK" "$PACK"

python3 "$HERE/snapshot.py" apply "$SNAPSHOT" "$BASE" "$WORK/start" || exit 1
printf 'base: %s\ntext_states_file: %s\n' "$HERE/$CONFIG" "$(cd "$(dirname "$STATES")" && pwd)/$(basename "$STATES")" \
    > "$WORK/finetune.yaml"
[ -n "${CACHE:-}" ] && printf 'cache_dir: %s\n' "$CACHE" >> "$WORK/finetune.yaml"  # a latent cache shared by runs
stamp "training starts"
python3 -m latentaudio train diffusion --model "$WORK/start" --data "$DATA" --output "$WORK/run" \
    --config "$WORK/finetune.yaml" --max-minutes "$MINUTES" > "$WORK/train.log" 2>&1
stamp "training done ($?)"
tail -n 5 "$WORK/train.log"

# Whatever was checkpointed comes back, even when training stopped early.
checkpoints=("$WORK"/run/checkpoints/checkpoint-*)
if [ -d "${checkpoints[0]}" ]; then
    last=$(( ${#checkpoints[@]} - 1 ))
    for checkpoint in $(printf '%s\n' "${checkpoints[$(( last / 2 ))]}" "${checkpoints[$last]}" | sort -u); do
        name=$(basename "$checkpoint")
        python3 "$HERE/snapshot.py" pack "$checkpoint" "$WORK/$name.safetensors" \
            && split -b 15M "$WORK/$name.safetensors" "$PACK/$name.safetensors.part-"
    done
fi
tar -czf "$PACK/logs.tar.gz" -C "$WORK" --ignore-failed-read train.log run/training.json run/loss_curve.png run/logs 2>/dev/null
stamp "packed"
ls -la "$PACK"
