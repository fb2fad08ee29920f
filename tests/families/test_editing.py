"""Every editing pipeline and long audio run unchanged on AudioLDM-family weights, and do what they say."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from latentaudio import (
    LatentAudioAudioToAudioPipeline,
    LatentAudioContinuationPipeline,
    LatentAudioInpaintPipeline,
    LatentAudioInterpolationPipeline,
    LatentAudioPipeline,
    LatentAudioStereoWideningPipeline,
    LatentAudioSuperResolutionPipeline,
)
from latentaudio.pipelines.editing import level_gains

CLIP = 0.1 * torch.randn(8000, generator=torch.Generator().manual_seed(1))  # 0.5 s, within full scale (peak 0.4)


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.fixture(scope="module")
def audioldm(audioldm_dir):
    pipe = LatentAudioPipeline.from_pretrained(audioldm_dir)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_from_pipe_shares_the_components(audioldm):
    for pipeline_class in (LatentAudioAudioToAudioPipeline, LatentAudioInpaintPipeline, LatentAudioContinuationPipeline,
                           LatentAudioSuperResolutionPipeline, LatentAudioStereoWideningPipeline,
                           LatentAudioInterpolationPipeline):
        pipe = pipeline_class.from_pipe(audioldm)
        assert pipe.unet is audioldm.unet and pipe.vocoder is audioldm.vocoder and pipe.text_encoder is audioldm.text_encoder
        assert pipe.config.longest_trained_length_in_s == 10.24


def test_audio_to_audio_strength_sets_how_far_the_output_strays(audioldm):
    pipe = LatentAudioAudioToAudioPipeline.from_pipe(audioldm)
    reconstruction = pipe.reconstruct(CLIP, output_type="mel")[0]
    assert np.array_equal(pipe(CLIP, strength=0.0, num_inference_steps=2).audios, pipe.reconstruct(CLIP))
    distances = [
        (pipe(CLIP, "a dog barks", strength=s, num_inference_steps=4, generator=seeded(), output_type="mel").audios[0]
         - reconstruction).abs().mean().item()
        for s in (0.25, 1.0)
    ]
    assert distances[0] < distances[1] / 2, distances


def test_inpaint_keeps_the_reconstruction_outside_the_range(audioldm):
    pipe = LatentAudioInpaintPipeline.from_pipe(audioldm)
    mel = pipe(CLIP, 0.2, 0.3, "a dog barks", num_inference_steps=2, generator=seeded(), output_type="mel").audios[0]
    reconstruction = pipe.reconstruct(CLIP, output_type="mel")[0]
    _, first, last = pipe.mel_range(0.2, 0.3, mel.shape[-1] // 2)
    assert torch.equal(mel[:, :first], reconstruction[:, :first]) and torch.equal(mel[:, last:], reconstruction[:, last:])
    assert not torch.allclose(mel[:, first:last], reconstruction[:, first:last])


def test_continuation_keeps_the_head_and_adds_the_length(audioldm):
    pipe = LatentAudioContinuationPipeline.from_pipe(audioldm)
    out = pipe(CLIP, 0.3, num_inference_steps=2, generator=seeded(), output_type="pt").audios[0]
    mel = pipe(CLIP, 0.3, num_inference_steps=2, generator=seeded(), output_type="mel").audios[0]
    assert out.shape == (8000 + 4800,)
    kept = 8000 // 160 - pipe.codec.compression  # the frames before the crossfade into the new part
    leveled = CLIP * level_gains(CLIP[None])[0]  # the "mel" output is the clip's at the training level (match_level)
    assert torch.equal(mel[:, :kept], pipe.reconstruct(leveled, output_type="mel")[0, :, :kept])
    # and the waveform is at the clip's own level: where the mel is kept, the take is the reconstruction, turned back down
    head = kept * 160 - 600
    assert torch.allclose(out[:head], pipe.reconstruct(leveled, output_type="pt")[0, :head] / level_gains(CLIP[None])[0], atol=1e-6)


def test_super_resolution_holds_the_known_band(audioldm):
    pipe = LatentAudioSuperResolutionPipeline.from_pipe(audioldm)
    clean = pipe.encode_audio(pipe.prepare_audio(CLIP), 8000)
    latents = pipe(CLIP, cutoff_hz=4000.0, num_inference_steps=2, generator=seeded(), output_type="latent").audios
    _, known = pipe.known_bins(4000.0)
    assert known > 0
    assert torch.equal(latents[..., :known], clean[..., :known]) and not torch.allclose(latents[..., known:], clean[..., known:])


def test_stereo_mid_is_the_input_and_width_zero_is_dual_mono(audioldm):
    pipe = LatentAudioStereoWideningPipeline.from_pipe(audioldm)
    narrow, wide = (pipe(CLIP, width=w, num_inference_steps=2, generator=seeded(), output_type="pt").audios[0] for w in (0.0, 1.0))
    for left, right in (narrow, wide):
        assert torch.allclose((left + right) / 2, CLIP, atol=1e-6)
    assert torch.allclose(narrow[0], narrow[1]) and not torch.allclose(wide[0], wide[1])


def test_interpolation_ends_are_the_plain_generations(family_dirs):
    """On AudioLDM2, whose T5 states differ in length between the two prompts (blended after zero-padding).

    Without guidance: AudioLDM2's unconditional states depend on the prompt's T5 length (its empty prompt
    is padded to it), so a path shares one unconditional half that matches neither end's exactly."""
    base = LatentAudioPipeline.from_pretrained(family_dirs["audioldm2"])
    base.set_progress_bar_config(disable=True)
    pipe = LatentAudioInterpolationPipeline.from_pipe(base)
    fast = dict(num_inference_steps=2, audio_length_in_s=0.32, guidance_scale=1.0, output_type="latent")
    path = pipe("a dog barks", "soft piano music", num_interpolation_steps=3, generator=seeded(), **fast).audios
    end_a = base("a dog barks", generator=seeded(), **fast).audios[0]
    end_b = base("soft piano music", generator=seeded(), **fast).audios[0]
    assert (path[0] - end_a).abs().max() < 1e-4 and (path[-1] - end_b).abs().max() < 1e-4
    assert not torch.allclose(path[1], end_a) and not torch.allclose(path[1], end_b)


def test_long_audio_is_windowed_beyond_the_native_clip(audioldm):
    assert audioldm.window_frames == 256  # 10.24 s in one pass, as AudioLDM was trained
    calls = []
    hook = audioldm.unet.register_forward_hook(lambda module, args, output: calls.append(args[0].shape[2]))
    try:
        audio = audioldm("a dog barks", audio_length_in_s=11.0, num_inference_steps=1, guidance_scale=1.0).audios
    finally:
        hook.remove()
    assert audio.shape == (1, 176000)
    assert calls == [256, 256]  # two overlapping windows of the native clip
