"""Fault tests: kill -9 at chosen points of every write a user keeps, then check that nothing was lost.

Each case forks a child process — a real process, with the test's imports already loaded, so a
case pays no start-up — that performs one real write: ``save_pretrained``, ``write_audio``, or a
training run's checkpoint and final save. Just before the child's k-th filesystem step inside the
target folder (an audit event: creating, opening for writing, linking, renaming or removing a file
or folder, or the folder swap, ``latentaudio.exchange``) it stops itself (SIGSTOP); the test then
sends it SIGKILL, so the write ends exactly there. The points are drawn per seed from all the
steps an uninterrupted write takes (recorded by one run), plus the publishing ones: the folder
swap and the step after it, a checkpoint's rename into place. Bytes written from C (libsndfile,
safetensors) raise no event, so audio writing is also killed at random moments while a child
rewrites a file in a loop.

After every kill, every file that existed before is intact or fully replaced by the new version,
and a resumed training run finishes.
"""

import hashlib
import os
import random
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors.torch import load_file

from latentaudio.audio_io import write_audio
from latentaudio.cli import main

from ..training import conftest as training
from ..training.conftest import train_args

gm_data = training.gm_data  # the General MIDI one-shots fixture, rendered once per session

SEEDS = (0, 1, 2)
# Audit events of filesystem steps (see the Python audit events table); os.replace raises "os.rename".
STEPS = {"open", "os.rename", "os.remove", "os.rmdir", "os.mkdir", "os.link", "os.symlink", "shutil.rmtree",
         "shutil.copyfile", "latentaudio.exchange"}
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _paths(arguments):
    for value in arguments:
        if isinstance(value, (tuple, list)):
            yield from _paths(value)
        elif isinstance(value, (str, bytes, os.PathLike)):
            yield os.fsdecode(value)


def _step(event: str, arguments, inside: str, outside: tuple):
    """``"EVENT PATH"`` when the audit event is a filesystem step under ``inside`` (not under ``outside``), else None."""
    if event not in STEPS:
        return None
    if event == "open":
        _, mode, flags = arguments
        if not (any(c in mode for c in "wax+") if isinstance(mode, str) else flags & WRITE_FLAGS):
            return None
    paths = [path for path in _paths(arguments) if path.startswith(inside) and not path.startswith(outside)]
    return f"{event} {paths[-1]}" if paths else None


def run_in_child(action, inside: Path, stop_at=None, outside=()):
    """Run ``action()`` in a forked child; stop it before its ``stop_at``-th step under ``inside`` and SIGKILL it.

    Returns:
        The steps the write took (``"EVENT PATH"`` each), or None when the child was killed.
    """
    record = inside / f".steps-{os.getpid()}-{time.monotonic_ns()}"
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 0
        try:
            steps = []
            prefix, excluded = str(inside), tuple(str(path) for path in outside) or ("\0",)

            def hook(event, arguments):
                step = _step(event, arguments, prefix, excluded)
                if step is not None and not step.endswith(record.name):
                    if len(steps) == stop_at:
                        os.kill(os.getpid(), signal.SIGSTOP)
                    steps.append(step)

            sys.addaudithook(hook)
            action()
            record.write_text("\n".join(steps))
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, os.WUNTRACED)
    if os.WIFSTOPPED(status):
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        return None
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "the write failed in the child (traceback above)"
    steps = record.read_text().splitlines()
    record.unlink()
    return steps


def kill_points(steps: list, seed: int, count: int = 2) -> list[int]:
    """``count`` random steps for ``seed``, plus the folder swap (``renameat2``) and the step after it."""
    drawn = random.Random(seed).sample(range(len(steps)), min(count, len(steps)))
    swaps = [i for i, step in enumerate(steps) if step.startswith("latentaudio.exchange")][-1:]
    return sorted({*drawn, *swaps, *[min(i + 1, len(steps) - 1) for i in swaps]})


