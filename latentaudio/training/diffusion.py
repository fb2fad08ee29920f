"""Training the latent U-Net (and the text projection) with the VAE, vocoder and text encoder frozen.

Per micro-batch (Ho et al. 2020, Alg. 1): latents z₀ of the clips (scaled by the VAE's
``scaling_factor``), t ~ U{0, …, T-1}, ε ~ N(0, I), z_t = √ᾱ_t z₀ + √(1-ᾱ_t) ε from the
pipeline's own noise schedule (``DDPMScheduler.from_config(pipe.scheduler.config)``), and

    L = w(t) · |target - UNet(z_t, t, text)|²,  target = ε (epsilon) or √ᾱ_t ε - √(1-ᾱ_t) z₀ (v_prediction,
                                                  Salimans & Ho 2022, Sec. 4)

with min-SNR-γ weights w(t) = min(SNR(t), γ) / SNR(t) for ε, / (SNR(t) + 1) for v (Hang et al.
2023, eq. 4), or w = 1 when ``snr_gamma`` is 0 (the default). The target is what the pipeline's
scheduler says unless ``prediction_type`` overrides it, and the saved scheduler follows. At low SNR
an ε model's implied clean latent, (z_t - √(1-ᾱ_t) ε̂) / √ᾱ_t, amplifies its error by 1/√ᾱ_t, so
the first sampling steps, where a sound's character is decided, follow the noise; v predicts the
clean latent there, and unweighted v-MSE keeps full weight at high noise, where min-SNR weights for
v vanish. ``configs/small.yaml`` therefore builds v-prediction pipelines. A share ``caption_dropout``
of captions becomes "" — the pipeline's unconditional prompt — so classifier-free guidance works
(Ho & Salimans 2022). With a pitch embedding (``pitch_conditioning``, :mod:`..conditioning.pitch`) the
note each caption states also enters as ``class_labels``, hidden for a further share ``pitch_dropout``
of the clips so that captions without a note, and guidance's unconditional branch, stay in training.
``instrument_conditioning`` widens that embedding to read the instrument each caption names as well
(hidden for a share ``instrument_dropout``); ``caption_note_dropout`` and ``caption_instrument_dropout``
take the note or the instrument out of a share of the captions' text, kept for the embedding, so that
the U-Net learns to read it there rather than from the text alone. ``music_conditioning`` widens it
again for the tempo, key and length a caption states (each hidden for a share ``music_dropout``), and
``beat_channels`` gives the U-Net the stated tempo as beat-phase channels beside the latent as well
(:mod:`..conditioning.beat`: read from the same features, so hidden with them).
With ``max_clip_seconds`` every batch is cut to a random length between the U-Net's clip and that
length (whole latent frames; the same draw on every process and after a resume), and the saved
pipeline records it as ``longest_trained_length_in_s``, so it generates up to it in one U-Net pass.
``min_clip_seconds`` lowers the shortest draw below the U-Net's clip, so that short requests (a 1 s
drum hit from a 2.56 s model) are lengths the U-Net was trained on rather than cuts of longer ones.
With ``use_ema`` the saved U-Net holds the exponential moving average of the weights.
With ``lora_rank > 0`` only LoRA adapters on the U-Net's attention train (see :mod:`.lora`).
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from diffusers.training_utils import EMAModel, compute_snr
from safetensors.torch import load_file, save_file
from torch import nn

from ..conditioning import (
    Music,
    TextConditioner,
    check_pitch_conditioning,
    embeds_guidance,
    embedding_width,
    feature_width,
    has_beat_channels,
    has_key_channels,
    has_instrument_embedding,
    has_music_embedding,
    mean_pooled,
    pitch_features,
    prompt_instruments,
    prompt_music,
    prompt_notes,
    unet_input,
    with_beat_channels,
    with_key_channels,
    with_pitch_embedding,
)
from ..prompts import without_instrument, without_note
from .checkpoints import TrainerState
from .common import Trainer
from .config import TRAINABLE_PREDICTION_TYPES, DiffusionTrainingConfig
from .lora import add_lora, fuse_lora, save_lora
from .text_states import CaptionStateTable, untold_wordings

logger = logging.getLogger(__name__)


def note_dropout(captions: list[str], pitch_dropout: float, caption_note_dropout: float) -> tuple[list[str], list]:
    """The texts and the notes (MIDI pitches, ``None`` for none) a batch of captions conditions on.

    Each stated note is hidden from the pitch embedding with probability ``pitch_dropout`` (prompts
    without a note must keep working); each note it keeps is taken out of the caption's text with
    probability ``caption_note_dropout``, so that for those captions the embedding alone carries it.
    Without that, a caption that always names its note lets the U-Net ignore the embedding.
    """
    notes = prompt_notes(captions)
    hidden = (torch.rand(len(captions)) < pitch_dropout).tolist()
    # no draw when it is off, so runs without it keep the random stream they had before it existed
    untold = (torch.rand(len(captions)) < caption_note_dropout).tolist() if caption_note_dropout else [False] * len(captions)
    notes = [None if hide else note for hide, note in zip(hidden, notes)]
    texts = [without_note(text) if note is not None and drop else text for text, note, drop in zip(captions, notes, untold)]
    return texts, notes


def instrument_dropout(captions: list[str], instrument_dropout: float, caption_instrument_dropout: float) -> tuple[list[str], list]:
    """The texts and the instruments (:class:`~latentaudio.note_features.Instrument`, ``None`` for none) a
    batch of captions conditions on: :func:`note_dropout`'s rule for the instrument each caption names.

    Each named instrument is hidden from the embedding with probability ``instrument_dropout``; each it
    keeps is taken out of the caption's text with probability ``caption_instrument_dropout``
    (:func:`~latentaudio.prompts.without_instrument`).
    """
    instruments = prompt_instruments(captions)
    hidden = (torch.rand(len(captions)) < instrument_dropout).tolist()
    untold = (torch.rand(len(captions)) < caption_instrument_dropout).tolist() if caption_instrument_dropout else [False] * len(captions)
    instruments = [None if hide else instrument for hide, instrument in zip(hidden, instruments)]
    texts = [without_instrument(text) if instrument is not None and drop else text
             for text, instrument, drop in zip(captions, instruments, untold)]
    return texts, instruments


def music_dropout(captions: list[str], dropout: float) -> list:
    """The tempo, key and length (:class:`~latentaudio.note_features.Music`, ``None`` for none) a batch of
    captions gives the embedding, each stated one hidden on its own with probability ``dropout`` so that
    prompts stating any subset of them (or none) keep working. The text keeps them all."""
    stated = prompt_music(captions)
    hidden = (torch.rand(len(captions), 3) < dropout).tolist()
    music = [None if found is None else Music(*(None if hide else value for hide, value in zip(row, found)))
             for found, row in zip(stated, hidden)]
    return [None if found == Music() else found for found in music]


class ConditionedUNet(nn.Module):
    """Text projection + U-Net as one module for DDP: (z_t, t, encoder states, mask, class labels,
    guidance embedding) → prediction. ``frame_seconds``, a latent frame's length, places the beat-phase
    channels of a U-Net that takes them (clips start at frame 0 of their take); ``spectrogram``, the
    pipeline's, places the notes of its key channels."""

    def __init__(self, unet, projection=None, frame_seconds: Optional[float] = None, spectrogram=None):
        super().__init__()
        self.unet, self.projection, self.frame_seconds = unet, projection, frame_seconds
        self.spectrogram = [spectrogram]  # a list: not a submodule of the trained model (its buffers stay the pipeline's)

    def forward(self, latents, timesteps, states=None, mask=None, class_labels=None, timestep_cond=None) -> torch.Tensor:
        if states is not None and self.projection is not None:
            states, mask = self.projection(states, mask)
        sample = unet_input(self.unet, latents, class_labels, self.frame_seconds, spectrogram=self.spectrogram[0])
        return self.unet(sample, timesteps, encoder_hidden_states=states, encoder_attention_mask=mask,
                         class_labels=class_labels, timestep_cond=timestep_cond).sample


