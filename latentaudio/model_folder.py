"""One reader for pipeline folders: ``model_index.json`` and which components it names, holds or leaves to a package.

A folder written by ``save_pipeline``/``save_pretrained`` holds ``model_index.json`` (each
component's library and class, plus pipeline settings such as ``text_encoder_package``) and one
subfolder per component. A text encoder named by ``text_encoder_package`` is not in the folder:
loading takes it from its installed package.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

INDEX_FILE = "model_index.json"
# Components a packaged text encoder supplies instead of the folder.
PACKAGED_COMPONENTS = ("text_encoder", "tokenizer")


class ModelFolderError(ValueError):
    """A pipeline folder is missing, incomplete, corrupt or inconsistent."""


@dataclass(frozen=True)
class PipelineFolder:
    """A pipeline folder and its parsed ``model_index.json``; build it with :meth:`read` or :meth:`find`."""

    path: Path
    index: dict

    @classmethod
    def read(cls, path: Union[str, os.PathLike]) -> "PipelineFolder":
        """Read ``path/model_index.json``.

        Raises:
            ModelFolderError: The folder or its index is missing, or the index is not a JSON mapping.
        """
        folder = Path(path)
        if not folder.is_dir():
            raise ModelFolderError(f"Model folder not found: {folder}")
        index_file = folder / INDEX_FILE
        if not index_file.is_file():
            raise ModelFolderError(f"{folder} is not a pipeline folder: it has no {INDEX_FILE}.")
        try:
            index = json.loads(index_file.read_text())
        except json.JSONDecodeError as error:
            raise ModelFolderError(f"{index_file} is not valid JSON: {error}") from error
        if not isinstance(index, dict):
            raise ModelFolderError(f"{index_file} must hold a JSON object, got {type(index).__name__}.")
        return cls(folder, index)

    @classmethod
    def find(cls, path: Union[str, os.PathLike]) -> Optional["PipelineFolder"]:
        """The folder at ``path`` when it holds a ``model_index.json``, else ``None`` (e.g. a hub name)."""
        return cls.read(path) if (Path(path) / INDEX_FILE).is_file() else None

    @property
    def class_name(self) -> Optional[str]:
        """The pipeline class that wrote the folder (``_class_name``), e.g. ``"AudioLDMPipeline"``."""
        return self.index.get("_class_name")

    @property
    def text_encoder_package(self) -> Optional[str]:
        """The packaged text encoder the pipeline names (``"minilm"``), or ``None``."""
        return self.index.get("text_encoder_package")

    @property
    def components(self) -> dict[str, tuple[str, str]]:
        """Each component the index names, with its (library, class); absent (null) ones left out."""
        return {
            name: (spec[0], spec[1]) for name, spec in self.index.items()
            if not name.startswith("_") and isinstance(spec, list) and len(spec) == 2 and spec[0] is not None
        }

    @property
    def packaged(self) -> frozenset[str]:
        """Components a packaged text encoder supplies, so the folder does not hold them."""
        return frozenset(PACKAGED_COMPONENTS) if self.text_encoder_package else frozenset()

    def missing(self, given=()) -> dict[str, str]:
        """Components (name → class) whose subfolder is absent, leaving out packaged and ``given`` ones."""
        return {
            name: class_name for name, (_, class_name) in self.components.items()
            if name not in self.packaged and name not in given and not (self.path / name).is_dir()
        }

    def without_packaged_encoder(self) -> dict:
        """``from_pretrained`` overrides that skip a packaged text encoder (for work that needs no
        text); a folder that holds its own encoder keeps it, and the saved pipeline still names its package."""
        return dict.fromkeys(PACKAGED_COMPONENTS) if self.packaged else {}

    def component_class(self, name: str):
        """The class the index names for component ``name``, imported."""
        import importlib.util

        library, class_name = self.components[name]
        # diffusers names classes of its own pipeline modules by that module ("audioldm2").
        module = library if importlib.util.find_spec(library) is not None else f"diffusers.pipelines.{library}"
        return getattr(importlib.import_module(module), class_name)
