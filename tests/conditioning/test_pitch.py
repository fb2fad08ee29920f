"""Pitch conditioning: features of the stated note, the zero-start U-Net upgrade, the pipeline and the trainer."""

import json

import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.builder import build_pipeline, merge
from latentaudio.conditioning import (
    FEATURE_WIDTHS,
    INSTRUMENT_FEATURES,
    MUSIC_FEATURES,
    PITCH_FEATURES,
    Music,
    PitchConditioner,
    embedding_width,
    feature_width,
    has_instrument_embedding,
    has_music_embedding,
    has_pitch_embedding,
    pitch_features,
    prompt_instruments,
    prompt_music,
    prompt_notes,
    structured_features,
    with_pitch_embedding,
)
from latentaudio.note_features import FAMILY_NAMES, Instrument


def test_features_say_whether_a_note_was_stated_and_vary_smoothly_with_it():
    rows = pitch_features([60, None, 61, 72, 96])
    assert rows.shape == (5, PITCH_FEATURES)
    assert torch.equal(rows[1], torch.zeros(PITCH_FEATURES))  # no note: the unconditional row
    assert rows[0, 0] == 1 and rows[2, 0] == 1
    distance = lambda a, b: (rows[a] - rows[b]).norm().item()  # noqa: E731
    assert distance(0, 2) < distance(0, 3) < distance(0, 4)  # a semitone away is nearer than an octave, then two
    assert torch.allclose(rows[0, 4:6], rows[3, 4:6], atol=1e-5)  # the 12-semitone pair is the pitch class


def test_notes_are_read_from_prompts_in_any_notation():
    assert prompt_notes(["grand piano, middle C, soft", "a loud snare drum hit", "", None, "airy flute G5",
                         "cello around 220 Hz"]) == [60, None, None, None, 79, 57]


def test_instruments_are_read_as_general_midi_whatever_the_nickname():
    assert prompt_instruments(["sax, G4", "an alto sax note", "kick", "a loud kick drum hit", "a brass note", "", None,
                               "a soft note, C4"]) == [
        Instrument("Reed", 65), Instrument("Reed", 65), Instrument("Drums", None, 36), Instrument("Drums", None, 36),
        Instrument("Brass", 61), None, None, None]
    rows = structured_features(["sax, G4", "alto sax note at G4", "a snare drum hit", "a soft note, C4"], FEATURE_WIDTHS[1])
    assert rows.shape == (4, PITCH_FEATURES + INSTRUMENT_FEATURES) == (4, 208)
    assert torch.equal(rows[0], rows[1])  # one program, one note: one row
    columns = [torch.nonzero(row[PITCH_FEATURES:]).flatten().tolist() for row in rows]
    assert columns[0] == [FAMILY_NAMES.index("Reed"), len(FAMILY_NAMES) + 65]
    assert columns[2] == [FAMILY_NAMES.index("Drums"), len(FAMILY_NAMES) + 128 + 38 - 35]  # the family and the drum key
    assert columns[3] == [] and torch.equal(rows[3, :PITCH_FEATURES], pitch_features([60])[0])  # a note, no instrument
    assert torch.equal(structured_features(["sax, G4"], PITCH_FEATURES), pitch_features([67]))  # the note's width: the note alone
    with pytest.raises(ValueError, match="or 253 .* not 17"):
        structured_features(["sax"], 17)


def test_tempo_key_and_length_are_read_from_prompts_as_they_are_written():
    assert prompt_music(["a 124 bpm house drum loop, electronic kit, 7.74 s", "a slow melancholic cello melody in D minor, 70 bpm",
                         "a bright ukulele chord progression in the key of Bb", "Bb aeolian riff, tempo 96", "a loud snare drum hit",
                         "", None]) == [
        Music(124.0, None, 7.74), Music(70.0, (2, "minor"), None), Music(None, (10, "major"), None),
        Music(96.0, (10, "minor"), None), None, None, None]


def test_music_features_step_with_the_tempo_and_let_relative_keys_share_their_scale():
    base = PITCH_FEATURES + INSTRUMENT_FEATURES
    prompts = ["a 120 bpm rock drum loop", "a 125 bpm rock drum loop", "a 180 bpm rock drum loop", "a piano melody in C major",
               "a piano melody in A minor", "a piano melody in C minor", "a rock drum loop, 4.0 s", "a rock drum loop"]
    rows = structured_features(prompts, FEATURE_WIDTHS[2])
    assert rows.shape == (8, FEATURE_WIDTHS[2]) == (8, 253) and MUSIC_FEATURES == 45
    music = rows[:, base:]
    tempo, key, length = music[:, :12], music[:, 12:43], music[:, 43:]
    assert tempo[0, 0] == 1 and tempo[0, 1] == 0  # stated, at the 120 bpm centre
    distance = lambda a, b: (tempo[a] - tempo[b]).norm().item()  # noqa: E731
    assert 0.3 < distance(0, 1) < distance(0, 2)  # 4 % apart is a visible step; 50 % a bigger one
    assert not key[:3].any() and not tempo[3:].any() and not length[:6].any()  # what is not stated stays zero
    scale = key[:, 13:25]
    assert torch.equal(scale[3], scale[4]) and not torch.equal(scale[3], scale[5])  # C major and A minor: one scale
    assert not torch.equal(key[3], key[4])  # but another tonic and mode
    assert scale[3].sum() == 7 and key[3, 1 + 0] == 1 and key[4, 1 + 9] == 1
    assert torch.allclose(length[6], torch.tensor([1.0, 0.5 * torch.log2(torch.tensor(4.0 / 2.56)).item()]))
    assert not music[7].any()  # a drum loop with nothing stated: the instrument's columns speak, these stay zero
    assert torch.equal(rows[:, :base], structured_features(prompts, FEATURE_WIDTHS[1]))  # the narrower width: its columns alike


