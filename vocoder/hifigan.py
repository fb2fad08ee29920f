"""HiFi-GAN generator: normalised log-mel frames to a waveform.

Kong et al., "HiFi-GAN: Generative Adversarial Networks for Efficient and High Fidelity
Speech Synthesis", NeurIPS 2020. The generator upsamples mel frames with transposed
convolutions, and after each upsampling averages a bank of residual blocks with different
kernel sizes and dilations (the multi-receptive-field fusion, Sec. 2.1).

Weight norm is a training-time reparametrisation. A generator is built with it
(``weight_norm=True``), and :meth:`HifiGanGenerator.save_pretrained` always writes plain
weights with the norm folded in, and ``weight_norm: false`` in ``config.json``. A saved folder
is therefore the release artifact: ``from_pretrained`` rebuilds a plain, inference-ready
generator whose output is identical to the saved one. Resumable training state (with the
weight-norm parameters the optimizer tracks) belongs to the trainer's checkpoint, not here.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm as apply_weight_norm_to

from .mel import MelSpectrogramConfig
from .shapes import check_mel


class ResidualBlock(nn.Module):
    """Dilated residual convolutions at one kernel size; keeps (B, C, L) shapes.

    Each dilation adds ``conv(leaky_relu(dilated_conv(leaky_relu(x))))`` to ``x``.
    """

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int], slope: float):
        super().__init__()
        self.slope = slope
        self.dilated = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=d * (kernel_size - 1) // 2)
            for d in dilations
        )
        self.plain = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=(kernel_size - 1) // 2) for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for dilated, plain in zip(self.dilated, self.plain):
            x = x + plain(F.leaky_relu(dilated(F.leaky_relu(x, self.slope)), self.slope))
        return x


class HifiGanGenerator(ModelMixin, ConfigMixin):
    r"""HiFi-GAN generator mapping (B, num_mels, T) log-mel to (B, T * hop_length) audio.

    Args:
        num_mels (`int`, defaults to 64): Mel bins of the input; must match the spectrogram.
        sampling_rate (`int`, defaults to 16000): Sample rate of the output, in Hz (recorded so
            the generator can be checked against a spectrogram; the network does not use it).
        upsample_rates (`Sequence[int]`, defaults to ``(5, 4, 4, 2)``): Stride of each transposed
            convolution; their product is the hop length (160 here).
        upsample_kernel_sizes (`Sequence[int]`, defaults to ``(11, 8, 8, 4)``): Kernel of each
            transposed convolution, one per rate and at least as large as it.
        upsample_initial_channel (`int`, defaults to 256): Channels after the input convolution;
            halved at each upsampling, so it must be divisible by ``2 ** len(upsample_rates)``.
        resblock_kernel_sizes (`Sequence[int]`, defaults to ``(3, 7, 11)``): Odd kernel size of
            each residual block in the averaged bank.
        resblock_dilation_sizes (`Sequence[Sequence[int]]`, defaults to three ``(1, 3, 5)``):
            Dilations of each residual block, one tuple per kernel size.
        leaky_relu_slope (`float`, defaults to 0.1): Negative slope of every leaky ReLU.
        weight_norm (`bool`, defaults to True): Build with weight norm (for training). Saved
            folders always hold plain weights and record ``False``.
    """

    config_name = "config.json"

    @register_to_config
    def __init__(
        self,
        num_mels: int = 64,
        sampling_rate: int = 16000,
        upsample_rates: Sequence[int] = (5, 4, 4, 2),
        upsample_kernel_sizes: Sequence[int] = (11, 8, 8, 4),
        upsample_initial_channel: int = 256,
        resblock_kernel_sizes: Sequence[int] = (3, 7, 11),
        resblock_dilation_sizes: Sequence[Sequence[int]] = ((1, 3, 5), (1, 3, 5), (1, 3, 5)),
        leaky_relu_slope: float = 0.1,
        weight_norm: bool = True,
    ):
        super().__init__()
        _check_config(upsample_rates, upsample_kernel_sizes, upsample_initial_channel,
                      resblock_kernel_sizes, resblock_dilation_sizes)
        self.slope = leaky_relu_slope
        self.conv_pre = nn.Conv1d(num_mels, upsample_initial_channel, 7, padding=3)
        self.upsamples = nn.ModuleList()
        self.resblocks = nn.ModuleList()  # one bank of len(resblock_kernel_sizes) blocks per upsampling
        channels = upsample_initial_channel
        for rate, kernel in zip(upsample_rates, upsample_kernel_sizes):
            # Output length is (L - 1) * rate - 2 * padding + kernel + output_padding; it is exactly
            # L * rate when 2 * padding - output_padding = kernel - rate, so an odd difference rounds
            # the padding up and output_padding gives the extra sample back.
            padding, output_padding = (kernel - rate + 1) // 2, (kernel - rate) % 2
            self.upsamples.append(
                nn.ConvTranspose1d(channels, channels // 2, kernel, rate, padding, output_padding)
            )
            channels //= 2
            self.resblocks.append(nn.ModuleList(
                ResidualBlock(channels, k, d, leaky_relu_slope)
                for k, d in zip(resblock_kernel_sizes, resblock_dilation_sizes)
            ))
        self.conv_post = nn.Conv1d(channels, 1, 7, padding=3)
        for module in self.modules():
            if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)):
                nn.init.normal_(module.weight, 0.0, 0.01)  # the HiFi-GAN initialisation
        if weight_norm:
            self.apply_weight_norm()

    @classmethod
    def from_mel_config(cls, mel_config: MelSpectrogramConfig, **kwargs) -> "HifiGanGenerator":
        """A generator for the spectrogram ``mel_config`` describes; the upsample rates in ``kwargs`` set its hop."""
        return cls(**{**kwargs, "sampling_rate": mel_config.sample_rate, "num_mels": mel_config.n_mels})

    @property
    def hop_length(self) -> int:
        """Output samples per input mel frame: the product of the upsample rates."""
        return math.prod(self.config.upsample_rates)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        """Synthesise audio from a normalised log-mel spectrogram.

        Args:
            mel (`torch.Tensor`): Shape (B, num_mels, T) or (num_mels, T), where B is the batch
                size and T the number of frames.

        Returns:
            `torch.Tensor`: Waveform in [-1, 1] of shape (B, T * hop_length) (or (T * hop_length,)).
        """
        check_mel(mel, self.config.num_mels)
        unbatched = mel.dim() == 2
        x = self.conv_pre(mel.unsqueeze(0) if unbatched else mel)  # (B, C, T)
        for upsample, bank in zip(self.upsamples, self.resblocks):
            x = upsample(F.leaky_relu(x, self.slope))  # (B, C / 2, T * rate)
            x = sum(block(x) for block in bank) / len(bank)
        audio = torch.tanh(self.conv_post(F.leaky_relu(x, self.slope))).squeeze(1)  # (B, T * hop)
        return audio[0] if unbatched else audio

    def apply_weight_norm(self) -> None:
        """Reparametrise every convolution with weight norm (e.g. to fine-tune a loaded model)."""
        for module in list(self.modules()):  # a list: parametrizing edits the module tree
            if isinstance(module, (nn.Conv1d, nn.ConvTranspose1d)) and not parametrize.is_parametrized(module):
                apply_weight_norm_to(module)
        self.register_to_config(weight_norm=True)

    def remove_weight_norm(self) -> None:
        """Fold weight norm into plain weights for inference; the output is unchanged."""
        for module in list(self.modules()):  # a list: removal edits the module tree
            if parametrize.is_parametrized(module, "weight"):
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
        self.register_to_config(weight_norm=False)

    def save_pretrained(self, save_directory, safe_serialization: bool = True, variant=None, **kwargs) -> None:
        """Write ``config.json`` and safetensors with plain weights (see the module docstring).

        A weight-normed generator's folded weights are saved from a plain twin, so this model
        keeps its parametrisation and can go on training. (``copy.deepcopy`` cannot stand in:
        a copy shares the classes that parametrisation injects, so folding it breaks the original.)
        Every argument goes to :meth:`diffusers.ModelMixin.save_pretrained` (the named ones are
        spelled out because a diffusers pipeline passes only those the signature shows).
        """
        kwargs.update(safe_serialization=safe_serialization, variant=variant)
        if not self.config.weight_norm:
            return super().save_pretrained(save_directory, **kwargs)
        state = {k: v for k, v in self.state_dict().items() if ".parametrizations." not in k}
        for name, module in self.named_modules():
            if parametrize.is_parametrized(module, "weight"):
                state[f"{name}.weight"] = module.weight.detach()  # g * v / ||v||, computed
        plain = self.from_config(self.config, weight_norm=False)
        plain.load_state_dict(state, assign=True)  # assign: keep this model's device and dtype
        plain.save_pretrained(save_directory, **kwargs)


def _check_config(upsample_rates, upsample_kernel_sizes, initial_channel, resblock_kernel_sizes,
                  resblock_dilation_sizes) -> None:
    if len(upsample_rates) != len(upsample_kernel_sizes):
        raise ValueError(
            f"upsample_kernel_sizes={list(upsample_kernel_sizes)} must have one kernel per upsample rate "
            f"in upsample_rates={list(upsample_rates)}."
        )
    for rate, kernel in zip(upsample_rates, upsample_kernel_sizes):
        if rate < 1 or kernel < rate:
            raise ValueError(f"Upsample kernel size {kernel} must be >= its rate {rate} >= 1.")
        if rate == 1 and (kernel - rate) % 2:
            raise ValueError(f"Upsample kernel size {kernel} with rate 1 must be odd to keep the length.")
    if initial_channel % 2 ** len(upsample_rates):
        raise ValueError(
            f"upsample_initial_channel={initial_channel} is halved at each of the {len(upsample_rates)} "
            f"upsamplings, so it must be divisible by {2 ** len(upsample_rates)}."
        )
    if len(resblock_kernel_sizes) != len(resblock_dilation_sizes):
        raise ValueError(
            f"resblock_dilation_sizes={[list(d) for d in resblock_dilation_sizes]} must have one tuple of "
            f"dilations per kernel in resblock_kernel_sizes={list(resblock_kernel_sizes)}."
        )
    if any(k % 2 == 0 for k in resblock_kernel_sizes):
        raise ValueError(f"resblock_kernel_sizes={list(resblock_kernel_sizes)} must all be odd to keep the length.")
