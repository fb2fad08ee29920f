"""Training configs: a YAML file → one validated dataclass per trainer.

A training YAML is a flat mapping of the fields below; it may name a ``base`` file (relative to
itself) whose values it overrides, so tiny test configs never copy their base. Unknown keys and
out-of-range values raise a ``ValueError`` that names the key, the value and what is expected:

    Invalid training setting kl_weight=-1.0 (configs/training/vae.yaml): expected a number in [0, inf).

Each field declares its range in interval notation, ``"(0, 1]"``, or its choices; the dataclass
checks itself in ``__post_init__``, so ``dataclasses.replace`` (the CLI's overrides) re-checks.
The defaults are the recipe for the default model size (``configs/small.yaml``);
``configs/training/<trainer>.yaml`` spells them out and a test keeps the two equal.
"""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass, field
from typing import Optional

from ..prompts import PROMPT_TEMPLATES
from ..yaml_config import load_yaml_with_base

LR_SCHEDULES = ("constant", "constant_with_warmup", "linear", "cosine", "cosine_with_restarts", "polynomial")
MIXED_PRECISION = (None, "no", "fp16", "bf16")
TRAINABLE_PREDICTION_TYPES = ("epsilon", "v_prediction")
PREDICTION_TYPES = (None, *TRAINABLE_PREDICTION_TYPES)


# Settings a resumed run may change: how long it runs, how often it logs, validates and saves, where it caches.
FREE_ON_RESUME = ("max_steps", "max_minutes", "num_workers", "cache_dir", "checkpoint_every", "keep_checkpoints",
                  "log_every", "validation_every", "validation_prompts", "validation_inference_steps",
                  "validation_guidance_scale")


class InvalidSettingError(ValueError):
    """A training setting outside its range; the message names key, value, source and expectation."""

    def __init__(self, key: str, value, expected: str, source=None):
        self.key, self.value, self.expected = key, value, expected
        where = f" in {source}" if source else ""
        super().__init__(f"Invalid training setting {key}={value!r}{where}: expected {expected}.")


# The largest micro-batch a config may ask for (see TrainingConfig.batch_size).
MAX_BATCH_SIZE = 1024


def setting(default, interval: Optional[str] = None, choices: Optional[tuple] = None):
    """A config field with its allowed values: an interval like ``"[0, 1)"`` or a tuple of choices."""
    mutable = isinstance(default, (list, dict))
    factory = {"default_factory": lambda: type(default)(default)} if mutable else {"default": default}
    return field(**factory, metadata={"interval": interval, "choices": choices})


@dataclass
class TrainingConfig:
    """Settings every trainer shares."""

    seed: int = setting(0, "[0, 18446744073709551615]")  # torch generators take 64-bit seeds
    max_steps: int = setting(20000, "[1, inf)")  # optimizer updates, not micro-batches
    max_minutes: Optional[float] = setting(None, "(0, inf)")  # wall-clock budget from setup; None: no limit
    # Per process; the global batch is x processes x accumulation. At most MAX_BATCH_SIZE: one micro-batch's
    # activations grow with it (23 GB of RAM for 100000 vocoder segments), and more is gradient accumulation's job.
    batch_size: int = setting(16, f"[1, {MAX_BATCH_SIZE}]")
    gradient_accumulation_steps: int = setting(1, "[1, inf)")
    learning_rate: float = setting(1e-4, "(0, 1]")
    adam_beta1: float = setting(0.9, "[0, 1)")
    adam_beta2: float = setting(0.999, "[0, 1)")
    weight_decay: float = setting(0.0, "[0, 1)")
    lr_schedule: str = setting("constant_with_warmup", choices=LR_SCHEDULES)  # diffusers.optimization names
    lr_warmup_steps: int = setting(500, "[0, inf)")
    max_grad_norm: float = setting(1.0, "[0, inf)")  # 0 turns clipping off
    mixed_precision: Optional[str] = setting(None, choices=MIXED_PRECISION)  # None: what `accelerate launch` says
    clip_seconds: Optional[float] = setting(None, "(0, inf)")  # None: the U-Net's native clip length
    random_crop: bool = setting(True)  # random windows of longer files; False starts every clip at 0
    train_split: str = setting("train")  # used when the metadata has a split column
    # Rows seen more than once per epoch, by metadata column and value: {family: {Drums: 4}} (see batches.repeated).
    repeats: dict = setting({})
    validation_split: str = setting("validation")
    num_workers: int = setting(0, "[0, 64]")  # DataLoader workers per process
    cache_dir: Optional[str] = setting(None)  # mel/latent cache; None: OUTPUT/cache
    checkpoint_every: int = setting(1000, "[1, inf)")
    keep_checkpoints: int = setting(3, "[1, inf)")  # older complete checkpoints are deleted
    log_every: int = setting(10, "[1, inf)")
    validation_every: int = setting(1000, "[0, inf)")  # 0: never (the end of the run still validates)

    def __post_init__(self):
        for spec in dataclasses.fields(self):
            setattr(self, spec.name, _checked(spec, getattr(self, spec.name), type(self)))

    @classmethod
    def from_yaml(cls, path=None, **overrides):
        """Defaults, overridden by the YAML file (and its bases), overridden by ``overrides``."""
        values = {} if path is None else read_yaml(path)
        values.update({key: value for key, value in overrides.items() if value is not None})
        known = {spec.name for spec in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"Unknown training setting(s) {unknown} for {cls.__name__}"
                f"{f' in {path}' if path else ''}; expected some of {sorted(known)}."
            )
        try:
            return cls(**values)
        except InvalidSettingError as error:
            raise InvalidSettingError(error.key, error.value, error.expected, path) from None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def resume_settings(self) -> dict:
        """The settings a resumed run must share with its checkpoints: everything that changes
        what is learned. How long a run lasts, how often it logs, validates or saves, and where it
        caches are free; ``max_steps`` is free only under a constant schedule, since the others
        stretch with it."""
        free = set(FREE_ON_RESUME)
        if self.lr_schedule not in ("constant", "constant_with_warmup"):
            free.discard("max_steps")
        return {key: value for key, value in self.to_dict().items() if key not in free}


