"""What a pipeline folder's index names for a text encoder that a package ships (``text_encoder_package``).

Such a folder holds no text encoder or tokenizer. Its ``model_index.json`` names these two classes for them, and
their ``from_pretrained`` takes the package's, so plain diffusers loads the folder as latentaudio does
(``DiffusionPipeline.from_pretrained(folder, custom_pipeline=folder, trust_remote_code=True)``). diffusers loads an
index entry only through a class of a kind it knows, found in the entry's module, so each subclasses that kind
(a transformers model, a fast tokenizer); neither is ever instantiated.
"""

from __future__ import annotations

from typing import Optional

from transformers import PreTrainedModel, PreTrainedTokenizerFast

from ..model_folder import ModelFolderError, PipelineFolder
from .registry import PACKAGED_TEXT_ENCODERS, load_local_text_encoder


def folder_text_encoder_package(folder: PipelineFolder) -> Optional[str]:
    """The packaged encoder ``folder``'s index names (``text_encoder_package``), or ``None``.

    Raises:
        ModelFolderError: It names something other than a packaged encoder (never imported from: a path).
    """
    package = folder.text_encoder_package
    if package is not None and package not in PACKAGED_TEXT_ENCODERS:
        raise ModelFolderError(f"{folder.path / 'model_index.json'} names text_encoder_package={package!r}; expected "
                               f"one of {sorted(PACKAGED_TEXT_ENCODERS)} (a package's name, not a path).")
    return package


def package_encoder(folder):
    """(tokenizer, frozen encoder) of the package ``folder``'s index names."""
    folder = PipelineFolder.read(folder)
    package = folder_text_encoder_package(folder)
    if package is None:
        raise ModelFolderError(f"{folder.path / 'model_index.json'} names no text_encoder_package to load its text encoder from.")
    return load_local_text_encoder(package)


class TextEncoderFromPackage(PreTrainedModel):
    """Loads the frozen text encoder of the package the folder's index names."""

    @classmethod
    def from_pretrained(cls, folder, *args, dtype=None, torch_dtype=None, **kwargs):
        encoder = package_encoder(folder)[1]
        dtype = dtype if dtype is not None else torch_dtype
        return encoder if dtype is None else encoder.to(dtype)


class TokenizerFromPackage(PreTrainedTokenizerFast):
    """Loads the tokenizer of the package the folder's index names."""

    @classmethod
    def from_pretrained(cls, folder, *args, **kwargs):
        return package_encoder(folder)[0]


# The index entries (library, class) that a folder's packaged text encoder and tokenizer are saved as.
INDEX_ENTRIES = {
    "text_encoder": [__name__, TextEncoderFromPackage.__name__],
    "tokenizer": [__name__, TokenizerFromPackage.__name__],
}