class CaptionStates:
    """Frozen text-encoder states (B, L, H) and masks of captions, before the projection.

    Args:
        pipe: The pipeline whose tokenizer and encoder to use (``None`` states when unconditional).
        memoise (`bool`): Keep each distinct caption's states for the rest of the run.
        table (`CaptionStateTable`, *optional*): Precomputed states to read instead of encoding.
    """

    def __init__(self, pipe, memoise: bool, table: Optional[CaptionStateTable] = None):
        encoder = pipe.text_encoder  # without a projection: the states the (trainable) projection takes
        self.conditioner = None if encoder is None else TextConditioner.unprojected(pipe.tokenizer, encoder)
        self.memo = {} if memoise else None
        self.table = table
        projection = pipe.text_projection
        # A mean-pooling projection pools again to the same state: keep one state per caption, not 77.
        self.pool = projection.pool if mean_pooled(projection) else None

    def encode(self, captions: list[str], device):
        embeddings = self.conditioner.encode(captions, device, torch.float32, longest=self.pool is not None)
        states, mask = embeddings.states, embeddings.mask
        if self.pool is not None:
            states, _ = self.pool(states, mask)
            mask = torch.ones(states.shape[:2], dtype=torch.long, device=states.device)
        return states, mask

    def __call__(self, captions: list[str], device):
        if self.table is not None:
            return self.table(captions, device)
        if self.conditioner is None:
            return None, None
        if self.memo is None:
            return self.encode(captions, device)
        missing = sorted(set(captions) - set(self.memo))
        if missing:
            states, mask = self.encode(missing, device)
            for i, caption in enumerate(missing):
                self.memo[caption] = (states[i], mask[i])
        states, masks = zip(*(self.memo[caption] for caption in captions))
        return torch.stack(states), torch.stack(masks)


