"""The diffusion trainer with pitch_conditioning: it adds the pitch embedding and trains it on the captions' notes."""

from latentaudio import LatentAudioPipeline
from latentaudio.cli import main
from latentaudio.conditioning import has_pitch_embedding

from .conftest import TRAINING_CONFIGS, train_args


import pytest


@pytest.mark.slow
def test_the_trainer_adds_the_embedding_and_teaches_it(tiny_pipe_dir, gm_data, tmp_path):
    config = tmp_path / "pitch.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\npitch_conditioning: true\n"
                      "pitch_dropout: 0.5\nuse_ema: false\n")
    out = tmp_path / "pitched"
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, out, None, "--config", config,
                           "--max-steps", 6)) == 0
    trained = LatentAudioPipeline.from_pretrained(out)
    assert trained.config.pitch_conditioning and has_pitch_embedding(trained.unet)
    assert trained.unet.class_embedding.linear_2.weight.abs().sum() > 0  # it learned from the captions' notes
    assert not LatentAudioPipeline.from_pretrained(tiny_pipe_dir).config.get("pitch_conditioning")
