"""Shared fixtures: tiny seeded components built locally; nothing reaches a hub."""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The CLI's verbs never reach a `latentaudio serve` of the user running the tests (tests/test_serve.py starts its own).
os.environ["LATENTAUDIO_SOCKET"] = "/nonexistent/latentaudio-tests/serve.sock"

from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / "configs" / "tiny.yaml"


# One thread: predictable on a shared 2-core machine, where two OpenMP threads per process collapse.
torch.set_num_threads(1)


def load_benchmark(name: str):
    """The module of ``benchmarks/NAME.py``, imported as when it runs as a script (its folder's common.py importable)."""
    import importlib.util
    import sys

    folder = REPO / "benchmarks"
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_config() -> dict:
    from latentaudio.builder import load_config

    return load_config(TINY_CONFIG)


def tiny_scorer(sample_rate: int):
    """An untrained scorer of the GM instruments and drums: it ranks takes, in an order of its own."""
    from latentaudio.audio_classifier import AudioFamilyClassifier
    from latentaudio.data import gm

    torch.manual_seed(0)
    labels = [spec.name for spec in gm.PROGRAMS] + sorted(set(gm.DRUM_KEYS.values()))
    return AudioFamilyClassifier(labels=labels, sample_rate=sample_rate, block_out_channels=(4, 8), embedding_dim=8).eval()


@pytest.fixture(scope="session")
def scored_pipe_dir(tmp_path_factory, tiny_config) -> Path:
    """The tiny pipeline with :func:`tiny_scorer`, saved once per session."""
    from latentaudio.builder import build_pipeline

    folder = tmp_path_factory.mktemp("scored_pipe")
    pipe = build_pipeline(tiny_config, seed=0)
    pipe.register_modules(scorer=tiny_scorer(pipe.sample_rate))
    pipe.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_pipe_dir(tmp_path_factory, tiny_config) -> Path:
    """A tiny random pipeline saved once per session; tests load their own copy from it."""
    from latentaudio.builder import build_pipeline

    folder = tmp_path_factory.mktemp("tiny_pipe")
    build_pipeline(tiny_config, seed=0).save_pretrained(folder)
    return folder


@pytest.fixture
def tiny_pipe(tiny_pipe_dir):
    from latentaudio import LatentAudioPipeline

    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    pipe.set_progress_bar_config(disable=True)
    return pipe


# Five programs from five families (piano, fingered bass, violin, trumpet, flute) at 4 pitches
# and 3 velocities, and 6 drums of the standard kit: 78 one-second FluidR3_GM one-shots.
EVAL_PLAN = dict(
    programs=[0, 33, 40, 56, 73],
    pitches_per_program=4,
    velocities=(50, 85, 120),
    kits=(0,),
    drum_keys=[36, 38, 42, 46, 49, 50],
    seconds=1.0,
    seed=1,
)


@pytest.fixture(scope="session")
def gm_eval_data(tmp_path_factory) -> Path:
    """A small real General MIDI dataset (FluidR3_GM one-shots), rendered once per session."""
    import fluidsynth  # noqa: F401  (pyfluidsynth: installed with the package)
    from latentaudio.data import render_soundfont_dataset
    from latentaudio.data.synth import DEFAULT_SOUNDFONT

    if not Path(DEFAULT_SOUNDFONT).is_file():
        pytest.fail(f"{DEFAULT_SOUNDFONT} is not installed (Debian package fluid-soundfont-gm)")
    folder = tmp_path_factory.mktemp("gm_eval")
    render_soundfont_dataset(folder, **EVAL_PLAN)
    return folder


@pytest.fixture
def diffusers_messages():
    """What diffusers logs while a test runs, as a list of messages (its loggers do not propagate to pytest's)."""
    import logging

    class Records(logging.Handler):
        def __init__(self):
            super().__init__()
            self.messages = []

        def emit(self, record):
            self.messages.append(record.getMessage())

    records = Records()
    logging.getLogger("diffusers").addHandler(records)
    try:
        yield records.messages
    finally:
        logging.getLogger("diffusers").removeHandler(records)
