"""The embedded music model: found by name, sharing the default model's codec, and where `generate` sends loops."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import latentaudio
from latentaudio import LatentAudioPipeline
from latentaudio.cli import main
from latentaudio.model_folder import model_location
from latentaudio.note_features import FEATURE_WIDTHS

SHARED = ("vae", "vocoder", "spectrogram", "scheduler")  # components the music model takes from the teacher unchanged


def rms(audio: np.ndarray, start: float, end: float, rate: int = 16000) -> float:
    return float(np.sqrt(np.mean(audio[round(start * rate):round(end * rate)] ** 2)))


def test_the_music_model_is_embedded_by_name_and_shares_the_teachers_codec_byte_for_byte():
    assert model_location("music") == latentaudio.MUSIC_MODEL == latentaudio.EMBEDDED_MODELS["music"]
    music, teacher = Path(latentaudio.MUSIC_MODEL), Path(latentaudio.DEFAULT_TEACHER)
    for component in SHARED:
        files = sorted(p.name for p in (music / component).iterdir())
        assert files == sorted(p.name for p in (teacher / component).iterdir())
        assert all((music / component / name).read_bytes() == (teacher / component / name).read_bytes() for name in files)
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    assert pipe.config.longest_trained_length_in_s == pytest.approx(10.24) and pipe.one_pass_length_in_s == pytest.approx(10.24)
    # the structured embedding reads the note, the instrument, and the tempo, key and length a prompt states
    assert pipe.unet.config.projection_class_embeddings_input_dim == FEATURE_WIDTHS[-1] > FEATURE_WIDTHS[1]
    assert next(pipe.unet.parameters()).dtype == torch.float32  # stored as float16, loaded as float32


def test_a_drum_loop_goes_on_for_the_whole_clip_where_a_one_shot_dies_away():
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    pipe.set_progress_bar_config(disable=True)
    loop, hit = pipe(["a 120 bpm rock drum loop, standard kit", "a loud snare drum hit"], audio_length_in_s=10.24,
                     num_inference_steps=8, generator=torch.Generator().manual_seed(0)).audios
    assert loop.shape == hit.shape == (163840,)
    assert rms(loop, 5.12, 10.24) > 0.3 * rms(loop, 0.0, 5.12) > 0.005  # the groove carries on
    assert rms(hit, 5.12, 10.24) < 0.01 * rms(hit, 0.0, 0.5)  # one hit, then silence, as its padded training clips



def test_the_music_models_drum_loops_play_at_the_tempo_their_prompt_states():
    # beat-phase channels (latentaudio.conditioning.beat); the model before them played these four at 127-171 bpm
    from latentaudio.conditioning.beat import has_beat_channels
    from latentaudio.evaluation.music import estimate_tempo, tempo_matches

    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    pipe.set_progress_bar_config(disable=True)
    assert has_beat_channels(pipe.unet)
    estimates = {}
    for bpm in (70, 97, 146, 165):  # tempos held out of the drum loops it last trained on
        take = pipe(f"a 2-bar {bpm} bpm funk drum loop, standard kit", num_inference_steps=20,
                    generator=torch.Generator().manual_seed(0)).audios[0]
        assert take.shape == (round(2 * 4 * 60 / bpm * 16000),)  # two bars
        estimates[bpm] = estimate_tempo(take, 16000)
    assert sum(tempo_matches(estimate, bpm) for bpm, estimate in estimates.items()) >= 3, estimates


def test_the_music_models_melodies_move_with_the_key_their_prompt_states():
    # key channels (latentaudio.conditioning.key): each take's chroma fits its own key's major profile better than
    # the key a tritone away; the model before them got 6 of these 8 right, with half the mean margin (0.40)
    from latentaudio.conditioning import has_key_channels
    from latentaudio.evaluation.music import key_fits

    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    pipe.set_progress_bar_config(disable=True)
    assert has_key_channels(pipe.unet)
    names = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
    margins = []
    for instrument in ("piano", "flute"):
        for tonic in (0, 6, 4, 10):  # C and F#, E and Bb
            take = pipe(f"a 2-bar 120 bpm {instrument} melody in {names[tonic]} major", num_inference_steps=20,
                        generator=torch.Generator().manual_seed(0)).audios[0]
            major = key_fits(take, pipe.sample_rate)[0]  # the chroma's fit to each major key
            margins.append(major[tonic] - major[(tonic + 6) % 12])
    assert min(margins) > 0 and np.mean(margins) > 0.6, np.round(margins, 2)


def test_the_pipeline_makes_a_loop_whole_bars_long_and_a_stated_length_as_stated_when_given_no_length():
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    pipe.set_progress_bar_config(disable=True)
    take = lambda prompt: pipe(prompt, num_inference_steps=1, generator=torch.Generator().manual_seed(0)).audios
    assert take("a 2-bar 120 bpm funk loop").shape == (1, 64000)  # 2 bars of 2 s
    assert take(["a tight snare hit", "light rain, 3 s"]).shape == (2, 48000)  # a batch: its longest ask
    assert take("a tight snare hit").shape == (1, 40960)  # a one-shot: the U-Net's clip
    # an effect: the middle of the lengths its class was trained at, stated to the model as its captions state them
    laser = take("a laser zap")
    assert laser.shape == (1, 6080) and np.array_equal(laser, take("a laser zap, 0.38 s"))  # 0.38 s, not 10.24
    # a drum loop that names its style and no tempo: read at the style's (trap, 145 bpm), whole bars of it
    trap = take("trap beat")
    assert trap.shape == (1, round(6 * 4 * 60 / 145 * 16000))  # 6 bars of trap's 145 bpm, 9.93 s
    stated = pipe("trap beat, 145 bpm", audio_length_in_s=6 * 4 * 60 / 145, num_inference_steps=1,
                  generator=torch.Generator().manual_seed(0)).audios
    assert np.array_equal(trap, stated)
    # a phrase that states no tempo: read at its kind's tempo at its tempo word (a slow melody, 68 bpm), whole bars
    slow = take("a slow cello melody")
    assert slow.shape == (1, round(2 * 4 * 60 / 68 * 16000))  # 2 bars of 68 bpm, 7.06 s (3 would be 10.59 s)
    stated = pipe("a slow cello melody, 68 bpm", audio_length_in_s=2 * 4 * 60 / 68, num_inference_steps=1,
                  generator=torch.Generator().manual_seed(0)).audios
    assert np.array_equal(slow, stated)
    with pytest.raises(ValueError, match=r"'a 16-bar 60 bpm loop' asks for 64 s; expected at most 30 s"):
        take("a 16-bar 60 bpm loop")
    with pytest.raises(ValueError, match=r"'a snare hit, 0 s' asks for 0 s; expected a length above 0 s"):
        take(["a 2-bar 120 bpm funk loop", "a snare hit, 0 s"])


def test_a_pad_asked_for_as_a_loop_plays_on_through_its_wrap_where_a_plain_take_starts_again():
    """``loop=True``: the held pad's end leads into its start, with no more change across the wrap than inside; a
    plain take of the same prompt swells in from silence, a step many times that when it is looped."""
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    pipe.set_progress_bar_config(disable=True)
    seams = {}
    for loop in (False, True):
        take = pipe("a warm string pad in D minor, 2 bars at 80 bpm", loop=loop, num_inference_steps=10,
                    generator=torch.Generator().manual_seed(0)).audios[0]
        assert take.shape == (96000,)  # two bars of 3 s
        mel = pipe.spectrogram(torch.from_numpy(np.concatenate([take, take]))[None])[0].numpy()
        change = np.abs(np.diff(mel, axis=1)).mean(0)  # log-mel change from one frame to the next
        seams[loop] = change[598:602].max() / np.median(change[4:596])  # across the wrap (frame 600), over inside
    assert seams[True] < 2.5 and seams[False] > 3 * seams[True], seams


def test_a_loop_prompt_without_a_length_is_read_stating_the_takes_length_as_the_music_captions_do():
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    pipe.set_progress_bar_config(disable=True)
    assert pipe.config.prompt_template == "gm_music"
    take = lambda prompt: pipe(prompt, num_inference_steps=2, generator=torch.Generator().manual_seed(0)).audios[0]
    loop = take("a 2-bar 150 bpm funk loop")  # 3.2 s: read as "a 2-bar 150 bpm funk loop, 3.20 s"
    assert loop.shape == (51200,) and np.array_equal(loop, take("a 2-bar 150 bpm funk loop, 3.20 s"))
    pipe.register_to_config(prompt_template="gm_one_shot")  # the same prompt read without its length
    assert not np.allclose(loop, take("a 2-bar 150 bpm funk loop"), atol=1e-3)


def test_the_evaluations_untrained_baseline_is_the_music_model_with_every_setting_but_its_weights():
    from latentaudio.evaluation.evaluate import random_unet_pipeline

    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    baseline = random_unet_pipeline(pipe)
    settings = {name: value for name, value in pipe.config.items() if not name.startswith("_")}
    assert {name: baseline.config.get(name) for name in settings} == settings
    assert baseline.one_pass_length_in_s == pytest.approx(10.24)  # a loop in one pass, as the model makes it
    assert not torch.equal(baseline.unet.conv_in.weight, pipe.unet.conv_in.weight)

def test_without_a_model_a_take_asked_to_loop_goes_to_the_music_model_as_a_loop_prompt_does():
    from latentaudio.cli.edit import model_for_verb
    from latentaudio.cli.generate import model_for

    assert model_for("a warm synth pad", None) is None and model_for("a warm synth pad", None, loop=True) == "music"
    assert model_for("a 124 bpm house drum loop", None) == "music" and model_for("a warm synth pad", "mine", loop=True) == "mine"
    assert model_for_verb("vary", None) is None and model_for_verb("vary", None, loop=True) == "music"
    assert model_for_verb("extend", None) == "music" and model_for_verb("transform", "mine", loop=True) == "mine"
    # a prompt that asks for material, as generate gives it
    assert model_for_verb("transform", None, prompt="a jazz swing drum loop") == "music"
    assert model_for_verb("transform", None, prompt="a tight snare hit") is None


def _rock_loop_snare_and_chord() -> dict:
    """A FluidR3_GM rock loop (96 bpm, two bars twice), a snare hit and a held organ chord (3 s, and 6 s as
    "long chord"), 16 kHz mono."""
    import dataclasses

    from latentaudio.data.drumloops import plan_drum_loops, render_drum_loop
    from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer

    with FluidSynthRenderer(DEFAULT_SOUNDFONT, 16000) as synth:
        loop = next(loop for loop in plan_drum_loops(clips=13, seed=0) if loop.style == "rock")
        clips = {"loop": render_drum_loop(synth, dataclasses.replace(loop, bpm=96, repeats=2, bars=2, fill=False))}
        synth.silence()
        synth.select(9, 128, 0)
        synth.note_on(9, 38, 110)
        clips["snare"] = synth.render(3 * 16000)
        synth.note_off(9, 38)
        synth.silence()
        synth.select(0, 0, 16)
        for pitch in (60, 64, 67):
            synth.note_on(0, pitch, 100)
        clips["long chord"] = synth.render(6 * 16000)
        clips["chord"] = clips["long chord"][: 3 * 16000]
    return {name: np.asarray(audio, np.float32) for name, audio in clips.items()}


def test_without_a_model_an_edit_of_a_clip_with_a_beat_goes_to_the_music_model(tmp_path, capsys):
    from latentaudio.cli.edit import edit_model_reason, model_for_verb

    clips = _rock_loop_snare_and_chord()
    for verb in ("transform", "vary", "inpaint", "upsample", "widen"):
        assert model_for_verb(verb, None, audio=clips["loop"], sample_rate=16000) == "music", verb
        assert model_for_verb(verb, None, audio=clips["snare"], sample_rate=16000) is None, verb
        assert model_for_verb(verb, None, audio=clips["chord"], sample_rate=16000) is None, verb  # held: no beat
        # held longer than any take the one-shot model learnt (5.12 s)
        assert model_for_verb(verb, None, audio=clips["long chord"], sample_rate=16000) == "music", verb
        assert model_for_verb(verb, "mine", audio=clips["loop"], sample_rate=16000) == "mine", verb
    assert edit_model_reason("vary", audio=clips["loop"], sample_rate=16000) == "the clip has a beat (a loop or a phrase)"
    assert edit_model_reason("vary", audio=clips["long chord"], sample_rate=16000) == (
        "the clip (6.00 s) is longer than the one-shot model's longest take (5.12 s)")
    # the shell says so, and runs it: the take is the music model's, as --model music makes it
    for name in ("loop", "snare"):
        sf.write(str(tmp_path / f"{name}.wav"), clips[name], 16000)
    takes = {}
    for name, model in (("loop", None), ("loop", "music"), ("snare", None), ("snare", "default")):
        out = tmp_path / f"{name}_{model}.wav"
        assert main(["transform", str(tmp_path / f"{name}.wav"), "--prompt", "crisp and bright", "--strength", "0.5",
                     "--steps", "2", "--seed", "0", "--local", "-o", str(out), *(["--model", model] if model else [])]) == 0
        takes[name, model] = sf.read(str(out))[0]
        said = capsys.readouterr().err
        assert ("the music model edits it, the clip has a beat" in said) == (name == "loop" and model is None), said
    assert np.array_equal(takes["loop", None], takes["loop", "music"])
    assert np.array_equal(takes["snare", None], takes["snare", "default"])
    # interpolate reads no clip: a prompt that asks for material goes to the music model, as generate gives it
    assert main(["interpolate", "--prompt", "a 124 bpm house drum loop", "--prompt-b", "a 90 bpm hip hop drum loop",
                 "--steps", "2", "--sampler-steps", "1", "--local", "-o", str(tmp_path / "between")]) == 0
    assert "'a 124 bpm house drum loop': the music model makes it, the prompt asks" in capsys.readouterr().err
    # the studio without a model: the same take, and its panel says which model made it and what it read
    from latentaudio.demo.studio import Studio

    studio = Studio(None, tmp_path / "studio")
    values = {"prompt": "crisp and bright", "strength": 0.5, "steps": 2, "seed": 0}
    take, = studio.run("transform", values, audio=str(tmp_path / "loop.wav"))
    assert np.array_equal(sf.read(str(take))[0], takes["loop", None])
    said = studio.read_as("crisp and bright", verb="transform", audio=str(tmp_path / "loop.wav"))
    assert said.startswith("Edited by the music model: the clip has a beat") and "Read as: *crisp and bright, 9" in said, said
    assert studio.read_as("crisp and bright", verb="transform", audio=str(tmp_path / "snare.wav")) == ""


def test_generate_without_model_gives_a_loop_to_the_music_model_and_a_hit_to_the_default_model(tmp_path, capsys):
    out = tmp_path / "take.wav"
    prompts = ["a 124 bpm house drum loop", "a tight snare hit", "light rain, 3 s", "a tight snare hit, 1.5 s"]
    assert main(["generate", *prompts, "--steps", "2", "--seed", "0", "--local", "-o", str(out)]) == 0
    takes = [sf.read(str(tmp_path / f"take_{i}.wav"))[0] for i in range(4)]
    # a loop states no length: the most whole bars at its tempo within the longest clip the music model learnt
    # (5 bars of 124 bpm, 9.68 s of 10.24); a hit: the default model's clip; stated: as stated
    assert [len(take) for take in takes] == [round(5 * 4 * 60 / 124 * 16000), 40960, 48000, 24000]
    said = capsys.readouterr().err
    assert said.count("the music model makes it") == 2 and "'a 124 bpm house drum loop'" in said and "'light rain, 3 s'" in said

    # the same takes as naming the models
    named = tmp_path / "named.wav"
    assert main(["generate", prompts[0], "--model", "music", "--steps", "2", "--seed", "0", "--local", "-o", str(named)]) == 0
    assert np.array_equal(sf.read(str(named))[0], takes[0])
    assert main(["generate", prompts[1], "--model", "default", "--steps", "2", "--seed", "0", "--local", "-o", str(named)]) == 0
    assert np.array_equal(sf.read(str(named))[0], takes[1])
    # a model named is the model used: the one-shot model makes the loop prompt at its own clip, and says nothing of it
    assert main(["generate", prompts[0], "--model", "default", "--steps", "2", "--seed", "0", "--seconds", "2.56",
                 "--local", "-o", str(named)]) == 0
    assert len(sf.read(str(named))[0]) == 40960 and "music model" not in capsys.readouterr().err


def test_the_studio_without_a_model_gives_a_loop_to_the_music_model_as_generate_does(tmp_path):
    from latentaudio.demo.studio import Studio

    studio = Studio(None, tmp_path)
    assert "the embedded music model" in studio.model_card()
    assert "music model" in studio.read_as("a 124 bpm house drum loop") and "music model" not in studio.read_as("a tight snare hit")
    loop, = studio.run("generate", {"prompt": "a 124 bpm house drum loop", "steps": 2, "seed": 0})
    hit, = studio.run("generate", {"prompt": "a tight snare hit, 1.5 s", "steps": 2, "seed": 0})
    assert len(sf.read(str(loop))[0]) == round(5 * 4 * 60 / 124 * 16000) and len(sf.read(str(hit))[0]) == 24000
    # the take the command line writes for the same settings
    out = tmp_path / "cli.wav"
    assert main(["generate", "a 124 bpm house drum loop", "--steps", "2", "--seed", "0", "--local", "-o", str(out)]) == 0
    assert np.array_equal(sf.read(str(out))[0], sf.read(str(loop))[0])
    assert set(studio._residents) == {None, "music"}  # the music model loaded once asked for, beside the default
    # the studio of the music model says what its template reads a loop prompt as: with the take's length
    music = Studio("music", tmp_path)
    assert "a 124 bpm house drum loop, 9.68 s" in music.read_as("a 124 bpm house drum loop")
    # at the length the panel asks for, as the take is made; a prompt that states its own is read as written
    assert "a 124 bpm house drum loop, 4.00 s" in music.read_as("a 124 bpm house drum loop", 4.0)
    assert music.read_as("a 124 bpm house drum loop, 2 s", 4.0) == ""  # read as written: it states its length


def test_extend_without_a_model_keeps_a_held_organ_chord_going_where_the_one_shot_model_lets_it_die(tmp_path):
    from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer

    with FluidSynthRenderer(DEFAULT_SOUNDFONT, 16000) as synth:  # a drawbar organ's C major chord, held throughout
        synth.select(0, 0, 16)
        for pitch in (60, 64, 67):
            synth.note_on(0, pitch, 100)
        chord = synth.render(40960)
    assert 0.1 < np.abs(chord).max() < 0.5  # quieter than the training clips: extend brings it up to their level and back
    sf.write(str(tmp_path / "chord.wav"), chord, 16000)
    added = {}
    for model in (None, "default"):
        out = tmp_path / f"{model}.wav"
        assert main(["extend", str(tmp_path / "chord.wav"), "--seconds", "2.56", "--seed", "0", "--local", "-o", str(out),
                     *(["--model", model] if model else [])]) == 0
        audio = sf.read(str(out))[0]
        assert len(audio) == 81920
        added[model] = rms(audio, 3.56, 5.12) / rms(audio, 2.06, 2.56)  # a second into the new part, against the chord's end
    assert added[None] > 0.4 and added["default"] < 0.05, added


@pytest.fixture(scope="module")
def rendered_material(tmp_path_factory):
    """Renders of the music builders by a seed the music model's data was not built with: 13 drum loops (one a style),
    28 effects (two a class) and 6 phrases, at most 4 s each, with their rows."""
    import json

    from latentaudio.data.drumloops import render_drum_loop_dataset
    from latentaudio.data.melodic import render_melodic_dataset
    from latentaudio.data.sfx import render_sfx_dataset

    root = tmp_path_factory.mktemp("material")
    render_drum_loop_dataset(root / "loops", clips=13, seed=7, max_seconds=4.0, captions_per_clip=1)
    render_sfx_dataset(root / "sfx", clips=28, seed=7, max_seconds=4.0, captions_per_clip=1)
    render_melodic_dataset(root / "melodic", clips=6, seed=7, max_seconds=4.0, music21_share=0.0, captions_per_clip=1)
    material = []
    for folder in ("loops", "sfx", "melodic"):
        for line in (root / folder / "metadata.jsonl").read_text().splitlines():
            row = json.loads(line)
            audio = torch.from_numpy(sf.read(root / folder / row["file_name"], dtype="float32")[0][:64000])
            material.append((row, torch.nn.functional.pad(audio, (0, 64000 - len(audio)))))
    return material


def test_the_music_models_scorer_puts_the_style_or_effect_a_prompt_names_first(rendered_material):
    # Each prompt's takes: two renders of other material and one of what it names, last. Its scorer
    # (latentaudio.ranking) must bring that one first for most prompts: chance is 1 in 3.
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    assert pipe.can_rank_takes and "drum loop: house" in pipe.scorer.labels and "sound effect: laser" in pipe.scorer.labels
    loops = [(row, audio) for row, audio in rendered_material if row.get("style")]
    effects = {row["sfx_class"]: audio for row, audio in rendered_material if row.get("sfx_class")}
    phrase = next(audio for row, audio in rendered_material if row.get("kind"))
    prompts, takes = [], []
    for index, (row, audio) in enumerate(loops):  # another style's loop and an effect, then the style asked for
        prompts.append(f"a {row['tempo']} bpm {row['style']} drum loop")
        takes += [loops[(index + 1) % len(loops)][1], list(effects.values())[index], audio]
    for index, (effect, audio) in enumerate(effects.items()):  # a loop and another class's effect, then the class asked for
        prompts.append(f"a {effect} sound effect")
        takes += [loops[index % len(loops)][1], list(effects.values())[(index + 5) % len(effects)], audio]
    order = pipe.take_order(torch.stack(takes), prompts, 3).reshape(-1, 3)[:, 0] % 3
    named_first = order == 2
    assert len(loops) == 13 and len(effects) == 14
    assert named_first[:13].float().mean() >= 0.6, f"the style asked for first for {named_first[:13].sum()} of 13 loops"
    assert named_first[13:].float().mean() >= 0.8, f"the class asked for first for {named_first[13:].sum()} of 14 effects"
    # A phrase is scored by the family playing it: a phrase before a loop and an effect for "a ... melody".
    phrase_row = next(row for row, _ in rendered_material if row.get("kind"))
    order = pipe.take_order(torch.stack([loops[0][1], list(effects.values())[0], phrase]),
                            [f"a {phrase_row['instrument']} {phrase_row['kind']} in {phrase_row['key']}"], 3)
    assert order[0] == 2


def test_generate_writes_the_best_of_several_takes_of_a_loop(tmp_path):
    out = tmp_path / "loop.wav"
    assert main(["generate", "a 120 bpm house drum loop", "--best-of", "2", "--steps", "4", "--seconds", "2",
                 "-o", str(out)]) == 0
    assert sf.read(out)[0].shape == (32000,) and not (tmp_path / "loop_1.wav").exists()


def test_the_music_models_scorer_names_what_a_clip_sounds_like_in_words_it_reads_back(rendered_material):
    """An empty prompt of an inpainting or a continuation is given what the clip sounds like (latentaudio.ranking.
    clip_words): words of the clip's category, and of its style, class or family where the scorer is sure."""
    from latentaudio.prompts import material_category
    from latentaudio.ranking import clip_words, label_words, named_labels

    pipe = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    labels = pipe.scorer.labels
    for index, label in enumerate(labels):  # every label's words are read back as that label
        assert named_labels(label_words(label), labels) == [index], label
    assert label_words("melodic: Synth Pad") == "a synth pad chord progression" and label_words("sound effect: engine") == (
        "an engine sound effect")
    heard = [(row["category"], clip_words(pipe.scorer, audio, 16000)) for row, audio in rendered_material]
    right = [material_category(words) == category for category, words in heard]
    assert sum(right) >= 0.9 * len(heard), [pair for pair, ok in zip(heard, right) if not ok]
    assert any(words not in ("a drum loop", "a phrase", "a sound effect") for _, words in heard)  # named, when sure
    one_shot = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_MODEL)  # a scorer of GM families and drums
    assert clip_words(one_shot.scorer, rendered_material[0][1], 16000) is None


