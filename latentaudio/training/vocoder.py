"""Training a vocoder (HiFi-GAN or Vocos) on ground-truth mels, or fine-tuning it on VAE-reconstructed ones.

The HiFi-GAN recipe (Kong et al. 2020, Eq. 5-6), on random segments of ``segment_seconds``:

    L_D = Σ_k LSGAN_D(D_k(x), D_k(G(s)))
    L_G = adversarial_weight · Σ_k [LSGAN_G(D_k(G(s))) + feature_matching_weight · FM(D_k)]
          + mel_weight · |mel(x) - mel(G(s))|_1 + mrstft_weight · MRSTFT(G(s), x)

over the sub-discriminators k of the multi-period and multi-scale discriminators; MRSTFT is the
multi-resolution STFT distance (Yamamoto et al. 2020). With ``adversarial_weight`` 0 no
discriminator is built and the generator learns from the spectral losses alone, several times
faster per step: the regression recipe that trains the default model's Vocos generator on a CPU. With
``finetune_on_vae`` the generator hears the pipeline's VAE reconstruction of each mel (posterior
mode) instead of the mel itself, and learns to undo the VAE's blur (Liu et al. 2023, AudioLDM,
Sec. 3.4); the targets stay the real audio.
"""

from __future__ import annotations

import torch
from torch import nn

from vocoder import (
    HifiGanGenerator,
    MultiPeriodDiscriminator,
    MultiScaleDiscriminator,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
    mel_l1_loss,
    multi_resolution_stft_distance,
)
from vocoder.vocos import VocosGenerator

from ..codec import MelCodec
from ..metrics import waveform_distances
from .batches import ordered_batches, to_device
from .common import Trainer
from .config import VocoderTrainingConfig


class HifiGanDiscriminators(nn.Module):
    """Multi-period and multi-scale discriminators as one module: logits and features of both."""

    def __init__(self, c: VocoderTrainingConfig):
        super().__init__()
        self.mpd = MultiPeriodDiscriminator(c.mpd_periods, c.mpd_channels)
        self.msd = MultiScaleDiscriminator(c.msd_scales, c.msd_channels, groups=c.msd_groups)

    def forward(self, audio: torch.Tensor):
        period_logits, period_features = self.mpd(audio)
        scale_logits, scale_features = self.msd(audio)
        return period_logits + scale_logits, period_features + scale_features


