"""Stereo widening: two near-identical variations of a mono input become the difference between left and right."""

from __future__ import annotations

from typing import Callable, Optional, Union

import torch

from .editing import AudioInput, LatentAudioEditPipelineBase, check_strength

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


class LatentAudioStereoWideningPipeline(LatentAudioEditPipelineBase):
    r"""Make a stereo file whose channels are near-identical variations of a mono input.

    Two variations :math:`v_1, v_2` of the input are made at strength ``width * max_strength``
    (as :class:`LatentAudioAudioToAudioPipeline` does, with independent noise), and their
    difference, scaled by the width :math:`w`, becomes the side channel of a mid-side pair whose
    mid is the input :math:`x` itself:

    .. math:: S = w \, (v_1 - v_2) / 2, \qquad L = x + S, \qquad R = x - S.

    So the mid :math:`(L + R) / 2` is exactly the input; at width 1, when :math:`x` is close to the
    mean of the variations, :math:`L \approx v_1` and :math:`R \approx v_2`. Width 0 gives two
    identical channels (dual mono). The width sets both how far the variations stray and how
    much of their difference is heard: the second keeps the widening gradual even with a
    vocoder whose phase jumps at the smallest change of the mel (Griffin-Lim). The inter-channel
    correlation :math:`(|x|^2 - |S|^2) / (|x|^2 + |S|^2)` (for :math:`S` uncorrelated with
    :math:`x`) falls as the width rises.
    See :class:`LatentAudioPipelineBase` for the components.
    """

    @torch.no_grad()
    def __call__(
        self,
        audio: AudioInput,
        width: float = 0.5,
        prompt: Union[str, list[str], None] = None,
        max_strength: float = 0.4,
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
            num_waveforms_per_prompt (`int`, defaults to 1): Stereo takes per clip and prompt: each
                has the input as its mid and its own pair of variations for its side.
            negative_prompt, sample_rate, num_inference_steps, guidance_scale, generator,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask,
            negative_prompt_attention_mask, return_dict: As for :class:`LatentAudioAudioToAudioPipeline`.
                A list of generators has two per take, one for each variation.
            output_type (`str`, defaults to ``"np"``): ``"np"`` or ``"pt"`` stereo waveforms (B, 2, L)
                of the input's length, left channel first, ``num_waveforms_per_prompt`` takes per clip in a row.
            callback_on_step_end, callback_on_step_end_tensor_inputs: As for
                :class:`LatentAudioAudioToAudioPipeline`. The latents hold both variations of every take,
                (2 B, C, T', M'): rows ``2 k`` and ``2 k + 1`` become the left and right of take ``k``.

        Examples:
        """
        # 1. Check inputs
        width = check_strength(width, "width")
        strength = width * check_strength(max_strength, "max_strength")
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        self.check_positive(num_inference_steps=num_inference_steps, num_waveforms_per_prompt=num_waveforms_per_prompt)
        self.check_output_type(output_type, ("np", "pt"))
        self.check_callback_inputs(callback_on_step_end_tensor_inputs)
        clips, prompts, negatives = self.match_prompts(self.prepare_audio(audio, sample_rate), prompts, negatives)
        num_samples = clips.shape[-1]

        # 2. Encode the prompt, two variations per take (unconditional half first when guiding)
        variations_per_clip = 2 * num_waveforms_per_prompt
        embeddings = self.encode_prompt(
            prompts, negatives, variations_per_clip, guidance_scale > 1.0,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
        )

        # 3. Two variations of every take
        clean = self.encode_audio(clips, num_samples).repeat_interleave(variations_per_clip, dim=0).to(self.unet.dtype)
        latents = self.denoise_from(
            clean, strength, num_inference_steps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
        )
        variations = self.decode(latents, num_samples, "pt").view(-1, 2, num_samples)  # (B, 2, L), B takes in all

        # 4. Mid-side: the input is the mid, the variations' difference scaled by the width the side
        mid = clips.repeat_interleave(num_waveforms_per_prompt, dim=0)
        side = width * (variations[:, 0] - variations[:, 1]) / 2
        stereo = torch.stack([mid + side, mid - side], dim=1)  # (B, 2, L)
        audio = stereo.cpu().numpy() if output_type == "np" else stereo
        return self.finish(audio, return_dict)


LatentAudioStereoWideningPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
