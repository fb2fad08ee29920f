"""latentaudio's text-to-audio equals diffusers' own AudioLDM, MusicLDM and AudioLDM2 pipelines on the same weights."""

from __future__ import annotations

import warnings

import pytest
import torch

from latentaudio import LatentAudioPipeline

SECONDS = 0.64  # 16 latent frames of 40 ms
PROMPT, NEGATIVE = "a dog barks", "soft piano music"


def diffusers_pipe(family: str, folder):
    import diffusers

    name = {"audioldm": "AudioLDMPipeline", "musicldm": "MusicLDMPipeline", "audioldm2": "AudioLDM2Pipeline"}[family]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = getattr(diffusers, name).from_pretrained(folder, local_files_only=True)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def musicldm_embeds(pipe, prompt: str) -> torch.Tensor:
    """MusicLDM's prompt embedding as its pipeline computes it (transformers 4's ``get_text_features``):
    diffusers' MusicLDM reads ``get_text_features`` as a tensor, which transformers 5 wraps in an output object."""
    tokens = pipe.tokenizer([prompt], padding="max_length", max_length=pipe.tokenizer.model_max_length,
                            truncation=True, return_tensors="pt")
    return pipe.text_encoder.get_text_features(tokens.input_ids, attention_mask=tokens.attention_mask).pooler_output


@pytest.mark.parametrize("family", ["audioldm", "musicldm", "audioldm2"])
def test_text_to_audio_matches_diffusers(family, family_dirs):
    folder = family_dirs[family]
    ours = LatentAudioPipeline.from_pretrained(folder)
    ours.set_progress_bar_config(disable=True)
    theirs = diffusers_pipe(family, folder)
    num_samples = round(SECONDS * ours.sample_rate)
    latents = torch.randn(ours.codec.latent_shape(1, ours.latent_frames_for(num_samples)), generator=torch.Generator().manual_seed(3))
    settings = dict(audio_length_in_s=SECONDS, num_inference_steps=3, guidance_scale=7.5, latents=latents.clone())

    expected = theirs(
        **(dict(prompt_embeds=musicldm_embeds(theirs, PROMPT), negative_prompt_embeds=musicldm_embeds(theirs, NEGATIVE))
           if family == "musicldm" else dict(prompt=PROMPT, negative_prompt=NEGATIVE)),
        output_type="pt", **settings,
    ).audios
    audio = ours(PROMPT, negative_prompt=NEGATIVE, output_type="pt", **settings).audios

    assert audio.shape == expected.shape == (1, num_samples)
    peak = expected.abs().max()
    assert peak > 1e-3, "the reference is silent: the comparison would prove nothing"
    assert (audio - expected).abs().max() <= 1e-3 * peak


def reference_conditioning(family: str, pipe) -> dict:
    """The U-Net keyword arguments diffusers' own pipeline computes, guidance batch (negative first)."""
    if family == "audioldm":
        return {"class_labels": pipe._encode_prompt([PROMPT], "cpu", 1, True, [NEGATIVE])}
    if family == "musicldm":
        return {"class_labels": torch.cat([musicldm_embeds(pipe, NEGATIVE), musicldm_embeds(pipe, PROMPT)])}
    states, mask, generated = pipe.encode_prompt([PROMPT], "cpu", 1, True, negative_prompt=[NEGATIVE])
    return {"encoder_hidden_states": generated, "encoder_hidden_states_1": states, "encoder_attention_mask_1": mask}


@pytest.mark.parametrize("family", ["audioldm", "musicldm", "audioldm2"])
def test_conditioning_matches_diffusers(family, family_dirs):
    """Tighter than the waveforms: the prompt's path into the U-Net, value by value."""
    folder = family_dirs[family]
    ours = LatentAudioPipeline.from_pretrained(folder).encode_prompt([PROMPT], [NEGATIVE], 1, True)
    expected = reference_conditioning(family, diffusers_pipe(family, folder))
    assert set(expected) <= set(ours)
    for name, value in expected.items():
        assert ours[name].shape == value.shape, name
        assert torch.allclose(ours[name].float(), value.float(), atol=1e-5), name
    # The two halves differ: the negative prompt is encoded, not the empty one or the prompt again.
    first = next(iter(expected))
    assert not torch.allclose(ours[first][0], ours[first][1], atol=1e-3)


def test_several_takes_are_ranked_by_clap_as_diffusers_ranks_them(family_dirs):
    folder = family_dirs["audioldm2"]
    ours = LatentAudioPipeline.from_pretrained(folder)
    ours.set_progress_bar_config(disable=True)
    assert ours.ranks_by_clap and type(ours.feature_extractor).__name__ == "ClapFeatureExtractor"
    theirs = diffusers_pipe("audioldm2", folder)
    num_samples = round(SECONDS * ours.sample_rate)
    latents = torch.randn(ours.codec.latent_shape(3, ours.latent_frames_for(num_samples)), generator=torch.Generator().manual_seed(5))
    settings = dict(audio_length_in_s=SECONDS, num_inference_steps=3, guidance_scale=7.5, num_waveforms_per_prompt=3,
                    output_type="pt")
    expected = theirs(PROMPT, latents=latents.clone(), **settings).audios
    ranked = ours(PROMPT, latents=latents.clone(), **settings).audios
    ours.register_modules(feature_extractor=None)  # the takes in the order of their noise
    unranked = ours(PROMPT, latents=latents.clone(), **settings).audios

    assert ranked.shape == expected.shape == (3, num_samples)
    peak = expected.abs().max()
    assert (ranked - expected).abs().max() <= 1e-3 * peak
    assert (unranked - expected).abs().max() > 1e-2 * peak, "CLAP kept the noise's order: the test would prove nothing"
