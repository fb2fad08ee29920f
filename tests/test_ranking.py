"""Ranking takes best first: what a prompt names, the order, a scorer trained on real renders, and the pipeline."""

import json

import numpy as np
import pytest
import soundfile as sf
import torch

from latentaudio.audio_classifier import FAMILY_LABELS, AudioFamilyClassifier
from latentaudio.cli import main
from latentaudio.data import gm
from latentaudio.evaluation.classifier import train_classifier
from latentaudio.ranking import (FAMILY_NAMES, best_first, family_or_drum_sound_label, family_sound_label, label_category,
                                 label_family, named_labels, one_shot_sound_label, sound_label, take_scores)

from .conftest import tiny_scorer

INSTRUMENTS = [spec.name for spec in gm.PROGRAMS] + sorted(set(gm.DRUM_KEYS.values()))
FAST = ["--steps", "2", "--seconds", "0.5"]


def test_a_prompt_is_scored_by_the_instrument_it_names_else_by_its_family():
    strings = [INSTRUMENTS.index(spec.name) for spec in gm.PROGRAMS[40:48]]
    assert named_labels("cello, C3, soft", INSTRUMENTS) == strings  # a pitched instrument: any of its family's
    synth_leads = [INSTRUMENTS.index(spec.name) for spec in gm.PROGRAMS[80:88]]
    assert named_labels("a synth, C4", INSTRUMENTS) == synth_leads  # a family alone
    assert named_labels("tight snare", INSTRUMENTS) == [INSTRUMENTS.index("snare drum")]  # a drum: the drum
    # A scorer of families: the instrument's family.
    assert named_labels("cello, C3", FAMILY_LABELS) == [FAMILY_LABELS.index("Strings")]
    assert named_labels("a kick", FAMILY_LABELS) == [FAMILY_LABELS.index("Drums")]
    for prompt in ("", "something dark and wide", "C4"):
        assert named_labels(prompt, INSTRUMENTS) == []
    families = [label_family(label) for label in ("violin", "Brass", "kick drum", "house")]
    assert families == ["Strings", "Brass", "Drums", None]


MATERIAL = ["drum loop: house", "drum loop: rock", "melodic: Piano", "melodic: Strings", "sound effect: laser",
            "sound effect: rain"]


def test_a_prompt_for_material_is_scored_by_its_style_class_or_family_else_by_its_category():
    labels = INSTRUMENTS + MATERIAL
    named = {prompt: [labels[i] for i in named_labels(prompt, labels)] for prompt in (
        "a 124 bpm house drum loop", "boom bap drums, 90 bpm", "a drum loop, 120 bpm", "a laser zap", "light rain, 3 s",
        "a police siren", "a sad cello melody in D minor", "a flute melody", "a tight snare hit", "cello, C3")}
    assert named == {
        "a 124 bpm house drum loop": ["drum loop: house"],
        "boom bap drums, 90 bpm": ["drum loop: house", "drum loop: rock"],  # hip hop: a style this scorer does not know
        "a drum loop, 120 bpm": ["drum loop: house", "drum loop: rock"],  # no style: the category
        "a laser zap": ["sound effect: laser"],
        "light rain, 3 s": ["sound effect: rain"],
        "a police siren": ["sound effect: laser", "sound effect: rain"],
        "a sad cello melody in D minor": ["melodic: Strings"],  # the family playing it
        "a flute melody": ["melodic: Piano", "melodic: Strings"],
        "a tight snare hit": ["snare drum"],  # one-shots as before
        "cello, C3": [spec.name for spec in gm.PROGRAMS[40:48]],
    }
    # A scorer of one-shots alone reads a loop's prompt as it always did: by the drums, the drums' family.
    drums = [INSTRUMENTS.index(name) for name in sorted(set(gm.DRUM_KEYS.values()))]
    assert named_labels("a 124 bpm house drum loop", INSTRUMENTS) == drums
    assert named_labels("a laser zap", INSTRUMENTS) == []
    assert [label_category(label) for label in ("drum loop: house", "melodic: Piano", "cello", "a: b")] == [
        "drum loop", "melodic", None, None]


