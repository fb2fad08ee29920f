"""Text-to-audio: prompt → text states → latent denoising → mel VAE decoder → vocoder."""

from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from .base import LatentAudioPipelineBase
from .loops import check_loop, loop_period_frames

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> import soundfile as sf
        >>> from latentaudio import DEFAULT_MODEL, MUSIC_MODEL, LatentAudioPipeline

        >>> pipe = LatentAudioPipeline.from_pretrained(DEFAULT_MODEL)
        >>> audio = pipe("a snare drum hit", num_inference_steps=20, generator=torch.manual_seed(0)).audios[0]
        >>> sf.write("snare.wav", audio, pipe.sample_rate)

        >>> music = LatentAudioPipeline.from_pretrained(MUSIC_MODEL)
        >>> loop = music("a 2-bar 124 bpm house drum loop", loop=True, generator=torch.manual_seed(0)).audios[0]
        ```
"""


class LatentAudioPipeline(LatentAudioPipelineBase):
    """Text-to-audio generation with latent spectrogram diffusion.

    See :class:`~latentaudio.pipelines.base.LatentAudioPipelineBase` for the components.
    """

    @torch.no_grad()
    def __call__(
        self,
        prompt: Union[str, list[str], None] = None,
        negative_prompt: Union[str, list[str], None] = None,
        audio_length_in_s: Optional[float] = None,
        loop: bool = False,
        num_inference_steps: Optional[int] = None,
        guidance_scale: Optional[float] = None,
        num_waveforms_per_prompt: int = 1,
        generator: Union[torch.Generator, list[torch.Generator], None] = None,
        latents: Optional[torch.Tensor] = None,
        prompt_embeds: Optional[torch.Tensor] = None,
        negative_prompt_embeds: Optional[torch.Tensor] = None,
        prompt_attention_mask: Optional[torch.Tensor] = None,
        negative_prompt_attention_mask: Optional[torch.Tensor] = None,
        output_type: str = "np",
        return_dict: bool = True,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
    ):
        r"""Generate audio from text.

        Args:
            prompt (`str` or `list[str]`, *optional*): What to generate. ``None`` or ``""`` for an
                unconditional sample.
            negative_prompt (`str` or `list[str]`, *optional*): What to steer away from; replaces the
                empty prompt as the unconditional half of classifier-free guidance.
            audio_length_in_s (`float`, *optional*): Length in seconds; defaults to the length the prompt asks
                for (:meth:`asked_length_in_s`: "light rain, 3 s" is 3 s, "a 124 bpm house drum loop" whole bars
                up to the longest trained clip, "a laser zap" the middle of its class's trained lengths (0.38 s), a
                one-shot the U-Net's configured clip; a batch, its longest).
                The output has exactly ``round(audio_length_in_s * sample_rate)``
                samples; a model saved with ``shortest_pass_length_in_s`` makes a shorter request as the start
                of a take that long.
            loop (`bool`, defaults to `False`): Make a take that plays seamlessly in a loop, its last sample leading
                into its first, exactly ``audio_length_in_s`` long (whole bars for a prompt that states a tempo).
                It is denoised and decoded as a circle (:mod:`latentaudio.pipelines.loops`): one period of
                ``round(samples / samples_per_latent_frame)`` latent frames, which every stage sees with a
                quarter of it from the other end on each side (about 1.5 times the U-Net work of a plain take).
            num_inference_steps (`int`, *optional*; the model's ``default_inference_steps``, 20 unless saved otherwise): Sampler steps.
            guidance_scale (`float`, *optional*; the model's ``default_guidance_scale``, 3.0 unless saved otherwise): Classifier-free guidance weight; ``<= 1`` turns it off.
            num_waveforms_per_prompt (`int`, defaults to 1): Takes per prompt. A pipeline with a ``scorer`` returns
                each prompt's takes best first: the takes its scorer hears as most likely the drum the prompt names,
                or the family of the instrument it names (:mod:`latentaudio.ranking`), whatever the output type.
                Without one, or for a prompt that names nothing it knows, the takes keep the order of their noise.
            generator (`torch.Generator`, *optional*): Makes the run reproducible.
            latents (`torch.Tensor`, *optional*): Starting noise of shape (B, C, T', M'), T' = ``pass_frames_for`` the
                length (with ``loop``, the period's frames: :func:`~latentaudio.pipelines.loops.loop_period_frames`).
            prompt_embeds (`torch.Tensor`, *optional*): Precomputed text states (B, L, D).
            negative_prompt_embeds (`torch.Tensor`, *optional*): Precomputed negative states.
            prompt_attention_mask (`torch.Tensor`, *optional*): (B, L) mask of ``prompt_embeds``, 1 for real tokens.
            negative_prompt_attention_mask (`torch.Tensor`, *optional*): Mask of ``negative_prompt_embeds``.
            output_type (`str`, defaults to ``"np"``): ``"np"`` or ``"pt"`` waveforms (B, samples),
                ``"mel"`` (B, n_mels, T) or ``"latent"`` (with ``loop``: the loop's mel, stretched to its length, and
                the latent period).
            return_dict (`bool`, defaults to `True`): Return an ``AudioPipelineOutput``, else a tuple.
            callback_on_step_end (`Callable`, *optional*): ``fn(pipe, step, timestep, tensors) -> dict``
                called after every step; a returned ``"latents"`` replaces the current latents.
            callback_on_step_end_tensor_inputs (`tuple`, defaults to ``("latents",)``): Tensors passed
                to the callback, from ``"latents"`` and ``"noise_pred"``.

        Examples:
        """
        # 1. Check inputs
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        self.check_positive(num_waveforms_per_prompt=num_waveforms_per_prompt)
        check_loop(loop)
        batch_size = len(prompts) * num_waveforms_per_prompt
        self.check_inputs(
            num_inference_steps, guidance_scale, output_type, callback_on_step_end,
            callback_on_step_end_tensor_inputs, generator, rows=batch_size,
        )
        if audio_length_in_s is None:
            audio_length_in_s = self.asked_length_in_s(prompts)
        num_samples = self.check_length(audio_length_in_s)

        # 2. Encode the prompt (unconditional half first when guiding)
        embeddings = self.encode_prompt(
            prompts, negatives, num_waveforms_per_prompt, guidance_scale > 1.0,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
            seconds=num_samples / self.sample_rate,
        )

        # 3. Timesteps
        self.scheduler.set_timesteps(num_inference_steps, device=self._execution_device)
        timesteps = self.scheduler.timesteps

        # 4. Starting noise (for a loop, one period)
        frames = loop_period_frames(num_samples, self.samples_per_latent_frame) if loop else self.pass_frames_for(num_samples)
        latents = self.prepare_latents(batch_size, frames, generator, latents)

        # 5. Denoising loop
        latents = self.denoise(
            latents, timesteps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
            loop_samples=num_samples if loop else None,
        )

        # 6. VAE decoder and vocoder; each prompt's takes best first when the pipeline can rank them
        audio = self.decode_best_first(latents, num_samples, output_type, prompts, num_waveforms_per_prompt, loop)
        return self.finish(audio, return_dict)


LatentAudioPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