def tree_bytes(folder: Path, skip=()) -> dict:
    """Every file under ``folder`` (relative name → SHA-1 of its bytes)."""
    return {str(p.relative_to(folder)): hashlib.sha1(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.relative_to(folder).parts[0] not in skip}


def leftovers(folder: Path) -> list[str]:
    """Entries beside ``folder`` other than itself: only hidden temporaries of the killed writer may be there."""
    return sorted(p.name for p in folder.parent.iterdir() if p != folder)


# ------------------------------------------------------------------ save_pretrained
@pytest.fixture
def two_pipelines(tiny_pipe, tiny_config, tmp_path):
    """Pipeline versions A (in ``folder``, with a file of the user's beside it) and B, each also saved whole."""
    from latentaudio.builder import build_pipeline

    new = build_pipeline(tiny_config, seed=1)
    references = tmp_path / "references"
    tiny_pipe.save_pretrained(references / "a")
    new.save_pretrained(references / "b")
    folder = tmp_path / "target" / "pipe"
    shutil.copytree(references / "a", folder)
    (folder / "notes.txt").write_text("mine")
    return folder, new, [tree_bytes(references / name) for name in ("a", "b")]


@pytest.mark.parametrize("seed", SEEDS)
def test_save_pretrained_killed_anywhere_leaves_the_old_or_the_new_pipeline(two_pipelines, seed):
    folder, new, versions = two_pipelines
    pristine, dry = folder.parent.parent / "pristine", folder.parent.parent / "dry"
    shutil.copytree(folder.parent, pristine)
    shutil.copytree(pristine, dry)
    steps = run_in_child(lambda: new.save_pretrained(dry / "pipe"), dry)  # the same save, uninterrupted
    assert len(steps) > 10
    seen = {}
    for point in kill_points(steps, seed):
        shutil.rmtree(folder.parent)
        shutil.copytree(pristine, folder.parent)
        assert run_in_child(lambda: new.save_pretrained(folder), folder.parent, stop_at=point) is None
        found = tree_bytes(folder, skip=("notes.txt",))
        assert found in versions, f"killed before {steps[point]}: a mix of versions or a partial file"
        seen[steps[point]] = versions.index(found)
        assert (folder / "notes.txt").read_text() == "mine"
        assert all(name.startswith(".pipe.") for name in leftovers(folder)), leftovers(folder)
        new.save_pretrained(folder)  # the next save succeeds and clears what the killed one left
        assert tree_bytes(folder, skip=("notes.txt",)) == versions[1] and leftovers(folder) == []
    swaps = [i for i, step in enumerate(steps) if step.startswith("latentaudio.exchange")]
    assert swaps, "the save never swapped a complete folder into place"
    assert seen[steps[swaps[-1]]] == 0 and seen[steps[swaps[-1] + 1]] == 1  # killed before the swap: old; after: new


def test_two_concurrent_pipeline_saves_leave_one_complete_pipeline(two_pipelines, tiny_pipe):
    folder, new, versions = two_pipelines
    children = []
    for pipe in (tiny_pipe, new):
        pid = os.fork()
        if pid == 0:
            try:
                pipe.save_pretrained(folder)
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        assert os.waitpid(pid, 0)[1] == 0
    assert tree_bytes(folder, skip=("notes.txt",)) in versions and (folder / "notes.txt").read_text() == "mine"
    assert leftovers(folder) == []


# ------------------------------------------------------------------ convert
@pytest.mark.parametrize("seed", SEEDS)
def test_convert_killed_anywhere_leaves_no_folder_or_a_whole_one(tiny_pipe, tmp_path, seed):
    """``latentaudio convert`` writes a new folder: killed, it leaves nothing there (and a rerun succeeds) or all of it."""
    from latentaudio.loading import convert_pipeline

    source = tmp_path / "source"
    tiny_pipe.save_pretrained(source)
    before = tree_bytes(source)
    dry = tmp_path / "dry"
    dry.mkdir()
    steps = run_in_child(lambda: convert_pipeline(source, dry / "out"), dry)  # the same convert, uninterrupted
    reference = tree_bytes(dry / "out")
    published = [i for i, step in enumerate(steps) if step == f"os.rename {dry / 'out'}"]
    assert published, "the convert never renamed a complete folder into place"
    points = sorted({*kill_points(steps, seed), published[-1], min(published[-1] + 1, len(steps) - 1)})
    outcomes = {}
    for point in points:
        work = tmp_path / f"work-{point}"
        work.mkdir()
        assert run_in_child(lambda: convert_pipeline(source, work / "out"), work, stop_at=point) is None
        outcomes[point] = (work / "out").exists()
        if outcomes[point]:
            assert tree_bytes(work / "out") == reference, f"killed before {steps[point]}: a partial folder"
        else:
            assert all(name.startswith(".out.") for name in leftovers(work / "out")), leftovers(work / "out")
            convert_pipeline(source, work / "out")  # the rerun succeeds and clears what the killed one left
            assert tree_bytes(work / "out") == reference and leftovers(work / "out") == []
        assert tree_bytes(source) == before  # the source is only read
    assert outcomes[published[-1]] is False  # killed just before the rename: nothing there yet


# ------------------------------------------------------------------- write_audio
RATE = 16000


def take(index: int) -> np.ndarray:
    """Version ``index`` of a file: a tone of its own pitch, exactly representable in 16-bit PCM."""
    tone = 0.5 * np.sin(2 * np.pi * (220 + 110 * index) * np.arange(RATE) / RATE)
    return (np.round(tone * 32767) / 32767).astype(np.float32)


def which_take(path: Path, count: int) -> int:
    audio, rate = sf.read(str(path), dtype="float32")
    assert rate == RATE and audio.shape == (RATE,), f"a partial file: {audio.shape} at {rate} Hz"
    matches = [i for i in range(count) if np.abs(audio - take(i)).max() < 1e-4]
    assert matches, "the file is complete but holds neither version"
    return matches[0]


@pytest.mark.parametrize("seed", SEEDS)
def test_write_audio_killed_at_any_moment_leaves_a_whole_file(tmp_path, seed):
    folder = tmp_path / "takes"
    path = folder / "take.wav"
    write_audio(path, take(0), RATE)
    assert run_in_child(lambda: write_audio(path, take(1), RATE), folder, stop_at=0) is None  # before the rename
    assert which_take(path, 3) == 0

    # killed at a random moment while rewriting the file in a loop (mid-write included)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(write_end, b"go")
            for index in range(10 ** 6):
                write_audio(path, take(1 + index % 2), RATE)
        finally:
            os._exit(0)
    os.read(read_end, 2)
    time.sleep(random.Random(seed).uniform(0.05, 0.3))
    os.kill(pid, signal.SIGKILL)
    assert os.waitpid(pid, 0)[1] & 0x7F == signal.SIGKILL
    os.close(read_end), os.close(write_end)
    assert which_take(path, 3) in (0, 1, 2)
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".take.wav.")] == ["take.wav"]


