"""Evaluation: metrics, the embedding classifier, and the ``latentaudio evaluate`` report.

* :class:`AudioFamilyClassifier` / :func:`train_classifier`: a log-mel CNN predicting the 16 GM
  families + drums; its penultimate layer is the audio embedding of the Fréchet distances.
* :mod:`latentaudio.metrics` (re-exported; training uses it too): :func:`frechet_distance`, mel and waveform distances, :func:`estimate_pitch`.
* :func:`evaluate` / :func:`format_report`: the report of issue 5 (VAE, vocoder, generation at
  several step counts, ceiling, floor, baseline).
* :mod:`.music`: the music model's section (category, tempo, key, style and effect adherence per
  category, beside the real clips' ceiling): :func:`music_section`, :func:`estimate_tempo`, :func:`estimate_key`.
"""

from .classifier import FAMILY_LABELS, AudioClassifierOutput, AudioFamilyClassifier, load_classifier, train_classifier
from .evaluate import PITCHED_FAMILIES, evaluate, format_report, load_clips, save_report
from .music import estimate_key, estimate_tempo, key_matches, music_section, tempo_matches
from ..metrics import estimate_pitch, frechet_distance, mel_errors, waveform_distances, within_semitone

__all__ = [
    "FAMILY_LABELS",
    "PITCHED_FAMILIES",
    "AudioClassifierOutput",
    "AudioFamilyClassifier",
    "estimate_key",
    "estimate_pitch",
    "estimate_tempo",
    "evaluate",
    "format_report",
    "frechet_distance",
    "key_matches",
    "load_classifier",
    "load_clips",
    "mel_errors",
    "music_section",
    "save_report",
    "tempo_matches",
    "train_classifier",
    "waveform_distances",
    "within_semitone",
]
