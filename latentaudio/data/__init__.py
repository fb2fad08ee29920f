"""The data layer: audiofolder datasets with caches, bad-file reports, and dataset builders.

* :class:`AudioFolderDataset` + :func:`collate_audio`: fixed-length clips, mel and latent caches.
* :func:`load_audiofolder`: the same folder through ``datasets`` (torchcodec optional).
* :func:`scan_folder` / :class:`DataReport`: what is usable and why the rest is skipped.
* Builders writing audiofolders with ``metadata.jsonl`` and ``dataset_card.md``:
  :func:`render_soundfont_dataset` (GM one-shots), :func:`render_music21_dataset` (corpus
  pieces), :func:`clip_long_folder` (long recordings to clips).
* :func:`add_data_commands` / :func:`run_data_command`: the ``latentaudio data`` verbs.

FluidSynth and music21 are imported only when a builder runs.
"""

from .cli import add_data_commands, run_data_command
from .folder import AudioFolderDataset, collate_audio
from .hf import load_audiofolder
from .long_folder import clip_long_folder
from .music21_render import render_music21_dataset
from .output import BuildResult, assign_splits
from .report import AudioEntry, DataReport, NoUsableAudioError, scan_folder
from .soundfont import render_soundfont_dataset

__all__ = [
    "AudioEntry",
    "AudioFolderDataset",
    "BuildResult",
    "DataReport",
    "NoUsableAudioError",
    "add_data_commands",
    "assign_splits",
    "clip_long_folder",
    "collate_audio",
    "load_audiofolder",
    "render_music21_dataset",
    "render_soundfont_dataset",
    "run_data_command",
    "scan_folder",
]
