"""The generalisation section: its prompt sets, the drum judge, the targets and the evaluate hook."""

import json

import pytest
import torch

from latentaudio.cli import main
from latentaudio.data import gm, vocabulary
from latentaudio.evaluation.evaluate import PITCHED_FAMILIES, evenly_spaced
from latentaudio.evaluation.generalisation import (
    DrumTypeJudge,
    PromptSet,
    format_generalisation,
    load_paraphrases,
    notes_of_split,
    template_prompts,
    unseen_note_prompts,
)

from .test_evaluate import targets_script


def test_evaluate_reports_only_the_generalisation_section(tiny_pipe_dir, gm_eval_data, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    code = main([
        "evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--steps", "1", "--limit", "3",
        "--output", str(report_path), "--classifier-steps", "3", "--generalisation", "only", "--lengths", "0.16,0.32",
    ])
    assert code == 0
    report = json.loads(report_path.read_text())
    assert "generation" not in report and "--generalisation only" in report["setup"]["command"]
    assert report["embedding"]["min_seconds"] == 0.16  # the new classifier learnt from crops down to the shortest length
    section = report["generalisation"]
    assert set(section["sets"]) == {"template", "paraphrases", "unseen_notes", "blind_paraphrases"}
    for entry in section["sets"].values():
        assert entry["prompts"] == 3 and set(entry["lengths"]) == {"0.16", "0.32"}
        for scores in entry["lengths"].values():
            assert 0 <= scores["family_accuracy"] <= 1
            by_family, heard_as = scores["family_accuracy_by_family"], scores["family_heard_as"]
            assert set(heard_as) <= set(by_family)  # every family with a miss says where it went
            misses = sum(sum(heard.values()) for heard in heard_as.values())
            assert misses == round((1 - scores["family_accuracy"]) * scores["prompts"])
            assert all(family not in heard for family, heard in heard_as.items())  # a miss is never the family asked for
            assert len(scores["drums_heard"]) == scores["drum_prompts"]  # the judge's answer for each drum prompt
            assert set(scores["drums_heard"]) <= set(vocabulary.DRUM_TYPES.values())
    assert set(section["drum_judge"]["real_test_accuracy"]) == {"0.16", "0.32"}
    # the ceiling: the template prompts' own real clips, scored the same way at every length
    ceiling = section["ceiling"]
    assert ceiling["prompts"] == 3 and set(ceiling["lengths"]) == {"0.16", "0.32"}
    captions = {json.loads(line)["file_name"]: json.loads(line)["text"]
                for line in (gm_eval_data / "metadata.jsonl").read_text().splitlines()}
    test_captions = [json.loads(line)["text"] for line in (gm_eval_data / "metadata.jsonl").read_text().splitlines()
                     if json.loads(line)["split"] == "test"]
    assert [captions[f] for f in ceiling["files"]] == [test_captions[i] for i in evenly_spaced(len(test_captions), 3)]
    # and the unseen notes' ceiling: renders of those very notes with the dataset's font and levels
    unseen = section["ceiling_unseen_notes"]
    assert unseen["prompts"] == 3 and unseen["font"] == "FluidR3_GM.sf2" and set(unseen["lengths"]) == {"0.16", "0.32"}
    assert all(scores["pitched_prompts"] == 3 for scores in unseen["lengths"].values())
    out = capsys.readouterr().out
    assert "| paraphrases | 0.32 s | 3 |" in out and "| blind_paraphrases | 0.32 s | 3 |" in out
    assert "| ceiling: real template clips | 0.32 s | 3 |" in out
    assert "| ceiling: real unseen-note renders | 0.32 s | 3 |" in out


def test_renders_like_the_dataset_match_its_own_clips(gm_eval_data):
    """Rendered again, a training note is its clip in the dataset: same font, length, hold and gain, so an unseen
    note rendered the same way is what the builder would have written."""
    from latentaudio.audio_io import read_audio
    from latentaudio.evaluation.generalisation import render_like_dataset, unseen_notes

    rows = [json.loads(line) for line in (gm_eval_data / "metadata.jsonl").read_text().splitlines()]
    train = [row for row in rows if row["split"] == "train"]
    soft_violin = min((row for row in train if row["program"] == 40), key=lambda row: row["velocity"])
    audio, font = render_like_dataset(gm_eval_data, train, [(40, soft_violin["pitch"])], soft_violin["velocity"], 16000)
    written = read_audio(gm_eval_data / soft_violin["file_name"], 16000)[0].reshape(-1)
    assert font == "FluidR3_GM.sf2" and audio.shape == (1, written.shape[-1])
    assert torch.allclose(audio[0], written, atol=2e-3)  # the soft note keeps its level under the loud one's gain
    # an unseen note of each program: sounding, and no louder than the program's loudest training clip
    notes = unseen_notes(train, PITCHED_FAMILIES)
    assert {program for program, _ in notes} == {0, 33, 40, 56, 73}
    audio, _ = render_like_dataset(gm_eval_data, train, notes, 80, 16000)
    peaks = audio.abs().amax(dim=1)
    assert (peaks > 0.05).all() and (peaks < 1.0).all()
    with pytest.raises(FileNotFoundError, match="not on this machine"):
        render_like_dataset(gm_eval_data, [{**row, "font": "Missing.sf2"} for row in train], notes[:1], 80, 16000)


def test_renders_like_the_dataset_keep_its_hold(tmp_path):
    """A dataset built with --hold releases its notes then; renders of its unseen notes must too."""
    from latentaudio.audio_io import read_audio
    from latentaudio.data import render_soundfont_dataset
    from latentaudio.evaluation.generalisation import render_like_dataset

    render_soundfont_dataset(tmp_path, programs=[19], drums=False, velocities=(100,), pitches_per_program=3,
                             seconds=1.0, hold_seconds=0.25)  # a church organ sounds while the key is down
    rows = [json.loads(line) for line in (tmp_path / "metadata.jsonl").read_text().splitlines()]
    assert {row["hold_seconds"] for row in rows} == {0.25}
    row = rows[1]
    audio, _ = render_like_dataset(tmp_path, rows, [(19, row["pitch"])], row["velocity"], 16000)
    written = read_audio(tmp_path / row["file_name"], 16000)[0].reshape(-1)
    assert torch.allclose(audio[0], written, atol=2e-3)
    # rows without the column (datasets written before it) are read as held for half the clip: not this one
    legacy = [{key: value for key, value in r.items() if key != "hold_seconds"} for r in rows]
    held_longer, _ = render_like_dataset(tmp_path, legacy, [(19, row["pitch"])], row["velocity"], 16000)
    assert (held_longer[0, 4000:8000] - written[4000:8000]).abs().max() > 0.1


def test_unseen_notes_are_never_training_pitches_of_their_program():
    rows = [{"program": 0, "pitch": p, "family": "Piano", "kit": None} for p in (48, 60, 72)]
    rows.append({"program": 36, "pitch": 36, "family": "Drums", "kit": "standard"})
    prompts = unseen_note_prompts(rows, PITCHED_FAMILIES)
    assert prompts.notes == [p for p in range(48, 73) if p not in (48, 60, 72)]
    assert all(family == "Piano" for family in prompts.families) and prompts.texts[0] == gm.program_caption(0, 49, 80)


def test_each_held_out_split_gets_its_own_unseen_notes():
    rows = [{"program": 0, "pitch": 60, "family": "Piano", "kit": None, "split": "train"},
            {"program": 0, "pitch": 61, "family": "Piano", "kit": None, "split": "validation"},
            {"program": 0, "pitch": 62, "family": "Piano", "kit": None, "split": "test"},
            {"program": 40, "pitch": 61, "family": "Strings", "kit": None, "split": "test"},
            {"program": 0, "pitch": 36, "family": "Drums", "kit": "standard", "split": "validation"}]
    notes = [(0, 61), (0, 62), (0, 63), (40, 61)]  # (0, 63): a pitch the dataset never rendered
    assert notes_of_split(notes, rows, "validation") == [(0, 61)]
    assert notes_of_split(notes, rows, "test") == [(0, 62), (0, 63), (40, 61)]


def test_template_prompts_label_drums_by_type_and_leave_unpitched_notes_out():
    rows = [{"text": "a loud snare drum hit", "family": "Drums", "pitch": 40},
            {"text": "a taiko", "family": "Percussive", "pitch": 50},
            {"text": "a violin", "family": "Strings", "pitch": 67}]
    prompts = template_prompts(rows, PITCHED_FAMILIES)
    assert prompts.drum_types == ["snare", None, None] and prompts.notes == [None, None, 67]


def _hit(kind: str, rng: torch.Generator, sample_rate: int = 16000, seconds: float = 1.0) -> torch.Tensor:
    """A synthetic drum: a kick (a low sine that falls in pitch, short), a hi-hat (bright noise, very short)
    or a crash (bright noise, long), each drawn with its own pitch, brightness, decay and level."""
    t = torch.arange(int(sample_rate * seconds)) / sample_rate
    u = lambda lo, hi: lo + (hi - lo) * torch.rand((), generator=rng).item()  # noqa: E731
    if kind == "kick":
        f0 = u(45, 70)
        wave = torch.sin(2 * torch.pi * (f0 * t + u(80, 160) * (1 - torch.exp(-t / 0.03)) * 0.03)) * torch.exp(-t / u(0.08, 0.2))
    else:
        noise = torch.randn(t.shape, generator=rng)
        bright = noise - torch.nn.functional.pad(noise, (u(1, 3).__round__(), 0))[: len(noise)]  # a high-pass
        wave = bright * torch.exp(-t / (u(0.02, 0.05) if kind == "hi-hat" else u(0.5, 1.0)))
    return wave / wave.abs().max() * u(0.05, 0.9)


def test_drum_judge_names_types_of_a_kit_it_never_heard_at_any_level():
    rng = torch.Generator().manual_seed(0)
    kinds = ["kick", "hi-hat", "crash"] * 8
    judge = DrumTypeJudge(torch.stack([_hit(k, rng) for k in kinds]), kinds, 16000)
    new = ["crash", "kick", "hi-hat", "kick", "crash", "hi-hat"]
    clips = torch.stack([_hit(k, rng) for k in new])
    assert judge(clips) == new
    assert judge(clips * 0.01) == new  # a quiet take is the same drum
    assert judge(clips[:, :4000]) == new  # a shorter cut: fitted again at that length
    kits = [f"kit{i % 2}" for i in range(len(kinds))]
    assert judge.unseen_kit_accuracy(kits, 16000) == 1.0
    assert judge.unseen_kit_accuracy(["one"] * len(kinds), 16000) is None


def test_drum_judge_tells_apart_what_it_was_taught():
    rng = torch.Generator().manual_seed(1)
    kinds = ["kick", "crash"] * 6
    clips = torch.stack([_hit(k, rng) for k in kinds])
    swapped = DrumTypeJudge(clips, ["crash" if k == "kick" else "kick" for k in kinds], 16000)
    assert swapped(clips[:4]) == ["crash", "kick", "crash", "kick"]  # labels, not a built-in notion of drums
    with pytest.raises(ValueError, match="at least two types"):
        DrumTypeJudge(clips[:2], ["kick", "kick"], 16000)


def test_targets_fail_and_pass_on_the_numbers():
    scores = {"family_accuracy": 0.8, "drum_accuracy": 0.5, "note_accuracy": None}
    section = {"sets": {"paraphrases": {"lengths": {"1.5": scores}}}}
    targets = targets_script().check_generalisation_targets(section)
    assert targets["paraphrases_1.5s_family_accuracy_at_least_0.7"] is True
    assert targets["paraphrases_1.5s_drum_accuracy_at_least_0.9"] is False
    assert targets["paraphrases_1.5s_note_accuracy_at_least_0.7"] is None
    assert targets["unseen_notes_2.56s_family_accuracy_at_least_0.7"] is None


def test_format_names_every_set_and_length():
    scores = {"family_accuracy": 0.5, "drum_accuracy": None, "drum_prompts": 0, "note_accuracy": 0.25, "pitched_prompts": 4}
    section = {"steps": 20, "guidance_scale": 3.0, "sets": {"paraphrases": {"prompts": 4, "lengths": {"1": scores}}}}
    assert "| paraphrases | 1 s | 4 | 50% | – (0) | 25% (4) |" in format_generalisation(section)


def test_prompt_set_subset_keeps_labels_aligned():
    prompts = load_paraphrases()
    part = prompts.subset([0, 5])
    assert isinstance(part, PromptSet) and part.texts == [prompts.texts[0], prompts.texts[5]]
    assert part.notes == [prompts.notes[0], prompts.notes[5]]


def test_family_breakdown_counts_each_miss_under_the_family_asked_for():
    from latentaudio.evaluation.classifier import family_breakdown

    asked = ["Synth Pad", "Synth Pad", "Synth Pad", "Synth Pad", "Piano", "Drums"]
    heard = ["Synth Lead", "Synth Pad", "Organ", "Synth Lead", "Piano", "Percussive"]
    breakdown = family_breakdown(asked, heard)
    assert breakdown["family_accuracy_by_family"] == {"Drums": 0.0, "Piano": 1.0, "Synth Pad": 0.25}
    assert breakdown["family_heard_as"] == {"Drums": {"Percussive": 1}, "Synth Pad": {"Synth Lead": 2, "Organ": 1}}
    assert list(breakdown["family_heard_as"]["Synth Pad"]) == ["Synth Lead", "Organ"]  # most often first


def test_sets_scores_the_named_sets_only_with_their_ceilings(tiny_pipe_dir, gm_eval_data, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    args = ["evaluate", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--steps", "1", "--limit", "2",
            "--output", str(report_path), "--classifier-steps", "3", "--generalisation", "only", "--lengths", "0.32"]
    assert main([*args, "--sets", "unseen_notes,paraphrases"]) == 0
    report = json.loads(report_path.read_text())
    section = report["generalisation"]
    assert set(section["sets"]) == {"unseen_notes", "paraphrases"} and "--sets unseen_notes,paraphrases" in report["setup"]["command"]
    assert "ceiling_unseen_notes" in section and "ceiling" not in section  # the template set's ceiling goes with it
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_info:
        main([*args, "--sets", "unseen_notes,melodies"])
    assert exit_info.value.code == 1  # a usage error, one line naming the value
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "No prompt set 'melodies'; expected some of template, paraphrases, unseen_notes, blind_paraphrases" in err

    # the validation split's template captions, with their own real clips as the ceiling; no paraphrase set
    assert main([*args, "--split", "validation"]) == 0
    section = json.loads(report_path.read_text())["generalisation"]
    assert section["split"] == "validation" and "template" in section["sets"]
    assert not {"paraphrases", "blind_paraphrases"} & set(section["sets"])
    rows = [json.loads(line) for line in (gm_eval_data / "metadata.jsonl").read_text().splitlines()]
    validation = {row["file_name"] for row in rows if row["split"] == "validation"}
    assert section["ceiling"]["files"] and set(section["ceiling"]["files"]) <= validation
    assert "the validation split" in capsys.readouterr().out
