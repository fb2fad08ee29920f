"""Pitch conditioning: features of the stated note, the zero-start U-Net upgrade, the pipeline and the trainer."""

import json

import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.builder import build_pipeline, merge
from latentaudio.conditioning import (
    PITCH_FEATURES,
    PitchConditioner,
    has_pitch_embedding,
    pitch_features,
    prompt_notes,
    with_pitch_embedding,
)


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


def test_pitch_conditioning_survives_save_and_load(pitch_pipe, tmp_path):
    pitch_pipe.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "model_index.json").read_text())["pitch_conditioning"] is True
    loaded = LatentAudioPipeline.from_pretrained(tmp_path)
    assert isinstance(loaded.conditioner(), PitchConditioner) and has_pitch_embedding(loaded.unet)


def test_a_pipeline_without_the_embedding_refuses_the_flag(tiny_pipe):
    components = dict(tiny_pipe.components)
    with pytest.raises(ValueError, match="projection_class_embeddings_input_dim=16"):
        LatentAudioPipeline(**components, pitch_conditioning=True)


def test_editing_pipelines_and_the_evaluation_baseline_keep_the_pitch_conditioning(pitch_pipe):
    from latentaudio import LatentAudioInpaintPipeline
    from latentaudio.evaluation.evaluate import random_unet_pipeline

    for derived in (LatentAudioInpaintPipeline.from_pipe(pitch_pipe), random_unet_pipeline(pitch_pipe)):
        assert isinstance(derived.conditioner(), PitchConditioner)
        assert "class_labels" in derived.encode_prompt(["a cello note, D3"], None, 1, True)
