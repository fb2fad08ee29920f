#!/usr/bin/env bash
# Build the music model's data (about 17 hours of audio) and fine-tune the default teacher's U-Net on it,
# time-boxed, on one GPU machine.
#
#   configs/music_model/gpu_run.sh WORK PACK MINUTES [LOOP_HOURS MELODIC_HOURS SFX_HOURS ONESHOT_PITCH_STEP]
#
# WORK is a scratch folder (the data goes to WORK/data, one audiofolder per builder and shard: the
# trainer reads nested metadata.jsonl files as one dataset), PACK where the results go: the EMA of the
# last checkpoint and of the one halfway through as float16 snapshots (NAME.safetensors.part-*, join
# with `cat`; configs/default_model/snapshot.py apply makes a pipeline folder of one), the dataset
# cards and logs.tar.gz. MINUTES is the training budget; the data build comes first and is not counted.
# Defaults: 5 h of drum loops, 5 h of melodic material, 2 h of sound effects and the GM one-shots at
# every third semitone (about 5 h), each builder in $JOBS shards at once (default: all cores).
# Resumable: rerun with the same WORK and the finished shards are kept, training continues from its
# last checkpoint (--resume).
set -u
WORK=$1 PACK=$2 MINUTES=$3
LOOP_HOURS=${4:-5} MELODIC_HOURS=${5:-5} SFX_HOURS=${6:-2} PITCH_STEP=${7:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
JOBS=${JOBS:-$(nproc)}
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1
LA="python3 -m latentaudio"
DATA=$WORK/data
mkdir -p "$DATA" "$PACK" "$WORK/logs"
started=$(date +%s)
stamp() { echo "[$(( $(date +%s) - started )) s] $*"; }

# 1. data: every builder in JOBS shards of one plan, JOBS at once
stamp "data: $LOOP_HOURS h loops, $MELODIC_HOURS h melodic, $SFX_HOURS h effects in $JOBS shards each"
"$HERE/build_data.sh" "$DATA" "$JOBS" "$LOOP_HOURS" "$MELODIC_HOURS" "$SFX_HOURS" "$PITCH_STEP"
stamp "data built: $(find "$DATA" -name '*.wav' | wc -l) clips"

# 2. caption states (the packaged MiniLM encoder), then the U-Net (the embedded teacher's: the default model is a distilled student)
[ -f "$WORK/states.safetensors" ] || $LA data embed-captions "$DATA" --model "$ROOT/latentaudio/default_teacher" \
    --output "$WORK/states.safetensors" --prompt "a 124 bpm house drum loop, electronic kit, 7.74 s" \
    --prompt "a slow melancholic cello melody in D minor, 70 bpm, 6.86 s" --prompt "a descending laser sound effect, 0.40 s" \
    --prompt "a loud snare drum hit" --prompt "a soft acoustic grand piano note, C4" || exit 1
printf 'base: %s\ntext_states_file: %s\n' "$HERE/diffusion_gpu.yaml" "$WORK/states.safetensors" > "$WORK/music.yaml"
resume=(); [ -d "$WORK/run/checkpoints" ] && resume=(--resume)
stamp "training starts (${MINUTES} min)"
$LA train diffusion --model "$ROOT/latentaudio/default_teacher" --data "$DATA" --output "$WORK/run" \
    --config "$WORK/music.yaml" --max-minutes "$MINUTES" "${resume[@]}" > "$WORK/logs/train.log" 2>&1
stamp "training done ($?)"
tail -n 5 "$WORK/logs/train.log"

# 3. whatever was checkpointed comes back, even when training stopped early
checkpoints=("$WORK"/run/checkpoints/checkpoint-*)
if [ -d "${checkpoints[0]}" ]; then
    last=$(( ${#checkpoints[@]} - 1 ))
    for checkpoint in $(printf '%s\n' "${checkpoints[$(( last / 2 ))]}" "${checkpoints[$last]}" | sort -u); do
        name=$(basename "$checkpoint")
        python3 "$HERE/../default_model/snapshot.py" pack "$checkpoint" "$WORK/$name.safetensors" \
            && split -b 15M "$WORK/$name.safetensors" "$PACK/$name.safetensors.part-"
    done
fi
mkdir -p "$PACK/cards"
for card in "$DATA"/*/dataset_card.md; do cp "$card" "$PACK/cards/$(basename "$(dirname "$card")").md"; done
tar -czf "$PACK/logs.tar.gz" -C "$WORK" --ignore-failed-read logs run/training.json run/loss_curve.png run/logs 2>/dev/null
stamp "packed"
ls -la "$PACK"
