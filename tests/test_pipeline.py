"""LatentAudioPipeline: shapes, lengths, guidance, schedulers, encoders, reproducibility, bad input."""

import numpy as np
import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.builder import build_pipeline, merge, text_width
from latentaudio.schedulers import scheduler_from_name

from .helpers import clip_tokenizer, loud_vocos, t5_tokenizer

FAST = dict(num_inference_steps=2, audio_length_in_s=0.32)


def run(pipe, prompt="a snare drum hit", seed=0, **kwargs):
    return pipe(prompt, generator=torch.manual_seed(seed), **{**FAST, **kwargs}).audios


def latents(pipe, prompt="a snare drum hit", seed=0, **kwargs):
    """The sampler's result: a random decoder and vocoder hide most differences in the audio."""
    return run(pipe, prompt, seed, output_type="latent", **kwargs).numpy()


@pytest.mark.parametrize("seconds", [0.08, 0.1, 0.33, 1.0, 2.345])
def test_exact_output_length(tiny_pipe, seconds):
    audio = run(tiny_pipe, audio_length_in_s=seconds)
    assert audio.shape == (1, round(seconds * 16000))
    assert np.isfinite(audio).all() and np.abs(audio).max() <= 1.0


def test_default_length_is_the_unet_clip(tiny_pipe):
    audio = tiny_pipe("a kick", num_inference_steps=1, generator=torch.manual_seed(0)).audios
    assert tiny_pipe.default_audio_length_in_s == pytest.approx(0.32)
    assert audio.shape == (1, 5120)


def test_batch_and_waveforms_per_prompt(tiny_pipe):
    audio = run(tiny_pipe, prompt=["a kick", "a snare", "a piano note"], num_waveforms_per_prompt=2)
    assert audio.shape == (6, 5120)
    takes = latents(tiny_pipe, prompt=["a kick", "a snare"], num_waveforms_per_prompt=2)
    assert takes.shape == (4, 4, 16, 32) and not np.allclose(takes[0], takes[1])  # takes of one prompt differ


def test_seeded_runs_are_bit_identical_and_seeds_differ(tiny_pipe):
    first, again = run(tiny_pipe, seed=3), run(tiny_pipe, seed=3)
    assert np.array_equal(first, again)
    assert not np.allclose(latents(tiny_pipe, seed=3), latents(tiny_pipe, seed=4))


def test_guidance_and_negative_prompt_change_the_output(tiny_pipe):
    off = latents(tiny_pipe, guidance_scale=1.0)
    on = latents(tiny_pipe, guidance_scale=4.0)
    negative = latents(tiny_pipe, guidance_scale=4.0, negative_prompt="a loud piano")
    assert not np.allclose(off, on) and not np.allclose(on, negative)


def test_prompt_embeds_match_prompt(tiny_pipe):
    conditioner = tiny_pipe.conditioner()
    cond = conditioner.encode(["a kick"], torch.device("cpu"), torch.float32)
    uncond = conditioner.encode([""], torch.device("cpu"), torch.float32)
    by_text = latents(tiny_pipe, prompt="a kick", guidance_scale=3.0)
    by_embeds = latents(tiny_pipe, prompt=None, prompt_embeds=cond.states, negative_prompt_embeds=uncond.states,
                    prompt_attention_mask=cond.mask, negative_prompt_attention_mask=uncond.mask, guidance_scale=3.0)
    unmasked = latents(tiny_pipe, prompt=None, prompt_embeds=cond.states, negative_prompt_embeds=uncond.states,
                   guidance_scale=3.0)
    assert cond.states.shape == (1, 77, 16)
    assert np.array_equal(by_text, by_embeds)
    assert not np.allclose(by_text, unmasked)  # the mask matters: padding is not attended


@pytest.mark.parametrize("name", ["ddim", "dpm++", "euler", "pndm", "euler-a", "unipc"])
def test_schedulers_swap_in(tiny_pipe, name):
    tiny_pipe.scheduler = scheduler_from_name(name, tiny_pipe.scheduler.config)
    audio = run(tiny_pipe, num_inference_steps=3)
    assert type(tiny_pipe.scheduler).__name__ == scheduler_from_name(name).__class__.__name__
    assert audio.shape == (1, 5120) and np.isfinite(audio).all()
    assert np.array_equal(audio, run(tiny_pipe, num_inference_steps=3))