def test_sound_label_names_each_builders_rows_as_prompts_name_them():
    rows = [{"category": "drum loop", "style": "house", "family": "Drums"},
            {"category": "sound effect", "sfx_class": "laser", "family": "Sound Effects"},
            {"category": "melodic", "kind": "melody", "family": "Strings", "instrument": "cello"},
            {"family": "Strings", "instrument": "cello"},  # a SoundFont one-shot: no category
            {"category": "melodic"}, {"family": "Strings"}]
    assert [sound_label(row) for row in rows] == ["drum loop: house", "sound effect: laser", "melodic: Strings", "cello",
                                                  None, None]
    # A music model's scorer names a one-shot by its family, and a one-shot prompt is scored by that family.
    assert [family_sound_label(row) for row in rows] == ["drum loop: house", "sound effect: laser", "melodic: Strings",
                                                         "Strings", None, "Strings"]
    # Or names every one-shot alike, so that it hears a single note from a phrase; a one-shot prompt then names nothing.
    assert [one_shot_sound_label(row) for row in rows] == ["drum loop: house", "sound effect: laser", "melodic: Strings",
                                                           "one-shot", None, "one-shot"]
    # Or names a pitched one-shot by its family and a drum by its name: a drum prompt is then scored by its drum.
    drum = {"family": "Drums", "instrument": "snare drum"}
    assert [family_or_drum_sound_label(row) for row in rows + [drum]] == [
        "drum loop: house", "sound effect: laser", "melodic: Strings", "Strings", None, "Strings", "snare drum"]
    labels = ["Strings", "Brass", "snare drum", "kick drum"]
    assert [[labels[i] for i in named_labels(prompt, labels)] for prompt in ("cello, C3", "a tight snare hit", "drums")] == [
        ["Strings"], ["snare drum"], ["snare drum", "kick drum"]]
    assert named_labels("cello, C3", ["one-shot", "melodic: Strings"]) == []
    assert named_labels("a cello melody", ["one-shot", "melodic: Strings"]) == [1]
    labels = ["Drums", "Strings", "melodic: Strings", "drum loop: house"]
    assert [[labels[i] for i in named_labels(prompt, labels)] for prompt in ("cello, C3", "a tight snare hit",
                                                                            "a cello melody", "a house beat")] == [
        ["Strings"], ["Drums"], ["melodic: Strings"], ["drum loop: house"]]


def test_train_scorer_says_what_its_labels_name():
    from latentaudio.cli.train import describe_labels

    assert describe_labels(["cello", "violin", "snare drum", "drum loop: rock", "sound effect: coin"]) == (
        "3 instruments and drums, 1 drum-loop style, 1 effect class")
    assert describe_labels(["Strings", "Drums", "melodic: Piano", "melodic: Strings"]) == (
        "2 families of one-shots, 2 families of phrases")
    assert describe_labels(["one-shot", "drum loop: rock", "drum loop: house", "melodic: Piano"]) == (
        "one label for every one-shot, 2 drum-loop styles, 1 family of phrases")
    assert describe_labels(["Strings", "Brass", "snare drum"]) == "2 families and 1 drum"


def test_best_first_orders_each_prompts_takes_and_keeps_ties_in_order():
    scores = torch.tensor([-3.0, -1.0, -2.0, 0.0, 0.0, -5.0])
    assert best_first(scores, 3).tolist() == [1, 2, 0, 3, 4, 5]
    assert best_first(scores, 1).tolist() == [0, 1, 2, 3, 4, 5]
    assert best_first(torch.zeros(4), 2).tolist() == [0, 1, 2, 3]


