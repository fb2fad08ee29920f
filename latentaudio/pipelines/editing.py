"""What the editing pipelines share: input audio, strength, partial denoising, masks and mel blending.

Every editing pipeline starts from audio the user gives. It is converted to the pipeline's
sample rate and to mono (a file of any rate and channel count is accepted), encoded to the
posterior mode of the VAE, and either partly noised and denoised again (audio-to-audio,
variations, stereo widening: SDEdit, Meng et al. 2022) or partly regenerated with the rest held
fixed (inpainting, continuation, super-resolution: RePaint-style blending, Lugmayr et al. 2022,
done by :meth:`LatentAudioPipelineBase.denoise`).

Time edits (inpainting, continuation) keep the input's *reconstruction*: outside the
regenerated frames the mel is the VAE decoding of the input's latents, exactly what
:meth:`LatentAudioEditPipelineBase.reconstruct` gives, crossfaded linearly over one latent frame
just inside the new part. New and kept parts then come from the same decoder, so the joins are
as smooth as the sampler made them; pasting the input's own mel instead would leave a step of
the VAE's reconstruction error at every join (and at a loop's wrap). Super-resolution keeps the
input's own mel in the known band (see :class:`LatentAudioSuperResolutionPipeline`). Partial
re-noising has no region to keep: at strength 0 it returns the reconstruction itself.

A model that reads a stated tempo (beat-phase channels: the music model) follows the tempo its prompt states; a
prompt that states none leaves the new material free to go its own way, off the clip's groove. With ``match_tempo``
(the default of continuation, inpainting and audio-to-audio with a prompt) a prompt that states no tempo is given the
clip's, as the beat tracker hears it, where the clip has a beat to follow
(:meth:`LatentAudioEditPipelineBase.prompts_at_clip_tempo`). The beat's phase counts from the clip's start, as for
every loop and phrase the model learnt: a clip that starts on a beat.
"""

from __future__ import annotations

import inspect
import math
import os
from typing import Callable, Optional, Union

import numpy as np
import torch
from diffusers.utils.torch_utils import randn_tensor

from ..audio_io import read_audio, resample
from ..conditioning import has_beat_channels
from ..data.output import TARGET_PEAK as TRAINING_PEAK
from ..data.soundfont import SILENCE_PEAK
from ..metrics import clip_tempo
from ..prompts import parse_prompt, with_tempo
from ..ranking import clip_words
from .base import OUTPUT_TYPES, LatentAudioPipelineBase

AudioInput = Union[str, os.PathLike, np.ndarray, torch.Tensor]


def check_strength(strength, name: str = "strength") -> float:
    """Return ``strength`` as a float, or raise ``ValueError`` unless it lies in [0, 1]."""
    if isinstance(strength, bool) or not isinstance(strength, (int, float)) or not 0.0 <= strength <= 1.0:
        raise ValueError(f"{name}={strength!r} is out of range: expected a number from 0 (keep the input) to 1 (ignore it).")
    return float(strength)


def check_time_range(start_in_s, end_in_s, duration_in_s: float) -> None:
    """Raise ``ValueError`` unless ``0 <= start < end <= duration`` (seconds)."""
    for name, value in (("start", start_in_s), ("end", end_in_s)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"The {name} of the time range must be a number of seconds, got {value!r}.")
    if not 0.0 <= start_in_s < end_in_s <= duration_in_s:
        raise ValueError(
            f"The time range {start_in_s:g}-{end_in_s:g} s is empty or outside the clip: expected "
            f"0 <= start < end <= {duration_in_s:g} s (the input's length)."
        )


