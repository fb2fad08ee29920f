"""A compact log-mel CNN that names what a clip is: the evaluation's judge and a pipeline's scorer.

:class:`AudioFamilyClassifier` predicts one of its ``labels`` from a waveform: by default the 16 General
MIDI families of :mod:`latentaudio.data.gm` plus ``"Drums"``, or any other label set it was trained on
(:func:`latentaudio.evaluation.train_classifier`: a GM program's or drum's name, a drum-loop style, an
effect class). It serves twice:

* evaluation (:mod:`latentaudio.evaluation`): its prediction scores prompt adherence (was a "violin note"
  heard as Strings?), and its penultimate layer, the ``embedding_dim``-wide ``embedding`` (ReLU of a
  linear map of the pooled conv features, as the ``embedding`` of PANNs, Kong et al. 2020), is the audio
  embedding in which :func:`~latentaudio.metrics.frechet_distance` compares generated and real clips, as
  the Fréchet Audio Distance does with VGGish (Kilgour et al. 2019);
* a pipeline's optional ``scorer`` component (:mod:`latentaudio.ranking`): one trained on the instruments
  and drums a model learnt ranks the takes of ``num_waveforms_per_prompt`` by how well each answers its prompt.

Architecture (PANNs' CNN6 in miniature): batch norm over mel bins, then blocks of
3x3 conv → batch norm → ReLU → 2x2 average pooling, then mean over frequency and mean + max
over time, a linear layer to the embedding, and a linear head to the logits. The classifier
owns its :class:`~latentaudio.spectrogram.MelSpectrogram`, so it reads waveforms of any model
and its embedding stays the same whichever pipeline is being evaluated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from diffusers.utils import BaseOutput
from torch import nn

from .data import gm
from .spectrogram import MelSpectrogram

# 16 GM families (programs 0-127 in groups of 8) + the bank-128 drum kits.
FAMILY_LABELS = tuple(family.name for family in gm.FAMILIES) + (gm.DRUMS_FAMILY,)


@dataclass
class AudioClassifierOutput(BaseOutput):
    """Logits (B, num_labels) and the penultimate-layer embedding (B, embedding_dim)."""

    logits: torch.Tensor
    embedding: torch.Tensor


class AudioFamilyClassifier(ModelMixin, ConfigMixin):
    r"""Log-mel CNN predicting one of ``labels``; its penultimate layer is the evaluation embedding.

    Args:
        labels (`Sequence[str]`, defaults to :data:`FAMILY_LABELS`): Class names, in logit order.
        sample_rate (`int`, defaults to 16000): Rate of the waveforms it reads, in Hz.
        n_fft (`int`, defaults to 1024): FFT size of its mel front end.
        hop_length (`int`, defaults to 320): Hop of its mel front end (20 ms: half the frames of the
            pipelines' 10 ms, which halves the cost and loses little for telling timbres apart).
        n_mels (`int`, defaults to 64): Mel bins of its front end.
        block_out_channels (`Sequence[int]`, defaults to (32, 64, 128, 256)): One conv block per
            entry; each halves time and frequency.
        embedding_dim (`int`, defaults to 256): Width of the embedding used for Fréchet distances.
        clip_seconds (`float`, defaults to 2.0): Clip length it was trained on (a record; global
            pooling reads any length).
    """

    config_name = "config.json"

    @register_to_config
    def __init__(
        self,
        labels: Sequence[str] = FAMILY_LABELS,
        sample_rate: int = 16000,
        n_fft: int = 1024,
        hop_length: int = 320,
        n_mels: int = 64,
        block_out_channels: Sequence[int] = (32, 64, 128, 256),
        embedding_dim: int = 256,
        clip_seconds: float = 2.0,
    ):
        super().__init__()
        if len(labels) < 2 or len(set(labels)) != len(labels):
            raise ValueError(f"labels must be at least two distinct names, got {list(labels)}.")
        if 2 ** len(block_out_channels) > n_mels:
            raise ValueError(
                f"{len(block_out_channels)} conv blocks halve the {n_mels} mel bins below one; "
                f"use at most {int(math.log2(n_mels))} entries in block_out_channels."
            )
        self.spectrogram = MelSpectrogram(sample_rate=sample_rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
        self.input_norm = nn.BatchNorm1d(n_mels)  # per mel bin, as PANNs' bn0
        blocks, channels = [], 1
        for out_channels in block_out_channels:
            blocks += [
                nn.Conv2d(channels, out_channels, 3, padding=1, bias=False),
                nn.BatchNorm2d(out_channels),
                nn.ReLU(),
                nn.AvgPool2d(2, ceil_mode=True),  # ceil: clips of any frame count
            ]
            channels = out_channels
        self.blocks = nn.Sequential(*blocks)
        self.embed = nn.Sequential(nn.Linear(channels, embedding_dim), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(0.2), nn.Linear(embedding_dim, len(labels)))

    @property
    def labels(self) -> list[str]:
        return list(self.config.labels)

    def label_index(self, label: str) -> int:
        if label not in self.config.labels:
            raise ValueError(f"Unknown label {label!r}; this classifier knows {self.labels}.")
        return self.config.labels.index(label)

    def forward(self, mel: torch.Tensor) -> AudioClassifierOutput:
        """Classify log-mel spectrograms made by ``self.spectrogram``.

        Args:
            mel (`torch.Tensor`): Shape (B, n_mels, T), any T >= 1.

        Returns:
            `AudioClassifierOutput`: ``logits`` (B, num_labels) and ``embedding`` (B, embedding_dim).
        """
        x = self.input_norm(mel).unsqueeze(1)  # (B, 1, M, T)
        x = self.blocks(x)  # (B, C, M / 2^k, T / 2^k)
        x = x.mean(dim=2)  # (B, C, T'): frequency pooled
        pooled = x.mean(dim=-1) + x.amax(dim=-1)  # (B, C): mean + max over time, as PANNs
        embedding = self.embed(pooled)
        return AudioClassifierOutput(logits=self.head(embedding), embedding=embedding)

    def classify_audio(self, audio: torch.Tensor) -> AudioClassifierOutput:
        """:meth:`forward` on mono waveforms (B, L) at ``sample_rate`` (the log-mel is made in float32, then cast to
        the classifier's dtype)."""
        return self(self.spectrogram(audio.to(self.device)).to(self.dtype))
