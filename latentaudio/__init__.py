"""latentaudio: latent spectrogram diffusion for text-to-audio, training and sound editing.

Public names are imported on first use, so the command line starts without loading diffusers
and transformers for verbs that do not need them.
"""

import importlib
from pathlib import Path

__version__ = "0.1.0"

# The pipeline folder embedded in the package (see MODEL_CARD.md); load it with
# LatentAudioPipeline.from_pretrained(DEFAULT_MODEL).
DEFAULT_MODEL = str(Path(__file__).resolve().parent / "default_model")

_EXPORTS = {
    "LatentAudioPipeline": ".pipelines",
    "LatentAudioPipelineBase": ".pipelines",
    "LatentAudioAudioToAudioPipeline": ".pipelines",
    "LatentAudioInpaintPipeline": ".pipelines",
    "LatentAudioContinuationPipeline": ".pipelines",
    "LatentAudioSuperResolutionPipeline": ".pipelines",
    "LatentAudioStereoWideningPipeline": ".pipelines",
    "LatentAudioInterpolationPipeline": ".pipelines",
    "MelSpectrogram": ".spectrogram",
    "check_compatible": ".spectrogram",
    "TextConditioner": ".conditioning",
    "TextProjection": ".conditioning",
    "parse_prompt": ".prompts",
    "PromptAttributes": ".prompts",
}

__all__ = ["DEFAULT_MODEL", *_EXPORTS]


def __getattr__(name):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'latentaudio' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    globals()[name] = value
    return value