def crossfade_weights(length: int, start: int, end: int, fade: int, device=None) -> torch.Tensor:
    """Weights (length,) that are 1 on ``[start, end)`` and 0 elsewhere, ramping linearly over the
    first and last ``fade`` entries inside the range (ends that touch the array edge are not faded)."""
    index = torch.arange(length, device=device, dtype=torch.float32)
    weight = ((index >= start) & (index < end)).float()
    if fade > 0:
        rise = ((index - start + 1) / (fade + 1)).clamp(0, 1) if start > 0 else torch.ones_like(index)
        fall = ((end - index) / (fade + 1)).clamp(0, 1) if end < length else torch.ones_like(index)
        weight = weight * torch.minimum(rise, fall)
    return weight


def level_gains(clips: torch.Tensor, peak: float = TRAINING_PEAK) -> torch.Tensor:
    """Per clip (B, L), the gain (B, 1) that brings a quiet clip up to ``peak``, the level the data builders render
    at (:data:`latentaudio.data.output.TARGET_PEAK`), and leaves a clip that reaches it as it is (gain 1). A clip
    no louder than :data:`~latentaudio.data.soundfont.SILENCE_PEAK` counts as that loud (silence stays silence)."""
    loudest = clips.abs().amax(dim=-1, keepdim=True).clamp(min=SILENCE_PEAK)
    return (peak / loudest).clamp(min=1.0)


def each_clip_heard_once(clips: torch.Tensor, prompts: list, wanted: Callable, hear: Callable, fill: Callable) -> list:
    """``prompts`` (one per clip of ``clips``) with each one ``wanted(prompt)`` selects replaced by ``fill(prompt,
    hear(clip))``, the others kept. Each clip is heard once: one clip given for many prompts is one tensor's rows."""
    heard, read = {}, []
    for clip, prompt in zip(clips, prompts):
        if not wanted(prompt):
            read.append(prompt)
            continue
        if clip.data_ptr() not in heard:
            heard[clip.data_ptr()] = hear(clip)
        read.append(fill(prompt, heard[clip.data_ptr()]))
    return read