@dataclass
class VaeTrainingConfig(TrainingConfig):
    """Mel VAE: reconstruction + KL, then a patch discriminator (Rombach et al. 2022, Sec. 3 and App. G)."""

    learning_rate: float = setting(7.2e-5, "(0, 1]")  # LDM's 4.5e-6 per example x batch 16
    adam_beta1: float = setting(0.5, "[0, 1)")  # GAN-friendly momentum, as in LDM
    lr_warmup_steps: int = setting(0, "[0, inf)")
    reconstruction_loss: str = setting("l1", choices=("l1", "l2", "l1+l2"))
    kl_weight: float = setting(1e-6, "[0, inf)")  # on the KL summed over latents / mel bins
    discriminator: str = setting("hinge", choices=("none", "hinge", "lsgan"))
    discriminator_start_step: int = setting(5000, "[0, inf)")  # let the autoencoder settle first
    discriminator_weight: float = setting(0.5, "[0, inf)")
    discriminator_channels: int = setting(32, "[1, 4096]")
    discriminator_layers: int = setting(3, "[1, 8]")
    scale_batches: int = setting(16, "[1, inf)")  # batches whose latents set vae.config.scaling_factor
    train_encoder: bool = setting(True)  # false: the decoder alone learns; latents and scaling_factor stay, so a U-Net trained on them still fits


@dataclass
class VocoderTrainingConfig(TrainingConfig):
    """HiFi-GAN V1 recipe (Kong et al. 2020, Sec. 4): AdamW(0.8, 0.99), lr 2e-4, mel x45, features x2.

    The same trainer takes a Vocos generator; ``adversarial_weight: 0`` trains either on the
    spectral losses alone (mel L1 and, with ``mrstft_weight``, the multi-resolution STFT distance).
    """

    learning_rate: float = setting(2e-4, "(0, 1]")
    adam_beta1: float = setting(0.8, "[0, 1)")
    adam_beta2: float = setting(0.99, "[0, 1)")
    weight_decay: float = setting(0.01, "[0, 1)")
    lr_schedule: str = setting("constant", choices=LR_SCHEDULES)
    lr_warmup_steps: int = setting(0, "[0, inf)")
    max_grad_norm: float = setting(0.0, "[0, inf)")  # HiFi-GAN does not clip
    segment_seconds: float = setting(0.512, "(0, inf)")  # 8192 samples at 16 kHz, the paper's segment
    mel_weight: float = setting(45.0, "[0, inf)")
    mrstft_weight: float = setting(0.0, "[0, inf)")  # multi-resolution STFT distance (Parallel WaveGAN)
    adversarial_weight: float = setting(1.0, "[0, inf)")  # 0: no discriminators, spectral losses only
    feature_matching_weight: float = setting(2.0, "[0, inf)")
    mpd_periods: list = setting([2, 3, 5, 7, 11])
    mpd_channels: int = setting(32, "[1, 4096]")
    msd_scales: int = setting(3, "[1, 8]")
    msd_channels: int = setting(128, "[1, 4096]")
    msd_groups: int = setting(16, "[1, 4096]")
    finetune_on_vae: bool = setting(False)  # train on VAE-reconstructed mels (AudioLDM's mismatch fix)


