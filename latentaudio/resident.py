"""Models kept loaded between requests, for the processes that answer many: ``latentaudio serve`` and the web studio.

A pipeline folder loads once (:class:`ResidentPipeline`); each verb then runs a pipeline of its own
class over the same components (diffusers' ``from_pipe``) with a fresh sampler, so a request pays
for neither imports nor loading, and one verb's sampler settings never leak into the next.
:class:`ResidentModels` keeps the few most recently used folders, and loads a folder again when
its files have changed since (re-saved, re-exported, retrained).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Callable, Optional

__all__ = ["ResidentModels", "ResidentPipeline", "folder_stamp"]


class ResidentPipeline:
    """One loaded pipeline and the verb pipelines built over its components.

    Args:
        pipe: The loaded pipeline (any latentaudio pipeline class).
        progress_bar: Whether the pipelines show diffusers' progress bar.
    """

    def __init__(self, pipe, progress_bar: bool = True):
        self.pipe = pipe
        self.scheduler = pipe.scheduler  # the folder's sampler: every run starts from a copy of it
        self._progress_bar = progress_bar
        self._pipelines: dict[str, object] = {}
        self._remember(pipe)

    def _remember(self, pipe) -> None:
        pipe.set_progress_bar_config(disable=not self._progress_bar)
        self._pipelines[type(pipe).__name__] = pipe

    def pipeline(self, pipeline_class=None, scheduler: Optional[str] = None):
        """A pipeline of ``pipeline_class`` (the loaded one's class when ``None``) over the loaded components,
        with a new sampler: the named one of :data:`latentaudio.schedulers.SCHEDULERS`, or the folder's.

        Raises:
            ValueError: An unknown sampler name.
        """
        from .schedulers import scheduler_from_name

        name = type(self.pipe).__name__ if pipeline_class is None else pipeline_class.__name__
        if name not in self._pipelines:
            self._remember(pipeline_class.from_pipe(self.pipe))
        pipe = self._pipelines[name]
        pipe.scheduler = (type(self.scheduler).from_config(self.scheduler.config) if scheduler is None
                          else scheduler_from_name(scheduler, self.scheduler.config))
        return pipe


def folder_stamp(path) -> tuple:
    """What changes when a folder's files do: each file's relative path, size and modification time."""
    root = Path(path)
    if not root.is_dir():
        return ()
    return tuple(sorted((str(file.relative_to(root)), stat.st_size, stat.st_mtime_ns)
                        for file in root.rglob("*") if file.is_file() for stat in [file.stat()]))


class ResidentModels:
    """The most recently used loaded folders, at most ``capacity`` of them.

    Args:
        load: ``load(model, device, dtype, runtime)``, which loads a folder (``None``: the default model)
            as a ``LatentAudioPipeline`` placed on ``device`` in ``dtype``.
        capacity: How many folders (with their device, precision and runtime) stay loaded.
    """

    def __init__(self, load: Callable, capacity: int = 2):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}.")
        self._load = load
        self.capacity = capacity
        self._loaded: OrderedDict[tuple, tuple[tuple, ResidentPipeline]] = OrderedDict()
        self.loads = 0  # how many times a folder was read from disk

    def pipeline(self, model: Optional[str], pipeline_class=None, scheduler: Optional[str] = None,
                 device: str = "cpu", dtype: str = "float32", runtime: str = "auto"):
        """:meth:`ResidentPipeline.pipeline` of ``model``, loading it first if it is not loaded or has changed."""
        from .model_folder import model_location

        folder = Path(model_location(model))
        where = str(folder.resolve()) if folder.exists() else str(model)  # else a hub id in the local cache
        key = (where, device, dtype, runtime)
        stamp = folder_stamp(folder)
        entry = self._loaded.pop(key, None)  # a stale entry goes before the new load: never two copies at once
        if entry is None or entry[0] != stamp:
            entry = (stamp, ResidentPipeline(self._load(model, device, dtype, runtime)))
            self.loads += 1
        self._loaded[key] = entry
        while len(self._loaded) > self.capacity:
            self._loaded.popitem(last=False)
        return entry[1].pipeline(pipeline_class, scheduler)
