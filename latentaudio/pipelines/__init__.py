"""latentaudio's diffusers pipelines."""

from .base import LatentAudioPipelineBase
from .text_to_audio import LatentAudioPipeline

__all__ = ["LatentAudioPipelineBase", "LatentAudioPipeline"]
