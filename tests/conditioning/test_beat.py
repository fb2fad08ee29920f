"""Beat-phase channels: their values, the zero-start upgrade, the pipeline's windows and saving."""

import math

import pytest
import torch
from diffusers import UNet2DConditionModel

from latentaudio import LatentAudioPipeline
from latentaudio.conditioning import (
    BEAT_CHANNELS,
    FEATURE_WIDTHS,
    beat_channels,
    has_beat_channels,
    structured_features,
    unet_input,
    with_beat_channels,
    with_pitch_embedding,
)


@pytest.fixture
def music_pipe(tiny_pipe):
    """The tiny pipeline with the music embedding (the tempo's columns), as a music model has it."""
    tiny_pipe.unet = with_pitch_embedding(tiny_pipe.unet, music=True)
    tiny_pipe.register_to_config(pitch_conditioning=True)
    return tiny_pipe


def test_the_channels_turn_once_a_beat_from_the_take_start_and_are_zero_without_a_tempo():
    labels = structured_features(["a 120 bpm house drum loop", "a 90 bpm funk loop", "a snare drum hit", ""], FEATURE_WIDTHS[2])
    channels = beat_channels(labels, 4, frames=100, bins=3, frame_seconds=0.04)
    assert channels.shape == (4, BEAT_CHANNELS, 100, 3)
    assert torch.equal(channels[..., 0], channels[..., 2])  # the same at every frequency bin
    sin, cos = channels[0, 0, :, 0], channels[0, 1, :, 0]
    assert cos[0] == 1 and sin[0] == 0  # phase 0 at the take's first frame
    beat = 0.5 / 0.04  # 120 bpm: a beat every 12.5 frames
    frames = torch.arange(100, dtype=torch.float32)
    torch.testing.assert_close(sin, torch.sin(2 * math.pi * frames / beat), atol=1e-5, rtol=0)
    assert torch.allclose(channels[0, :, 25], channels[0, :, 0], atol=1e-5)  # two beats on, the same phase
    assert not torch.allclose(channels[0, :, 25], channels[1, :, 25], atol=1e-2)  # at 90 bpm it is 1.5 beats on
    torch.testing.assert_close(channels[1, 1, :, 0], torch.cos(2 * math.pi * frames * 0.04 * 1.5), atol=1e-4, rtol=0)
    assert not channels[2:].any()  # no tempo stated, or the unconditional prompt
    assert not beat_channels(None, 2, 10, 3, 0.04).any()


def test_a_window_gets_its_slice_of_the_take():
    labels = structured_features(["a 137 bpm techno loop"], FEATURE_WIDTHS[2])
    whole = beat_channels(labels, 1, frames=90, bins=2, frame_seconds=0.04)
    torch.testing.assert_close(beat_channels(labels, 1, 30, 2, 0.04, start=47), whole[:, :, 47:77], atol=1e-5, rtol=0)


def test_the_upgrade_needs_the_music_embedding(tiny_pipe):
    for unet in (tiny_pipe.unet, with_pitch_embedding(tiny_pipe.unet, instruments=True)):
        with pytest.raises(ValueError, match="add the music embedding first"):
            with_beat_channels(unet)


def test_the_upgrade_keeps_every_weight_and_starts_with_no_effect(music_pipe):
    unet = music_pipe.unet
    upgraded = with_beat_channels(unet)
    assert has_beat_channels(upgraded) and not has_beat_channels(unet) and with_beat_channels(upgraded) is upgraded
    assert upgraded.config.in_channels == unet.config.in_channels + BEAT_CHANNELS
    state = upgraded.state_dict()
    assert all(torch.equal(state[name], value) for name, value in unet.state_dict().items() if name != "conv_in.weight")
    assert torch.equal(state["conv_in.weight"][:, : unet.config.in_channels], unet.conv_in.weight)
    assert not state["conv_in.weight"][:, unet.config.in_channels :].any()
    latents, t = torch.randn(2, 4, 16, 32, generator=torch.Generator().manual_seed(0)), torch.tensor([10, 500])
    states = torch.randn(2, 3, unet.config.cross_attention_dim)
    labels = structured_features(["a 120 bpm drum loop", "a 95 bpm drum loop"], FEATURE_WIDTHS[2])
    with torch.no_grad():
        before = unet(latents, t, encoder_hidden_states=states, class_labels=labels).sample
        after = upgraded(unet_input(upgraded, latents, labels, 0.02), t, encoder_hidden_states=states, class_labels=labels).sample
    assert torch.equal(before, after)
    assert torch.equal(unet_input(unet, latents, labels, 0.02), latents)  # a U-Net without them takes the latent alone
    with pytest.raises(ValueError, match="needs the length of a latent frame"):
        unet_input(upgraded, latents, labels, None)


def test_the_pipeline_gives_every_window_its_phase_and_the_unconditional_half_none(music_pipe, tmp_path):
    music_pipe.unet = with_beat_channels(music_pipe.unet)
    torch.nn.init.normal_(music_pipe.unet.conv_in.weight, std=0.1)  # as if trained: the channels now matter
    seen = []
    music_pipe.unet.register_forward_pre_hook(lambda module, args: seen.append(args[0][:, -BEAT_CHANNELS:].clone()))
    prompt = "a 128 bpm house drum loop"
    seconds = 1.0  # 50 latent frames of the tiny codec: MultiDiffusion windows of 16
    music_pipe(prompt, num_inference_steps=1, audio_length_in_s=seconds, guidance_scale=3.0,
               generator=torch.Generator().manual_seed(0), output_type="latent")
    frames, window = music_pipe.latent_frames_for(round(seconds * music_pipe.sample_rate)), music_pipe.window_frames
    assert frames > window and len(seen) > 1
    labels = structured_features([prompt], FEATURE_WIDTHS[2])  # the tiny pipeline reads prompts as written
    whole = beat_channels(labels, 1, frames, seen[0].shape[-1], music_pipe.latent_frame_in_s)
    starts = []
    for channels in seen:
        uncond, cond = channels.chunk(2)
        assert not uncond.any()  # guidance's unconditional half states no tempo
        matches = [start for start in range(frames - window + 1)
                   if torch.allclose(cond, whole[:, :, start : start + window], atol=1e-5)]
        assert matches
        starts.append(matches[0])
    assert starts[0] == 0 and starts[-1] == frames - window  # each window is placed in the take, not at its start
    music_pipe.save_pretrained(tmp_path)
    loaded = LatentAudioPipeline.from_pretrained(tmp_path)
    assert has_beat_channels(loaded.unet) and torch.equal(loaded.unet.conv_in.weight, music_pipe.unet.conv_in.weight)


def test_the_pipeline_refuses_beat_channels_without_the_music_embedding(tiny_pipe):
    components = dict(tiny_pipe.components)
    unet_config = {key: value for key, value in tiny_pipe.unet.config.items() if not key.startswith("_")}
    components["unet"] = UNet2DConditionModel.from_config({**unet_config, "in_channels": unet_config["out_channels"] + BEAT_CHANNELS})
    with pytest.raises(ValueError, match="no music embedding to state a tempo"):
        LatentAudioPipeline(**components)
    components["unet"] = UNet2DConditionModel.from_config({**unet_config, "in_channels": unet_config["out_channels"] + 1})
    with pytest.raises(ValueError, match=r"in/out channels 5/4.*expected 4/4 \(6/4 with beat-phase channels, 14/4 with key channels as well\)"):
        LatentAudioPipeline(**components)
