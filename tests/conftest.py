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
