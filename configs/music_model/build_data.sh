#!/usr/bin/env bash
# The music model's data: drum loops, melodic material and sound effects, each builder in SHARDS shards of
# one plan (same seed, so splits agree across shards), SHARDS of them rendering at once, then the GM
# one-shots; one audiofolder per builder and shard under DATA (the trainer reads nested metadata.jsonl
# files as one dataset), logs in DATA/../logs. A rerun keeps the folders that finished.
#
#   configs/music_model/build_data.sh DATA SHARDS LOOP_HOURS MELODIC_HOURS SFX_HOURS ONESHOT_PITCH_STEP [ONESHOT_VELOCITIES]
#
# One-shots: every ONESHOT_PITCH_STEP-th semitone at 2.56 s, whole pitches held out; at the builder's
# three velocities with one of them held out too, or only at ONESHOT_VELOCITIES (e.g. 80,112) when given.
set -u
DATA=$1 SHARDS=$2 LOOP_HOURS=$3 MELODIC_HOURS=$4 SFX_HOURS=$5 PITCH_STEP=$6 VELOCITIES=${7:-}
LOGS=$(dirname "$DATA")/logs
export OMP_NUM_THREADS=1 HF_HUB_OFFLINE=1
LA="python3 -m latentaudio"
mkdir -p "$DATA" "$LOGS"

build() {  # VERB HOURS SHARD
    local out="$DATA/$1-$3"
    [ -f "$out/dataset_card.md" ] && return 0  # finished on an earlier run
    $LA data "$1" --out "$out.tmp" --hours "$2" --shard "$3/$SHARDS" --captions-per-clip 8 --seed 0 \
        > "$LOGS/$1-$3.log" 2>&1 && mv "$out.tmp" "$out"
}
export -f build; export LA DATA SHARDS LOGS
{
    for shard in $(seq 0 $(( SHARDS - 1 ))); do
        echo "drumloops $LOOP_HOURS $shard"; echo "melodic $MELODIC_HOURS $shard"; echo "sfx $SFX_HOURS $shard"
    done
} | xargs -P "$SHARDS" -L 1 bash -c 'build "$@"' _
if [ ! -f "$DATA/oneshots/dataset_card.md" ]; then
    velocities=(--holdout pitches,velocities)
    [ -n "$VELOCITIES" ] && velocities=(--velocities "$VELOCITIES" --holdout pitches)
    $LA data soundfont --out "$DATA/oneshots.tmp" --pitch-step "$PITCH_STEP" "${velocities[@]}" --captions-per-clip 8 \
        --seconds 2.56 > "$LOGS/oneshots.log" 2>&1 && mv "$DATA/oneshots.tmp" "$DATA/oneshots"
fi
$LA data check "$DATA" --max-names 5 | tail -n 20