def test_two_concurrent_audio_writers_leave_one_complete_file_for_every_reader(tmp_path):
    path = tmp_path / "take.wav"
    write_audio(path, take(0), RATE)
    children = []
    for index in (1, 2):
        pid = os.fork()
        if pid == 0:
            try:
                for _ in range(40):
                    write_audio(path, take(index), RATE)
            finally:
                os._exit(0)
        children.append(pid)
    running, reads = set(children), 0
    while running:
        which_take(path, 3)  # every read finds one whole version
        reads += 1
        for pid in list(running):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                assert status == 0
                running.discard(pid)
    assert reads > 5 and which_take(path, 3) in (1, 2) and os.listdir(tmp_path) == ["take.wav"]


# --------------------------------------------------------- checkpoints and final save
def train_args_resuming(output, steps, tiny_pipe_dir, data):
    return train_args("train vae", tiny_pipe_dir, data, output, "tiny_vae.yaml", "--checkpoint-every", 1,
                      "--max-steps", steps, "--resume")


@pytest.fixture(scope="module")
def one_step_run(tiny_pipe_dir, gm_data, tmp_path_factory):
    """A one-step VAE run (checkpoint-1, pipeline A), and the steps and pipeline B of resuming it to step 2."""
    base = tmp_path_factory.mktemp("one_step_run")
    pristine, dry = base / "pristine", base / "dry"
    assert main(train_args_resuming(pristine, 1, tiny_pipe_dir, gm_data)) == 0
    shutil.copytree(pristine, dry)
    # Steps count in the output folder and its temporary siblings (the final save), not in logs and caches.
    steps = run_in_child(lambda: main(train_args_resuming(dry, 2, tiny_pipe_dir, gm_data)), base,
                         outside=(dry / "logs", dry / "cache"))
    return pristine, steps, pipeline_files(pristine), pipeline_files(dry), weights(dry)


def pipeline_files(output: Path) -> dict:
    """The bytes of what a training run publishes: the pipeline and ``training.json``."""
    return tree_bytes(output, skip=("checkpoints", "logs", "cache", "loss_curve.png"))


def weights(folder: Path) -> dict:
    return {f"{p.parent.name}/{k}": v for p in sorted(folder.glob("*/*.safetensors")) for k, v in load_file(str(p)).items()}


@pytest.mark.parametrize("seed", SEEDS)
def test_training_killed_while_saving_keeps_its_checkpoints_and_resumes(one_step_run, tiny_pipe_dir, gm_data, tmp_path,
                                                                         seed):
    pristine, steps, version_a, version_b, weights_b = one_step_run
    publishing = {  # seed 0: the checkpoint's rename into place; seed 1: the final folder swap; seed 2: drawn
        0: next(i for i, step in enumerate(steps) if step.startswith("os.rename") and step.endswith("/checkpoint-00000002")),
        1: max((i for i, step in enumerate(steps) if step.startswith("latentaudio.exchange")), default=len(steps) - 1),
    }
    point = publishing.get(seed, random.Random(seed).randrange(len(steps)))
    out = tmp_path / "dry"  # the name of the counted run, so that the steps are the same
    shutil.copytree(pristine, out)
    step_one = tree_bytes(out / "checkpoints" / "checkpoint-00000001")
    args = train_args_resuming(out, 2, tiny_pipe_dir, gm_data)
    assert run_in_child(lambda: main(args), tmp_path, stop_at=point, outside=(out / "logs", out / "cache")) is None
    assert tree_bytes(out / "checkpoints" / "checkpoint-00000001") == step_one
    assert pipeline_files(out) in (version_a, version_b), f"killed before {steps[point]}: a mix of versions or a partial file"

    assert main(args) == 0  # resumes (from checkpoint 1, or 2 when it was complete) and finishes
    resumed = weights(out)
    assert resumed.keys() == weights_b.keys()
    for key in weights_b:
        torch.testing.assert_close(resumed[key], weights_b[key], rtol=1e-5, atol=1e-6, msg=key)
