"""On-disk caches of mel spectrograms and VAE latents, as safetensors files (never pickle).

One file per audio file and kind, named from a hash of the audio file's name, so a changed
input overwrites its entry instead of leaving stale ones beside it. Each file stores a *key*
in its safetensors metadata: the audio file's name, size and modification time, a hash of
the spectrogram config, the padded length and (for latents) a hash of the VAE weights. An
entry whose key differs from the one asked for is a miss, so editing a file, touching it,
changing any spectrogram setting or retraining the VAE invalidates exactly what it should.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ..atomic import atomic_file
from ..audio_io import PathLike

CACHE_FORMAT = "latentaudio-cache/1"


class TensorCache:
    """Named tensors per audio file, valid while their key matches.

    Args:
        folder: Where the cache lives (created when first written).
        kind: A subfolder per kind of entry, e.g. ``"mel"`` or ``"latent"``.
    """

    def __init__(self, folder: PathLike, kind: str):
        self.folder = Path(folder) / kind

    def path(self, file_name: str) -> Path:
        return self.folder / f"{hashlib.sha1(file_name.encode()).hexdigest()[:24]}.safetensors"

    def load(self, file_name: str, key: str) -> Optional[dict[str, torch.Tensor]]:
        """The stored tensors, or ``None`` when absent, stale or unreadable."""
        path = self.path(file_name)
        if not path.is_file():
            return None
        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
                if metadata.get("format") != CACHE_FORMAT or metadata.get("key") != key:
                    return None
                return {name: handle.get_tensor(name) for name in handle.keys()}
        except Exception:  # a truncated or foreign file is a miss, rewritten on save
            return None

    def save(self, file_name: str, key: str, tensors: dict[str, torch.Tensor]) -> None:
        """Write atomically, so DataLoader workers never read half a file."""
        with atomic_file(self.path(file_name), durable=False) as temp:  # a lost entry is only recomputed
            save_file(
                {name: tensor.detach().cpu().contiguous() for name, tensor in tensors.items()},
                str(temp),
                metadata={"format": CACHE_FORMAT, "key": key},
            )


def cache_key(**parts) -> str:
    """A stable string from JSON-able parts."""
    return json.dumps(parts, sort_keys=True, default=str)


def file_fingerprint(path: PathLike) -> str:
    """Size and modification time: changes whenever the file is rewritten."""
    stat = os.stat(path)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


def config_fingerprint(config) -> str:
    """Hash of a diffusers config, without its bookkeeping (``_class_name``, versions)."""
    public = {key: value for key, value in dict(config).items() if not key.startswith("_")}
    return hashlib.sha1(json.dumps(public, sort_keys=True, default=str).encode()).hexdigest()


def weights_fingerprint(module: torch.nn.Module) -> str:
    """Hash of a module's parameters and buffers, so retrained weights invalidate the cache."""
    digest = hashlib.sha1()
    for name, tensor in sorted(module.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()
