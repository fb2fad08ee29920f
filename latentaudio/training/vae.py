"""Training the mel VAE: reconstruction + KL, then a patch discriminator after a warm-up.

Loss per micro-batch, for a mel image x (B, 1, T, n_mels) and its reconstruction x̂ from a
posterior sample (Rombach et al. 2022, Sec. 3; Kingma & Welling 2014):

    L = rec(x, x̂) + kl_weight · KL(q(z|x) || N(0, I)) / (T · n_mels)  [+ w · L_adv after the warm-up]

``rec`` is the mean L1, L2 or their sum; the KL is summed over latent elements and divided by
the pixels of the mel, so ``kl_weight`` means what it does in latent diffusion's configs. At the
end the VAE's ``scaling_factor`` becomes 1 / std of training latents, so that diffusion sees
latents of unit variance.

``train_encoder: false`` fine-tunes the decoder alone, as Stable Diffusion's VAE decoders were
fine-tuned for sharper images: the encoder (and its ``quant_conv``) stays frozen, so every latent,
the ``scaling_factor`` and a U-Net trained on them stay valid, while the decoder learns to
reconstruct new material (e.g. a one-shot VAE's decoder on melodies and loops).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..codec import MelCodec
from ..vae import mel_to_image
from .batches import SeededItems, ordered_batches, to_device
from .common import Trainer
from .config import VaeTrainingConfig
from .discriminator import PatchDiscriminator, discriminator_adversarial_loss, generator_loss


class VaeForTraining(nn.Module):
    """One forward for DDP: mel image → (reconstruction, posterior mean, posterior log-variance)."""

    def __init__(self, vae):
        super().__init__()
        self.vae = vae

    def forward(self, image: torch.Tensor):
        posterior = self.vae.encode(image).latent_dist
        reconstruction = self.vae.decode(posterior.sample()).sample
        return reconstruction, posterior.mean, posterior.logvar


class VaeTrainer(Trainer):
    needs_text_encoder = False
    name = "vae"
    config: VaeTrainingConfig

    def setup(self) -> None:
        c = self.config
        self.train_data, self.validation_data = self.datasets(return_audio=False)
        vae = self.pipe.vae.train().requires_grad_(True)
        if not c.train_encoder:
            for frozen in (vae.encoder, vae.quant_conv):
                if frozen is not None:
                    frozen.requires_grad_(False)
        self.vae_parameters = [p for p in vae.parameters() if p.requires_grad]
        self.model, self.vae_optimizer = self.prepare_trained("vae", VaeForTraining(vae), self.vae_parameters)
        self.discriminator = None
        if c.discriminator != "none":
            discriminator = PatchDiscriminator(c.discriminator_channels, c.discriminator_layers)
            self.discriminator, self.discriminator_optimizer = self.prepare_trained("discriminator", discriminator)

    @property
    def vae(self):
        return self.accelerator.unwrap_model(self.model).vae

    def training_step(self, batch: dict, step: int) -> dict[str, torch.Tensor]:
        c = self.config
        image = mel_to_image(self.vae_frames(batch["mel"]))  # (B, 1, T, n_mels)
        reconstruction, mean, logvar = self.model(image)
        losses = {"reconstruction": _reconstruction_loss(c.reconstruction_loss, reconstruction, image)}
        # KL of N(mean, exp(logvar)) from N(0, I), summed over latent elements (Kingma & Welling, App. B)
        kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).flatten(1).sum(1).mean()
        losses["kl"] = kl / image[0].numel()
        loss = losses["reconstruction"] + c.kl_weight * losses["kl"]
        adversarial = self.discriminator is not None and step >= c.discriminator_start_step
        if adversarial:
            # The bare discriminator judges the reconstruction: gradients reach only the VAE
            # (backward into `inputs`), and DDP does not wait for discriminator gradients.
            with self.accelerator.autocast():
                fake = self.accelerator.unwrap_model(self.discriminator)(reconstruction)
            losses["generator"] = generator_loss(c.discriminator, fake)
            loss = loss + c.discriminator_weight * losses["generator"]
        self.optimize(loss, self.vae_optimizer, self.vae_parameters, inputs=self.vae_parameters if adversarial else None)
        if adversarial:
            real, fake = self.discriminator(torch.cat([image, reconstruction.detach()])).chunk(2)
            losses["discriminator"] = discriminator_adversarial_loss(c.discriminator, real, fake)
            self.optimize(losses["discriminator"], self.discriminator_optimizer, self.discriminator.parameters())
        return losses

    def validate(self, monitor) -> dict[str, float]:
        """Mean L1 between validation mels and their posterior-mode reconstructions."""
        if self.validation_data is None:
            return {}
        vae, total, count = self.vae.eval(), 0.0, 0
        codec = MelCodec(self.pipe.spectrogram, vae)
        for batch in ordered_batches(self.validation_data, self.config.batch_size):
            mel = self.vae_frames(to_device(batch, self.device)["mel"])
            reconstruction = codec.reconstruct(mel)
            total += (reconstruction - mel).abs().mean().item() * len(mel)
            count += len(mel)
            if count == len(mel):
                monitor.mel("validation/mel", mel[0])
                monitor.mel("validation/reconstruction", reconstruction[0])
        vae.train()
        return {"reconstruction_l1": total / count}

    def finished_pipeline(self):
        vae = self.vae.eval().requires_grad_(True)
        if self.config.train_encoder:  # a frozen encoder keeps its latents, and so their scale
            vae.register_to_config(scaling_factor=self.latent_scale(vae))
        self.pipe.vae = vae
        return self.pipe

    @torch.no_grad()
    def latent_scale(self, vae) -> float:
        """1 / std of posterior samples of the first ``scale_batches`` training batches."""
        generator = torch.Generator(self.device).manual_seed(self.config.seed)
        latents, codec = [], MelCodec(self.pipe.spectrogram, vae)
        clips = SeededItems(self.train_data, self.config.seed)  # the same crops every time
        for i, batch in enumerate(ordered_batches(clips, self.config.batch_size)):
            if i == self.config.scale_batches:
                break
            mel = self.vae_frames(to_device(batch, self.device)["mel"])
            latents.append(codec.posterior(mel).sample(generator).float().flatten())
        return 1.0 / torch.cat(latents).std().item()


def _reconstruction_loss(kind: str, reconstruction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    l1 = F.l1_loss(reconstruction.float(), target) if "l1" in kind else 0.0
    l2 = F.mse_loss(reconstruction.float(), target) if "l2" in kind else 0.0
    return l1 + l2


def train_vae(model, data, output, config: VaeTrainingConfig, resume: bool = False,
              allow_changed_settings: bool = False):
    """Train the VAE of the pipeline in ``model`` on ``data``; the finished pipeline goes to ``output``."""
    return VaeTrainer(model, data, output, config, resume, allow_changed_settings).run()
