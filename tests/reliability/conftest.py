"""The reliability suites: property-based fuzzing (``test_fuzz_*.py``) and fault injection (``test_faults.py``).

Every fuzzed call goes through :func:`answer`, which asserts the contract of the issue this suite
guards: a bad input is a ``ValueError``/``TypeError`` whose message names it, a good one gives a
correct result, and nothing else happens (no other exception type, no NaN audio, no partial
file). Each outcome is also counted by area, for ``tools/reliability_report.py``, when
``LATENTAUDIO_RELIABILITY_LOG`` names a file (one JSON line per case).

Hypothesis profiles: ``ci`` (the default: few examples, derandomised, so CI stays well under a
minute) and ``deep`` (``LATENTAUDIO_FUZZ=deep``: many more examples, a random seed each run).
"""

from __future__ import annotations

import json
import os
import re
from typing import Callable, Optional

import pytest
from hypothesis import HealthCheck, settings

# No example database: the ci profile is derandomised (the same examples every run) and writes nothing.
settings.register_profile(
    "ci", max_examples=12, deadline=None, derandomize=True, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=300, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
PROFILE = os.environ.get("LATENTAUDIO_FUZZ", "ci")
settings.load_profile(PROFILE)


def examples(n: int) -> int:
    """``n`` examples under the ``ci`` profile, 25 times more under ``deep`` (for tests whose examples are slow)."""
    return n * 25 if PROFILE == "deep" else n

CLEAR_ERRORS = (ValueError, TypeError)
# Python's own messages for a misused value: they name no argument, so they are tracebacks in disguise.
GENERIC_MESSAGES = re.compile(
    r"not supported between instances|object is not (iterable|callable|subscriptable)|unsupported operand|"
    r"has no attribute|can't multiply|must be real number, not|takes \d+ positional|got an unexpected keyword|"
    r"index \d+ is out of bounds|list index out of range|cannot convert|Overflow when unpacking"
)

OUTCOMES = ("clear error", "correct result", "traceback", "silent wrong result", "data lost")


def record(area: str, outcome: str) -> None:
    """Count one case of ``area`` with ``outcome`` (one of :data:`OUTCOMES`) in the report log, if any."""
    log = os.environ.get("LATENTAUDIO_RELIABILITY_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(json.dumps({"area": area, "outcome": outcome}) + "\n")


def answer(area: str, call: Callable, bad, check: Optional[Callable] = None, names: str = ""):
    """Run ``call()`` and assert the contract; returns its result (``None`` after a clear error).

    Args:
        area: What is fuzzed, for the report ("pipelines", "audio inputs", ...).
        call: The call under test.
        bad: Why the inputs are invalid (then a clear error is the only right answer), ``None``
            when they are valid (then ``call`` must succeed), or ``...`` when either answer is right
            (a clear error, or a result that passes ``check``).
        check: ``check(result)`` returns what is wrong with a valid call's result, or ``None``.
        names: Words a clear error's message must hold (what it must name), when known.
    """
    try:
        result = call()
    except CLEAR_ERRORS as error:
        message = str(error)
        named = len(message) >= 15 and not GENERIC_MESSAGES.search(message) and names in message
        if not named:
            record(area, "traceback")
            raise AssertionError(f"{type(error).__name__} names nothing: {message!r} (inputs: {bad})") from error
        if bad is None:
            record(area, "silent wrong result")
            raise AssertionError(f"valid inputs were refused: {type(error).__name__}: {message}") from error
        record(area, "clear error")
        return None
    except Exception as error:
        record(area, "traceback")
        raise AssertionError(f"{type(error).__name__} escaped instead of a ValueError/TypeError: {error} (inputs: {bad})") from error
    if bad is not None and bad is not ...:
        record(area, "silent wrong result")
        raise AssertionError(f"invalid inputs were accepted ({bad})")
    problem = check(result) if check is not None else None
    if problem:
        record(area, "silent wrong result")
        raise AssertionError(problem)
    record(area, "correct result")
    return result


@pytest.fixture(scope="module")
def fuzz_pipe(tiny_pipe_dir):
    """The tiny pipeline, loaded once per module (hypothesis runs many examples on one fixture)."""
    import torch

    from latentaudio import LatentAudioPipeline

    torch.manual_seed(0)
    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    pipe.set_progress_bar_config(disable=True)
    return pipe