@pytest.fixture(scope="module")
def instrument_scorer(gm_eval_data):
    scorer, _ = train_classifier(gm_eval_data, None, seconds=1.0, max_steps=150, batch_size=16,
                                 label_column="instrument")
    assert "violin" in scorer.labels and "snare drum" in scorer.labels
    return scorer


def _held_out(data, instrument: str, held_out: bool = True) -> torch.Tensor:
    """The first held-out render (validation or test) of ``instrument`` in ``data``; of any split if not ``held_out``."""
    rows = [json.loads(line) for line in (data / "metadata.jsonl").read_text().splitlines()]
    row = next(r for r in rows if r["instrument"] == instrument and (r["split"] != "train" or not held_out))
    audio, rate = sf.read(data / row["file_name"], dtype="float32")
    assert rate == 16000
    return torch.from_numpy(audio[:16000])


def test_a_scorer_trained_on_real_renders_puts_the_named_instrument_first(gm_eval_data, instrument_scorer):
    # Three takes of each prompt: renders of held-out notes (FluidR3_GM), the one the prompt names always last; the
    # ranking must bring it first for most prompts (chance: 1 in 3).
    asked = {"grand piano, middle C": "acoustic grand piano", "a fingered electric bass note": "fingered electric bass",
             "flute, soft": "flute", "tight snare": "snare drum", "a crash cymbal": "crash cymbal",
             "an open hi-hat": "open hi-hat", "high tom": "high tom"}
    names = list(asked.values())
    takes, prompts = [], []
    for index, (prompt, instrument) in enumerate(asked.items()):
        wrong = [names[(index + shift) % len(names)] for shift in (1, 3)]
        takes += [_held_out(gm_eval_data, name) for name in wrong] + [_held_out(gm_eval_data, instrument)]
        prompts.append(prompt)
    scores = take_scores(instrument_scorer, torch.stack(takes), 16000, prompts, 3)
    firsts = best_first(scores, 3).reshape(-1, 3)[:, 0] % 3
    assert (firsts == 2).sum().item() >= 5, f"named take first for {(firsts == 2).sum().item()} of 7 prompts"
    # A prompt that names nothing the scorer knows keeps its order.
    assert take_scores(instrument_scorer, torch.stack(takes[:3]), 16000, ["something dark"], 3).tolist() == [0.0] * 3


@pytest.mark.parametrize("model", ["default", "default-teacher"])
def test_the_embedded_scorer_puts_the_family_or_drum_named_first(gm_eval_data, model):
    # The one-shot models' scorer names GM families and drums: for each prompt, renders (FluidR3_GM, 1 s) of two other
    # families (of two other drums for a drum) and, last, one of the named instrument; it must bring that one first for
    # most (chance: 1 in 3).
    import latentaudio
    from latentaudio import LatentAudioPipeline

    pipe = LatentAudioPipeline.from_pretrained(latentaudio.EMBEDDED_MODELS[model])
    assert FAMILY_NAMES - {"Drums"} < set(pipe.scorer.labels) and "snare drum" in pipe.scorer.labels
    pitched = {"grand piano, middle C": "acoustic grand piano", "a fingered electric bass note": "fingered electric bass",
               "violin, A4": "violin", "a trumpet note": "trumpet", "flute, soft": "flute"}
    drums = {"tight snare": "snare drum", "a crash cymbal": "crash cymbal", "a kick": "kick drum",
             "an open hi-hat": "open hi-hat", "high tom": "high tom"}
    takes, prompts = [], []
    for asked in (pitched, drums):
        names = list(asked.values())
        for index, (prompt, instrument) in enumerate(asked.items()):
            wrong = [names[(index + shift) % len(names)] for shift in (1, 3)]
            takes += [_held_out(gm_eval_data, name, held_out=False) for name in (*wrong, instrument)]
            prompts.append(prompt)
    firsts = pipe.take_order(torch.stack(takes), prompts, 3).reshape(-1, 3)[:, 0] % 3
    assert (firsts == 2).sum().item() >= 8, f"named take first for {(firsts == 2).sum().item()} of 10 prompts"


