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


def load_yaml_with_base(path, kind: str, entries: str, check: Optional[Callable[[Path, dict], None]] = None) -> dict:
    """A YAML mapping merged over its ``base``.

    Args:
        path: The YAML file.
        kind (`str`): What the file is, for errors (``"Config file"``, ``"Training config"``).
        entries (`str`): What its keys are, for errors (``"sections"``, ``"settings"``).
        check (*optional*): ``check(path, values)`` validates each file's own values (base included).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{kind} not found: {path}")
    values = yaml.safe_load(path.read_text()) or {}
    if not isinstance(values, dict):
        raise ValueError(f"{path} must hold a mapping of {entries}, got {type(values).__name__}.")
    if check is not None:
        check(path, values)
    base = values.pop("base", None)
    return merge(load_yaml_with_base(path.parent / base, kind, entries, check), values) if base else values
