"""latentaudio: latent spectrogram diffusion for text-to-audio, training and sound editing.

Public names are imported on first use, so the command line starts without loading diffusers
and transformers for verbs that do not need them.
"""

from pathlib import Path

from .lazy import lazy_exports

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

__getattr__ = lazy_exports(__name__, _EXPORTS)