@pytest.fixture(scope="module")
def effects_data(tmp_path_factory):
    """140 sound effects of the 14 classes (``latentaudio data sfx``), at most 3 s each (about 7 s to render)."""
    from latentaudio.data.sfx import render_sfx_dataset

    folder = tmp_path_factory.mktemp("effects") / "sfx"
    render_sfx_dataset(folder, clips=140, seed=0, max_seconds=3.0, captions_per_clip=2)
    return folder


def test_a_scorer_trained_on_rendered_effects_puts_the_class_named_first(effects_data):
    # A scorer trained on the effects' sound labels; three held-out renders a prompt, the named class's always last:
    # the ranking must bring it first for most prompts (chance 1 in 3).
    scorer, record = train_classifier(effects_data, None, seconds=1.0, max_steps=150, batch_size=16,
                                      label_column=sound_label)
    assert record["label_column"] == "sound_label" and "sound effect: laser" in scorer.labels
    rows = [json.loads(line) for line in (effects_data / "metadata.jsonl").read_text().splitlines()]
    held_out = {}
    for row in rows:
        if row["split"] != "train":
            held_out.setdefault(row["sfx_class"], torch.from_numpy(sf.read(effects_data / row["file_name"],
                                                                          dtype="float32")[0][:16000]))
    asked = {"a laser zap": "laser", "coin pickup sound": "coin", "a car engine idling": "engine", "an alarm": "alarm",
             "a jump sound effect": "jump", "a whoosh": "whoosh", "a loud beep": "beep", "a mouse click": "click"}
    classes = list(asked.values())
    takes = []
    for index, effect in enumerate(classes):
        wrong = [classes[(index + shift) % len(classes)] for shift in (1, 3)]
        takes += [nn_pad(held_out[name]) for name in wrong] + [nn_pad(held_out[effect])]
    scores = take_scores(scorer, torch.stack(takes), 16000, list(asked), 3)
    firsts = best_first(scores, 3).reshape(-1, 3)[:, 0] % 3
    assert (firsts == 2).sum().item() >= 6, f"named effect first for {(firsts == 2).sum().item()} of 8 prompts"


def nn_pad(clip: torch.Tensor, samples: int = 16000) -> torch.Tensor:
    """``clip`` padded with silence (or cut) to ``samples``."""
    return torch.nn.functional.pad(clip, (0, max(0, samples - len(clip))))[:samples]




def test_the_pipeline_returns_the_same_takes_best_first_for_every_output_type(tiny_pipe, tmp_path):
    prompts = ["a cello note, C3", "tight snare", "something else"]
    call = dict(num_waveforms_per_prompt=4, num_inference_steps=2, audio_length_in_s=0.5)
    unranked = tiny_pipe(prompts, generator=torch.Generator().manual_seed(3), output_type="pt", **call).audios
    tiny_pipe.register_modules(scorer=tiny_scorer(tiny_pipe.sample_rate))
    order = tiny_pipe.take_order(unranked, prompts, 4)
    assert order[8:].tolist() == [8, 9, 10, 11]  # nothing named: the noise's order
    assert [tiny_pipe.scores_prompt(prompt) for prompt in prompts] == [True, True, False]
    assert tiny_pipe.ranks_takes(prompts, 4) and not tiny_pipe.ranks_takes(prompts[2:], 4)
    assert not tiny_pipe.ranks_takes(prompts, 1)
    assert order[:8].tolist() != list(range(8))  # the random scorer does reorder the named prompts' takes
    outputs = {output_type: tiny_pipe(prompts, generator=torch.Generator().manual_seed(3), output_type=output_type,
                                      **call).audios for output_type in ("pt", "np", "mel", "latent")}
    torch.testing.assert_close(outputs["pt"], unranked[order])
    np.testing.assert_allclose(outputs["np"], unranked[order].numpy(), atol=1e-6)
    tiny_pipe.register_modules(scorer=None)
    for output_type in ("mel", "latent"):
        plain = tiny_pipe(prompts, generator=torch.Generator().manual_seed(3), output_type=output_type, **call).audios
        torch.testing.assert_close(outputs[output_type], plain[order])


