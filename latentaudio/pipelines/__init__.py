"""latentaudio's diffusers pipelines."""

from .audio_to_audio import LatentAudioAudioToAudioPipeline
from .base import LatentAudioPipelineBase
from .continuation import LatentAudioContinuationPipeline
from .editing import LatentAudioEditPipelineBase
from .inpaint import LatentAudioInpaintPipeline
from .interpolate import LatentAudioInterpolationPipeline
from .stereo import LatentAudioStereoWideningPipeline
from .super_resolution import LatentAudioSuperResolutionPipeline
from .text_to_audio import LatentAudioPipeline

__all__ = [
    "LatentAudioPipelineBase",
    "LatentAudioPipeline",
    "LatentAudioEditPipelineBase",
    "LatentAudioAudioToAudioPipeline",
    "LatentAudioInpaintPipeline",
    "LatentAudioContinuationPipeline",
    "LatentAudioSuperResolutionPipeline",
    "LatentAudioStereoWideningPipeline",
    "LatentAudioInterpolationPipeline",
]