class DiffusionTrainer(Trainer):
    name = "diffusion"
    config: DiffusionTrainingConfig

    @property
    def clip_samples(self) -> int:
        """Clips that exactly fill whole U-Net latent frames: the longest of ``max_clip_seconds``, when set."""
        pipe = self.pipe
        longest = self.config.max_clip_seconds
        samples = super().clip_samples if longest is None else round(longest * pipe.sample_rate)
        return pipe.latent_frames_for(samples) * pipe.samples_per_latent_frame

    def crop_length(self, latents: torch.Tensor, step: int) -> torch.Tensor:
        """``latents`` cut to this step's random length (see the module docstring); as they are
        without ``max_clip_seconds`` and ``min_clip_seconds``."""
        c, pipe = self.config, self.pipe
        if c.max_clip_seconds is None and c.min_clip_seconds is None:
            return latents
        multiple = pipe.codec.frame_multiple
        shortest = pipe.clip_frames if c.min_clip_seconds is None else pipe.latent_frames_for(round(c.min_clip_seconds * pipe.sample_rate))
        shortest = min(shortest, latents.shape[2]) // multiple
        draw = torch.Generator().manual_seed(c.seed * 1_000_003 + step)  # same on every process and on resume
        frames = multiple * int(torch.randint(shortest, latents.shape[2] // multiple + 1, (1,), generator=draw))
        return latents[:, :, :frames]

    @property
    def needs_text_encoder(self) -> bool:  # precomputed caption states replace it
        return not self.config.text_states_file

    def caption_states(self) -> "CaptionStates":
        """The captions' encoder states: from the ``text_states_file`` table where the config names one
        (no encoder loaded), else through the pipeline's frozen encoder."""
        c, pipe = self.config, self.pipe
        table = None
        if c.text_states_file:
            projection, encoder = pipe.text_projection, pipe.text_encoder
            if projection is None and encoder is None and pipe.config.text_encoder_package is None:
                raise ValueError("text_states_file needs a text-conditioned pipeline; this one is unconditional.")
            width = (projection.config.in_features if projection is not None
                     else encoder.config.hidden_size if encoder is not None else None)
            table = CaptionStateTable(c.text_states_file, width)
        return CaptionStates(pipe, c.cache_text_embeddings, table)

    def check_untold_states(self) -> None:
        """With ``caption_note_dropout`` or ``caption_instrument_dropout`` and a ``text_states_file``: raise
        ``ValueError`` unless the file holds every training caption with its note or instrument taken out,
        the wordings that run trains on."""
        c, table = self.config, self.captions.table
        note, instrument = bool(c.caption_note_dropout), bool(c.caption_instrument_dropout) and self.instruments
        if not (note or instrument) or table is None:
            return
        entries = self.train_data.dataset.entries
        rows = dict.fromkeys(self.train_data.indices)  # each row once, however often config.repeats lists it
        wordings = untold_wordings((w for i in rows for w in entries[i].wordings), note=note, instrument=instrument)
        missing = [w for w in wordings if w not in table]
        if missing:
            settings = " and ".join(name for name, on in (("caption_note_dropout", note), ("caption_instrument_dropout", instrument)) if on)
            flags = " ".join(flag for flag, on in (("--untold", note), ("--untold-instrument", instrument)) if on)
            raise ValueError(f"{settings} trains on captions with their note or instrument taken out, and {len(missing)} of "
                             f"those wordings are not in text_states_file ({table.path}), e.g. {missing[0]!r}; write it "
                             f"with `latentaudio data embed-captions {flags}`.")

    def setup(self) -> None:
        c, pipe = self.config, self.pipe
        if embeds_guidance(pipe.unet):  # its U-Net answers for a guidance scale; a diffusion loss would unteach that
            raise ValueError(f"{self.model_dir} is a guidance-distilled student; fine-tune its teacher (the default model's "
                             "is --model default-teacher) and distil the result again with `latentaudio distill`.")
        if c.max_clip_seconds is not None and not pipe.default_audio_length_in_s <= c.max_clip_seconds <= pipe.config.max_audio_length_in_s:
            raise ValueError(f"max_clip_seconds={c.max_clip_seconds} is out of range: expected from the U-Net's clip "
                             f"({pipe.default_audio_length_in_s:g} s) to max_audio_length_in_s ({pipe.config.max_audio_length_in_s:g} s).")
        if c.min_clip_seconds is not None and c.min_clip_seconds > (c.max_clip_seconds or pipe.default_audio_length_in_s):
            raise ValueError(f"min_clip_seconds={c.min_clip_seconds} is out of range: expected at most the longest clip "
                             f"({c.max_clip_seconds or pipe.default_audio_length_in_s:g} s).")
        if not c.train_unet and c.lora_rank:
            raise ValueError(f"train_unet=false with lora_rank={c.lora_rank}: LoRA already keeps the U-Net's weights; "
                             "expected one of the two.")
        # 1. frozen parts
        for frozen in (pipe.vae, pipe.vocoder, pipe.text_encoder):
            if frozen is not None:
                frozen.eval().requires_grad_(False)
        pipe.vae.to(self.device)  # fills the latent cache on the training device
        self.train_data, _ = self.datasets(
            validation=False, return_audio=False, fill_cache=c.cache_latents,
            **({"vae": pipe.vae} if c.cache_latents else {}),
        )
        pipe.to(self.device)
        self.captions = self.caption_states()
        # 2. noise schedule of the pipeline, predicting the config's type, else its scheduler's; sampling follows
        self.prediction_type = c.prediction_type or pipe.scheduler.config.get("prediction_type", "epsilon")
        if self.prediction_type not in TRAINABLE_PREDICTION_TYPES:
            supported = " and ".join(repr(name) for name in TRAINABLE_PREDICTION_TYPES)
            raise ValueError(f"The pipeline's scheduler predicts {self.prediction_type!r}; training supports "
                             f"{supported} (set prediction_type to switch).")
        self.noise_scheduler = DDPMScheduler.from_config(pipe.scheduler.config, prediction_type=self.prediction_type)
        pipe.scheduler = type(pipe.scheduler).from_config(pipe.scheduler.config, prediction_type=self.prediction_type)
        # 3. trained parts: U-Net (or its LoRA) and, with full training, the text projection
        # (an embedding, once a pipeline has one, stays: its U-Net was trained with it)
        music = c.music_conditioning or has_music_embedding(pipe.unet)
        instruments = music or c.instrument_conditioning or has_instrument_embedding(pipe.unet)
        width = feature_width(instruments, music) if c.pitch_conditioning or instruments else 0
        needs_embedding = width and not pipe.config.get("pitch_conditioning")
        needs_columns = embedding_width(pipe.unet) < width  # a trained narrower embedding is widened
        adds_pitch = bool(needs_embedding or needs_columns)
        if adds_pitch:
            unet = with_pitch_embedding(pipe.unet, instruments=instruments, music=music)
            reads_prompts = pipe.text_encoder is not None or pipe.config.text_encoder_package is not None
            check_pitch_conditioning(unet, reads_prompts)  # the pipeline's own check, before it is changed
            pipe.unet = unet
            pipe.register_to_config(pitch_conditioning=True)
        self.pitch = bool(pipe.config.get("pitch_conditioning"))
        self.instruments = self.pitch and has_instrument_embedding(pipe.unet)
        self.music = self.pitch and has_music_embedding(pipe.unet)
        adds_beat = c.beat_channels and not has_beat_channels(pipe.unet)
        if adds_beat:
            if not self.music:
                raise ValueError("beat_channels=true follows the tempo of the music embedding, but this U-Net has none; "
                                 "expected music_conditioning=true as well.")
            pipe.unet = with_beat_channels(pipe.unet)
        adds_key = c.key_channels and not has_key_channels(pipe.unet)
        if adds_key:
            if not has_beat_channels(pipe.unet):
                raise ValueError("key_channels=true adds key channels after the beat-phase channels, but this U-Net has "
                                 "none; expected beat_channels=true as well.")
            pipe.unet = with_key_channels(pipe.unet)
        if pipe.config.get("prompt_template") != c.prompt_template:  # a template is the training captions', not the model's
            logger.info("The trained pipeline reads prompts %s (it started from one that rewrote them into %r).",
                        "as written" if c.prompt_template is None else f"rewritten into {c.prompt_template!r}",
                        pipe.config.get("prompt_template"))
        pipe.register_to_config(prompt_template=c.prompt_template)
        self.check_untold_states()
        if not c.train_unet and not self.pitch:
            raise ValueError("train_unet=false trains the U-Net's pitch/instrument embedding alone, but this U-Net has "
                             "none; expected pitch_conditioning or instrument_conditioning.")
        projection = pipe.text_projection
        if projection is not None:
            projection.requires_grad_(c.train_text_projection and not c.lora_rank)
        if c.lora_rank:
            add_lora(pipe.unet, c.lora_rank, c.lora_alpha)
            if adds_pitch:  # a new embedding (or its new columns) starts at zero: frozen, it would never condition anything
                pipe.unet.class_embedding.requires_grad_(True)
            if adds_beat or adds_key:
                pipe.unet.conv_in.requires_grad_(True)
        else:
            # train_unet=false: the embedding alone learns (and the input layer, whose new columns read the beat channels)
            pipe.unet.requires_grad_(c.train_unet)
            if self.pitch:
                pipe.unet.class_embedding.requires_grad_(True)
            if has_beat_channels(pipe.unet):
                pipe.unet.conv_in.requires_grad_(True)
        model = ConditionedUNet(pipe.unet.train(), projection, pipe.latent_frame_in_s, pipe.spectrogram)
        self.trained = {name: p for name, p in model.named_parameters() if p.requires_grad}
        self.ema = EMAModel(list(self.trained.values()), decay=c.ema_decay) if c.use_ema else None
        if self.ema is not None:
            self.ema.to(self.device)
        learning_rate = c.lora_learning_rate if c.lora_rank else c.learning_rate
        self.model, self.unet_optimizer = self.prepare_trained("unet", model, self.parameter_groups(learning_rate),
                                                               learning_rate)

    def parameter_groups(self, learning_rate: float) -> list[dict]:
        """AdamW groups of the trained parameters: the pitch embedding at ``pitch_learning_rate`` when set
        (a zero-initialised embedding can learn faster than the trained weights around it), the rest at
        ``learning_rate``."""
        rate = self.config.pitch_learning_rate
        is_pitch = {name: self.pitch and rate is not None and ".class_embedding." in f".{name}" for name in self.trained}
        groups = [{"params": [p for n, p in self.trained.items() if not is_pitch[n]], "lr": learning_rate},
                  {"params": [p for n, p in self.trained.items() if is_pitch[n]], "lr": rate}]
        return [group for group in groups if group["params"]]

    def latents(self, batch: dict) -> torch.Tensor:
        """Scaled latents (B, C, F, M') of a batch: drawn from cached posteriors or encoded now."""
        vae = self.pipe.vae
        if "latent_mean" in batch:
            frames = self.pipe.latent_frames_for(self.clip_samples)
            mean, std = batch["latent_mean"][:, :, :frames], batch["latent_std"][:, :, :frames]
            return (mean + std * torch.randn_like(std)) * vae.config.scaling_factor
        with torch.no_grad():
            return self.pipe.codec.encode(self.vae_frames(batch["mel"]), sample=True).float()

    def training_step(self, batch: dict, step: int) -> dict[str, torch.Tensor]:
        c, scheduler = self.config, self.noise_scheduler
        latents = self.crop_length(self.latents(batch), step)
        batch_size = latents.shape[0]
        noise = torch.randn_like(latents)
        timesteps = torch.randint(0, scheduler.config.num_train_timesteps, (batch_size,), device=latents.device)
        noisy = scheduler.add_noise(latents, noise, timesteps)
        epsilon = self.prediction_type == "epsilon"
        target = noise if epsilon else scheduler.get_velocity(latents, noise, timesteps)
        dropped = (torch.rand(batch_size) < c.caption_dropout).tolist()
        captions = ["" if drop else text for drop, text in zip(dropped, batch["text"])]
        class_labels = None
        if self.pitch:
            captions, notes = note_dropout(captions, c.pitch_dropout, c.caption_note_dropout)
            instruments = music = None
            if self.instruments:
                captions, instruments = instrument_dropout(captions, c.instrument_dropout, c.caption_instrument_dropout)
            if self.music:
                music = music_dropout(captions, c.music_dropout)
            class_labels = pitch_features(notes, instruments, music).to(latents.device)
        states, mask = self.captions(captions, latents.device)
        prediction = self.model(noisy, timesteps, states, mask, class_labels)
        loss = F.mse_loss(prediction.float(), target.float(), reduction="none").mean(dim=(1, 2, 3))  # (B,)
        if c.snr_gamma > 0:
            snr = compute_snr(scheduler, timesteps)
            clipped = torch.clamp(snr, max=c.snr_gamma)
            loss = loss * (clipped / snr if epsilon else clipped / (snr + 1))
        loss = loss.mean()
        self.optimize(loss, self.unet_optimizer, self.trained.values())
        return {"loss": loss}

    def after_step(self) -> None:
        if self.ema is not None:
            self.ema.step(self.trained.values())

    @contextlib.contextmanager
    def ema_weights(self):
        """Swap the EMA weights in for the block (no-op without EMA)."""
        if self.ema is None:
            yield
            return
        self.ema.store(self.trained.values())
        self.ema.copy_to(self.trained.values())
        try:
            yield
        finally:
            self.ema.restore(self.trained.values())

    def save_extra(self, folder: Path, state: TrainerState) -> None:
        if self.ema is not None:
            save_file({n: t.detach().cpu().contiguous() for n, t in zip(self.trained, self.ema.shadow_params)},
                      str(folder / "ema.safetensors"))
            state.extra["ema_step"] = self.ema.optimization_step

    def load_extra(self, folder: Path, state: TrainerState) -> None:
        if self.ema is not None:
            saved = load_file(str(folder / "ema.safetensors"))
            for name, shadow in zip(self.trained, self.ema.shadow_params):
                shadow.copy_(saved[name])
            self.ema.optimization_step = state.extra["ema_step"]

    def validate(self, monitor) -> dict[str, float]:
        """Generate the validation prompts (EMA weights) and log their audio and mels."""
        c, pipe = self.config, self.pipe
        prompts = c.validation_prompts if pipe.text_encoder is not None or self.captions.table is not None else [None]
        pipe.unet.eval()
        with self.ema_weights():
            for i, prompt in enumerate(prompts):
                inputs = self.prompt_inputs(prompt)
                if inputs is None:
                    continue
                mel = pipe(**inputs, num_inference_steps=c.validation_inference_steps,
                           guidance_scale=c.validation_guidance_scale, output_type="mel",
                           generator=torch.Generator(self.device).manual_seed(c.seed)).audios[0]
                monitor.mel(f"validation/mel_{i}", mel)
                monitor.audio(f"validation/audio_{i}", pipe.codec.vocode(mel[None])[0], pipe.sample_rate)
        pipe.unet.train()
        return {}

    def prompt_inputs(self, prompt) -> Optional[dict]:
        """Pipeline arguments for a validation prompt: the prompt itself, or its embeddings from the
        caption states file (``None``, with a warning, when the file lacks it)."""
        table = self.captions.table
        if table is None or prompt is None:
            return {"prompt": prompt}
        if prompt not in table:
            logger.warning("Validation prompt %r is not in %s; skipped.", prompt, table.path)
            return None
        states, mask = table([prompt, ""], self.device)
        if self.pipe.text_projection is not None:
            states, mask = self.pipe.text_projection(states, mask)
        return {"prompt_embeds": states[:1], "negative_prompt_embeds": states[1:],
                **({} if mask is None else {"prompt_attention_mask": mask[:1], "negative_prompt_attention_mask": mask[1:]})}

    def finished_pipeline(self):
        model = self.accelerator.unwrap_model(self.model)
        if self.ema is not None:
            self.ema.copy_to(self.trained.values())
        if self.config.lora_rank:
            save_lora(model.unet, self.output_dir)
            fuse_lora(model.unet)
        self.pipe.unet = model.unet.eval()  # the projection, if trained, is the pipeline's own object
        trained = self.clip_samples / self.pipe.sample_rate  # the longest latent a batch held, in seconds
        if self.config.max_clip_seconds is not None or trained > self.pipe.default_audio_length_in_s:
            self.pipe.register_to_config(longest_trained_length_in_s=max(trained, self.pipe.config.get("longest_trained_length_in_s") or 0))
        return self.pipe


def train_diffusion(model, data, output, config: DiffusionTrainingConfig, resume: bool = False,
                    allow_changed_settings: bool = False):
    """Train the U-Net of the pipeline in ``model`` on ``data``; the finished pipeline goes to ``output``."""
    return DiffusionTrainer(model, data, output, config, resume, allow_changed_settings).run()
