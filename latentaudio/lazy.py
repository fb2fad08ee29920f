"""Package attributes imported on first use (PEP 562), so importing a package loads none of its heavy modules."""

from __future__ import annotations

import importlib
import sys


def lazy_exports(package: str, exports: dict[str, str]):
    """A module ``__getattr__`` for ``package``: ``exports`` maps each public name to the (relative) module holding it.

    The first access imports that module and keeps the value on the package.
    """

    def __getattr__(name: str):
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name], package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
