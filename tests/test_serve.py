"""`latentaudio serve`: a real server process, real clients, the same files and errors as running locally."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from latentaudio.cli import main
from latentaudio.cli.common import load_model_now
from latentaudio.cli.serve import forward
from latentaudio.resident import ResidentModels

FAST = ["--steps", "2", "--seconds", "0.5"]


def _cli(args, socket, cwd, timeout=300):
    env = {**os.environ, "LATENTAUDIO_SOCKET": str(socket)}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "latentaudio", *args], capture_output=True, text=True, env=env,
                            cwd=cwd, timeout=timeout)
    return result, time.perf_counter() - started


@pytest.fixture
def server(tiny_pipe_dir, tmp_path):
    """A `latentaudio serve` process on the tiny model, on a socket of its own; stopped with SIGTERM."""
    socket = tmp_path / "run" / "serve.sock"
    env = {**os.environ, "LATENTAUDIO_SOCKET": str(socket)}
    process = subprocess.Popen([sys.executable, "-m", "latentaudio", "serve", "--model", str(tiny_pipe_dir)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines = []
    for line in process.stdout:  # blocks until the server says it listens (or exits)
        lines.append(line)
        if "Serving on" in line:
            break
    assert socket.exists(), "".join(lines)
    yield socket, process, lines
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_served_verbs_write_what_local_ones_write(server, tiny_pipe_dir, tmp_path, monkeypatch, capsys):
    socket, process, log = server
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    model = ["--model", str(tiny_pipe_dir)]
    # The clients are processes of their own (they import no torch); the local runs are this one's.
    # Relative output paths are the client's: the server works in the client's folder.
    served, _ = _cli(["generate", "a kick", *model, *FAST, "--seed", "3", "-n", "2", "-o", "served.wav"], socket, work)
    assert served.returncode == 0, served.stderr
    assert main(["generate", "a kick", *model, *FAST, "--seed", "3", "-n", "2", "-o", "local.wav", "--local"]) == 0
    assert "Wrote served_1.wav (0.50 s, mono, 16000 Hz)" in served.stdout
    for i in range(2):
        a, rate = sf.read(work / f"served_{i}.wav")
        b, _ = sf.read(work / f"local_{i}.wav")
        assert rate == 16000 and a.shape == (8000,) and np.array_equal(a, b)
    # An editing verb runs over the same loaded components (no second load), with its own sampler.
    edited, _ = _cli(["transform", "served_0.wav", "--prompt", "a snare", *model, "--steps", "2", "-o", "snare.wav"], socket, work)
    assert edited.returncode == 0, edited.stderr
    assert sf.read(work / "snare.wav")[0].shape == (8000,)
    # Errors are the same one line and exit status as a local run's.
    bad = ["generate", "a kick", *model, "--steps", "1", "--seconds", "999", "-o", "x.wav"]
    served_error, _ = _cli(bad, socket, work)
    capsys.readouterr()
    assert served_error.returncode == main([*bad, "--local"]) == 1
    assert served_error.stderr.count("\n") == 1  # the loaded model shows no loading bars
    assert served_error.stderr.strip() == capsys.readouterr().err.splitlines()[-1]
    assert "audio_length_in_s=999.0 is out of range" in served_error.stderr
    assert not (work / "x.wav").exists()

    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 0
    tail = process.stdout.read()
    assert "(1 model load(s))" in tail, tail  # generate, transform and the failed request: one load
    assert "generate: 0 in" in tail and "transform: 0 in" in tail and "generate: 1 in" in tail
    assert not socket.exists()
    # With the server gone, a client runs the verb itself.
    assert forward(["generate", "a kick"], socket) is None


def test_one_server_per_socket_and_a_stale_socket_is_cleared(server, tiny_pipe_dir):
    socket, _, _ = server
    second, _ = _cli(["serve", "--model", str(tiny_pipe_dir)], socket, socket.parent, timeout=120)
    assert second.returncode == 1 and "already serving on" in second.stderr
    assert socket.exists()  # the first server's socket is untouched


def test_forward_runs_nothing_without_a_private_live_server(tmp_path):
    assert forward(["generate", "a kick"], tmp_path / "none" / "serve.sock") is None
    stale = tmp_path / "stale"
    stale.mkdir(mode=0o700)
    (stale / "serve.sock").write_bytes(b"")  # not a listening socket
    assert forward(["generate", "a kick"], stale / "serve.sock") is None
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # a folder others may write to is never trusted
    assert forward(["generate", "a kick"], shared / "serve.sock") is None


def test_resident_models_load_once_reload_changed_folders_and_keep_few(tiny_pipe_dir, tmp_path):
    import shutil

    other = tmp_path / "other"
    shutil.copytree(tiny_pipe_dir, other)
    models = ResidentModels(lambda model, device, dtype, runtime: load_model_now(model, device=device, runtime=runtime),
                            capacity=1)
    first = models.pipeline(str(tiny_pipe_dir))
    again = models.pipeline(str(tiny_pipe_dir), scheduler="ddim")
    assert models.loads == 1 and again.unet is first.unet
    assert type(again.scheduler).__name__ == "DDIMScheduler" and type(first.scheduler).__name__ == "DDIMScheduler"
    assert type(models.pipeline(str(tiny_pipe_dir)).scheduler).__name__ != "DDIMScheduler"  # the folder's own again
    from latentaudio.pipelines import LatentAudioInpaintPipeline

    inpaint = models.pipeline(str(tiny_pipe_dir), LatentAudioInpaintPipeline)
    assert isinstance(inpaint, LatentAudioInpaintPipeline) and inpaint.unet is first.unet and models.loads == 1
    models.pipeline(str(other))  # capacity 1: the first folder is dropped
    assert models.loads == 2
    models.pipeline(str(tiny_pipe_dir))
    assert models.loads == 3
    config = Path(tiny_pipe_dir) / "scheduler" / "scheduler_config.json"
    os.utime(config, ns=(time.time_ns(), time.time_ns() + 10**9))  # the folder changed on disk: load it anew
    reloaded = models.pipeline(str(tiny_pipe_dir))
    assert models.loads == 4 and reloaded.unet is not first.unet