class LatentAudioEditPipelineBase(LatentAudioPipelineBase):
    """Shared steps of the pipelines that start from audio; see the module docstring.

    Built like every latentaudio pipeline (see :class:`LatentAudioPipelineBase`); the usual way to
    get one is ``LatentAudioInpaintPipeline.from_pipe(pipe)``, which shares ``pipe``'s components.
    """

    # --------------------------------------------------------------- input audio
    def prepare_audio(self, audio: AudioInput, sample_rate: Optional[int] = None) -> torch.Tensor:
        """Input audio as float32 mono clips (B, L) at :attr:`sample_rate`.

        Args:
            audio: A file path (any format soundfile reads, any rate, any channel count: it is
                resampled and averaged to mono), or samples (L,) or a batch of mono clips (B, L).
            sample_rate: Rate of ``audio`` when it is samples; defaults to the pipeline's.
        """
        if isinstance(audio, (str, os.PathLike)):
            clips, _ = read_audio(audio, self.sample_rate, mono=True)
            clips = clips[None]
        else:
            if not isinstance(audio, (np.ndarray, torch.Tensor)):
                raise ValueError(f"audio must be a file path, a numpy array or a tensor, got {type(audio).__name__}.")
            if isinstance(audio, np.ndarray) and not (np.issubdtype(audio.dtype, np.floating) or np.issubdtype(audio.dtype, np.integer)):
                raise ValueError(f"audio samples must be real numbers, got a numpy array of dtype {audio.dtype}.")
            if isinstance(audio, torch.Tensor) and (audio.is_complex() or audio.is_meta or audio.dtype == torch.bool):
                raise ValueError(f"audio must be real samples on a device that holds data, got {audio.dtype} on {audio.device}.")
            clips = torch.as_tensor(audio).float()
            if clips.ndim == 1:
                clips = clips[None]
            if clips.ndim != 2 or clips.shape[-1] == 0:
                raise ValueError(
                    f"audio must have shape (L,) or (B, L) with L > 0, got {tuple(clips.shape)}; "
                    "average the channels of multichannel audio, or pass its file path."
                )
            if not torch.isfinite(clips).all():
                raise ValueError("audio holds NaN or infinite samples.")
            if sample_rate is not None and sample_rate != self.sample_rate:
                self.check_positive(sample_rate=sample_rate)
                clips = resample(clips, sample_rate, self.sample_rate)
        self.check_clip_length(clips.shape[-1], "The input audio")
        return clips.to(self._execution_device)

    def check_clip_length(self, num_samples: int, what: str) -> None:
        """Raise ``ValueError`` naming ``what`` unless ``num_samples`` is a length this pipeline takes."""
        shortest = self.latent_frame_in_s
        longest = self.config.max_audio_length_in_s
        if not shortest <= num_samples / self.sample_rate <= longest:
            raise ValueError(
                f"{what} is {num_samples / self.sample_rate:g} s long; this pipeline takes {shortest:g} s "
                f"(one latent frame) to {longest:g} s (max_audio_length_in_s)."
            )

    def match_prompts(self, clips: torch.Tensor, prompts: list, negatives: Optional[list]):
        """Pair clips (B, L) or their mels (B, n_mels, T) with prompts: one clip for many prompts, one prompt
        for many clips, or one each."""
        if len(clips) == len(prompts):
            return clips, prompts, negatives
        if len(clips) == 1:
            return clips.expand(len(prompts), *clips.shape[1:]), prompts, negatives
        if len(prompts) == 1:
            return clips, prompts * len(clips), None if negatives is None else negatives * len(clips)
        raise ValueError(
            f"Got {len(clips)} audio clips and {len(prompts)} prompts; give one prompt, one clip, or as many of each."
        )

    # Whether an empty prompt is given the clip's sound and tempo (prompts_read: new material from noise, a continuation
    # or an inpainting) or left empty (a variation, whose guidance has no direction without a prompt).
    fill_empty_prompts = True

    def prompts_read(self, clips: torch.Tensor, prompts: list, match_tempo: bool = True, match_sound: bool = True) -> list:
        """The words an edit reads for ``prompts`` (one per clip of ``clips``, (B, L) at :attr:`sample_rate`): an empty
        prompt given what its clip sounds like (:meth:`prompts_of_clip_sound`, with ``match_sound``), then a prompt that
        states no tempo given the clip's (:meth:`prompts_at_clip_tempo`, with ``match_tempo``): "" → "a trap drum loop,
        140 bpm" on the music model."""
        return self.prompts_at_clip_tempo(clips, self.prompts_of_clip_sound(clips, prompts, match_sound), match_tempo)

    def prompts_of_clip_sound(self, clips: torch.Tensor, prompts: list, match_sound: bool = True) -> list:
        """``prompts`` (one per clip of ``clips``) with each empty one given the words of what its clip sounds like to
        the pipeline's ``scorer`` (:func:`~latentaudio.ranking.clip_words`: "a trap drum loop", or only "a drum loop"
        where the scorer is unsure of the style), for ``match_sound`` (checked: a bool) and :attr:`fill_empty_prompts`.
        Only a scorer of a music model's material (the embedded music model's) names a clip; with any other, or none,
        the prompts are kept as they are, and so is every prompt with words of its own. A quiet clip is heard brought
        up to the training clips' level (:func:`level_gains`).

        Without words, the music model continues a clip as whatever its noise leads to: 12 validation drum loops
        extended by 5.12 s with the empty prompt (at the clip's tempo) were heard as a drum loop in half of the takes
        added and otherwise as a phrase or an effect; given what the scorer hears, in every one (MODEL_CARD.md)."""
        if not isinstance(match_sound, bool):
            raise ValueError(f"match_sound={match_sound!r} must be True or False.")
        if not match_sound or not self.fill_empty_prompts or self.scorer is None:
            return list(prompts)

        def words(clip: torch.Tensor) -> str:
            level = level_gains(clip[None].float())[0]  # heard at the level the scorer learnt
            return clip_words(self.scorer, clip * level, self.sample_rate) or ""

        # words of its own, or precomputed embeddings (None), are kept
        return each_clip_heard_once(clips, prompts, lambda prompt: prompt == "", words, lambda prompt, heard: heard)

    def prompts_at_clip_tempo(self, clips: torch.Tensor, prompts: list, match_tempo: bool = True) -> list:
        """``prompts`` (one per clip of ``clips``, (B, L) at :attr:`sample_rate`) with each clip's tempo stated where the
        prompt states none (:func:`~latentaudio.prompts.with_tempo`: ``""`` → "124 bpm", "a funky groove" → "a funky
        groove, 124 bpm"), for a U-Net with beat-phase channels and ``match_tempo`` (checked: a bool). The prompts are
        kept as they are for any other U-Net, and where the clip has no beat to follow (:func:`~latentaudio.metrics.clip_tempo`:
        a held chord, a pad, a single effect, a clip under 2 s); an empty prompt too unless
        :attr:`fill_empty_prompts`."""
        if not isinstance(match_tempo, bool):
            raise ValueError(f"match_tempo={match_tempo!r} must be True or False.")
        if not match_tempo or not has_beat_channels(self.unet):
            return list(prompts)

        def states_none(prompt) -> bool:  # not precomputed embeddings (None), a kept empty prompt, or a stated tempo
            return prompt is not None and (bool(prompt) or self.fill_empty_prompts) and (
                not prompt or parse_prompt(prompt).tempo_bpm is None)

        return each_clip_heard_once(clips, prompts, states_none,
                                    lambda clip: clip_tempo(clip.float().cpu().numpy(), self.sample_rate),
                                    lambda prompt, bpm: prompt if bpm is None else with_tempo(prompt, bpm))

    @staticmethod
    def check_output_type(output_type: str, allowed=OUTPUT_TYPES) -> None:
        if output_type not in allowed:
            raise ValueError(f"output_type={output_type!r} is not one of {tuple(allowed)}.")

    # ----------------------------------------------------------- reconstruction
    @torch.no_grad()
    def reconstruct(self, audio: AudioInput, sample_rate: Optional[int] = None, output_type: str = "np"):
        """The input's VAE-and-vocoder round trip: strength 0's result, and what time edits keep.

        Args:
            audio: As for :meth:`prepare_audio`.
            sample_rate: Rate of ``audio`` when it is samples.
            output_type: ``"np"``/``"pt"`` waveforms (B, L), ``"mel"`` or ``"latent"``.
        """
        self.check_output_type(output_type)
        clips = self.prepare_audio(audio, sample_rate)
        return self.decode(self.encode_audio(clips, clips.shape[-1]), clips.shape[-1], output_type)

    # -------------------------------------------------------------- strength
    def strength_timesteps(self, num_inference_steps: int, strength: float) -> torch.Tensor:
        """The timesteps an edit at ``strength`` takes (SDEdit): ``round(strength * num_inference_steps)`` of them, and
        one at least for any strength above 0. Strength 0 gives no step at all (the input's reconstruction); strength 1
        starts from pure noise.

        With a sampler that takes a list of timesteps (``set_timesteps(timesteps=...)``: ``dpm++``, the embedded
        models', ``ddpm``, ``euler``, ``heun``) they run evenly from exactly ``strength`` of the training schedule
        down to the end, so that every strength is its own: at 4 steps, 0.6 is not 0.5 (which a rounded share of the
        schedule's own timesteps would make it), and 0.1 is not 0. Where ``strength * num_inference_steps`` is whole
        these are the ``dpm++`` schedule's own last timesteps. Other samplers take the last timesteps of their
        schedule, as diffusers' image-to-image pipelines do: there strength moves in steps of 1 / ``num_inference_steps``.
        """
        self.scheduler.set_timesteps(num_inference_steps, device=self._execution_device)
        if strength > 0 and "timesteps" in inspect.signature(self.scheduler.set_timesteps).parameters:
            start = min(strength, 1.0) * (self.scheduler.config.num_train_timesteps - 1)
            kept = min(max(1, round(strength * num_inference_steps)), num_inference_steps, max(1, int(start)))
            timesteps = np.round(np.linspace(0, start, kept + 1))[:0:-1].astype(int).tolist()
            self.scheduler.set_timesteps(timesteps=timesteps, device=self._execution_device)
            return self.scheduler.timesteps
        kept = min(round(strength * num_inference_steps), num_inference_steps)
        begin = (num_inference_steps - kept) * self.scheduler.order
        if hasattr(self.scheduler, "set_begin_index"):
            self.scheduler.set_begin_index(begin)
        return self.scheduler.timesteps[begin:]

    def noise_to(self, clean: torch.Tensor, timesteps: torch.Tensor, generator) -> torch.Tensor:
        """``clean`` latents noised to the first of ``timesteps`` (unchanged when there is none)."""
        if len(timesteps) == 0:
            return clean
        noise = randn_tensor(clean.shape, generator=generator, device=clean.device, dtype=clean.dtype)
        return self.scheduler.add_noise(clean, noise, timesteps[:1].repeat(len(clean)))

    def denoise_from(
        self,
        clean: torch.Tensor,
        strength: float,
        num_inference_steps: int,
        embeddings,
        guidance_scale: float,
        generator,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
        loop_samples: Optional[int] = None,
    ) -> torch.Tensor:
        """SDEdit: noise ``clean`` to ``strength`` of the schedule, then denoise it toward the prompt.

        The callback (see :meth:`denoise`) is called after each of the steps :meth:`strength_timesteps` gives, its
        ``step`` counting from 0: never at strength 0.
        ``loop_samples``: ``clean`` is one period of a loop this long, denoised as a circle (see :meth:`denoise`).
        """
        timesteps = self.strength_timesteps(num_inference_steps, strength)
        latents = self.noise_to(clean, timesteps, generator)
        if len(timesteps) == 0:
            return latents
        return self.denoise(
            latents, timesteps, embeddings, guidance_scale, generator,
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
            loop_samples=loop_samples,
        )

    def regenerate(
        self,
        clean: torch.Tensor,
        mask: torch.Tensor,
        num_inference_steps: int,
        embeddings,
        guidance_scale: float,
        generator,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
    ) -> torch.Tensor:
        """Denoise from pure noise where ``mask`` is 1, keeping ``clean`` where it is 0.

        The callback (see :meth:`denoise`) sees the latents after each step's blending.
        """
        self.scheduler.set_timesteps(num_inference_steps, device=self._execution_device)
        timesteps = self.scheduler.timesteps
        latents = self.prepare_latents(len(clean), clean.shape[2], generator)
        clean = clean.to(latents.dtype)
        # Start the kept region at the first noise level too (RePaint's x_T), then blend every step.
        latents = mask * latents + (1 - mask) * self.noise_to(clean, timesteps, generator)
        return self.denoise(
            latents, timesteps, embeddings, guidance_scale, generator, known=(clean, mask),
            callback_on_step_end=callback_on_step_end,
            callback_on_step_end_tensor_inputs=callback_on_step_end_tensor_inputs,
        )

    def decode_keeping(self, latents: torch.Tensor, kept: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """Mel of ``latents`` where ``weight`` is 1 and ``kept`` where it is 0.

        Args:
            latents: Edited latents (B, C, T', M').
            kept: The mel to keep, (B, n_mels, T) or (1, n_mels, T): the input's reconstruction, or its own mel.
            weight: Broadcasts over the mel (B, n_mels, T): (T,) for time edits, (n_mels, 1) for frequency edits.
        """
        generated = self.codec.decode(latents).float()
        return torch.lerp(kept.float().to(generated.device), generated, weight.to(generated.device))
