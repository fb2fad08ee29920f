"""Atomic files and folders: everything a user keeps is written beside its place, then renamed into it.

A file or folder is written under a hidden temporary sibling name (``.NAME.<pid>-<token>.partial``),
flushed to disk, and only then renamed onto ``NAME``. A rename within one folder is atomic, so a
reader, a concurrent writer, or a process killed (even with ``kill -9``) at any instant sees either
the previous version whole or the new one whole — never an empty, truncated or interleaved file.

Folders need one more step, because POSIX renames a folder only onto a missing or empty one:

1. the new folder is built complete under its temporary name and flushed;
2. on Linux it is swapped with the old one in a single ``renameat2(RENAME_EXCHANGE)``; where that
   call is missing (other systems, some filesystems) the old folder is renamed aside to
   ``.NAME.<pid>-<token>.old`` and the new one renamed in — a kill between those two renames
   leaves ``NAME`` absent and the old folder whole under its ``.old`` name, which the next write
   of ``NAME`` (or :func:`recover_folder`) renames back;
3. the old version, now under a temporary name, is removed.

Leftovers of killed writers (hidden ``.partial`` siblings) are never read. A folder's are removed
by the next write of the same folder; a file's stay until removed by hand (looking for them at
every write would cost a folder listing per file in folders of many thousand clips).
"""

from __future__ import annotations

import ctypes
import errno
import os
import re
import secrets
import shutil
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Union

PathLike = Union[str, os.PathLike]
PARTIAL, OLD = "partial", "old"


