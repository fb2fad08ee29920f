"""Fuzzing audio inputs: files of any channel count, rate, length and subtype, with NaN, DC and
clipping; arrays of any dtype and shape. The VAE-and-vocoder round trip (``reconstruct``, what
every editing pipeline starts with) must answer each with a named error or finite audio of the
input's duration."""

from __future__ import annotations

import math

import numpy as np
import soundfile as sf
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from latentaudio import LatentAudioAudioToAudioPipeline

from .conftest import answer, examples

AREA = "audio inputs"
RATE = 16000
SHORTEST_S = 320 / RATE  # one latent frame of the tiny pipeline
LENGTHS = [0, 100, 2000, 4000]  # samples: empty, shorter than a frame at every rate, and two that fit
RATES = [8000, 16000, 22050, 44100]


def content(kind: str, length: int, channels: int) -> np.ndarray:
    rng = np.random.default_rng(length + channels)
    audio = 0.3 * rng.standard_normal((length, channels))
    if kind == "dc":
        audio = np.full((length, channels), 0.5)
    elif kind == "clipped":
        audio = 3.0 * audio
    elif kind == "silent":
        audio = np.zeros((length, channels))
    elif kind == "nan" and length:
        audio[length // 2, 0] = math.nan
    elif kind == "inf" and length:
        audio[0, -1] = math.inf
    return audio


def round_trip(fuzz_pipe):
    pipe = LatentAudioAudioToAudioPipeline.from_pipe(fuzz_pipe)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def expect_duration(samples: int, rate: int):
    def check(audio):
        if not np.isfinite(audio).all():
            return "the round trip holds NaN or inf"
        expected = samples * RATE / rate
        if abs(audio.shape[-1] - expected) > 1:
            return f"{audio.shape[-1]} samples out for {expected:g} expected"
        return None

    return check


@settings(max_examples=examples(10))
@given(
    channels=st.integers(1, 3), rate=st.sampled_from(RATES), length=st.sampled_from(LENGTHS),
    kind=st.sampled_from(["noise", "dc", "clipped", "silent", "nan", "inf"]), subtype=st.sampled_from(["FLOAT", "PCM_16"]),
)
def test_audio_files(fuzz_pipe, tmp_path_factory, channels, rate, length, kind, subtype):
    path = tmp_path_factory.mktemp("audio") / "input.wav"
    audio = content(kind, length, channels)
    sf.write(path, audio, rate, subtype=subtype)
    stored = sf.read(path, always_2d=True)[0]
    if length == 0:
        bad = "an empty file"
    elif not np.isfinite(stored).all():
        bad = "NaN or inf samples"
    elif length / rate < SHORTEST_S:
        bad = "shorter than one latent frame"
    else:
        bad = None  # DC, clipping and silence are audio like any other
    pipe = round_trip(fuzz_pipe)
    answer(AREA, lambda: pipe.reconstruct(str(path)), bad, expect_duration(length, rate))


DTYPES = ["float32", "float64", "float16", "int16", "complex64", "bool", "object"]


@settings(max_examples=examples(10))
@given(
    dtype=st.sampled_from(DTYPES), shape=st.sampled_from([(2000,), (2, 2000), (2, 1, 2000), (0,), (1, 0), (100,)]),
    rate=st.one_of(st.none(), st.sampled_from([8000, 16000, 44100, 0, -1, 1.5, math.nan])), nan=st.booleans(),
    as_tensor=st.booleans(),
)
def test_audio_arrays(fuzz_pipe, dtype, shape, rate, nan, as_tensor):
    audio = np.zeros(shape, dtype=dtype) if dtype != "object" else np.full(shape, None, dtype=object)
    if dtype.startswith("float") and audio.size:
        audio = (0.3 * np.random.default_rng(0).standard_normal(shape)).astype(dtype)
        if nan:
            audio.flat[0] = math.nan
    if as_tensor and dtype not in ("object",):
        audio = torch.from_numpy(audio)
    real = dtype not in ("complex64", "bool", "object")
    effective = RATE if rate is None else rate
    if not real:
        bad = f"{dtype} samples"
    elif len(shape) not in (1, 2) or shape[-1] == 0:
        bad = f"shape {shape}"
    elif nan and dtype.startswith("float"):
        bad = "NaN samples"
    elif rate is not None and rate != RATE and not (isinstance(rate, int) and rate > 0):
        bad = f"sample_rate={rate!r}"
    elif shape[-1] / effective < SHORTEST_S:
        bad = "shorter than one latent frame"
    else:
        bad = None
    pipe = round_trip(fuzz_pipe)
    answer(AREA, lambda: pipe.reconstruct(audio, sample_rate=rate), bad, expect_duration(shape[-1], effective))