def test_callback_sees_every_step_and_can_replace_latents(tiny_pipe):
    steps = []

    def zero_latents(pipe, i, t, tensors):
        steps.append(i)
        return {"latents": torch.zeros_like(tensors["latents"])}

    zeroed = tiny_pipe("a kick", num_inference_steps=3, output_type="latent", callback_on_step_end=zero_latents).audios
    assert steps == [0, 1, 2] and torch.count_nonzero(zeroed) == 0


def test_output_types(tiny_pipe):
    mel = run(tiny_pipe, output_type="mel")
    pt = run(tiny_pipe, output_type="pt")
    assert mel.shape == (1, 64, 32) and isinstance(pt, torch.Tensor) and pt.shape == (1, 5120)
    assert tiny_pipe("a kick", return_dict=False, **FAST)[0].shape == (1, 5120)


def test_a_take_past_full_scale_is_turned_down_as_a_whole(tiny_pipe):
    """A Vocos vocoder (no tanh at its output) whose magnitudes are e^8 times too large: every take the
    pipeline returns peaks at exactly full scale and is the vocoded mel at one gain (a level, not a clipper)."""
    tiny_pipe.register_modules(vocoder=loud_vocos(tiny_pipe.spectrogram.mel_config, log_gain=8.0))
    mel = run(tiny_pipe, output_type="mel", num_waveforms_per_prompt=2)
    audio = run(tiny_pipe, output_type="pt", num_waveforms_per_prompt=2)
    raw = tiny_pipe.codec.vocode(mel)[:, : audio.shape[1]]
    assert (raw.abs().amax(dim=1) > 10.0).all()
    np.testing.assert_allclose(audio.abs().amax(dim=1), [1.0, 1.0], rtol=1e-6)
    torch.testing.assert_close(audio, raw / raw.abs().amax(dim=1, keepdim=True))


def _family_pipeline(tiny_config, tmp_path, family, encoder_config, tokenizer, cross_dim=16):
    tokenizer_dir = tmp_path / "tokenizer"
    tokenizer.save_pretrained(tokenizer_dir)
    config = merge(tiny_config, {
        "text_encoder": {"family": family, "tokenizer": str(tokenizer_dir), "config": encoder_config},
        "unet": {"cross_attention_dim": cross_dim},
    })
    return build_pipeline(config, seed=0)


