"""Write ``constraints.txt``: the exact versions of latentaudio's installed dependency closure.

Run it in the environment the test suite has just passed in; it reads what is installed
(``importlib.metadata``), follows ``latentaudio[dev]``'s requirements and theirs (with their
environment markers evaluated here), and pins each distribution it reaches to its installed
version. Nothing else in the environment is pinned, so the file stays the closure CI needs.

    python tools/lock.py                  # print the constraints
    python tools/lock.py -o constraints.txt

``tools/refresh_lock.sh`` is the whole refresh: upgrade, run the suite, rewrite the file only
when the suite passes.
"""

from __future__ import annotations

import argparse
import sys
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

HEADER = """\
# The exact set of versions latentaudio's test suite last passed with (CI installs with it:
# pip install -c constraints.txt -e ".[dev]"). Regenerate with tools/refresh_lock.sh; do not edit.
"""


def closure(root: str, extras: tuple[str, ...]) -> dict[str, str]:
    """``{canonical name: installed version}`` of ``root`` with ``extras`` and everything it requires."""
    versions: dict[str, str] = {}
    todo = [(root, extras)]
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while todo:
        name, wanted = todo.pop()
        key = (canonicalize_name(name), tuple(sorted(wanted)))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional requirement whose marker matched but that is not installed
        versions[key[0]] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is not None and not any(
                requirement.marker.evaluate({**default_environment(), "extra": extra}) for extra in ("", *wanted)
            ):
                continue
            todo.append((requirement.name, tuple(requirement.extras)))
    return versions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=None, help="file to write (default: standard output)")
    args = parser.parse_args(argv)
    versions = closure("latentaudio", ("dev",))
    versions.pop("latentaudio", None)  # the package itself is installed from the checkout
    text = HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(versions.items()))
    if args.output is None:
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(f"Wrote {len(versions)} pins to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