def test_a_saved_scorer_loads_and_ranks_as_before(tiny_pipe, tmp_path):
    from latentaudio import LatentAudioPipeline

    tiny_pipe.register_modules(scorer=tiny_scorer(tiny_pipe.sample_rate))
    tiny_pipe.save_pretrained(tmp_path / "scored")
    assert json.loads((tmp_path / "scored" / "model_index.json").read_text())["scorer"] == [
        "latentaudio.audio_classifier", "AudioFamilyClassifier"]
    loaded = LatentAudioPipeline.from_pretrained(tmp_path / "scored")
    audio = torch.randn(6, 8000) * 0.1
    prompts = ["cello", "kick"]
    assert loaded.take_order(audio, prompts, 3).tolist() == tiny_pipe.take_order(audio, prompts, 3).tolist()


def test_train_scorer_then_generate_the_best_of_several(tiny_pipe_dir, gm_eval_data, effects_data, tmp_path, capsys):
    scored = tmp_path / "scored"
    assert main(["train", "scorer", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), str(effects_data),
                 "--output", str(scored), "--max-steps", "20", "--seconds", "1.0"]) == 0
    assert "with its scorer: 11 instruments and drums, 14 effect classes" in capsys.readouterr().out
    assert main(["train", "scorer", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), str(effects_data),
                 "--output", str(tmp_path / "by_family"), "--max-steps", "2", "--seconds", "1.0",
                 "--one-shot-labels", "family"]) == 0
    assert "with its scorer: 6 families of one-shots, 14 effect classes" in capsys.readouterr().out
    assert main(["train", "scorer", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), str(effects_data),
                 "--output", str(tmp_path / "one_label"), "--max-steps", "2", "--seconds", "1.0",
                 "--one-shot-labels", "one"]) == 0
    assert "with its scorer: one label for every one-shot, 14 effect classes" in capsys.readouterr().out
    assert main(["train", "scorer", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--output",
                 str(tmp_path / "family_or_drum"), "--max-steps", "2", "--seconds", "1.0", "--one-shot-labels", "family-or-drum"]) == 0
    assert "with its scorer: 5 families and 6 drums, " in capsys.readouterr().out
    assert (scored / "scorer" / "config.json").is_file() and (tiny_pipe_dir / "model_index.json").is_file()
    ranked = tmp_path / "ranked.wav"
    best = tmp_path / "best.wav"
    assert main(["generate", "a violin note", "--model", str(scored), *FAST, "-n", "3", "-o", str(ranked)]) == 0
    assert main(["generate", "a violin note", "--model", str(scored), *FAST, "--best-of", "3", "-o", str(best)]) == 0
    assert sf.read(best)[0].tolist() == sf.read(tmp_path / "ranked_0.wav")[0].tolist()
    assert not (tmp_path / "best_0.wav").exists()
    # A prompt the scorer knows nothing of: nothing to rank by, so only the take to write is drawn (the same as -n 1).
    capsys.readouterr()
    for name, extra in (("one.wav", []), ("dark.wav", ["--best-of", "4"])):
        assert main(["generate", "something dark", "--model", str(scored), *FAST, *extra, "-o", str(tmp_path / name)]) == 0
    assert "'something dark': the model's scorer knows nothing it names" in capsys.readouterr().err
    assert sf.read(tmp_path / "dark.wav")[0].tolist() == sf.read(tmp_path / "one.wav")[0].tolist()