FAMILIES = {
    "bert": dict(vocab_size=30522, hidden_size=16, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32),
    "clap": dict(vocab_size=30522, hidden_size=24, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                 projection_dim=8, max_position_embeddings=80),
    "clip": dict(vocab_size=200, hidden_size=24, num_hidden_layers=1, num_attention_heads=2, intermediate_size=32,
                 projection_dim=8, max_position_embeddings=77),
    "t5": dict(vocab_size=64, d_model=24, d_kv=8, d_ff=32, num_layers=1, num_heads=2),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_text_encoder_family(tiny_config, tmp_path, family):
    from transformers import AutoTokenizer

    from latentaudio.conditioning import minilm_path

    tokenizer = {"clip": lambda: clip_tokenizer(tmp_path / "clip"), "t5": t5_tokenizer}.get(
        family, lambda: AutoTokenizer.from_pretrained(minilm_path())
    )()
    pipe = _family_pipeline(tiny_config, tmp_path, family, FAMILIES[family], tokenizer)
    pipe.set_progress_bar_config(disable=True)
    # Widths other than the U-Net's get a projection; equal widths go straight in.
    assert (pipe.text_projection is None) == (text_width(pipe.text_encoder) == 16)
    kick = run(pipe, "a loud kick drum hit")
    assert kick.shape == (1, 5120)
    assert not np.allclose(latents(pipe, "a loud kick drum hit"), latents(pipe, "a soft snare"))
    pipe.save_pretrained(tmp_path / "saved")
    reloaded = LatentAudioPipeline.from_pretrained(tmp_path / "saved")
    reloaded.set_progress_bar_config(disable=True)
    assert np.array_equal(kick, run(reloaded, "a loud kick drum hit"))


def test_mean_pooled_minilm_puts_paraphrases_close(tiny_config, tmp_path):
    config = merge(tiny_config, {"unet": {"cross_attention_dim": 16}})
    config["text_encoder"] = {"pretrained": "minilm", "pooling": "mean", "normalize": True}
    pipe = build_pipeline(config, seed=0)
    conditioner = pipe.conditioner()
    raw = lambda text: torch.nn.functional.normalize(  # noqa: E731
        (lambda s, m: (s * m[..., None]).sum(1) / m.sum(1, keepdim=True))(
            *(lambda t: (pipe.text_encoder(**t).last_hidden_state, t["attention_mask"]))(pipe.tokenizer([text], return_tensors="pt"))
        ), dim=-1)
    similar = torch.cosine_similarity(raw("kick drum"), raw("bass drum hit")).item()
    unrelated = torch.cosine_similarity(raw("kick drum"), raw("a violin melody")).item()
    assert similar > unrelated
    assert conditioner.encode(["kick drum"], torch.device("cpu"), torch.float32).states.shape == (1, 1, 16)


def test_unconditional_model(tiny_config, tmp_path):
    pipe = build_pipeline(merge(tiny_config, {"text_encoder": None}), seed=0)
    pipe.set_progress_bar_config(disable=True)
    assert pipe.text_encoder is None and pipe.tokenizer is None
    audio = pipe(num_waveforms_per_prompt=2, generator=torch.manual_seed(0), **FAST).audios
    takes = pipe(num_waveforms_per_prompt=2, generator=torch.manual_seed(0), output_type="latent", **FAST).audios
    assert audio.shape == (2, 5120) and not torch.allclose(takes[0], takes[1])
    with pytest.raises(ValueError, match="unconditional"):
        pipe("a kick", **FAST)
    pipe.save_pretrained(tmp_path)
    reloaded = LatentAudioPipeline.from_pretrained(tmp_path)
    reloaded.set_progress_bar_config(disable=True)
    assert np.array_equal(audio, reloaded(num_waveforms_per_prompt=2, generator=torch.manual_seed(0), **FAST).audios)


def test_vocoder_section_type_picks_the_vocoder(tiny_config):
    from latentaudio.builder import build_vocoder
    from latentaudio.spectrogram import MelSpectrogram
    from vocoder import GriffinLimVocoder, HifiGanGenerator, VocosGenerator

    spectrogram = MelSpectrogram(**tiny_config.get("spectrogram", {}))
    vocos = build_vocoder({"type": "vocos", "dim": 8, "intermediate_dim": 16, "num_layers": 1}, spectrogram)
    assert isinstance(vocos, VocosGenerator)
    assert (vocos.hop_length, vocos.config.num_mels) == (spectrogram.hop_length, spectrogram.n_mels)
    assert isinstance(build_vocoder({"type": "griffin_lim"}, spectrogram), GriffinLimVocoder)
    assert isinstance(build_vocoder(tiny_config["vocoder"], spectrogram), HifiGanGenerator)  # no type: HiFi-GAN
    with pytest.raises(ValueError, match="vocoder type 'wavenet' is not one of hifigan, vocos, griffin_lim"):
        build_vocoder({"type": "wavenet"}, spectrogram)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(prompt=[]), "empty list"),
        (dict(prompt=["a", "b"], negative_prompt=["c", "d", "e"]), "negative_prompt has 3 entries but prompt has 2"),
        (dict(num_inference_steps=0), "num_inference_steps must be a positive integer, got 0"),
        (dict(num_waveforms_per_prompt=-1), "num_waveforms_per_prompt must be a positive integer"),
        (dict(audio_length_in_s=0.01), "audio_length_in_s=0.01 is out of range"),
        (dict(audio_length_in_s=11.0), r"to 10.24 \(max_audio_length_in_s\)"),
        (dict(output_type="wav"), "output_type='wav' is not one of"),
        (dict(prompt=3), "string or a list of strings"),
        (dict(latents=torch.zeros(1, 4, 3, 32)), r"latents have shape \(1, 4, 3, 32\), expected \(1, 4, 16, 32\)"),
    ],
)
def test_bad_input_is_a_clear_value_error(tiny_pipe, kwargs, message):
    kwargs = {"prompt": "a kick", **FAST, **kwargs}
    with pytest.raises(ValueError, match=message):
        tiny_pipe(**kwargs)
