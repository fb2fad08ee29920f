"""The README's screenshot of the web studio: ``latentaudio demo`` on the embedded models, one prompt run in headless
Chromium, the page written as a PNG once the take and its spectrogram show.

    python benchmarks/studio_screenshot.py [--prompt "a 124 bpm house drum loop"] [--seed 0] \\
        [--out docs/figures/studio.png] [--model DIR]

Needs the ``demo`` extra and Debian's ``chromium`` (as the browser tests do). Every request the page makes that
leaves the server is refused, and the run fails if there was one.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_MS = 300_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_studio(model: str | None, cwd: str) -> tuple[subprocess.Popen, str]:
    """``latentaudio demo`` in its own process, once it serves: (the process, its address)."""
    port = free_port()
    command = [sys.executable, "-m", "latentaudio", "demo", "--port", str(port), *(["--model", model] if model else [])]
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "Running on local URL" in line:
            return process, f"http://127.0.0.1:{port}"
    raise SystemExit("The studio did not start:\n" + "".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompt", default="a 124 bpm house drum loop")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default=None, help="pipeline folder (default: the embedded models)")
    parser.add_argument("--out", default=str(REPO / "docs" / "figures" / "studio.png"))
    args = parser.parse_args()

    from playwright import sync_api

    browser_path = next((path for path in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "")
                         if path and Path(path).is_file()), None)
    if browser_path is None:
        raise SystemExit("No Chromium found: apt-get install chromium.")
    with tempfile.TemporaryDirectory() as cwd:
        process, url = start_studio(args.model, cwd)
        outside = []
        try:
            with sync_api.sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
                context = browser.new_context(viewport={"width": 1280, "height": 900})

                def only_local(route):
                    if route.request.url.startswith((url, "data:", "blob:")):
                        route.continue_()
                    else:
                        outside.append(route.request.url)
                        route.abort()

                context.route("**/*", only_local)
                page = context.new_page()
                page.goto(url, wait_until="networkidle", timeout=TIMEOUT_MS)
                page.locator("#generate-prompt textarea, #generate-prompt input").first.fill(args.prompt)
                page.locator("#generate-seed textarea, #generate-seed input").first.fill(str(args.seed))
                page.click("#generate-run")
                page.wait_for_selector("#generate-image-0 img", timeout=TIMEOUT_MS)
                page.wait_for_function("() => !document.querySelector('.progress-text')", timeout=TIMEOUT_MS)
                read_as = page.locator("#generate-read-as").inner_text()
                page.screenshot(path=args.out)
                browser.close()
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    if outside:
        raise SystemExit(f"Requests left 127.0.0.1: {outside}")
    said = re.sub(r"\s+", " ", read_as)
    print(f"Wrote {args.out}: {args.prompt!r}, seed {args.seed}; the page said: {said}")


if __name__ == "__main__":
    main()
