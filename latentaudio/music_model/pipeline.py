"""Lets diffusers load this folder: DiffusionPipeline.from_pretrained(folder, custom_pipeline=folder)."""
from latentaudio import LatentAudioPipeline  # noqa: F401
