"""YAML files that may name a ``base``: the one loader behind model and training configs.

A file's ``base`` (a path relative to the file) is read first, recursively, and the file's own
values are merged over it, mappings key by key, so a variant holds only what it changes.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable, Optional

import yaml


def merge(base: dict, override: dict) -> dict:
    """Recursive dict merge; ``override`` wins."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        merged[key] = merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def load_yaml_with_base(
    path, kind: str, entries: str, check: Optional[Callable[[Path, dict], None]] = None, _seen: tuple = ()
) -> dict:
    """A YAML mapping merged over its ``base``.

    Args:
        path: The YAML file.
        kind (`str`): What the file is, for errors (``"Config file"``, ``"Training config"``).
        entries (`str`): What its keys are, for errors (``"sections"``, ``"settings"``).
        check (*optional*): ``check(path, values)`` validates each file's own values (base included).

    Raises:
        FileNotFoundError: The file (or a base) does not exist.
        ValueError: A file is not valid YAML (its line and column are named), is not a mapping, has
            a ``base`` that is not a path, or its bases form a cycle.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{kind} not found: {path}")
    if path.resolve() in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path.resolve()))
        raise ValueError(f"{kind} {path} is its own base through a cycle: {chain}.")
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not UTF-8 text (byte {error.start}).") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ValueError(f"{path} is not valid YAML{where}: {problem}.") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path} must hold a mapping of {entries}, got {type(values).__name__}.")
    if check is not None:
        check(path, values)
    base = values.pop("base", None)
    if base is None:
        return values
    if not isinstance(base, str) or not base.strip():
        raise ValueError(f"{path}: base must be the path of another YAML file, got {base!r}.")
    return merge(load_yaml_with_base(path.parent / base, kind, entries, check, (*_seen, path.resolve())), values)