@dataclass
class DiffusionTrainingConfig(TrainingConfig):
    """Latent diffusion: frozen VAE, vocoder and text encoder; the U-Net (and text projection) trained."""

    prediction_type: Optional[str] = setting(None, choices=PREDICTION_TYPES)  # None: the pipeline scheduler's
    snr_gamma: float = setting(0.0, "[0, inf)")  # min-SNR-gamma weighting (Hang et al. 2023); 0 turns it off
    caption_dropout: float = setting(0.1, "[0, 1]")  # share of captions replaced by "" for guidance
    pitch_conditioning: bool = setting(False)  # add a pitch embedding to the U-Net (kept once a pipeline has one)
    pitch_dropout: float = setting(0.2, "[0, 1]")  # share of stated notes hidden from the pitch embedding
    pitch_learning_rate: Optional[float] = setting(None, "(0, 1]")  # the pitch embedding's rate (None: the U-Net's)
    caption_note_dropout: float = setting(0.0, "[0, 1]")  # share of stated notes taken out of the caption's text (kept for the pitch embedding)
    instrument_conditioning: bool = setting(False)  # the pitch embedding also reads the named instrument (kept once a U-Net has it)
    instrument_dropout: float = setting(0.2, "[0, 1]")  # share of named instruments hidden from the embedding
    caption_instrument_dropout: float = setting(0.0, "[0, 1]")  # share of named instruments taken out of the caption's text (kept for the embedding)
    music_conditioning: bool = setting(False)  # the embedding also reads the tempo, key and length a caption states (kept once a U-Net has it)
    music_dropout: float = setting(0.2, "[0, 1]")  # share of stated tempos, keys and lengths (each on its own) hidden from the embedding
    beat_channels: bool = setting(False)  # the tempo also enters as beat-phase channels beside the latent (needs the music embedding; kept once a U-Net has them)
    key_channels: bool = setting(False)  # the key also enters as key channels after the beat-phase channels (needs beat_channels; kept once a U-Net has them)
    prompt_template: Optional[str] = setting(None, choices=(None, *PROMPT_TEMPLATES))  # the trained pipeline rewrites prompts into it (None: read as written)
    use_ema: bool = setting(True)
    ema_decay: float = setting(0.9999, "[0, 1)")
    cache_latents: bool = setting(False)  # encode each clip once (deterministic clip at start 0)
    cache_text_embeddings: bool = setting(True)  # encode each distinct caption once per run
    max_clip_seconds: Optional[float] = setting(None, "(0, inf)")  # variable lengths: each batch a random crop up to this
    min_clip_seconds: Optional[float] = setting(None, "(0, inf)")  # variable lengths: crops from this (None: the U-Net's clip)
    text_states_file: Optional[str] = setting(None)  # precomputed caption states (data embed-captions): no encoder loaded
    train_text_projection: bool = setting(True)  # the projection between frozen encoder and U-Net
    train_unet: bool = setting(True)  # False: the U-Net's own weights stay; only its pitch/instrument embedding, its input layer when it takes beat channels (and the projection) learn
    lora_rank: int = setting(0, "[0, 1024]")  # 0: train every U-Net weight; >0: LoRA on its attention
    lora_alpha: Optional[float] = setting(None, "(0, inf)")  # None: equal to the rank (scale 1)
    lora_learning_rate: float = setting(1e-4, "(0, 1]")  # replaces learning_rate when lora_rank > 0
    validation_prompts: list = setting(["a loud snare drum hit", "a soft acoustic grand piano note, C4"])
    validation_inference_steps: int = setting(25, "[1, 1000]")
    validation_guidance_scale: float = setting(3.0, "[0, 100]")


