"""The default-model issue's targets, judged on a report of `latentaudio evaluate`.

    python benchmarks/default_model_targets.py runs/eval/report.json

Prints one line per target, ``PASS``/``FAIL`` with the figure it rests on, at the largest step
count of the report, and exits 1 when any target fails. The targets belong to that issue, not to
the library: `latentaudio evaluate` only measures.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

FAMILY_ACCURACY = 0.6  # share of generations whose family the classifier names as prompted
PITCH_ACCURACY = 0.5  # share of pitched generations within one semitone of the prompted note
FRECHET_OVER_FLOOR = 3.0  # Fréchet distance at most this multiple of real-vs-real (validation vs test)
# The generalisation targets (`evaluate --generalisation`): on both paraphrase sets and unseen notes, at 1.5 s and 2.56 s.
GENERALISATION_TARGETS = {"family_accuracy": 0.70, "drum_accuracy": 0.90, "note_accuracy": 0.70}
GENERALISATION_SETS, GENERALISATION_LENGTHS = ("paraphrases", "blind_paraphrases", "unseen_notes"), (1.5, 2.56)


def check_targets(report: dict) -> dict:
    """Each target's verdict (``None`` when the report cannot judge it) and the figures behind them."""
    targets = check_generation_targets(report) if report.get("generation") else {"at_steps": None}
    if "generalisation" in report:
        targets.update(check_generalisation_targets(report["generalisation"]))
    return targets


def check_generalisation_targets(section: dict) -> dict:
    """The generalisation targets on a report's ``generalisation`` section (``None`` where not measured)."""
    checks = {}
    for name in GENERALISATION_SETS:
        for length in GENERALISATION_LENGTHS:
            scores = section["sets"].get(name, {}).get("lengths", {}).get(f"{length:g}")
            for metric, target in GENERALISATION_TARGETS.items():
                value = None if scores is None else scores.get(metric)
                checks[f"{name}_{length:g}s_{metric}_at_least_{target:g}"] = None if value is None else value >= target
    return checks


def check_generation_targets(report: dict) -> dict:
    """The template-prompt targets, at the largest step count of the report's ``generation`` section."""
    best = max(report["generation"], key=lambda entry: entry["steps"])
    floor = report["floor"]["frechet_distance"]
    baseline = report["baseline"]["frechet_distance"] if "baseline" in report else None  # evaluate --no-baseline
    pitch = best["pitch_accuracy"]
    vocoder = report["vocoder"]
    return {
        "at_steps": best["steps"],
        f"family_accuracy_at_least_{FAMILY_ACCURACY}": best["family_accuracy"] >= FAMILY_ACCURACY,
        f"pitch_accuracy_at_least_{PITCH_ACCURACY}": None if pitch is None else pitch >= PITCH_ACCURACY,
        "frechet_over_floor": best["frechet_distance"] / floor if floor > 0 else None,
        f"frechet_within_{FRECHET_OVER_FLOOR:g}x_floor": best["frechet_distance"] <= FRECHET_OVER_FLOOR * floor,
        "frechet_over_baseline": best["frechet_distance"] / baseline if baseline else None,
        "vocoder_beats_griffin_lim": all(
            vocoder["model"][key] < vocoder["griffin_lim"][key] for key in ("mel_l1", "mrstft")
        ),
    }


def verdict_lines(targets: dict) -> list[str]:
    """``PASS``/``FAIL``/``n/a`` per yes-no target, then the ratios, one line each."""
    lines = [f"targets at {targets['at_steps']} steps" if targets["at_steps"] else "targets"]
    for name, value in targets.items():
        if name == "at_steps":
            continue
        if isinstance(value, bool) or value is None:
            lines.append(f"{'n/a' if value is None else 'PASS' if value else 'FAIL'}  {name}")
        else:
            lines.append(f"      {name} = {value:.3g}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path, help="JSON report written by `latentaudio evaluate --output`")
    args = parser.parse_args(argv)
    targets = check_targets(json.loads(args.report.read_text()))
    print("\n".join(verdict_lines(targets)))
    return 1 if any(value is False for value in targets.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
