"""Start-up time of the command line and of the light imports, in fresh processes.

Prints the median wall-clock time of ``--runs`` cold processes for each of:

* ``latentaudio --help`` (the installed console script next to this Python, or
  ``python -m latentaudio`` when there is none);
* ``python -c "import latentaudio.data"``;
* ``python -c "import latentaudio"``.

Each process imports the checkout this file sits in (its root goes first on ``PYTHONPATH``).
The target for the first two is under 1 s: neither should load torch, diffusers or
transformers.

    python benchmarks/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def commands() -> dict[str, list[str]]:
    script = Path(sys.executable).with_name("latentaudio")
    help_command = [str(script), "--help"] if script.is_file() else [sys.executable, "-m", "latentaudio", "--help"]
    return {
        "latentaudio --help": help_command,
        "import latentaudio.data": [sys.executable, "-c", "import latentaudio.data"],
        "import latentaudio": [sys.executable, "-c", "import latentaudio"],
    }


def median_seconds(command: list[str], runs: int, env: dict) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="processes per command (default 7)")
    args = parser.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    for name, command in commands().items():
        print(f"{name:<26} {median_seconds(command, args.runs, env):6.3f} s  (median of {args.runs})")


if __name__ == "__main__":
    main()
