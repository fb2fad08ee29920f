"""The web studio's overhead: click-to-audio in the browser beside the same generation called in Python.

Starts ``latentaudio demo`` on the model (default: the embedded one) in its own process, drives
it in headless Chromium (Debian's ``chromium``, through Playwright), and times from the click on
Generate's Run to the take's WAV link appearing in the page. In this process the same call,
``pipe(prompt, num_inference_steps=STEPS, audio_length_in_s=SECONDS)``, is timed on the same
model. The two alternate, never overlapping, so a busy machine slows both alike; each side
uses the same number of threads. Prints every run, the medians, and the app's overhead.

On a busy machine the run-to-run spread of a 20-step generation can exceed the overhead itself,
so the same pair is also timed at one sampler step (``--short-repeats`` times): the difference of
those medians is the app's fixed cost per request (HTTP, queue, WAV, page update), which is
then set against the 20-step Python time.

    python benchmarks/bench_demo.py [--model DIR] [--steps 20] [--seconds 2.56] [--repeats 3] [--threads 2]

Target: overhead below 15% (docs/benchmarks.md records the figures).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
PROMPT = "a loud snare drum hit"
TARGET = 0.15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_studio(model, threads: int) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "latentaudio", "demo", "--port", str(port)] + (["--model", model] if model else [])
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(threads)}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in process.stdout:
        if "Running on local URL" in line:
            return process, f"http://127.0.0.1:{port}"
    raise RuntimeError("the studio did not start")


def click_to_audio(page, previous: str | None) -> tuple[float, str]:
    """Seconds from the click on Run to a new take's WAV link in the page, and that link."""
    link = "#generate-take-0 a[data-testid=download-link]"
    start = time.perf_counter()
    page.click("#generate-run")
    page.wait_for_function(
        "([s, old]) => { const a = document.querySelector(s); return a && a.href && a.href !== old; }",
        arg=[link, previous or ""], timeout=600_000, polling=10,
    )
    return time.perf_counter() - start, page.get_attribute(link, "href")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="pipeline folder (default: the embedded model)")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=2.56)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--short-repeats", type=int, default=7, help="pairs timed at one sampler step")
    parser.add_argument("--threads", type=int, default=1, help="torch threads on each side")
    parser.add_argument("--chromium", default="/usr/lib/chromium/chromium", help="the Chromium binary")
    args = parser.parse_args()

    import torch
    from playwright.sync_api import sync_playwright

    from latentaudio.cli.common import load_model

    torch.set_num_threads(args.threads)
    pipe = load_model(args.model)
    pipe.set_progress_bar_config(disable=True)
    pipe(PROMPT, num_inference_steps=2, audio_length_in_s=args.seconds)  # warm-up

    process, url = start_studio(args.model, args.threads)
    python_times, app_times, python_short, app_short = [], [], [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(url, wait_until="networkidle")
            page.locator("#generate-prompt textarea").fill(PROMPT)
            page.locator("#generate-seconds input").fill(str(args.seconds))
            page.locator("#generate-steps input").fill("2")
            _, href = click_to_audio(page, None)  # warm-up
            for run in range(args.short_repeats):
                start = time.perf_counter()
                pipe(PROMPT, num_inference_steps=1, audio_length_in_s=args.seconds)
                python_short.append(time.perf_counter() - start)
                page.locator("#generate-steps input").fill("1")
                seconds, href = click_to_audio(page, href)
                app_short.append(seconds)
            page.locator("#generate-steps input").fill(str(args.steps))
            for run in range(args.repeats):
                start = time.perf_counter()
                pipe(PROMPT, num_inference_steps=args.steps, audio_length_in_s=args.seconds)
                python_times.append(time.perf_counter() - start)
                seconds, href = click_to_audio(page, href)
                app_times.append(seconds)
                print(f"run {run + 1}: Python {python_times[-1]:.3f} s, studio click-to-audio {app_times[-1]:.3f} s", flush=True)
            browser.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)

    python, app = statistics.median(python_times), statistics.median(app_times)
    overhead = app / python - 1
    print(f"\n{args.seconds:g} s at {args.steps} steps, {args.threads} thread(s), medians of {args.repeats}:")
    print(f"  Python call           {python:.3f} s")
    print(f"  studio click-to-audio {app:.3f} s")
    print(f"  overhead              {overhead:+.1%} (target < {TARGET:.0%}: {'met' if overhead < TARGET else 'NOT met'})")
    fixed = statistics.median(app_short) - statistics.median(python_short)
    print(f"At one sampler step, medians of {args.short_repeats}: Python {statistics.median(python_short):.3f} s, "
          f"studio {statistics.median(app_short):.3f} s")
    print(f"  the studio's fixed cost per request {fixed:.3f} s = {fixed / python:.1%} of the {args.steps}-step Python call")


if __name__ == "__main__":
    main()