class VocoderTrainer(Trainer):
    needs_text_encoder = False
    name = "vocoder"
    config: VocoderTrainingConfig

    def setup(self) -> None:
        c = self.config
        if not isinstance(self.pipe.vocoder, (HifiGanGenerator, VocosGenerator)):
            raise ValueError(
                f"The pipeline's vocoder is a {type(self.pipe.vocoder).__name__}, which has nothing to train; "
                "build the model with a HiFi-GAN or Vocos vocoder section (type: hifigan or vocos)."
            )
        hop = self.pipe.spectrogram.hop_length
        self.segment = max(hop, round(c.segment_seconds * self.pipe.sample_rate) // hop * hop)
        self.train_data, self.validation_data = self.datasets(num_samples=self.segment)
        generator = self.pipe.vocoder
        if isinstance(generator, HifiGanGenerator):
            generator.apply_weight_norm()  # the training parametrisation; saving folds it again
        generator.train().requires_grad_(True)
        self.vae = self.pipe.vae.to(self.device).eval().requires_grad_(False) if c.finetune_on_vae else None
        self.generator, self.g_optimizer = self.prepare_trained("generator", generator)
        self.discriminators = None
        if c.adversarial_weight > 0:
            self.discriminators, self.d_optimizer = self.prepare_trained("discriminators", HifiGanDiscriminators(c))

    def generator_input(self, mel: torch.Tensor) -> torch.Tensor:
        """The mel the generator hears: as computed, or as the VAE reconstructs it."""
        if self.vae is None:
            return mel
        with torch.no_grad():
            return MelCodec(self.pipe.spectrogram, self.vae).reconstruct(mel)

    def training_step(self, batch: dict, step: int) -> dict[str, torch.Tensor]:
        c = self.config
        audio = batch["audio"]  # (B, segment)
        mel = self.generator_input(batch["mel"][..., : self.segment // self.pipe.spectrogram.hop_length])
        generated = self.generator(mel)  # (B, segment)
        losses = {"mel_l1": mel_l1_loss(self.spectrogram, generated.float(), audio)}
        g_loss = c.mel_weight * losses["mel_l1"]
        if c.mrstft_weight > 0:
            losses["mrstft"] = multi_resolution_stft_distance(generated.float(), audio)
            g_loss = g_loss + c.mrstft_weight * losses["mrstft"]
        if self.discriminators is not None:
            losses.update(self.adversarial_losses(audio, generated))
            g_loss = g_loss + c.adversarial_weight * (
                losses["adversarial"] + c.feature_matching_weight * losses["feature_matching"])
        generator_parameters = list(self.accelerator.unwrap_model(self.generator).parameters())
        self.optimize(g_loss, self.g_optimizer, generator_parameters, inputs=generator_parameters)
        return {"generator": g_loss, **losses}

    def adversarial_losses(self, audio: torch.Tensor, generated: torch.Tensor) -> dict[str, torch.Tensor]:
        """Step the discriminators, then return the generator's adversarial and feature-matching losses."""
        # 1. discriminators: real audio and detached generated audio in one call
        logits, _ = self.discriminators(torch.cat([audio, generated.detach()]))
        real_logits, fake_logits = _halves(logits)
        d_loss = discriminator_loss(real_logits, fake_logits)
        self.optimize(d_loss, self.d_optimizer, self.discriminators.parameters())

        # 2. generator: the bare discriminators judge, gradients go only into the generator
        with self.accelerator.autocast():
            logits, features = self.accelerator.unwrap_model(self.discriminators)(torch.cat([audio, generated]))
        _, fake_logits = _halves(logits)
        real_features, fake_features = zip(*(_halves(maps) for maps in features))
        return {
            "discriminator": d_loss.detach(),
            "feature_matching": feature_matching_loss(real_features, fake_features),
            "adversarial": generator_adversarial_loss(fake_logits),
        }

    def validate(self, monitor) -> dict[str, float]:
        """The evaluation's vocoder distances on the validation clips: log-mel L1 (natural-log
        units, as ``latentaudio evaluate`` reports them) and the multi-resolution STFT distance."""
        if self.validation_data is None:
            return {}
        generator = self.accelerator.unwrap_model(self.generator).eval()
        hop, totals, count = self.pipe.spectrogram.hop_length, {}, 0
        with torch.no_grad():
            for batch in ordered_batches(self.validation_data, self.config.batch_size):
                batch = to_device(batch, self.device)
                audio = batch["audio"][:, : batch["audio"].shape[-1] // hop * hop]
                generated = generator(self.generator_input(batch["mel"][..., : audio.shape[-1] // hop]))
                for key, value in waveform_distances(self.spectrogram, generated, audio).items():
                    totals[key] = totals.get(key, 0.0) + value * len(audio)
                count += len(audio)
                if count == len(audio):
                    monitor.audio("validation/vocoded", generated[0], self.pipe.sample_rate)
                    monitor.audio("validation/real", audio[0], self.pipe.sample_rate)
        generator.train()
        return {key: total / count for key, total in totals.items()}

    def finished_pipeline(self):
        self.pipe.vocoder = self.accelerator.unwrap_model(self.generator).eval()  # saved with weight norm folded
        return self.pipe


def _halves(tensors):
    """Split every (2B, ...) tensor of a list into its real (first) and generated (second) halves."""
    return [t.chunk(2)[0] for t in tensors], [t.chunk(2)[1] for t in tensors]


def train_vocoder(model, data, output, config: VocoderTrainingConfig, resume: bool = False,
                allow_changed_settings: bool = False):
    """Train the vocoder of the pipeline in ``model`` on ``data``; the finished pipeline goes to ``output``."""
    return VocoderTrainer(model, data, output, config, resume, allow_changed_settings).run()
