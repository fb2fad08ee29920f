"""latentaudio: latent spectrogram diffusion for text-to-audio, training and sound editing.

Public names are imported on first use, so the command line starts without loading diffusers
and transformers for verbs that do not need them.
"""

from pathlib import Path

from .lazy import lazy_exports

__version__ = "0.1.0"

# The pipeline folders embedded in the package (see MODEL_CARD.md): the default model, a guidance-distilled
# student (4 DPM-Solver++ steps of one U-Net call each, guidance embedded), and DEFAULT_TEACHER, the model it was
# distilled from (8 guided steps: a batch of 2 per call). Load either with LatentAudioPipeline.from_pretrained(
# DEFAULT_MODEL); the command line's --model also takes their names (EMBEDDED_MODELS). "default-fast" (DEFAULT_FAST)
# named an earlier 4-step student distilled by latent consistency; the default model, as fast and closer to its
# teacher, replaced it, and the old name now loads the default model. MUSIC_MODEL ("music") is the teacher fine-tuned
# on drum loops, melodic phrases, sound effects and one-shots of up to 10.24 s, with the tempo, key and length a
# prompt states as structured conditioning (a preview: MODEL_CARD.md has what it follows and what it does not yet).
DEFAULT_MODEL = str(Path(__file__).resolve().parent / "default_model")
DEFAULT_TEACHER = str(Path(__file__).resolve().parent / "default_teacher")
DEFAULT_FAST = DEFAULT_MODEL
MUSIC_MODEL = str(Path(__file__).resolve().parent / "music_model")
EMBEDDED_MODELS = {"default": DEFAULT_MODEL, "default-teacher": DEFAULT_TEACHER, "default-fast": DEFAULT_MODEL,
                   "music": MUSIC_MODEL}

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
    "asks_for_material": ".prompts",
}

__all__ = ["DEFAULT_MODEL", "DEFAULT_TEACHER", "DEFAULT_FAST", "MUSIC_MODEL", "EMBEDDED_MODELS", *_EXPORTS]

__getattr__ = lazy_exports(__name__, _EXPORTS)