def test_best_of_without_a_scorer_is_refused_in_one_line(tiny_pipe_dir, tmp_path, capsys):
    model = ["--model", str(tiny_pipe_dir)]
    assert main(["generate", "a kick", *model, *FAST, "--best-of", "2", "-o", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1].endswith(  # after the loading bars, one line
        f"--best-of needs a model with a scorer to rank its takes, and {str(tiny_pipe_dir)!r} has none ('a kick'); "
        "give it one with `latentaudio train scorer`, or leave --best-of out.")
    assert not (tmp_path / "x.wav").exists()
    # Fewer than -n is no ranking: the -n takes as drawn.
    two = str(tmp_path / "y.wav")
    assert main(["generate", "a kick", *model, *FAST, "--best-of", "1", "-n", "2", "-o", two]) == 0
    assert (tmp_path / "y_1.wav").is_file()


def test_transform_and_vary_write_the_best_of_k_takes(scored_pipe_dir, tmp_path, capsys):
    from latentaudio import LatentAudioAudioToAudioPipeline

    clip = 0.3 * np.random.default_rng(0).standard_normal(8000).astype(np.float32)
    sf.write(tmp_path / "hit.wav", clip, 16000)
    edit = [str(tmp_path / "hit.wav"), "--model", str(scored_pipe_dir), "--steps", "4", "--strength", "0.5", "--seed", "5"]
    prompt = "a cello note, C3"
    assert main(["transform", *edit, "--prompt", prompt, "--best-of", "4", "-o", str(tmp_path / "best.wav")]) == 0
    assert main(["vary", *edit, "--prompt", prompt, "-n", "2", "--best-of", "4", "-o", str(tmp_path / "two")]) == 0
    pipe = LatentAudioAudioToAudioPipeline.from_pretrained(scored_pipe_dir)
    pipe.set_progress_bar_config(disable=True)
    scorer = pipe.register_modules(scorer=None) or pipe.scorer
    call = dict(strength=0.5, num_inference_steps=4, num_waveforms_per_prompt=4)
    drawn = pipe(torch.from_numpy(clip), prompt, generator=torch.Generator().manual_seed(5), **call).audios  # noise order
    pipe.register_modules(scorer=tiny_scorer(pipe.sample_rate))
    order = pipe.take_order(torch.from_numpy(drawn), [prompt], 4).tolist()
    assert order[0] != 0  # this scorer puts another take than the first drawn first: the file shows which it kept
    np.testing.assert_allclose(sf.read(tmp_path / "best.wav")[0], drawn[order[0]], atol=1e-4)
    for i in range(2):
        np.testing.assert_allclose(sf.read(tmp_path / "two" / f"hit_{i}.wav")[0], drawn[order[i]], atol=1e-4)
    assert not (tmp_path / "two" / "hit_2.wav").exists()
    # The studio's transform panel runs the same call (its controls are the verb's options).
    from latentaudio.demo.studio import Studio

    values = dict(prompt=prompt, strength=0.5, steps=4, seed=5, best_of=4)
    take, = Studio(str(scored_pipe_dir), tmp_path / "files").run("transform", values, audio=str(tmp_path / "hit.wav"))
    np.testing.assert_allclose(sf.read(take)[0], drawn[order[0]], atol=1e-4)
    # Variations without a prompt: nothing to rank by, so only the takes to write are drawn (the same as without --best-of).
    capsys.readouterr()
    assert main(["vary", *edit, "-n", "2", "--best-of", "4", "-o", str(tmp_path / "plain_best")]) == 0
    assert "No prompt to rank the takes by, so best of 4 draws only the 2 takes to write" in capsys.readouterr().err.splitlines()
    assert main(["vary", *edit, "-n", "2", "-o", str(tmp_path / "plain")]) == 0
    for i in range(2):
        assert sf.read(tmp_path / "plain_best" / f"hit_{i}.wav")[0].tolist() == sf.read(tmp_path / "plain" / f"hit_{i}.wav")[0].tolist()


@pytest.mark.parametrize("verb, part", [("inpaint", slice(4000, 9600)), ("extend", slice(16000, None))])
def test_inpaint_and_extend_write_the_take_whose_new_part_the_scorer_ranks_first(scored_pipe_dir, tmp_path, verb, part):
    from latentaudio import LatentAudioContinuationPipeline, LatentAudioInpaintPipeline

    clip = 0.3 * np.random.default_rng(0).standard_normal(16000).astype(np.float32)
    sf.write(tmp_path / "clip.wav", clip, 16000)
    prompt, options = "a cello note, C3", {"inpaint": ["--start", "0.25", "--end", "0.6"], "extend": ["--seconds", "0.5"]}[verb]
    assert main([verb, str(tmp_path / "clip.wav"), *options, "--prompt", prompt, "--model", str(scored_pipe_dir),
                 "--steps", "3", "--seed", "2", "--best-of", "4", "-o", str(tmp_path / "best.wav")]) == 0
    pipeline_class = {"inpaint": LatentAudioInpaintPipeline, "extend": LatentAudioContinuationPipeline}[verb]
    pipe = pipeline_class.from_pretrained(scored_pipe_dir)
    pipe.set_progress_bar_config(disable=True)
    call = {"inpaint": dict(start_in_s=0.25, end_in_s=0.6), "extend": dict(extend_in_s=0.5)}[verb]
    clip = sf.read(tmp_path / "clip.wav", dtype="float32")[0]  # as the shell read it
    def takes(output_type="np"):
        return pipe(clip, prompt=prompt, num_inference_steps=3, num_waveforms_per_prompt=4, output_type=output_type,
                    generator=torch.Generator().manual_seed(2), **call).audios

    ranked, ranked_mels = takes(), takes("mel")
    scorer = pipe.scorer
    pipe.register_modules(scorer=None)  # the same call unranked: the takes in the order of their noise
    drawn, drawn_mels = takes(), takes("mel")
    pipe.register_modules(scorer=scorer)
    by_part = pipe.take_order(torch.from_numpy(drawn[:, part]).contiguous(), [prompt], 4).tolist()
    by_whole = pipe.take_order(torch.from_numpy(drawn), [prompt], 4).tolist()
    assert by_part[0] != 0 and by_part[0] != by_whole[0]  # ranked by the new part: not the first drawn, not the whole's best
    np.testing.assert_allclose(ranked, drawn[by_part], atol=1e-6)
    np.testing.assert_allclose(ranked_mels, drawn_mels[by_part], atol=1e-6)  # a mel output in the same order
    np.testing.assert_allclose(sf.read(tmp_path / "best.wav")[0], drawn[by_part[0]], atol=1e-4)


def test_an_edit_best_of_without_a_scorer_is_refused_in_one_line(tiny_pipe_dir, tmp_path, capsys):
    sf.write(tmp_path / "hit.wav", np.zeros(8000), 16000)
    assert main(["transform", str(tmp_path / "hit.wav"), "--prompt", "a snare", "--model", str(tiny_pipe_dir),
                 "--steps", "2", "--best-of", "2", "-o", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().splitlines()[-1] == (
        f"latentaudio transform: error: --best-of needs a model with a scorer to rank its takes, and "
        f"{str(tiny_pipe_dir)!r} has none ('a snare'); give it one with `latentaudio train scorer`, or leave --best-of out.")
    assert not (tmp_path / "x.wav").exists()


def test_several_takes_of_a_scored_model_come_from_the_pipeline_not_its_standalone_graph(tiny_config, tmp_path,
                                                                                         monkeypatch):
    # The standalone graph draws takes in the order of their noise; the pipeline ranks them, so it writes them.
    from latentaudio.builder import build_pipeline, merge
    from latentaudio.export import export_standalone
    from latentaudio.standalone import StandaloneGenerator

    folder = tmp_path / "scored"
    pipe = build_pipeline(merge(tiny_config, {"pipeline": {"default_inference_steps": 2}}), seed=0)
    pipe.register_modules(scorer=tiny_scorer(pipe.sample_rate))
    pipe.save_pretrained(folder)
    export_standalone(folder)
    graph_calls = []
    real_call = StandaloneGenerator.__call__
    monkeypatch.setattr(StandaloneGenerator, "__call__", lambda *a, **k: graph_calls.append(1) or real_call(*a, **k))
    assert main(["generate", "a cello note", "--model", str(folder), "-o", str(tmp_path / "one.wav")]) == 0
    assert graph_calls == [1]  # one take: nothing to rank, the graph's
    assert main(["generate", "a cello note", "--model", str(folder), "-n", "3", "-o", str(tmp_path / "t.wav")]) == 0
    assert graph_calls == [1]
    pipe = _torch_pipeline(folder)
    ranked = pipe("a cello note", num_waveforms_per_prompt=3, generator=torch.Generator().manual_seed(0)).audios
    for i in range(3):
        np.testing.assert_allclose(sf.read(tmp_path / f"t_{i}.wav")[0], ranked[i], atol=1e-4)


def _torch_pipeline(folder):
    """The pipeline in ``folder``, run by PyTorch (never its exported graphs)."""
    from latentaudio import LatentAudioPipeline

    pipe = LatentAudioPipeline.from_pretrained(folder, runtime="torch")
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_audio_to_audio_returns_a_prompts_takes_best_first_and_variations_as_drawn(tiny_pipe):
    from latentaudio import LatentAudioAudioToAudioPipeline

    pipe = LatentAudioAudioToAudioPipeline.from_pipe(tiny_pipe)
    pipe.set_progress_bar_config(disable=True)
    clip = torch.sin(torch.arange(8000) / 16000 * 2 * torch.pi * 220) * 0.3
    call = dict(strength=0.6, num_waveforms_per_prompt=4, num_inference_steps=2, output_type="pt", match_tempo=False)
    unranked = {prompt: pipe(clip, sample_rate=16000, prompt=prompt, generator=torch.Generator().manual_seed(6),
                             **call).audios for prompt in ("a snare drum hit", None)}
    pipe.register_modules(scorer=tiny_scorer(pipe.sample_rate))
    order = pipe.take_order(unranked["a snare drum hit"], ["a snare drum hit"], 4)
    assert order.tolist() != [0, 1, 2, 3]
    ranked = pipe(clip, sample_rate=16000, prompt="a snare drum hit", generator=torch.Generator().manual_seed(6),
                  **call).audios
    torch.testing.assert_close(ranked, unranked["a snare drum hit"][order])
    plain = pipe(clip, sample_rate=16000, generator=torch.Generator().manual_seed(6), **call).audios
    torch.testing.assert_close(plain, unranked[None])  # no prompt: variations in the order of their noise


def test_train_scorer_resumes_a_stopped_run_and_removes_its_checkpoint(tiny_pipe_dir, gm_eval_data, tmp_path, capsys,
                                                                       monkeypatch):
    from latentaudio.pipelines.base import LatentAudioPipelineBase

    output = tmp_path / "scored"
    command = ["train", "scorer", "--model", str(tiny_pipe_dir), "--data", str(gm_eval_data), "--output", str(output),
               "--max-steps", "20", "--seconds", "1.0", "--checkpoint-every", "5"]

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:  # Ctrl-C after training, before the pipeline was written
        patch.setattr(LatentAudioPipelineBase, "save_pretrained", interrupt)
        assert main(command) == 130
    assert json.loads((output / "checkpoints" / "scorer" / "state.json").read_text())["step"] == 15
    capsys.readouterr()
    assert main(command) == 1
    assert "holds a classifier checkpoint at step 15; pass --resume" in capsys.readouterr().err
    assert main([*command, "--resume"]) == 0
    assert f"classifier: resumed from {output / 'checkpoints' / 'scorer'} at step 15/20" in capsys.readouterr().out
    assert (output / "scorer" / "config.json").is_file() and not (output / "checkpoints").exists()
