"""What the quality benchmarks share: the generation settings of ``latentaudio evaluate`` as options, and the
pipeline they load. Run a benchmark as ``python benchmarks/NAME.py``; its folder is then on the import path."""

from __future__ import annotations

import argparse
from typing import Optional

import numpy as np


def generation_parser(description: str, limit: int, seconds: float, model: str = "latentaudio/default_model") -> argparse.ArgumentParser:
    """Options ``--model`` (default ``model``: a folder or an embedded model's name, ``"music"`` for the benchmarks of
    loops, phrases and effects), ``--limit``, ``--steps``, ``--seconds``, ``--guidance``, ``--threads`` and ``--seed``:
    which model generates how many prompts (evenly spread), and how, as ``latentaudio evaluate`` does."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", default=model, help=f"a model folder or an embedded model's name (default {model})")
    parser.add_argument("--limit", type=int, default=limit, help=f"prompts, evenly spread (default {limit})")
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: the model's own)")
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--guidance", type=float, default=None, help="guidance scale (default: the model's own)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    return parser


def add_split_argument(parser: argparse.ArgumentParser, default: str) -> None:
    """Option ``--split``: the held-out split whose rows give the prompts (choose settings on validation, report test once)."""
    parser.add_argument("--split", default=default, choices=("validation", "test"),
                        help=f"the held-out rows that give the prompts (default {default}; choose settings on validation)")


def add_scorer_argument(parser: argparse.ArgumentParser) -> None:
    """Option ``--scorer``: rank by this scorer (a scorer folder, or a pipeline folder holding one) instead of the
    model's own, to compare scorers on one model (:func:`use_scorer`)."""
    parser.add_argument("--scorer", default=None, help="rank by this scorer (or a pipeline folder's) instead of the model's")


def use_scorer(pipe, args: argparse.Namespace):
    """``pipe`` with ``args.scorer`` in place of its own scorer when one is given; exits when it then has none."""
    from pathlib import Path

    from latentaudio.evaluation.classifier import load_classifier

    if args.scorer is not None:
        folder = Path(args.scorer)
        pipe.register_modules(scorer=load_classifier(folder / "scorer" if (folder / "model_index.json").is_file() else folder)[0])
    if pipe.scorer is None:
        raise SystemExit(f"{args.model} has no scorer to rank takes with (latentaudio train scorer).")
    return pipe


def load_pipeline(args: argparse.Namespace, **kwargs):
    """``args.model`` (a folder, or an embedded model's name such as ``default-teacher``) as a pipeline on ``args.threads`` threads, its progress bar off; ``args.steps`` and
    ``args.guidance`` left unset become the model's own (a distilled student's 4 steps at its scale)."""
    import torch

    from latentaudio import LatentAudioPipeline
    from latentaudio.model_folder import model_location

    torch.set_num_threads(args.threads)
    pipe = LatentAudioPipeline.from_pretrained(model_location(args.model), **kwargs)
    pipe.set_progress_bar_config(disable=True)
    args.steps, args.guidance = pipe.sampling_settings(args.steps, args.guidance)
    return pipe


def first_of(pipe, takes, prompts, k: int) -> np.ndarray:
    """Which of the first ``k`` takes of each prompt (``takes`` (N, K, L), drawn with the scorer detached) the pipeline
    puts first by its own ``take_order``, as ``num_waveforms_per_prompt=k`` would return them: indices (N,) into K;
    all 0 for ``k`` 1."""
    count = takes.shape[0]
    if k == 1:
        return np.zeros(count, dtype=np.int64)
    return (pipe.take_order(takes[:, :k].flatten(0, 1), list(prompts), k).reshape(count, k)[:, 0] % k).numpy()


def envelope_db(audio: np.ndarray, sample_rate: int, segment: float, floor_db: Optional[float] = None) -> np.ndarray:
    """RMS per whole ``segment`` seconds of clips (N, L), in dB below each clip's loudest segment (floored at
    ``floor_db`` when given): (N, segments)."""
    hop = round(segment * sample_rate)
    if audio.shape[1] < hop:
        raise ValueError(f"A clip of {audio.shape[1]} samples is shorter than one {segment:g} s segment.")
    segments = audio[:, : audio.shape[1] // hop * hop].reshape(len(audio), -1, hop)
    rms = np.sqrt((segments.astype(np.float64) ** 2).mean(axis=2)) + 1e-12
    level = 20 * np.log10(rms / rms.max(axis=1, keepdims=True))
    return level if floor_db is None else np.maximum(level, floor_db)
