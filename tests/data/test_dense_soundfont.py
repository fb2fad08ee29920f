"""Dense pitches, several SoundFonts, varied captions and held-out pitches and velocities."""

import json
from pathlib import Path

import pytest
import torch

from latentaudio.data import AudioFolderDataset, render_soundfont_dataset
from latentaudio.data.soundfont import plan_one_shots
from latentaudio.data.splits import assign_holdout_splits, held_out_pitches

TIMGM = Path("/usr/share/sounds/sf2/TimGM6mb.sf2")


def test_pitch_step_plans_every_semitone_of_the_range():
    plan = plan_one_shots(programs=[56], drums=False, velocities=[80], pitch_step=1)
    assert [note.pitch for note in plan] == list(range(55, 83))
    assert len(plan_one_shots(programs=[56], drums=False, velocities=[80], pitch_step=3)) == 10
    with pytest.raises(ValueError):
        plan_one_shots(programs=[56], pitch_step=0)


def test_holdout_keeps_whole_pitches_and_velocities_out_of_training():
    plan = plan_one_shots(programs=[0, 40], kits=[0], drum_keys=[36, 38], velocities=[30, 60, 90, 120], pitch_step=1)
    splits = assign_holdout_splits(plan, ["pitches", "velocities"], seed=2)
    assert splits == assign_holdout_splits(plan, ["pitches", "velocities"], seed=2)
    train = [note for note in plan if splits[note][0] == "train"]
    held = {(n.program, n.pitch) for n in plan if n.kit is None and splits[n][1]}
    assert held and not {(n.program, n.pitch) for n in train if n.kit is None} & held
    unseen_velocities = {n.velocity for n in plan if splits[n][2]}
    assert len(unseen_velocities) == 1 and unseen_velocities < {60, 90}
    assert not any(n.velocity in unseen_velocities for n in train)
    assert all(splits[n][0] == "test" for n in plan if n.velocity in unseen_velocities)
    with pytest.raises(ValueError):
        assign_holdout_splits(plan, ["kits"], seed=0)


def test_two_fonts_with_captions_and_holdout(tmp_path, soundfont):
    if not TIMGM.is_file():
        pytest.fail(f"{TIMGM} is missing: `apt-get install timgm6mb-soundfont`")
    result = render_soundfont_dataset(
        tmp_path, soundfont=[soundfont, TIMGM], programs=[73], kits=[0], drum_keys=[38], velocities=(40, 80, 112),
        pitch_step=4, seconds=0.5, captions_per_clip=4, holdout=["pitches", "velocities"], seed=1,
    )
    rows = [json.loads(line) for line in (tmp_path / "metadata.jsonl").read_text().splitlines()]
    assert {row["font"] for row in rows} == {"FluidR3_GM.sf2", "TimGM6mb.sf2"}
    assert all(row["file_name"].startswith(("fluidr3-gm-", "timgm6mb-")) for row in rows)
    assert all(len(row["captions"]) == 4 and row["captions"][0] == row["text"] for row in rows)
    assert any(row["unseen_pitch"] for row in rows) and any(row["unseen_velocity"] for row in rows)
    card = (tmp_path / "dataset_card.md").read_text()
    assert "GPL-2" in card and "MIT" in card and "hold out whole pitches and whole velocities" in card
    with pytest.raises(ValueError, match="held out for evaluation"):
        render_soundfont_dataset(tmp_path / "x", soundfont="/fonts/MuseScore_General.sf2")

    # training draws one caption per item from torch's generator: the same seed, the same caption
    dataset = AudioFolderDataset(tmp_path, seconds=0.5, sample_captions=True)
    drawn = []
    for _ in range(2):
        torch.manual_seed(5)
        drawn.append([dataset[i]["text"] for i in range(len(dataset))])
    assert drawn[0] == drawn[1] and all(text in rows[i]["captions"] for i, text in enumerate(drawn[0]))
    assert len(set(drawn[0]) - {row["text"] for row in rows}) > 0
    assert [item["text"] for item in (AudioFolderDataset(tmp_path, seconds=0.5)[i] for i in range(3))] == \
        [row["text"] for row in rows[:3]]


def test_a_denser_set_holds_out_the_pitches_an_earlier_set_held_out(tmp_path, soundfont):
    earlier = render_soundfont_dataset(tmp_path / "every4", soundfont=soundfont, programs=[73, 40], drums=False,
                                       velocities=(80,), pitch_step=4, seconds=0.2, holdout=["pitches"], seed=3)
    held = held_out_pitches(earlier.out_dir)
    assert set(held) == {40, 73} and all(held.values())
    dense = render_soundfont_dataset(tmp_path / "every1", soundfont=soundfont, programs=[73, 40], drums=False,
                                     velocities=(80,), pitch_step=1, seconds=0.2, holdout_like=earlier.out_dir, seed=7)
    rows = [json.loads(line) for line in (dense.out_dir / "metadata.jsonl").read_text().splitlines()]
    # exactly the earlier held-out notes, in their earlier splits, are out of training; every other semitone trains
    assert {(r["program"], r["pitch"]): r["split"] for r in rows if r["unseen_pitch"]} == \
        {(program, pitch): split for program, pitches in held.items() for pitch, split in pitches.items()}
    assert all(r["split"] == "train" for r in rows if not r["unseen_pitch"])
    assert len({r["pitch"] for r in rows if r["program"] == 73}) > 4 * len(held[73])
    assert "the pitches every4 holds out" in (dense.out_dir / "dataset_card.md").read_text()
    plain = render_soundfont_dataset(tmp_path / "plain", soundfont=soundfont, programs=[73], drums=False,
                                     velocities=(80,), pitch_step=4, seconds=0.2)
    with pytest.raises(ValueError, match="no row has unseen_pitch"):
        render_soundfont_dataset(tmp_path / "x", soundfont=soundfont, programs=[73], drums=False, velocities=(80,),
                                 pitch_step=1, seconds=0.2, holdout_like=plain.out_dir)


def test_held_out_pitches_keep_their_split_beside_a_held_out_velocity(tmp_path):
    rows = [dict(program=0, kit=None, pitch=60, velocity=v, split=split, unseen_pitch=True, unseen_velocity=v == 80)
            for v, split in ((40, "validation"), (112, "validation"), (80, "test"))]
    rows += [dict(program=0, kit=None, pitch=62, velocity=80, split="test", unseen_pitch=True, unseen_velocity=True)]
    for order in (rows, rows[::-1]):
        (tmp_path / "metadata.jsonl").write_text("".join(json.dumps(row) + "\n" for row in order))
        assert held_out_pitches(tmp_path) == {0: {60: "validation", 62: "test"}}
