"""Long audio: any length beyond the U-Net's clip, in overlapping windows, without seams."""

import pytest
import torch

from latentaudio import LatentAudioPipeline

from .conftest import edit, frame_jumps


def seeded(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("seconds", [0.33, 1.234])
def test_exact_length_beyond_the_clip(tiny_pipe, seconds):
    calls = []
    tiny_pipe.unet.register_forward_hook(lambda module, args, output: calls.append(args[0].shape[2]))
    audio = tiny_pipe("a kick", audio_length_in_s=seconds, num_inference_steps=1, generator=seeded()).audios
    assert audio.shape == (1, round(seconds * 16000))
    assert max(calls) == tiny_pipe.clip_frames < tiny_pipe.latent_frames_for(audio.shape[-1])  # windows, never more


def test_no_seams_at_window_joins(trained_pipe):
    """2 s from a denoiser whose clip is 0.32 s: 12 windows. The frame-to-frame change where windows
    start or end is like the change anywhere else; concatenating separately generated clips is not."""
    pipe = edit(LatentAudioPipeline, trained_pipe)
    latents = pipe(audio_length_in_s=2.0, num_inference_steps=10, generator=seeded(), output_type="latent").audios
    frames, window = latents.shape[2], pipe.clip_frames
    count = -(-(frames - window) // (window // 2)) + 1
    starts = torch.linspace(0, frames - window, count).round().long().tolist()  # as predict_noise places them
    edges = sorted({s for s in starts if s > 0} | {s + window for s in starts if s + window < frames})

    def at_edges_and_elsewhere(jumps, edges):
        at = [e - 1 for e in edges]  # jumps[k] is the change from frame k to k + 1
        return jumps[at].mean().item(), jumps[[k for k in range(len(jumps)) if k not in at]].mean().item()

    latent_jumps = (latents[0, :, 1:] - latents[0, :, :-1]).abs().mean((0, 2))
    at, elsewhere = at_edges_and_elsewhere(latent_jumps, edges)
    assert at < 1.5 * elsewhere, (at, elsewhere)
    at_mel, elsewhere_mel = at_edges_and_elsewhere(frame_jumps(pipe.decode(latents, 0, "mel")[0]), [2 * e for e in edges])
    assert at_mel < 1.5 * elsewhere_mel, (at_mel, elsewhere_mel)

    pieces = [pipe(audio_length_in_s=0.32, num_inference_steps=10, generator=seeded(i), output_type="latent").audios
              for i in range(frames // window)]
    joined = torch.cat(pieces, dim=2)
    joins = [window * i for i in range(1, len(pieces))]
    at, elsewhere = at_edges_and_elsewhere((joined[0, :, 1:] - joined[0, :, :-1]).abs().mean((0, 2)), joins)
    assert at > 5 * elsewhere, (at, elsewhere)  # the statistic does see seams

