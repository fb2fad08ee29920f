"""Run the reliability suites and print the "Reliability" table of docs/reliability.md.

    python tools/reliability_report.py [--deep] [--write]

Runs ``tests/reliability/`` (the fuzz suites, ``test_fuzz_*.py``, and the fault-injection tests,
``test_faults.py``, when present) and counts each case by area and outcome:

- fuzz cases: every example a fuzz test tries reports its outcome (a clear error, a correct result,
  a traceback, a silent wrong result) through ``LATENTAUDIO_RELIABILITY_LOG``;
- fault tests: each collected test case of ``test_faults.py`` is one data-loss case of its area
  (from its name): it passes when every file a kill or a race touched is intact or wholly replaced,
  and counts as data lost when it fails;
- a fuzz test that fails without reporting (an error in its setup) counts as one traceback.

``--deep`` runs the deep hypothesis profile (``LATENTAUDIO_FUZZ=deep``); ``--write``
replaces the table between the ``reliability-table`` markers of docs/reliability.md. Exits 1 unless tracebacks,
silent wrong results and data lost are all 0.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SUITE = REPO / "tests" / "reliability"
PAGE = REPO / "docs" / "reliability.md"
START, END = "<!-- reliability-table:start -->", "<!-- reliability-table:end -->"
COLUMNS = ("clear error", "correct result", "traceback", "silent wrong result", "data lost")
# The area of a fuzz file's unreported failures, and of fault tests by the words in their names.
FILE_AREAS = {
    "test_fuzz_pipelines": "pipelines", "test_fuzz_audio": "audio inputs", "test_fuzz_datasets": "datasets",
    "test_fuzz_configs": "configs", "test_fuzz_cli": "command line",
}
FAULT_AREAS = [  # the first pattern a test's name matches
    (r"save_pretrained|pipeline|convert|folder|init|finetune", "model folders (kill -9, races)"),
    (r"training|checkpoint|resume", "training (kill -9)"),
    (r"audio|wav|writer", "audio outputs (kill -9, races)"),
]


def fault_area(name: str) -> str:
    return next((area for pattern, area in FAULT_AREAS if re.search(pattern, name)), "faults (kill -9)")


def run_suite(deep: bool) -> tuple[collections.Counter, float]:
    """Run the suite; returns counts keyed by (area, outcome) and the run time in seconds."""
    counts = collections.Counter()
    with tempfile.TemporaryDirectory() as scratch:
        log, junit = Path(scratch) / "cases.jsonl", Path(scratch) / "junit.xml"
        env = dict(os.environ, LATENTAUDIO_RELIABILITY_LOG=str(log), HF_HUB_OFFLINE="1",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        if deep:
            env["LATENTAUDIO_FUZZ"] = "deep"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={junit}", str(SUITE)]
        subprocess.run(command, cwd=REPO, env=env, check=False)
        for line in log.read_text().splitlines() if log.exists() else []:
            case = json.loads(line)
            counts[case["area"], case["outcome"]] += 1
        seconds = 0.0
        if junit.exists():
            suite = ElementTree.parse(junit).getroot()
            seconds = sum(float(s.get("time", 0)) for s in suite.iter("testsuite"))
            for case in suite.iter("testcase"):
                module = case.get("classname", "").rsplit(".", 1)[-1]
                failed = case.find("failure") is not None or case.find("error") is not None
                if module == "test_faults":
                    counts[fault_area(case.get("name", "")), "data lost" if failed else "correct result"] += 1
                elif failed and module in FILE_AREAS:
                    area = FILE_AREAS[module]
                    if not any(counts[area, bad] for bad in ("traceback", "silent wrong result")):
                        counts[area, "traceback"] += 1
    return counts, seconds


def table(counts: collections.Counter) -> str:
    areas = sorted({area for area, _ in counts})
    lines = [
        "| area | cases tried | clear errors | correct results | tracebacks | silent wrong results | data lost |",
        "|---|---|---|---|---|---|---|",
    ]
    totals = collections.Counter()
    for area in areas:
        row = [counts[area, outcome] for outcome in COLUMNS]
        totals.update(dict(zip(COLUMNS, row)))
        lines.append(f"| {area} | {sum(row)} | " + " | ".join(map(str, row)) + " |")
    lines.append(f"| **all** | **{sum(totals.values())}** | " + " | ".join(f"**{totals[o]}**" for o in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deep", action="store_true", help="the deep hypothesis profile (many more examples)")
    parser.add_argument("--write", action="store_true", help="replace the table in docs/reliability.md")
    args = parser.parse_args()
    counts, seconds = run_suite(args.deep)
    text = table(counts)
    print(text)
    print(f"\n({'deep' if args.deep else 'ci'} profile, {seconds:.0f} s of tests)")
    if args.write:
        page = PAGE.read_text()
        if START not in page or END not in page:
            raise SystemExit(f"{PAGE.relative_to(REPO)} has no {START} ... {END} markers")
        head, rest = page.split(START, 1)
        PAGE.write_text(head + START + "\n" + text + "\n" + END + rest.split(END, 1)[1])
    bad = sum(counts[area, outcome] for area, outcome in counts if outcome in ("traceback", "silent wrong result", "data lost"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
