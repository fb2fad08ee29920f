"""The data layer: audiofolder datasets with caches, bad-file reports, and dataset builders.

* :class:`AudioFolderDataset` + :func:`collate_audio`: fixed-length clips, mel and latent caches.
* :func:`load_audiofolder`: the same folder through ``datasets`` (torchcodec optional).
* :func:`scan_folder` / :class:`DataReport`: what is usable and why the rest is skipped.
* Builders writing audiofolders with ``metadata.jsonl`` and ``dataset_card.md``:
  :func:`render_soundfont_dataset` (GM one-shots), :func:`render_music21_dataset` (corpus
  pieces), :func:`render_drum_loop_dataset` (styled drum loops), :func:`render_melodic_dataset`
  (scales, arpeggios, progressions, bass lines, pads, melodies and corpus excerpts in every key),
  :func:`render_sfx_dataset` (procedural sound effects), :func:`clip_long_folder` (long recordings to clips).

The ``latentaudio data`` verbs live in :mod:`latentaudio.cli.data`. Names are imported on first
use, so ``import latentaudio.data`` loads neither torch nor diffusers; FluidSynth and music21
are imported only when a builder runs.
"""

from ..lazy import lazy_exports

_EXPORTS = {
    "AudioFolderDataset": ".folder",
    "collate_audio": ".folder",
    "load_audiofolder": ".hf",
    "clip_long_folder": ".long_folder",
    "render_music21_dataset": ".music21_render",
    "render_drum_loop_dataset": ".drumloops",
    "render_melodic_dataset": ".melodic",
    "render_sfx_dataset": ".sfx",
    "BuildResult": ".output",
    "assign_splits": ".output",
    "AudioEntry": ".report",
    "DataReport": ".report",
    "NoUsableAudioError": ".report",
    "scan_folder": ".report",
    "render_soundfont_dataset": ".soundfont",
}

__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
