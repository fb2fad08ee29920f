"""Continuation (outpainting): extend a clip, optionally into a seamless loop."""

from __future__ import annotations

import math
from typing import Callable, Optional, Union

import torch
import torch.nn.functional as F

from ..spectrogram import vae_compression
from .editing import AudioInput, LatentAudioEditPipelineBase, crossfade_weights, level_gains
from .loops import LOOP_FADE_FRAMES, close_loop

EXAMPLE_DOC_STRING = """
    Examples:
        ```py
        >>> import torch
        >>> from latentaudio import DEFAULT_MODEL, LatentAudioContinuationPipeline, LatentAudioPipeline

        >>> pipe = LatentAudioContinuationPipeline.from_pipe(LatentAudioPipeline.from_pretrained(DEFAULT_MODEL))
        >>> longer = pipe("pad.wav", extend_in_s=2.0, generator=torch.manual_seed(0)).audios[0]
        >>> loop = pipe("pad.wav", extend_in_s=2.0, loop=True, generator=torch.manual_seed(0)).audios[0]
        ```
"""

class LatentAudioContinuationPipeline(LatentAudioEditPipelineBase):
    """Add ``extend_in_s`` seconds after a clip, keeping the clip.

    The clip's latent frames are held fixed while the new frames after them are generated
    (RePaint-style blending, as in :class:`LatentAudioInpaintPipeline`). The output's mel is the
    clip's reconstruction (:meth:`reconstruct`) up to its last whole latent frame (at most one
    frame, ``vae`` compression × hop samples, before its end: 40 ms with the default model); the
    new part fades in over one frame from there. The output has exactly
    ``L + round(extend_in_s * sample_rate)`` samples.

    With ``loop=True`` the new part is generated with the clip's first frames placed right after
    it, so it leads back into the start: played in a loop, the end continues into the beginning.
    The context is aligned to the sample: the latent after the output's end holds the clip
    shifted so that sample ``N + k`` of the latent sequence is sample ``k`` of the clip. The decoder
    and the vocoder render the clip's start after the end, in one sequence with it; the take opens
    with that rendering and fades over :data:`LOOP_FADE_FRAMES` latent frames into the kept start (the
    reconstruction of a clip that begins from nothing, whose first frames carry the decoder's and the
    vocoder's edge), so its first sample continues its last (:func:`~latentaudio.pipelines.loops.close_loop`). The
    ``"mel"`` output is closed the same way, to the nearest frame: its first frame continues its last.

    The model learnt sounds at the level the data builders render them (a peak of 0.9), and continues a
    quiet clip at that level, a step up in loudness at the join. With ``match_level=True`` (the default)
    a clip peaking below 0.9 is brought up to it (:func:`~latentaudio.pipelines.editing.level_gains`),
    extended, and the waveform turned back down by the same gain: the new part continues at the clip's
    own loudness, and a clip at any level gives the same take, scaled. The ``"mel"`` and ``"latent"``
    outputs are those of the clip brought up to level.

    A model that reads a stated tempo (beat-phase channels: the music model) keeps a groove at the tempo its
    prompt states, and without one the new part goes its own way (12 validation drum loops extended without a
    prompt: the added part's tempo within 4 % of the given part's for 25 %). With ``match_tempo=True`` (the
    default) a prompt that states no tempo is given the clip's where it has a beat
    (:meth:`~latentaudio.pipelines.editing.LatentAudioEditPipelineBase.prompts_at_clip_tempo`): the same loops keep
    it for 92 % (MODEL_CARD.md).

    Lengths beyond the U-Net's clip use overlapping windows (see :meth:`predict_noise`).
    """

    @torch.no_grad()
    def __call__(
        self,
        audio: AudioInput,
        extend_in_s: Optional[float] = None,
        prompt: Union[str, list[str], None] = None,
        loop: bool = False,
        match_level: bool = True,
        match_tempo: bool = True,
        match_sound: bool = True,
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
        r"""Extend a clip.

        Args:
            audio (`str`, `np.ndarray` or `torch.Tensor`): A file path (converted to the pipeline's
                rate and to mono), or mono samples (L,) or clips (B, L) at ``sample_rate``.
            extend_in_s (`float`, *optional*): Seconds to add; the result must stay within ``max_audio_length_in_s``.
                ``None``: as long as the clip, so a loop of whole bars plays twice, in whole bars.
            prompt (`str` or `list[str]`, *optional*): What the new part should be; ``None`` lets the
                clip decide.
            loop (`bool`, defaults to `False`): Make the end lead seamlessly back into the start.
            match_level (`bool`, defaults to `True`): Extend a quiet clip at the level the model learnt and
                return it at its own (see the class docstring); ``False`` extends it as it is.
            match_tempo (`bool`, defaults to `True`): For a model that reads a stated tempo, give a prompt that states
                none the clip's own where it has a beat (:meth:`prompts_at_clip_tempo`); ``False`` reads it as it is.
            match_sound (`bool`, defaults to `True`): For a pipeline whose scorer knows a music model's material, give
                an empty prompt the words of what the clip sounds like ("a trap drum loop",
                :meth:`prompts_of_clip_sound`), so a loop goes on as a loop; ``False`` leaves it empty.
            negative_prompt, sample_rate, num_inference_steps, guidance_scale, num_waveforms_per_prompt,
            generator, prompt_embeds, negative_prompt_embeds, prompt_attention_mask,
            negative_prompt_attention_mask, return_dict, callback_on_step_end, callback_on_step_end_tensor_inputs:
                As for :class:`LatentAudioAudioToAudioPipeline`; the callback's latents are taken after
                each step's blending of the kept part.
            output_type (`str`, defaults to ``"np"``): ``"np"``/``"pt"`` waveforms (B, L + added
                samples), ``"mel"`` (its frames only), or ``"latent"`` (the sampler's result,
                loop context included). With ``num_waveforms_per_prompt`` > 1 and a pipeline that ranks takes
                (:mod:`latentaudio.ranking`), each clip's takes come back best first by the part added, as the scorer
                hears what the prompt (or, for an empty one, the clip: ``match_sound``) names; a ``"latent"`` output
                keeps the order of the noise.

        Examples:
        """
        # 1. Check inputs
        prompts, negatives = self.prompt_batch(prompt, negative_prompt, prompt_embeds, negative_prompt_embeds)
        num_inference_steps, guidance_scale = self.sampling_settings(num_inference_steps, guidance_scale)
        clips = self.prepare_audio(audio, sample_rate)
        if extend_in_s is None:
            extend_in_s = clips.shape[-1] / self.sample_rate
        if isinstance(extend_in_s, bool) or not isinstance(extend_in_s, (int, float)) or not 0 < extend_in_s < math.inf:
            raise ValueError(f"extend_in_s={extend_in_s!r} must be a positive number of seconds.")
        clip_samples = clips.shape[-1]
        num_samples = clip_samples + round(extend_in_s * self.sample_rate)
        self.check_clip_length(num_samples, "The extended audio")
        clips, prompts, negatives = self.match_prompts(clips, prompts, negatives)
        prompts = self.prompts_read(clips, prompts, match_tempo, match_sound)
        gains = level_gains(clips) if match_level else torch.ones_like(clips[:, :1])
        clips = clips * gains
        self.check_inputs(
            num_inference_steps, guidance_scale, output_type, callback_on_step_end, callback_on_step_end_tensor_inputs,
            generator, rows=len(clips) * num_waveforms_per_prompt, num_waveforms_per_prompt=num_waveforms_per_prompt,
        )

        # 2. Encode the prompt (unconditional half first when guiding)
        embeddings = self.encode_prompt(
            prompts, negatives, num_waveforms_per_prompt, guidance_scale > 1.0,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
            seconds=num_samples / self.sample_rate,
        )

        # 3. Lay out the latent: kept clip frames | new frames (| the clip's start, for a loop)
        reconstruction = self.encode_audio(clips, clip_samples)
        clean, mask, kept, context = self.layout(clips, reconstruction, num_samples, loop)
        clean = clean.repeat_interleave(num_waveforms_per_prompt, dim=0).to(self.unet.dtype)

        # 4. Generate the new frames in the context of the kept ones
        latents = self.regenerate(
            clean, mask, num_inference_steps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
        )
        if output_type == "latent":
            return self.finish(latents, return_dict)

        # 5. VAE decoder, the clip's reconstruction kept, vocoder (with the loop context, then cropped)
        factor = vae_compression(self.vae)
        frames = latents.shape[2] * factor
        kept_mel = self.codec.decode(reconstruction).float()
        kept_mel = F.pad(kept_mel, (0, frames - kept_mel.shape[-1])).repeat_interleave(num_waveforms_per_prompt, dim=0)
        mel = self.decode_keeping(latents, kept_mel, crossfade_weights(frames, kept * factor, frames, fade=factor))
        ranked = self.ranks_takes(prompts, num_waveforms_per_prompt)
        if output_type == "mel":
            mel_frames = math.ceil(num_samples / self.spectrogram.hop_length)
            # a loop opens with the start as rendered after its end, as the waveform below does
            mel_out = close_loop(mel, mel_frames, min(LOOP_FADE_FRAMES, context) * factor) if loop else mel[..., :mel_frames]
            if not ranked:
                return self.finish(mel_out, return_dict)
        # the clip's own level again (takes a gain of 1 or more turns down stay within full scale)
        if loop:  # vocoded on into the loop context, whose rendering of the start opens the take
            fade = min(LOOP_FADE_FRAMES, context) * self.samples_per_latent_frame
            audio = close_loop(self.codec.vocode(mel, within_full_scale=True), num_samples, fade)
        else:
            audio = self.vocode(mel, num_samples, "pt")
        audio = audio / gains.repeat_interleave(num_waveforms_per_prompt, dim=0).to(mel.device)
        added = audio[..., clip_samples:]  # each clip's takes best first by the part added
        if output_type == "mel":
            return self.finish(self.in_take_order(mel_out, added, prompts, num_waveforms_per_prompt), return_dict)
        audio = self.in_take_order(audio, added, prompts, num_waveforms_per_prompt)
        return self.finish(audio.cpu().numpy() if output_type == "np" else audio, return_dict)

    def layout(self, clips: torch.Tensor, reconstruction: torch.Tensor, num_samples: int, loop: bool):
        """Known latents, the mask of frames to generate (1, 1, T, 1), the number of kept frames and the number of
        loop context frames after the generated ones (0 without ``loop``)."""
        frame = self.samples_per_latent_frame
        factor = self._unet_factor(self.unet)
        kept = min(clips.shape[-1] // frame, reconstruction.shape[2])
        end_frame = math.ceil(num_samples / frame)
        context = None
        if loop:
            # The clip's start, shifted so its sample k lands at sample num_samples + k of the sequence.
            shift = end_frame * frame - num_samples
            head = clips[:, shift:]
            frames = min(head.shape[-1] // frame, self.clip_frames // 2)
            if frames < 1:
                raise ValueError(
                    f"The clip is too short to loop: it needs at least {2 * frame / self.sample_rate:g} s "
                    "(two latent frames)."
                )
            context = self.encode_audio(head, head.shape[-1])[:, :, :frames]
        total = end_frame + (0 if context is None else context.shape[2])
        total = math.ceil(total / factor) * factor
        clean = reconstruction.new_zeros(*reconstruction.shape[:2], total, reconstruction.shape[3])
        clean[:, :, :kept] = reconstruction[:, :, :kept]
        mask = torch.ones_like(clean[:1, :1, :, :1])
        mask[:, :, :kept] = 0.0
        if context is not None:
            clean[:, :, end_frame : end_frame + context.shape[2]] = context
            mask[:, :, end_frame : end_frame + context.shape[2]] = 0.0
        return clean, mask, kept, 0 if context is None else context.shape[2]


LatentAudioContinuationPipeline.__call__.__doc__ += EXAMPLE_DOC_STRING