def test_an_empty_prompt_continues_a_loop_as_what_it_sounds_like_at_its_tempo(tmp_path, capsys):
    from latentaudio import LatentAudioAudioToAudioPipeline, LatentAudioContinuationPipeline, LatentAudioInpaintPipeline
    from latentaudio.prompts import material_category, parse_prompt

    loop = torch.from_numpy(_rock_loop_snare_and_chord()["loop"])[None]
    music = LatentAudioPipeline.from_pretrained(latentaudio.MUSIC_MODEL)
    extend = LatentAudioContinuationPipeline.from_pipe(music)
    read, = extend.prompts_read(loop, [""])
    assert material_category(read) == "drum loop" and abs(parse_prompt(read).tempo_bpm - 96) <= 4, read
    assert LatentAudioInpaintPipeline.from_pipe(music).prompts_read(loop, [""]) == [read]
    assert extend.prompts_read(loop.expand(2, -1), ["", "a funky groove"], match_sound=False) == [
        read.split(", ")[-1], f"a funky groove, {read.split(', ')[-1]}"]  # the tempo alone; words of one's own kept
    assert LatentAudioAudioToAudioPipeline.from_pipe(music).prompts_read(loop, [""]) == [""]  # variations: as drawn
    with pytest.raises(ValueError, match="match_sound='yes' must be True or False"):
        extend.prompts_read(loop, [""], match_sound="yes")
    # the shell says what it read, and the take is the pipeline's with those words
    sf.write(str(tmp_path / "loop.wav"), loop[0].numpy(), 16000)
    assert main(["extend", str(tmp_path / "loop.wav"), "--seconds", "1", "--steps", "2", "--local",
                 "-o", str(tmp_path / "longer.wav")]) == 0
    assert (f"'' is read as {read!r}: what the clip sounds like, as the model's scorer hears it, and its tempo, as the "
            "beat tracker hears it") in capsys.readouterr().err
    # the studio reads the same words, says so, and ranks the best of 2 by them (so no note that nothing ranks them)
    from latentaudio.cli.edit import BOTH_READ_AS
    from latentaudio.demo.studio import Studio

    studio = Studio(None, tmp_path / "studio")
    assert len(studio.run("extend", {"seconds": 0.5, "steps": 1, "best_of": 2}, audio=str(tmp_path / "loop.wav"))) == 1
    said = studio.read_as("", verb="extend", audio=str(tmp_path / "loop.wav"), best_of=2)
    assert said.endswith(f"Read as: *{read}*: {BOTH_READ_AS}") and "Best of" not in said, said
    given = torch.from_numpy(sf.read(str(tmp_path / "loop.wav"), dtype="float32")[0])  # as the shell read it
    take = extend(given, 1.0, prompt=read, num_inference_steps=2, generator=torch.manual_seed(0)).audios[0]
    np.testing.assert_allclose(sf.read(str(tmp_path / "longer.wav"), dtype="float32")[0], take, atol=2e-4)  # 16-bit
