"""Fixtures for the trainers: a handful of real General MIDI one-shots rendered once per session."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from ..conftest import REPO

TRAINING_CONFIGS = REPO / "configs" / "training"


# Subprocesses run single-threaded like the tests below (and so compute bit-identical numbers).
SUBPROCESS_ENV = {"OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                  "TOKENIZERS_PARALLELISM": "false"}


@pytest.fixture(autouse=True)
def one_thread():
    """One intra-op thread: on a shared 2-core machine, two OpenMP threads that wait for each other
    made the tiny U-Net's step 10-100x slower whenever another process held a core."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def gm_data(tmp_path_factory) -> Path:
    """12 FluidR3_GM one-shots of 0.5 s: piano, fingered bass, trumpet x 2 pitches x 2 velocities.

    The split column gives 10 training clips, 1 validation and 1 test clip.
    """
    import fluidsynth  # noqa: F401  (pyfluidsynth: installed with the package)
    from latentaudio.data.soundfont import render_soundfont_dataset
    from latentaudio.data.synth import DEFAULT_SOUNDFONT

    if not Path(DEFAULT_SOUNDFONT).is_file():
        pytest.fail(f"{DEFAULT_SOUNDFONT} is not installed (Debian package fluid-soundfont-gm)")
    folder = tmp_path_factory.mktemp("gm_one_shots")
    render_soundfont_dataset(folder, programs=[0, 33, 56], drums=False, seconds=0.5, pitches_per_program=2,
                             velocities=(60, 110))
    return folder


def train_args(verb: str, model, data, output, config: str = None, *extra) -> list[str]:
    """Command-line arguments of a training verb."""
    args = [*verb.split(), "--model", str(model), "--data", str(data), "--output", str(output)]
    if config:
        args += ["--config", str(TRAINING_CONFIGS / config)]
    return args + [str(e) for e in extra]


def loss_history(output: Path) -> list[dict]:
    """Logged losses (one dict per log point) from the newest checkpoint of a run."""
    newest = sorted((output / "checkpoints").glob("checkpoint-*"))[-1]
    return [values for _, values in json.loads((newest / "trainer_state.json").read_text())["history"]]


def mean(values) -> float:
    values = list(values)
    return sum(values) / len(values)


def run_killed_after_checkpoint(args: list[str], output: Path, step: int) -> None:
    """Run ``latentaudio ARGS`` in a subprocess and SIGKILL it as soon as checkpoint ``step`` is
    complete in ``output``; fails if the run ended first or left a finished pipeline."""
    process = subprocess.Popen([sys.executable, "-m", "latentaudio", *args], cwd=REPO,
                               env={**os.environ, **SUBPROCESS_ENV}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = output / "checkpoints" / f"checkpoint-{step:08d}" / "trainer_state.json"
    deadline = time.monotonic() + 240
    while not first.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    stderr = process.communicate()[1].decode()
    assert process.returncode == -signal.SIGKILL, f"the run ended before it could be killed:\n{stderr[-2000:]}"
    assert not (output / "model_index.json").exists()
    assert f"checkpoint-{step:08d}" in {p.name for p in (output / "checkpoints").iterdir()}


@pytest.fixture(scope="session")
def minilm_pipe_dir(tmp_path_factory, tiny_config) -> Path:
    """The tiny pipeline, but conditioned on the packaged MiniLM encoder (mean pooling, as small.yaml and the default model)."""
    from latentaudio.builder import build_pipeline

    config = {**tiny_config, "text_encoder": {"pretrained": "minilm", "pooling": "mean", "normalize": True}}
    folder = tmp_path_factory.mktemp("tiny_minilm")
    build_pipeline(config, seed=0).save_pretrained(folder)
    return folder
