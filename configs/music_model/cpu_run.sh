#!/usr/bin/env bash
# The music model on a 2-core CPU, for when no GPU machine is lent: a smaller build of gpu_run.sh's data
# (about 6.2 h: 2 h of drum loops, 2 h of melodic material, 0.5 h of sound effects and the GM one-shots
# at every sixth semitone, velocities 80 and 112) and the default teacher's U-Net fine-tuned on it in the
# background, time-boxed, checkpointed every few minutes (diffusion_cpu.yaml).
#
#   configs/music_model/cpu_run.sh WORK MINUTES
#
# WORK is a scratch folder (WORK/data, WORK/cache, WORK/run, WORK/logs); the run's pipeline folder is
# WORK/run when training ends. Resumable: rerun with the same WORK and finished data is kept, training
# continues from its last checkpoint. The data takes about 6 minutes, the caption states 4, the latent
# cache about 15 (once), then training runs for MINUTES.
set -u
WORK=$1 MINUTES=$2
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
LA="python3 -m latentaudio"
DATA=$WORK/data
mkdir -p "$DATA" "$WORK/logs"

# 1. data: each builder in two shards, one per core (build_data.sh)
"$HERE/build_data.sh" "$DATA" 2 2 2 0.5 6 80,112

# 2. caption states (the packaged MiniLM encoder), then the U-Net (the embedded teacher's: the default model is a distilled student)
[ -f "$WORK/states.safetensors" ] || $LA data embed-captions "$DATA" --model "$ROOT/latentaudio/default_teacher" \
    --output "$WORK/states.safetensors" --prompt "a loud snare drum hit" --prompt "a soft acoustic grand piano note, C4" \
    || exit 1
printf 'base: %s\ntext_states_file: %s\ncache_dir: %s\n' "$HERE/diffusion_cpu.yaml" "$WORK/states.safetensors" \
    "$WORK/cache" > "$WORK/music.yaml"
resume=(); [ -d "$WORK/run/checkpoints" ] && resume=(--resume)
$LA train diffusion --model "$ROOT/latentaudio/default_teacher" --data "$DATA" --output "$WORK/run" \
    --config "$WORK/music.yaml" --max-minutes "$MINUTES" "${resume[@]}" > "$WORK/logs/train.log" 2>&1
echo "training done ($?)"; tail -n 5 "$WORK/logs/train.log"