@pytest.fixture
def pitch_pipe(tiny_config):
    config = merge(tiny_config, {"pipeline": {"pitch_conditioning": True}})
    pipe = build_pipeline(config, seed=0)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_the_upgrade_keeps_every_weight_and_starts_with_no_effect(tiny_pipe):
    unet = tiny_pipe.unet
    upgraded = with_pitch_embedding(unet)
    assert has_pitch_embedding(upgraded) and not has_pitch_embedding(unet)
    assert with_pitch_embedding(upgraded) is upgraded
    state = upgraded.state_dict()
    assert all(torch.equal(state[name], value) for name, value in unet.state_dict().items())
    latents, t = torch.randn(2, 4, 8, 32, generator=torch.Generator().manual_seed(0)), torch.tensor([10, 500])
    states = torch.randn(2, 3, unet.config.cross_attention_dim)
    with torch.no_grad():
        before = unet(latents, t, encoder_hidden_states=states).sample
        after = upgraded(latents, t, encoder_hidden_states=states, class_labels=pitch_features([60, 70])).sample
    assert torch.equal(before, after)


def test_widening_for_the_instrument_keeps_the_trained_embedding_and_its_predictions(tiny_pipe):
    pitched = with_pitch_embedding(tiny_pipe.unet)
    torch.nn.init.normal_(pitched.class_embedding.linear_2.weight, std=0.5)  # a trained note embedding
    widened = with_pitch_embedding(pitched, instruments=True)
    assert has_instrument_embedding(widened) and has_pitch_embedding(widened) and not has_instrument_embedding(pitched)
    assert with_pitch_embedding(widened, instruments=True) is widened and with_pitch_embedding(widened) is widened  # never narrowed
    assert widened.config.projection_class_embeddings_input_dim == FEATURE_WIDTHS[1]
    old, new = pitched.state_dict(), widened.state_dict()
    assert all(torch.equal(new[name], value) for name, value in old.items() if name != "class_embedding.linear_1.weight")
    first = new["class_embedding.linear_1.weight"]
    assert torch.equal(first[:, :PITCH_FEATURES], old["class_embedding.linear_1.weight"]) and not first[:, PITCH_FEATURES:].any()
    latents, t = torch.randn(2, 4, 8, 32, generator=torch.Generator().manual_seed(0)), torch.tensor([10, 500])
    states = torch.randn(2, 3, tiny_pipe.unet.config.cross_attention_dim)
    prompts = ["a cello note, D3", "a loud snare drum hit"]
    with torch.no_grad():
        before = pitched(latents, t, encoder_hidden_states=states, class_labels=structured_features(prompts, PITCH_FEATURES)).sample
        after = widened(latents, t, encoder_hidden_states=states, class_labels=structured_features(prompts, FEATURE_WIDTHS[1])).sample
    # the instrument's columns start at zero; a wider matrix product may sum in another order, hence the float tolerance
    torch.testing.assert_close(after, before, rtol=0, atol=1e-6)
    direct = with_pitch_embedding(tiny_pipe.unet, instruments=True)  # no embedding yet: the wide one at once
    assert has_instrument_embedding(direct) and not direct.class_embedding.linear_2.weight.any()


def test_widening_for_tempo_key_and_length_keeps_the_trained_embedding_and_its_predictions(tiny_pipe):
    wide = with_pitch_embedding(tiny_pipe.unet, instruments=True)
    torch.nn.init.normal_(wide.class_embedding.linear_2.weight, std=0.5)  # a trained note and instrument embedding
    music = with_pitch_embedding(wide, music=True)
    assert has_music_embedding(music) and has_instrument_embedding(music) and not has_music_embedding(wide)
    assert [embedding_width(unet) for unet in (tiny_pipe.unet, wide, music)] == [0, feature_width(instruments=True),
                                                                                 feature_width(music=True)]
    assert [feature_width(), feature_width(instruments=True), feature_width(music=True)] == list(FEATURE_WIDTHS)
    assert with_pitch_embedding(music, instruments=True) is music and with_pitch_embedding(music) is music  # never narrowed
    first = music.state_dict()["class_embedding.linear_1.weight"]
    assert first.shape[1] == FEATURE_WIDTHS[2]
    assert torch.equal(first[:, :FEATURE_WIDTHS[1]], wide.state_dict()["class_embedding.linear_1.weight"])
    assert not first[:, FEATURE_WIDTHS[1]:].any()
    latents, t = torch.randn(2, 4, 8, 32, generator=torch.Generator().manual_seed(0)), torch.tensor([10, 500])
    states = torch.randn(2, 3, tiny_pipe.unet.config.cross_attention_dim)
    prompts = ["a 95 bpm funk drum loop, standard kit", "a sad piano melody in A minor, 70 bpm"]
    with torch.no_grad():
        before = wide(latents, t, encoder_hidden_states=states, class_labels=structured_features(prompts, FEATURE_WIDTHS[1])).sample
        after = music(latents, t, encoder_hidden_states=states, class_labels=structured_features(prompts, FEATURE_WIDTHS[2])).sample
    assert torch.equal(before, after)  # the new columns start at zero
    direct = with_pitch_embedding(tiny_pipe.unet, music=True)
    assert has_music_embedding(direct) and not direct.class_embedding.linear_2.weight.any()


