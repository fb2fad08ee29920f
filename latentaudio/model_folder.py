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
CUSTOM_CODE_FILE = "pipeline.py"  # the pipeline class, for diffusers' custom-pipeline loading
# Components a packaged text encoder supplies instead of the folder.
PACKAGED_COMPONENTS = ("text_encoder", "tokenizer")
# Weights in these formats are pickles, which run code when loaded: a folder holding one is refused.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")
# `latentaudio export`'s graphs (see latentaudio.runtime): component folder -> its file.
ONNX_FILES = {"unet": "model.onnx", "vae": "decoder.onnx"}


def exported_components(folder: Union[str, os.PathLike]) -> dict[str, Path]:
    """The ONNX graphs a pipeline folder holds: component name → file."""
    return {name: Path(folder) / name / file for name, file in ONNX_FILES.items() if (Path(folder) / name / file).is_file()}


def hash_file(digest, path: Union[str, os.PathLike]):
    """Feed the bytes of the file at ``path`` to ``digest`` (a ``hashlib`` object) in chunks; returns ``digest``."""
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 22):
            digest.update(chunk)
    return digest


class ModelFolderError(ValueError):
    """A pipeline folder is missing, incomplete, corrupt or inconsistent."""


def model_location(model: Optional[str]) -> str:
    """Where ``model`` is: ``None`` is the embedded default model, a name of ``latentaudio.EMBEDDED_MODELS``
    ("default", "default-teacher", "music") that embedded folder unless a path of that name exists; anything
    else (a folder, a hub id) is returned as it is."""
    from . import DEFAULT_MODEL, EMBEDDED_MODELS

    if model is None:
        return DEFAULT_MODEL
    if model in EMBEDDED_MODELS and not Path(model).exists():
        return EMBEDDED_MODELS[model]
    return str(model)


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

    @property
    def entries(self) -> frozenset[str]:
        """Names in the folder that belong to the pipeline (index, code, component subfolders), so that
        a new save replaces them and leaves everything else (checkpoints, logs, notes) in place."""
        return frozenset({INDEX_FILE, CUSTOM_CODE_FILE, *self.components, *PACKAGED_COMPONENTS})

    @classmethod
    def entries_at(cls, path: Union[str, os.PathLike]) -> frozenset[str]:
        """:attr:`entries` of the pipeline at ``path``; empty where there is none or its index is
        corrupt (a save then replaces what it writes and keeps the rest)."""
        try:
            folder = cls.find(path)
        except ModelFolderError:
            return frozenset()
        return folder.entries if folder is not None else frozenset()

    def digest(self) -> str:
        """SHA-256 (first 16 hex digits) of the pipeline's files — names and bytes of the index, code and
        component subfolders, nothing else — so a copy of a pipeline has its digest and any changed
        weight or config does not."""
        import hashlib

        digest = hashlib.sha256()
        for name in sorted(self.entries):
            top = self.path / name
            for file in sorted([top] if top.is_file() else top.rglob("*") if top.is_dir() else []):
                if file.is_file():
                    digest.update(str(file.relative_to(self.path)).encode() + b"\0")
                    hash_file(digest, file)
        return digest.hexdigest()[:16]

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

    def check_safetensors_only(self) -> None:
        """Raise ``ModelFolderError`` naming the first pickled weight file in a component's subfolder:
        latentaudio loads safetensors only, and a pickle can run code when loaded."""
        for name in sorted(self.components):
            folder = self.path / name
            if folder.is_dir():
                for file in sorted(folder.rglob("*")):
                    if file.suffix.lower() in PICKLE_SUFFIXES and file.is_file():
                        raise ModelFolderError(
                            f"{file} is a pickle ({file.suffix}); latentaudio loads safetensors weights only. "
                            "Convert it (diffusers' save_pretrained(safe_serialization=True)) or remove it."
                        )

    def component_class(self, name: str):
        """The class the index names for component ``name``, imported."""
        import importlib.util

        library, class_name = self.components[name]
        # diffusers names classes of its own pipeline modules by that module ("audioldm2").
        module = library if importlib.util.find_spec(library) is not None else f"diffusers.pipelines.{library}"
        return getattr(importlib.import_module(module), class_name)
