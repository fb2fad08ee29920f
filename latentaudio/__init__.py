"""latentaudio: latent spectrogram diffusion for text-to-audio, training and sound editing."""

from pathlib import Path

from .conditioning import TextConditioner, TextProjection
from .pipelines import LatentAudioPipeline, LatentAudioPipelineBase
from .spectrogram import MelSpectrogram, check_compatible

__version__ = "0.1.0"

# The pipeline folder embedded in the package (see MODEL_CARD.md); load it with
# LatentAudioPipeline.from_pretrained(DEFAULT_MODEL).
DEFAULT_MODEL = str(Path(__file__).resolve().parent / "default_model")

__all__ = [
    "DEFAULT_MODEL",
    "LatentAudioPipeline",
    "LatentAudioPipelineBase",
    "MelSpectrogram",
    "TextConditioner",
    "TextProjection",
    "check_compatible",
]