def test_an_upgrade_refuses_a_unet_with_another_class_embedding(tiny_pipe):
    from diffusers import UNet2DConditionModel

    other = UNet2DConditionModel.from_config({**tiny_pipe.unet.config, "num_class_embeds": 10})
    with pytest.raises(ValueError, match="already has a class embedding"):
        with_pitch_embedding(other)


def test_the_pipeline_gives_each_prompt_its_note_and_the_unconditional_half_none(pitch_pipe):
    conditioner = pitch_pipe.conditioner()
    assert isinstance(conditioner, PitchConditioner)
    kwargs = pitch_pipe.encode_prompt(["a piano note, C4", "a snare drum hit"], None, 2, True)
    labels = kwargs["class_labels"]
    assert labels.shape == (8, PITCH_FEATURES) and kwargs["encoder_hidden_states"].shape[0] == 8
    assert torch.equal(labels[:4], torch.zeros(4, PITCH_FEATURES))  # unconditional rows first
    assert torch.equal(labels[4], pitch_features([60])[0]) and torch.equal(labels[5], labels[4])
    assert torch.equal(labels[6:], torch.zeros(2, PITCH_FEATURES))  # the snare states no note


def test_the_stated_note_changes_the_audio_once_the_embedding_is_trained(pitch_pipe):
    torch.nn.init.normal_(pitch_pipe.unet.class_embedding.linear_2.weight, std=0.5)
    run = lambda prompt: pitch_pipe(prompt, num_inference_steps=2, generator=torch.Generator().manual_seed(0),  # noqa: E731
                                    output_type="latent").audios  # the tiny random vocoder hides small changes
    assert not torch.allclose(run("a piano note, C4"), run("a piano note, G4"))


def test_a_pipeline_with_the_instrument_embedding_gives_each_prompt_its_instrument(pitch_pipe, tmp_path):
    pitch_pipe.unet = with_pitch_embedding(pitch_pipe.unet, instruments=True)
    kwargs = pitch_pipe.encode_prompt(["a piano note, C4", "a snare drum hit"], None, 1, True)
    labels = kwargs["class_labels"]
    assert labels.shape == (4, FEATURE_WIDTHS[1]) and not labels[:2].any()  # the unconditional rows state nothing
    assert torch.equal(labels[2:], structured_features(["a piano note, C4", "a snare drum hit"], FEATURE_WIDTHS[1]))
    assert labels[3, PITCH_FEATURES:].any() and not labels[3, :PITCH_FEATURES].any()  # the snare: an instrument, no note
    given = pitch_pipe.encode_prompt(None, None, 1, False, prompt_embeds=kwargs["encoder_hidden_states"][2:])
    assert given["class_labels"].shape == (2, FEATURE_WIDTHS[1]) and not given["class_labels"].any()
    pitch_pipe.save_pretrained(tmp_path)
    loaded = LatentAudioPipeline.from_pretrained(tmp_path)
    assert has_instrument_embedding(loaded.unet) and loaded.conditioner().width == FEATURE_WIDTHS[1]


def test_pitch_conditioning_survives_save_and_load(pitch_pipe, tmp_path):
    pitch_pipe.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "model_index.json").read_text())["pitch_conditioning"] is True
    loaded = LatentAudioPipeline.from_pretrained(tmp_path)
    assert isinstance(loaded.conditioner(), PitchConditioner) and has_pitch_embedding(loaded.unet)


def test_a_pipeline_without_the_embedding_refuses_the_flag(tiny_pipe):
    components = dict(tiny_pipe.components)
    with pytest.raises(ValueError, match=r"projection_class_embeddings_input_dim in \(16, 208, 253\)"):
        LatentAudioPipeline(**components, pitch_conditioning=True)


def test_editing_pipelines_and_the_evaluation_baseline_keep_the_pitch_conditioning(pitch_pipe):
    from latentaudio import LatentAudioInpaintPipeline
    from latentaudio.evaluation.evaluate import random_unet_pipeline

    for derived in (LatentAudioInpaintPipeline.from_pipe(pitch_pipe), random_unet_pipeline(pitch_pipe)):
        assert isinstance(derived.conditioner(), PitchConditioner)
        assert "class_labels" in derived.encode_prompt(["a cello note, D3"], None, 1, True)
