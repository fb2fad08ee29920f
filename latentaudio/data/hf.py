"""Loading a latentaudio folder through Hugging Face ``datasets``' audiofolder builder.

``datasets`` (4.x and later) encodes and decodes its ``Audio`` feature with torchcodec, and
fails to *build* an audiofolder without it, even with ``Audio(decode=False)``. With
torchcodec installed, :func:`load_audiofolder` is exactly
``datasets.load_dataset("audiofolder", data_dir=root)``. Without it, the same builder runs
with the metadata columns given as plain features: rows keep ``file_name`` (relative to the
folder) and every other column, and audio is read with
:func:`latentaudio.audio_io.read_audio` or :class:`~latentaudio.data.AudioFolderDataset`.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from ..audio_io import PathLike
from .report import METADATA_FILES


def torchcodec_available() -> bool:
    return importlib.util.find_spec("torchcodec") is not None


def load_audiofolder(root: PathLike, decode_audio: bool | None = None, **kwargs):
    """``datasets.load_dataset("audiofolder", data_dir=root, **kwargs)``, with a path that needs no torchcodec.

    Args:
        root: An audiofolder with a root ``metadata.jsonl`` or ``metadata.csv``.
        decode_audio: `True` uses the ``Audio`` feature (needs torchcodec); `False` loads the
            metadata columns only; `None` picks `True` when torchcodec is installed.
        **kwargs: Passed to ``load_dataset`` (``split=``, ``drop_labels=``, ...).

    Raises:
        ValueError: ``decode_audio=False`` and the folder has no root metadata file.
    """
    import datasets

    if decode_audio is None:
        decode_audio = torchcodec_available()
    if decode_audio:
        return datasets.load_dataset("audiofolder", data_dir=str(root), **kwargs)
    metadata = next((Path(root) / name for name in METADATA_FILES if (Path(root) / name).is_file()), None)
    if metadata is None:
        raise ValueError(f"{root} has no {' or '.join(METADATA_FILES)}; without torchcodec only metadata columns can be loaded.")
    # The builder keeps metadata columns as they are when no column is an Audio feature.
    builder = "json" if metadata.suffix == ".jsonl" else "csv"
    features = datasets.load_dataset(builder, data_files=str(metadata), split="train").features
    return datasets.load_dataset("audiofolder", data_dir=str(root), features=features, **kwargs)
