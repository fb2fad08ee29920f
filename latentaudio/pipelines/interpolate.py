"""Interpolation between two prompts and/or two seeds: slerp of the starting noise, blend of the text states."""

from __future__ import annotations

from typing import Callable, Optional

import torch
from diffusers.utils.torch_utils import randn_tensor

from ..conditioning import blend, cat_rows, repeat_rows
from .base import LatentAudioPipelineBase, check_latents

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> import torch
        >>> from latentaudio import DEFAULT_MODEL, LatentAudioInterpolationPipeline, LatentAudioPipeline

        >>> pipe = LatentAudioInterpolationPipeline.from_pipe(LatentAudioPipeline.from_pretrained(DEFAULT_MODEL))
        >>> # Five sounds from a kick to a snare; the first and last are what LatentAudioPipeline makes.
        >>> morph = pipe("a kick drum hit", "a snare drum hit", num_interpolation_steps=5,
        ...              generator=torch.manual_seed(0)).audios  # (5, L)
        >>> # Same prompt, two seeds: a path between two takes.
        >>> takes = pipe("a piano note", generator=torch.manual_seed(0), generator_b=torch.manual_seed(1)).audios
        ```
"""


def slerp(a: torch.Tensor, b: torch.Tensor, alpha: float) -> torch.Tensor:
    """Spherical interpolation (Shoemake 1985), which keeps Gaussian noise at its typical norm.

    Exactly ``a`` at 0 and ``b`` at 1; falls back to linear interpolation for near-parallel inputs.
    """
    if alpha == 0:
        return a
    if alpha == 1:
        return b
    a64, b64 = a.double(), b.double()
    cos = (a64 * b64).sum() / (a64.norm() * b64.norm())
    theta = torch.arccos(cos.clamp(-1, 1))
    if theta.abs() < 1e-4:
        return torch.lerp(a64, b64, alpha).to(a.dtype)
    mixed = (torch.sin((1 - alpha) * theta) * a64 + torch.sin(alpha * theta) * b64) / torch.sin(theta)
    return mixed.to(a.dtype)


class LatentAudioInterpolationPipeline(LatentAudioPipelineBase):
    """Sounds along a path from (prompt A, noise A) to (prompt B, noise B).

    Step ``k`` of ``K`` uses ``alpha = k / (K - 1)``: the starting noise is the spherical
    interpolation of the two noises (Shoemake 1985; used for diffusion latents by Song et al.,
    "Denoising Diffusion Implicit Models", 2021, sec. 5.3) and the text states are blended
    linearly (attention masks are united in between), with the same negative prompt throughout.
    The first and last sounds are exactly what :class:`LatentAudioPipeline` makes for prompt A
    with ``generator`` and prompt B with ``generator_b``. See :class:`LatentAudioPipelineBase`
    for the components.

    The whole path is one batch through one sampler run, so a step callback's ``step`` is the
    sampler step (0 to ``num_inference_steps - 1``) and its latents hold every sound of the path.
    There is no ``num_waveforms_per_prompt``: the path's ends are set by the two seeds, so more
    takes of a path are more calls with other seeds.
    """

    @torch.no_grad()
    def __call__(
        self,
        prompt: Optional[str] = None,
        prompt_b: Optional[str] = None,
        num_interpolation_steps: int = 5,
        generator: Optional[torch.Generator] = None,
        generator_b: Optional[torch.Generator] = None,
        latents: Optional[torch.Tensor] = None,
        latents_b: Optional[torch.Tensor] = None,
        negative_prompt: Optional[str] = None,
        audio_length_in_s: Optional[float] = None,
        num_inference_steps: Optional[int] = None,
        guidance_scale: Optional[float] = None,
        output_type: str = "np",
        return_dict: bool = True,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
    ):
        r"""Interpolate.

        Args:
            prompt (`str`, *optional*): Prompt A; ``None`` or ``""`` for unconditional sounds.
            prompt_b (`str`, *optional*): Prompt B; defaults to prompt A (a path between seeds).
            num_interpolation_steps (`int`, defaults to 5): Sounds to make, both ends included (at least 2).
            generator (`torch.Generator`, *optional*): Draws noise A (and the sampler's noise, for
                ancestral samplers, whose ends then differ from single generations).
            generator_b (`torch.Generator`, *optional*): Draws noise B; without it (and without
                ``latents_b``) noise B is noise A (a path between prompts).
            latents (`torch.Tensor`, *optional*): Noise A itself, (1, C, T', M').
            latents_b (`torch.Tensor`, *optional*): Noise B itself.
            negative_prompt (`str`, *optional*): Shared by every step.
            audio_length_in_s, num_inference_steps, guidance_scale: As for :class:`LatentAudioPipeline`.
            output_type (`str`, defaults to ``"np"``): ``"np"``/``"pt"`` waveforms (K, L), ``"mel"`` or ``"latent"``.
            return_dict (`bool`, defaults to `True`): Return an ``AudioPipelineOutput``, else a tuple.
            callback_on_step_end, callback_on_step_end_tensor_inputs: As for :class:`LatentAudioPipeline`;
                called once per sampler step (``step`` from 0 to ``num_inference_steps - 1``) with the
                latents of the whole path, (K, C, T', M'), row ``k`` at ``alpha = k / (K - 1)``.

        Examples:
        """
        # 1. Check inputs
        prompt_b = prompt if prompt_b is None else prompt_b
        for name, value in (("prompt", prompt), ("prompt_b", prompt_b)):
            if value is not None and not isinstance(value, str):
                raise ValueError(f"{name} must be one string, got {value!r}.")
        self.prompt_batch(prompt_b, negative_prompt, None, None)  # unconditional models refuse prompts
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, None, None)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        self.check_positive(num_interpolation_steps=num_interpolation_steps)
        if num_interpolation_steps < 2:
            raise ValueError(f"num_interpolation_steps={num_interpolation_steps} must be at least 2 (both ends).")
        self.check_inputs(
            num_inference_steps, guidance_scale, output_type, callback_on_step_end, callback_on_step_end_tensor_inputs,
            rows=num_interpolation_steps,
        )
        for name, value in (("generator", generator), ("generator_b", generator_b)):
            if value is not None and not isinstance(value, torch.Generator):
                raise TypeError(f"{name} must be one torch.Generator (one noise each), got {value!r}.")
        same_noise = generator_b is None and latents_b is None
        if same_noise and (prompt or "") == (prompt_b or ""):
            raise ValueError("Nothing to interpolate: give prompt_b, or a second seed (generator_b or latents_b).")
        if audio_length_in_s is None:  # the longer of what the two prompts ask for, as a take of either would be
            audio_length_in_s = self.asked_length_in_s([prompt, prompt_b])
        num_samples = self.check_length(audio_length_in_s)
        frames = self.pass_frames_for(num_samples)

        # 2. Encode both prompts (conditional halves) and the shared negative prompt
        do_guidance = self.guides_in_pairs(guidance_scale)
        seconds = num_samples / self.sample_rate
        cond_a = self.encode_prompt(prompts, None, 1, False, seconds=seconds)
        cond_b = self.encode_prompt([prompt_b or ""], None, 1, False, seconds=seconds)
        uncond = self.encode_prompt(negatives or [""], None, 1, False, seconds=seconds) if do_guidance else None

        # 3. Both noises, drawn as LatentAudioPipeline draws them
        noise_a = self.draw_noise(frames, generator, latents)
        noise_b = noise_a if same_noise else self.draw_noise(frames, generator_b, latents_b)

        # 4. The path: slerped noise, blended text states
        alphas = [k / (num_interpolation_steps - 1) for k in range(num_interpolation_steps)]
        start = torch.cat([slerp(noise_a, noise_b, alpha) for alpha in alphas])
        start = self.prepare_latents(num_interpolation_steps, frames, None, start)
        conditions = None
        if cond_a is not None:
            conditions = cat_rows([blend(cond_a, cond_b, alpha) for alpha in alphas])
            if do_guidance:
                conditions = cat_rows([repeat_rows(uncond, num_interpolation_steps), conditions])

        # 5. Denoising loop
        self.scheduler.set_timesteps(num_inference_steps, device=self._execution_device)
        result = self.denoise(
            start, self.scheduler.timesteps, conditions, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
        )

        # 6. VAE decoder and vocoder
        audio = self.decode(result, num_samples, output_type)
        return self.finish(audio, return_dict)

    def draw_noise(self, frames: int, generator, latents: Optional[torch.Tensor]) -> torch.Tensor:
        """Unscaled starting noise (1, C, frames, M'), drawn exactly as :meth:`prepare_latents` draws it."""
        shape = self.codec.latent_shape(1, frames)
        if latents is None:
            return randn_tensor(shape, generator=generator, device=self._execution_device, dtype=self.unet.dtype)
        check_latents(latents, shape)
        return latents.to(self._execution_device, self.unet.dtype)


LatentAudioInterpolationPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