@dataclass
class DistillationConfig(TrainingConfig):
    """A guidance-conditioned few-step student from a frozen teacher (see :mod:`.distill`): latent
    consistency distillation (Luo et al. 2023, ``method: consistency``) or guidance distillation (Meng et
    al. 2023, stage one, ``method: guidance``); VAE, vocoder, text encoder and projection frozen."""

    learning_rate: float = setting(1e-5, "(0, 1]")  # LCM's rate for a student initialised from its teacher
    lr_warmup_steps: int = setting(100, "[0, inf)")
    max_steps: int = setting(4000, "[1, inf)")
    method: str = setting("consistency", choices=("consistency", "guidance"))  # what the student learns
    student_steps: int = setting(4, "[1, 50]")  # the student's saved default_inference_steps
    student_guidance_scale: float = setting(3.0, "[1, 100]")  # the student's saved default_guidance_scale
    guidance_scale_min: float = setting(1.0, "[1, 100]")  # guidance scales drawn uniformly in [min, max] per clip
    guidance_scale_max: float = setting(5.0, "[1, 100]")
    num_ddim_timesteps: int = setting(50, "[2, 1000]")  # the teacher's ODE-solver grid (LCM's skipping step k = T / this)
    loss_type: str = setting("huber", choices=("huber", "l2"))  # LCM uses a pseudo-Huber distance
    huber_c: float = setting(0.001, "(0, inf)")
    scheduler: str = setting("lcm", choices=("lcm", "tcd"))  # consistency: the student's diffusers sampler
    target_ema_decay: float = setting(0.95, "[0, 1)")  # consistency: the target network, an EMA of the student (LCM)
    student_ema_decay: Optional[float] = setting(None, "[0, 1)")  # guidance: save this EMA of the student (null: its last weights)
    student_from: Optional[str] = setting(None)  # a student of this teacher (folder or embedded name) to go on from, not the teacher
    max_clip_seconds: Optional[float] = setting(None, "(0, inf)")  # variable lengths, as in diffusion training
    min_clip_seconds: Optional[float] = setting(None, "(0, inf)")  # crops from this length up, as in diffusion training
    cache_latents: bool = setting(False)  # encode each clip once (deterministic clip at start 0)
    cache_text_embeddings: bool = setting(True)
    text_states_file: Optional[str] = setting(None)  # precomputed caption states (data embed-captions): no encoder loaded
    validation_prompts: list = setting(["a loud snare drum hit", "a soft acoustic grand piano note, C4"])
    checkpoint_every: int = setting(500, "[1, inf)")

    def __post_init__(self):
        super().__post_init__()
        if self.guidance_scale_min > self.guidance_scale_max:
            raise InvalidSettingError("guidance_scale_min", self.guidance_scale_min,
                                      f"at most guidance_scale_max={self.guidance_scale_max}")


@dataclass
class FinetuneConfig(DiffusionTrainingConfig):
    """Adapting a trained pipeline to a new folder: short, gentle, EMA off."""

    max_steps: int = setting(1000, "[1, inf)")
    batch_size: int = setting(8, f"[1, {MAX_BATCH_SIZE}]")
    learning_rate: float = setting(1e-5, "(0, 1]")
    lr_warmup_steps: int = setting(50, "[0, inf)")
    use_ema: bool = setting(False)
    checkpoint_every: int = setting(250, "[1, inf)")
    validation_every: int = setting(250, "[0, inf)")


def read_yaml(path) -> dict:
    """A training YAML as a dict, merged over its ``base`` when it names one."""
    return load_yaml_with_base(path, "Training config", "settings")


def _checked(spec: dataclasses.Field, value, cls):
    """``value`` coerced to the field's type, or a ValueError naming key, value and expectation."""
    hint = typing.get_type_hints(cls)[spec.name]
    optional = type(None) in typing.get_args(hint)
    kind = next((t for t in typing.get_args(hint) if t is not type(None)), hint) if optional else hint
    interval, choices = spec.metadata.get("interval"), spec.metadata.get("choices")

    given = value

    def fail(expected: str):
        raise InvalidSettingError(spec.name, given, expected)

    if value is None:
        return None if optional else fail(f"a value ({_describe(kind, interval, choices)})")
    if kind is bool:
        return value if isinstance(value, bool) else fail("true or false")
    if kind is list:
        if not isinstance(value, (list, tuple)) or not value:
            fail("a non-empty list")
        return list(value)
    if kind is dict:
        expected = "a mapping of metadata columns to {value: times} with whole times >= 1, e.g. {family: {Drums: 4}}"
        if not isinstance(value, dict) or not all(
                isinstance(column, str) and isinstance(times_by_value, dict) and times_by_value
                and all(isinstance(times, int) and not isinstance(times, bool) and times >= 1 for times in times_by_value.values())
                for column, times_by_value in value.items()):
            fail(expected)
        return {column: dict(times_by_value) for column, times_by_value in value.items()}
    if kind in (int, float):
        if isinstance(value, str) and kind is float:  # YAML 1.1 reads 1e-4 (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                fail(_describe(kind, interval, choices))
        whole = isinstance(value, (int, float)) and float(value).is_integer()
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not whole):
            fail(_describe(kind, interval, choices))
        value = kind(value)
        if interval and not _inside(value, interval):
            fail(_describe(kind, interval, choices))
        return value
    if choices is not None and value not in choices:
        fail(_describe(kind, interval, choices))
    if not isinstance(value, str):
        fail("a string")
    return value


def _inside(value: float, interval: str) -> bool:
    low, high = (float(part) for part in interval[1:-1].split(","))
    above = value > low if interval[0] == "(" else value >= low
    below = value < high if interval[-1] == ")" else value <= high
    return above and below and math.isfinite(value)


def _describe(kind, interval, choices) -> str:
    if choices is not None:
        return f"one of {list(choices)}"
    noun = "an integer" if kind is int else "a number"
    return f"{noun} in {interval}" if interval else noun