def temporary_sibling(path: PathLike, kind: str = PARTIAL) -> Path:
    """A fresh hidden name beside ``path``, unique to this process: ``.NAME.<pid>-<token>.<kind>``."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.{kind}")


def _siblings(path: Path, kind: str) -> list[tuple[int, Path]]:
    """Temporary siblings of ``path`` of one kind, with the process id that made each."""
    if not path.parent.is_dir():
        return []
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)-[0-9a-f]+\.{kind}")
    return [(int(m.group(1)), p) for p in path.parent.iterdir() if (m := pattern.fullmatch(p.name))]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_partials(path: PathLike) -> None:
    """Delete what killed writers of ``path`` left behind: half-written temporaries, and old
    versions already replaced (only while ``path`` itself exists), of processes that are gone."""
    path = Path(path)
    kinds = (PARTIAL, OLD) if os.path.lexists(path) else (PARTIAL,)
    for kind in kinds:
        for pid, leftover in _siblings(path, kind):
            if not _alive(pid):
                _remove(leftover)


def recover_folder(path: PathLike) -> bool:
    """Rename an old version of folder ``path`` back into place when a replacement was killed
    between its two renames (``path`` absent, its ``.old`` sibling whole); returns whether it did."""
    path = Path(path)
    if path.exists():
        return False
    olds = sorted(_siblings(path, OLD), key=lambda found: found[1].stat().st_mtime)
    if not olds:
        return False
    os.rename(olds[-1][1], path)
    sync_dir(path.parent)
    return True


# ------------------------------------------------------------------------ files
@contextmanager
def atomic_file(path: PathLike, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; when the block ends without error it replaces ``path``.

    The temporary name does not end in ``path``'s suffix: writers that pick a format from the
    suffix must be told the format (``soundfile``'s ``format=``, matplotlib's ``format=``).

    Args:
        path: The file to write (its folder is created).
        durable: Flush the file and the folder to disk (off for caches that can be rebuilt).

    Raises:
        OSError: The folder cannot be created or the file cannot be renamed into place; ``path``
            is then unchanged.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temporary_sibling(path)
    try:
        yield temp
        if durable:
            sync_file(temp)
        os.replace(temp, path)
        if durable:
            sync_dir(path.parent)
    finally:
        _remove(temp)


def write_text(path: PathLike, text: str) -> Path:
    """Replace the text file ``path`` atomically (UTF-8)."""
    with atomic_file(path) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(path)


# ---------------------------------------------------------------------- folders
@contextmanager
def atomic_folder(path: PathLike, keep: Callable[[str], bool] = lambda name: True) -> Iterator[Path]:
    """Yield an empty temporary folder to fill; when the block ends without error it replaces ``path``.

    Args:
        path: The folder to write (its parent is created).
        keep: Which entries of the existing folder the new one takes over (by name) when it
            does not write them itself; they are hard-linked (copied across filesystems), so the
            old folder stays whole until the swap. By default everything is kept, so that
            only what the new folder writes is replaced.

    Raises:
        ValueError: ``path`` exists and is not a folder.
    """
    path = Path(path)
    if path.is_symlink():  # replace the folder it points to, not the link
        path = path.resolve()
    if path.exists() and not path.is_dir():
        raise ValueError(f"Cannot write a folder to {path}: it is a file; choose a folder path.")
    path.parent.mkdir(parents=True, exist_ok=True)
    recover_folder(path)
    remove_stale_partials(path)
    temp = temporary_sibling(path)
    temp.mkdir()
    try:
        yield temp
        sync_tree(temp)  # what the block wrote; kept entries are on disk already
        if path.is_dir():
            for entry in path.iterdir():
                if keep(entry.name) and not os.path.lexists(temp / entry.name):
                    _link_copy(entry, temp / entry.name)
            sync_dir(temp)
        publish_folder(temp, path)
    finally:
        _remove(temp)


def publish_folder(temp: PathLike, path: PathLike) -> None:
    """Put the complete, flushed folder ``temp`` at ``path`` (a sibling), replacing what is there.

    ``temp`` holds the previous version afterwards (or is gone when there was none); callers remove it.
    """
    temp, path = Path(temp), Path(path)
    try:
        os.rename(temp, path)  # atomic when path is absent (or an empty folder)
    except OSError as error:
        if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
        if not _exchange(temp, path):
            old = temporary_sibling(path, OLD)
            os.rename(path, old)
            os.rename(temp, path)  # killed before this line: recover_folder renames `old` back
            os.rename(old, temp)
    sync_dir(path.parent)


_RENAME_EXCHANGE, _AT_FDCWD = 2, -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux ``renameat2``); ``False`` where that is unsupported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    sys.audit("latentaudio.exchange", a, b)  # like os.rename's event: audit hooks see every rename
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, f"Cannot swap {a} and {b}: {os.strerror(code)}")


def _link_copy(source: Path, target: Path) -> None:
    """Hard-link a file or a tree (copying where links are refused); files that vanish meanwhile
    (a cache's temporaries) are skipped."""
    def link(src, dst):
        try:
            try:
                os.link(src, dst, follow_symlinks=False)
            except OSError as error:
                if error.errno == errno.ENOENT:
                    raise
                shutil.copy2(src, dst, follow_symlinks=False)
        except FileNotFoundError:
            pass

    if not (source.is_dir() and not source.is_symlink()):
        return link(source, target)
    for folder, subfolders, files in os.walk(source):
        relative = Path(folder).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files + [d for d in subfolders if os.path.islink(os.path.join(folder, d))]:
            link(os.path.join(folder, name), target / relative / name)
        sync_dir(target / relative)  # the new names; the files' bytes are the kept ones


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        path.unlink(missing_ok=True)


# ----------------------------------------------------------------- flushing
def sync_file(path: PathLike) -> None:
    """Flush one file's bytes to disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def sync_tree(folder: PathLike) -> None:
    """Flush every file under ``folder``, and the folders themselves, so a rename publishes finished bytes."""
    folder = Path(folder)
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            sync_file(path)
        elif path.is_dir() and not path.is_symlink():
            sync_dir(path)
    sync_dir(folder)


def sync_dir(folder: PathLike) -> None:
    """Flush a folder's entries (names created, renamed or removed) to disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
