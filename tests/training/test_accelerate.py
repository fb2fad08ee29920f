"""The same trainer under `accelerate launch`: two CPU processes (gloo), gradient accumulation.

accelerate 1.x starts one process for `accelerate launch --cpu --num_processes 2` unless it can use
`mpirun`; two real CPU processes come from its torchrun launcher with ACCELERATE_USE_CPU=1.
"""

import json
import os
import shutil
import subprocess

import pytest

from latentaudio import LatentAudioPipeline

from ..conftest import REPO
from .conftest import SUBPROCESS_ENV, TRAINING_CONFIGS, train_args


def test_two_process_diffusion_training(tiny_pipe_dir, gm_data, tmp_path):
    if shutil.which("accelerate") is None:
        pytest.fail("the accelerate launcher is not on PATH (pip install accelerate)")
    config = tmp_path / "two_processes.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\n"
                      "batch_size: 2\ngradient_accumulation_steps: 2\nprediction_type: v_prediction\n")
    out = tmp_path / "out"
    launch = ["accelerate", "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
              "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "latentaudio"]
    args = train_args("train diffusion", tiny_pipe_dir, gm_data, out, None, "--config", config, "--max-steps", 2)
    result = subprocess.run(launch + args, cwd=REPO, env={**os.environ, **SUBPROCESS_ENV, "ACCELERATE_USE_CPU": "1"},
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads((out / "training.json").read_text())
    assert record["processes"] == 2 and record["steps"] == 2
    state = json.loads((out / "checkpoints" / "checkpoint-00000002" / "trainer_state.json").read_text())
    assert state["position"] == 2 * 2 * 2 * 2  # steps x accumulation x processes x batch
    assert sorted(p.name for p in (out / "checkpoints" / "checkpoint-00000002").glob("random_states_*")) == [
        "random_states_0.pkl", "random_states_1.pkl"]
    pipe = LatentAudioPipeline.from_pretrained(out)
    assert pipe.scheduler.config.prediction_type == "v_prediction"  # sampling follows the training target


def test_processes_that_would_train_alone_are_refused(tiny_pipe_dir, gm_data, tmp_path, monkeypatch, capsys):
    from latentaudio.cli import main

    monkeypatch.setenv("WORLD_SIZE", "2")  # launched as two, but this process joined no group
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, tmp_path / "o", "tiny_diffusion.yaml")) == 1
    assert "each would train alone" in capsys.readouterr().err
