"""Stereo widening: two near-identical variations of a mono input become the difference between left and right."""

from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from ..codec import limit_peaks
from .editing import AudioInput, LatentAudioEditPipelineBase, check_strength
from .loops import check_loop

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> import torch
        >>> from latentaudio import DEFAULT_MODEL, LatentAudioPipeline, LatentAudioStereoWideningPipeline
        >>> from latentaudio.audio_io import write_audio

        >>> pipe = LatentAudioStereoWideningPipeline.from_pipe(LatentAudioPipeline.from_pretrained(DEFAULT_MODEL))
        >>> stereo = pipe("synth.wav", width=0.6, generator=torch.manual_seed(0)).audios[0]  # (2, L)
        >>> write_audio("synth_wide.wav", stereo, pipe.sample_rate)
        ```
"""


# The side's level relative to the mid at width 1 (RMS ratio): inter-channel correlation (1 - r²) / (1 + r²) = 0.6.
SIDE_LEVEL = 0.5


def side_channel(mid: torch.Tensor, difference: torch.Tensor, width: float) -> torch.Tensor:
    """The side (B, L) for ``mid`` (B, L): ``difference`` without its part along the mid, at ``width * SIDE_LEVEL``
    of the mid's RMS (see :class:`LatentAudioStereoWideningPipeline`)."""
    mid64, difference64 = mid.double(), difference.double()
    power = (mid64 * mid64).sum(-1, keepdim=True)
    along = (difference64 * mid64).sum(-1, keepdim=True) / power.clamp(min=1e-30)
    orthogonal = difference64 - along * mid64
    norm = orthogonal.norm(dim=-1, keepdim=True)
    # Near-zero differences (strength 0, a silent input) stay silent rather than amplified rounding.
    usable = norm > 1e-6 * power.sqrt()
    gain = torch.where(usable, width * SIDE_LEVEL * power.sqrt() / norm.clamp(min=1e-30), torch.zeros_like(norm))
    return (gain * orthogonal).to(mid.dtype)


class LatentAudioStereoWideningPipeline(LatentAudioEditPipelineBase):
    r"""Make a stereo file whose channels are variations of a mono input around it.

    Two variations :math:`v_1, v_2` of the input are made at strength ``width * max_strength``
    (as :class:`LatentAudioAudioToAudioPipeline` does, with independent noise). Their difference
    :math:`d = v_1 - v_2`, with its part along the input :math:`x` removed, becomes the side
    channel of a mid-side pair whose mid is the input itself, at a level set by the width :math:`w`:

    .. math:: d_\perp = d - \frac{\langle d, x \rangle}{|x|^2} x, \qquad
              S = w \, r \, \frac{|x|}{|d_\perp|} \, d_\perp, \qquad L = x + S, \qquad R = x - S,

    with :math:`r` = :data:`SIDE_LEVEL`. So the mid :math:`(L + R) / 2` is exactly the input, and
    as :math:`S` is orthogonal to :math:`x`, the inter-channel correlation is exactly
    :math:`(1 - (w r)^2) / (1 + (w r)^2)`: 1 at width 0 (dual mono), 0.88 at 0.5 and 0.6 at width 1.
    The level no longer depends on how far the variations stray: a well-trained model varies a
    sound only slightly, and the raw difference of its variations (the side until 0.2) left its
    stereo practically mono (correlation 0.98-0.999 at width 1 for SoundFont notes). What the
    side holds still comes from the model: the parts of the sound it would change. A silent
    input, or variations that do not differ (strength 0), give dual mono.
    See :class:`LatentAudioPipelineBase` for the components.
    """

    @torch.no_grad()
    def __call__(
        self,
        audio: AudioInput,
        width: float = 0.5,
        prompt: Union[str, list[str], None] = None,
        max_strength: float = 0.4,
        loop: bool = False,
        negative_prompt: Union[str, list[str], None] = None,
        sample_rate: Optional[int] = None,
        num_inference_steps: Optional[int] = None,
        guidance_scale: Optional[float] = None,
        num_waveforms_per_prompt: int = 1,
        generator: Union[torch.Generator, list[torch.Generator], None] = None,
        prompt_embeds: Optional[torch.Tensor] = None,
        negative_prompt_embeds: Optional[torch.Tensor] = None,
        prompt_attention_mask: Optional[torch.Tensor] = None,
        negative_prompt_attention_mask: Optional[torch.Tensor] = None,
        output_type: str = "np",
        return_dict: bool = True,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
    ):
        r"""Widen mono audio to stereo.

        Args:
            audio (`str`, `np.ndarray` or `torch.Tensor`): A file path (converted to the pipeline's
                rate and to mono), or mono samples (L,) or clips (B, L) at ``sample_rate``.
            width (`float`, defaults to 0.5): In [0, 1]: 0 is dual mono, 1 the widest.
            prompt (`str` or `list[str]`, *optional*): Steers the variations; ``None`` keeps the
                input's character.
            max_strength (`float`, defaults to 0.4): The variation strength at width 1, in [0, 1].
            loop (`bool`, defaults to `False`): The input is a loop: the variations are made as loops
                (:class:`LatentAudioAudioToAudioPipeline` with ``loop=True``), so the side, like the mid, plays
                seamlessly through the wrap.
            num_waveforms_per_prompt (`int`, defaults to 1): Stereo takes per clip and prompt: each
                has the input as its mid and its own pair of variations for its side.
            negative_prompt, sample_rate, num_inference_steps, guidance_scale, generator,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask,
            negative_prompt_attention_mask, return_dict: As for :class:`LatentAudioAudioToAudioPipeline`.
                A list of generators has two per take, one for each variation.
            output_type (`str`, defaults to ``"np"``): ``"np"`` or ``"pt"`` stereo waveforms (B, 2, L)
                of the input's length, left channel first, ``num_waveforms_per_prompt`` takes per clip in a row.
                A take whose left or right would pass full scale is turned down as a whole (both
                channels by one gain), so its mid is then the input at that gain.
            callback_on_step_end, callback_on_step_end_tensor_inputs: As for
                :class:`LatentAudioAudioToAudioPipeline`. The latents hold both variations of every take,
                (2 B, C, T', M'): rows ``2 k`` and ``2 k + 1`` become the left and right of take ``k``.

        Examples:
        """
        # 1. Check inputs
        width = check_strength(width, "width")
        check_loop(loop)
        strength = width * check_strength(max_strength, "max_strength")
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        clips, prompts, negatives = self.match_prompts(self.prepare_audio(audio, sample_rate), prompts, negatives)
        self.check_inputs(
            num_inference_steps, guidance_scale, output_type, callback_on_step_end, callback_on_step_end_tensor_inputs,
            generator, rows=2 * len(clips) * num_waveforms_per_prompt, output_types=("np", "pt"), num_waveforms_per_prompt=num_waveforms_per_prompt,
        )
        num_samples = clips.shape[-1]

        # 2. Encode the prompt, two variations per take (unconditional half first when guiding)
        variations_per_clip = 2 * num_waveforms_per_prompt
        embeddings = self.encode_prompt(
            prompts, negatives, variations_per_clip, guidance_scale > 1.0,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
            seconds=num_samples / self.sample_rate,
        )

        # 3. Two variations of every take
        clean = self.encode_loop(clips, num_samples) if loop else self.encode_audio(clips, num_samples)
        clean = clean.repeat_interleave(variations_per_clip, dim=0).to(self.unet.dtype)
        latents = self.denoise_from(
            clean, strength, num_inference_steps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
            loop_samples=num_samples if loop else None,
        )
        # Not limited one by one: two variations turned down by different gains would differ by a copy of the sound.
        decode = self.decode_loop if loop else self.decode
        variations = decode(latents, num_samples, "pt", within_full_scale=False).view(-1, 2, num_samples)  # (B, 2, L)

        # 4. Mid-side: the input is the mid, the variations' difference (made orthogonal to it) the side
        mid = clips.repeat_interleave(num_waveforms_per_prompt, dim=0)
        side = side_channel(mid, variations[:, 0] - variations[:, 1], width)
        stereo = limit_peaks(torch.stack([mid + side, mid - side], dim=1))  # (B, 2, L), one gain per take
        audio = stereo.cpu().numpy() if output_type == "np" else stereo
        return self.finish(audio, return_dict)


LatentAudioStereoWideningPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
