"""Start-up time of the command line and of the light imports, in fresh processes.

Prints the median wall-clock time of ``--runs`` cold processes for each of:

* ``latentaudio --help`` (the installed console script next to this Python, or
  ``python -m latentaudio`` when there is none);
* ``python -c "import latentaudio.data"``;
* ``python -c "import latentaudio"``.

Each process imports the checkout this file sits in (its root goes first on ``PYTHONPATH``).
The target for the first two is under 1 s: neither should load torch, diffusers or
transformers.

With ``--generate``, also a cold ``latentaudio generate`` of ``--seconds`` (model loading and
writing the WAV included) with the model's PyTorch modules; where the folder has been exported
(``latentaudio export``), with ONNX Runtime; where it has a standalone export (``latentaudio export
--standalone``), with that graph and no PyTorch at all (what ``generate`` runs by itself); and
``import latentaudio.pipelines``, the floor every process that loads the pipeline pays (torch,
diffusers and transformers). Each line also gives the largest peak resident memory of its processes.

    python benchmarks/bench_startup.py [--runs 7] [--generate [--model DIR] [--seconds 2.56] [--steps N]]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def cli() -> list[str]:
    script = Path(sys.executable).with_name("latentaudio")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "latentaudio"]


def commands() -> dict[str, list[str]]:
    return {
        "latentaudio --help": [*cli(), "--help"],
        "import latentaudio.data": [sys.executable, "-c", "import latentaudio.data"],
        "import latentaudio": [sys.executable, "-c", "import latentaudio"],
    }


def generate_commands(model: str | None, seconds: float, steps: int | None, output: str) -> dict[str, list[str]]:
    sys.path.insert(0, str(REPO))

    from latentaudio.model_folder import exported_components, model_location  # neither imports torch
    from latentaudio.standalone import export_folder

    folder = model_location(model)
    generate = [*cli(), "generate", "a snare drum hit", "--model", folder, "--seconds", f"{seconds:g}", "-o", output, "--local",
                *([] if steps is None else ["--steps", str(steps)])]
    found = {"import latentaudio.pipelines": [sys.executable, "-c", "import latentaudio.pipelines"],
             f"generate {seconds:g} s, PyTorch": [*generate, "--runtime", "torch"]}
    if exported_components(folder):
        found[f"generate {seconds:g} s, ONNX Runtime"] = [*generate, "--runtime", "onnx"]
    if export_folder(folder).is_dir():
        found[f"generate {seconds:g} s, standalone"] = generate  # --runtime auto: the standalone graph where it runs the call
    return found


@contextmanager
def server(model: str | None, socket: str, env: dict):
    """A ``latentaudio serve`` on ``model`` listening on ``socket``, for the block."""
    process = subprocess.Popen([*cli(), "serve", *([] if model is None else ["--model", model])], cwd=REPO,
                               env={**env, "LATENTAUDIO_SOCKET": socket}, stdout=subprocess.PIPE, text=True)
    try:
        for line in process.stdout:
            if "Serving on" in line:
                print(line.split(". Serving")[0].strip() + " (the server)")
                break
        else:
            raise SystemExit("latentaudio serve exited before serving")
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()


def median_seconds(command: list[str], runs: int, env: dict) -> tuple[float, float]:
    """Median wall-clock seconds of ``runs`` processes of ``command``, and the largest peak RSS among them in GB."""
    times, peak = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
        times.append(time.perf_counter() - start)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode:
            raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")
        peak = max(peak, usage.ru_maxrss)  # kilobytes on Linux
    return statistics.median(times), peak / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per command (default 7)")
    parser.add_argument("--generate", action="store_true", help="also time cold generation")
    parser.add_argument("--served", action="store_true", help="with --generate: also as a client of `latentaudio serve`")
    parser.add_argument("--model", default=None, help="model folder for --generate (default: the embedded default model)")
    parser.add_argument("--seconds", type=float, default=2.56, help="length generated (default 2.56)")
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: the model's)")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with tempfile.TemporaryDirectory() as scratch:
        timed = {**commands(), **(generate_commands(args.model, args.seconds, args.steps, f"{scratch}/take.wav") if args.generate else {})}
        for name, command in timed.items():
            seconds, peak = median_seconds(command, args.runs, env)
            print(f"{name:<34} {seconds:6.3f} s  (median of {args.runs}), peak RSS {peak:.2f} GB")
        if args.generate and args.served:
            generate = [*cli(), "generate", "a snare drum hit", "--seconds", f"{args.seconds:g}", "-o", f"{scratch}/served.wav",
                        *([] if args.model is None else ["--model", args.model]),
                        *([] if args.steps is None else ["--steps", str(args.steps)])]
            socket = f"{scratch}/run/serve.sock"
            os.makedirs(os.path.dirname(socket), mode=0o700)
            with server(args.model, socket, env):
                seconds, peak = median_seconds(generate, args.runs, {**env, "LATENTAUDIO_SOCKET": socket})
                print(f"{f'generate {args.seconds:g} s, served':<34} {seconds:6.3f} s  (median of {args.runs}), "
                      f"client's peak RSS {peak:.2f} GB")


if __name__ == "__main__":
    main()
