"""Variable clip lengths: every batch a random whole-frame length from the U-Net's clip up to
max_clip_seconds, the same draw after a resume, and the longest recorded in the saved pipeline."""

import dataclasses

import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.training import DiffusionTrainer, DiffusionTrainingConfig

from .conftest import TRAINING_CONFIGS


def tiny_config(**values) -> DiffusionTrainingConfig:
    config = DiffusionTrainingConfig.from_yaml(TRAINING_CONFIGS / "tiny_diffusion.yaml", max_steps=3)
    return dataclasses.replace(config, **values)


def test_batches_take_random_lengths_up_to_the_longest_which_the_pipeline_records(tiny_pipe_dir, gm_data, tmp_path):
    trainer = DiffusionTrainer(tiny_pipe_dir, gm_data, tmp_path / "out", tiny_config(max_clip_seconds=0.64))
    assert trainer.clip_samples == round(0.64 * trainer.pipe.sample_rate)  # the data stream's clips: the longest
    latents = torch.zeros(2, 4, 32, 32)  # 0.64 s of tiny latents
    lengths = [trainer.crop_length(latents, step).shape[2] for step in range(40)]
    assert set(lengths) <= set(range(16, 33, 2)) and min(lengths) == 16 and max(lengths) == 32  # whole U-Net frames
    assert lengths == [trainer.crop_length(latents, step).shape[2] for step in range(40)]  # replayed on resume
    trainer.run()
    pipe = LatentAudioPipeline.from_pretrained(tmp_path / "out")
    assert pipe.config.longest_trained_length_in_s == pytest.approx(0.64) and pipe.window_frames == 32


def test_a_longest_length_below_the_unet_clip_is_refused(tiny_pipe_dir, gm_data, tmp_path):
    trainer = DiffusionTrainer(tiny_pipe_dir, gm_data, tmp_path / "out", tiny_config(max_clip_seconds=0.1))
    with pytest.raises(ValueError, match=r"max_clip_seconds=0.1 is out of range: expected from the U-Net's clip \(0.32 s\)"):
        trainer.run()


def test_min_clip_seconds_draws_lengths_below_the_unet_clip(tiny_pipe_dir, gm_data, tmp_path):
    trainer = DiffusionTrainer(tiny_pipe_dir, gm_data, tmp_path / "out", tiny_config(min_clip_seconds=0.16))
    assert trainer.clip_samples == round(0.32 * trainer.pipe.sample_rate)  # the data stream's clips stay the U-Net's
    latents = torch.zeros(2, 4, 16, 32)  # 0.32 s of tiny latents
    lengths = [trainer.crop_length(latents, step).shape[2] for step in range(40)]
    assert set(lengths) <= set(range(8, 17, 2)) and min(lengths) == 8 and max(lengths) == 16
    trainer.run()
    assert LatentAudioPipeline.from_pretrained(tmp_path / "out").config.get("longest_trained_length_in_s") is None


def test_clips_longer_than_the_unet_clip_are_recorded_as_the_longest_trained_length(tiny_pipe_dir, gm_data, tmp_path):
    # clip_seconds alone (the music recipe: whole 10.24 s clips, cut from 1 s up): the U-Net denoised the
    # whole clip in one pass, so the pipeline generates up to it without windows
    trainer = DiffusionTrainer(tiny_pipe_dir, gm_data, tmp_path / "out", tiny_config(clip_seconds=0.64, min_clip_seconds=0.16))
    assert trainer.clip_samples == round(0.64 * trainer.pipe.sample_rate)
    trainer.run()
    pipe = LatentAudioPipeline.from_pretrained(tmp_path / "out")
    assert pipe.config.longest_trained_length_in_s == pytest.approx(0.64) and pipe.window_frames == 32


def test_a_shortest_length_above_the_longest_is_refused(tiny_pipe_dir, gm_data, tmp_path):
    trainer = DiffusionTrainer(tiny_pipe_dir, gm_data, tmp_path / "out", tiny_config(min_clip_seconds=0.5))
    with pytest.raises(ValueError, match=r"min_clip_seconds=0.5 is out of range: expected at most the longest clip \(0.32 s\)"):
        trainer.run()
