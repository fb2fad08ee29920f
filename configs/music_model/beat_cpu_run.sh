#!/usr/bin/env bash
# The music model with beat-phase and key channels on a 2-core CPU, in three stages from the music model of
# the GPU round: drum loops alone with the beat-phase channels added at zero (beat_cpu.yaml), then that run
# continued on the whole music data (mixed_cpu.yaml: drum loops, melodic material, sound effects and one-shots,
# each drum loop twice an epoch), so that the other categories come back while the loops keep the stated tempo;
# then key channels added at zero and trained on the same data, the melodic material three times an epoch
# (key_cpu.yaml). The released music model is the third stage's.
#
#   configs/music_model/beat_cpu_run.sh WORK [LOOP_STEPS] [MIXED_STEPS] [KEY_STEPS]
#
# The data is build_data.sh's at 1 h of drum loops, 2 h of melodic material, 0.5 h of sound effects and
# the GM one-shots at every sixth semitone, velocities 80 and 112 (about 2 minutes a builder on one core);
# the caption states about 4 minutes; the latent cache about 3 minutes (once). At batch 8 a step takes
# about 1.2-1.8 s on two cores, so the defaults (1,210, 3,242 and 1,162 steps, the released runs') take about 30, 95
# and 30 minutes (the key stage ran 80 minutes beside its control on one core each). Each
# stage is resumable: rerun with the same WORK and finished data is kept, a stage continues from its last
# checkpoint, and a finished stage returns at once. The release candidate is WORK/key, a pipeline folder.
set -u
WORK=$1 LOOP_STEPS=${2:-1210} MIXED_STEPS=${3:-3242} KEY_STEPS=${4:-1162}
HERE=$(cd "$(dirname "$0")" && pwd)
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
LA="python3 -m latentaudio"
mkdir -p "$WORK/logs" "$WORK/loop_data"

# 1. data (two shards of each builder, one per core), and the drum loops alone for the first stage (hard links)
"$HERE/build_data.sh" "$WORK/data" 2 1 2 0.5 6 80,112
for shard in 0 1; do
    [ -d "$WORK/loop_data/drumloops-$shard" ] || cp -al "$WORK/data/drumloops-$shard" "$WORK/loop_data/" || exit 1
done

# 2. caption states of every clip (the packaged MiniLM encoder)
[ -f "$WORK/states.safetensors" ] || $LA data embed-captions "$WORK/data" --model music \
    --output "$WORK/states.safetensors" --prompt "a 124 bpm house drum loop, electronic kit" \
    --prompt "a soft acoustic grand piano note, C4" || exit 1

# 3. the two stages
stage() {  # NAME CONFIG BASE_MODEL DATA STEPS
    printf 'base: %s\ntext_states_file: %s\ncache_dir: %s\n' "$HERE/$2" "$WORK/states.safetensors" "$WORK/cache" \
        > "$WORK/$1.yaml"
    local resume=(); [ -d "$WORK/$1/checkpoints" ] && resume=(--resume)
    $LA train diffusion --model "$3" --data "$4" --output "$WORK/$1" --config "$WORK/$1.yaml" --max-steps "$5" \
        "${resume[@]}" > "$WORK/logs/$1.log" 2>&1 || { echo "stage $1 failed:"; tail -n 5 "$WORK/logs/$1.log"; exit 1; }
    echo "stage $1 done"
}
stage loops beat_cpu.yaml music "$WORK/loop_data" "$LOOP_STEPS"
stage mixed mixed_cpu.yaml "$WORK/loops" "$WORK/data" "$MIXED_STEPS"
stage key key_cpu.yaml "$WORK/mixed" "$WORK/data" "$KEY_STEPS"
