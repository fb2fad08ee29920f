"""Does a music model play what it was asked for? Category, tempo, key, style and effect adherence on held-out prompts.

:func:`music_section` generates one clip per test row of the music datasets (``latentaudio data
drumloops``, ``melodic``, ``sfx``; rows of ``latentaudio data soundfont`` count as one-shots), with
the row's last caption, a varied wording rather than the template of ``text``, at the length the row
states. The test splits hold out whole tempos (drum loops), whole (key, mode) pairs (melodic material)
and whole pitches (one-shots). Each clip is scored against its row (each score a share of the clips):

``category_accuracy``
    The category judge hears the row's category: one-shot, drum loop, melodic or sound effect.
``family_accuracy`` / ``note_accuracy`` (one-shots)
    The GM family classifier of :mod:`.classifier` hears the family; :func:`estimate_pitch` is
    within a semitone of the note (pitched families).
``tempo_accuracy`` / ``tempo_accuracy_octave`` (drum loops, melodic)
    :func:`estimate_tempo` within ``tempo_tolerance`` (4 %) of the row's bpm. Strict is the headline;
    the octave-tolerant share also accepts exactly double or half the tempo (beat trackers often
    count the hi-hat's eighths or a half-time feel).
``style_accuracy`` (drum loops), ``sfx_class_accuracy`` (sound effects)
    The style judge and the effect-class judge hear the row's style or class.
``key_exact`` / ``key_or_relative`` / ``mode_accuracy`` (melodic)
    :func:`estimate_key` against the row's key. Its profiles are major and minor, so the six modes of
    the builder are judged by their third (:data:`MODE_QUALITY`: dorian and phrygian as minor, lydian
    and mixolydian as major); ``key_or_relative`` also accepts the relative key.
``frechet_distance`` / ``frechet_floor``
    Per category, in the category judge's embedding, generated against real test clips, and the
    floor: real validation clips against the same real test clips (:func:`frechet_distance`).

``split="validation"`` generates the validation prompts instead, scored against the validation clips with
the test clips as the floor, for choosing settings without reading the test prompts (the validation splits
hold out tempos, keys and notes of their own, as the test splits do).

:func:`real_clips_section` scores the real test clips the same way: the ceiling, which shows what the
estimators themselves miss. The judges (:func:`train_music_judges`) are :class:`AudioFamilyClassifier` s
trained on the train split only, on the ``category``, ``style`` and ``sfx_class`` columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from ..audio_io import PathLike, read_audio
from ..data.vocabulary import ONE_SHOT
from ..metrics import TEMPO_HOP, estimate_pitch, estimate_tempo, frechet_distance, within_semitone  # noqa: F401
from .classifier import AudioFamilyClassifier, classify_clips, load_classifier, train_classifier

# Loops, phrases and effects asked for in users' words, none stating a tempo, a key or a length, each labelled with the
# category and the column of the music builders' rows it asks for ("style", "kind", "sfx_class"; a drum loop of no
# style has none): what the pipeline fills in for them is benchmarked (``benchmarks/style_tempo.py``,
# ``phrase_tempo.py``, ``effect_lengths.py``) and tested (``tests/test_prompts.py``). Rows with ``"named_by":
# "nickname"`` name their effect or style only by a word the builders' captions never use ("a riser", "heavy metal
# drums": ``vocabulary.EFFECT_NICKNAMES``, ``STYLE_NICKNAMES``) or ask for a fill or a loop of no known style
# (``benchmarks/nicknames.py``).
REQUESTS_PATH = Path(__file__).with_name("requests.jsonl")
JUDGE_COLUMNS = ("category", "style", "sfx_class")
TEMPO_TOLERANCE = 0.04
# Krumhansl & Kessler (1982) key profiles, tonic first (Krumhansl 1990, table 2.1).
MAJOR_PROFILE = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
MINOR_PROFILE = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
# The builder's modes by their third: what a major/minor key estimate can tell apart.
MODE_QUALITY = {"major": "major", "lydian": "major", "mixolydian": "major",
                "minor": "minor", "dorian": "minor", "phrygian": "minor"}


def tempo_matches(estimate: Optional[float], target: float, tolerance: float = TEMPO_TOLERANCE, octave: bool = False) -> bool:
    """Whether ``estimate`` is within ``tolerance`` (a share) of ``target`` bpm; with ``octave``, of its double or half too."""
    if estimate is None:
        return False
    candidates = (target, 2 * target, target / 2) if octave else (target,)
    return any(abs(estimate / candidate - 1) <= tolerance for candidate in candidates)


def key_fits(audio: np.ndarray, sample_rate: int) -> Optional[np.ndarray]:
    """(2, 12): the correlation of the clip's chroma with :data:`MAJOR_PROFILE` (row 0) and :data:`MINOR_PROFILE`
    (row 1) rotated to each tonic (column, C first); `None` for silence. The chroma is ``librosa.feature.chroma_cqt``
    summed over the clip without per-frame normalisation (loud frames count more than quiet ones)."""
    import librosa

    audio = np.asarray(audio, np.float32)
    if not np.isfinite(audio).all() or np.abs(audio).max(initial=0) < 1e-4:
        return None
    chroma = librosa.feature.chroma_cqt(y=audio, sr=sample_rate, norm=None).sum(axis=1)  # (12,), C first
    return np.array([[np.corrcoef(chroma, np.roll(profile, tonic))[0, 1] for tonic in range(12)]
                     for profile in (MAJOR_PROFILE, MINOR_PROFILE)])


def estimate_key(audio: np.ndarray, sample_rate: int) -> Optional[tuple[int, str]]:
    """(tonic pitch class, ``"major"`` or ``"minor"``): the Krumhansl-Schmuckler key finding (Krumhansl 1990).

    The key is the rotation of :data:`MAJOR_PROFILE` or :data:`MINOR_PROFILE` that correlates best with the
    clip's chroma (:func:`key_fits`; summing beat averaging normalised frames, and Temperley's profiles, by 4-10
    points here). On 96 FluidR3_GM clips of the melodic builder (a quarter of them music21 excerpts) the key or
    its relative is right for 69 %, the exact key for 65 % and the mode (by :data:`MODE_QUALITY`) for 80 %; minor
    keys are the weakest (47 %). `None` for silence.
    """
    fits = key_fits(audio, sample_rate)
    if fits is None:
        return None
    mode, tonic = divmod(int(np.argmax(np.nan_to_num(fits, nan=-1.0))), 12)  # the first best, major before minor
    return tonic, ("major", "minor")[mode]


def key_matches(estimate: Optional[tuple[int, str]], target: tuple[int, str], relative: bool = True) -> bool:
    """Whether an estimated (tonic, mode) is the ``target`` key (its mode read by :data:`MODE_QUALITY`), or,
    with ``relative``, its relative key (A minor for C major, Eb major for C minor)."""
    if estimate is None:
        return False
    tonic, mode = target[0] % 12, MODE_QUALITY.get(target[1], target[1])
    if estimate == (tonic, mode):
        return True
    relative_key = ((tonic + 9) % 12, "minor") if mode == "major" else ((tonic + 3) % 12, "major")
    return relative and estimate == relative_key


def load_requests(category: Optional[str] = None, path: PathLike = REQUESTS_PATH,
                  nicknames: Optional[bool] = None) -> list[dict]:
    """The rows of the request set (:data:`REQUESTS_PATH`), in file order; only those of ``category`` when given, and
    with ``nicknames`` True or False only those that do (``"named_by": "nickname"``) or do not name what they ask
    for by a nickname."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return [row for row in rows if (category is None or row["category"] == category)
            and (nicknames is None or (row.get("named_by") == "nickname") == nicknames)]


def category_of(row: dict) -> Optional[str]:
    """The row's category; :data:`ONE_SHOT` for rows with a family but no category; `None` for other rows."""
    return row.get("category") or (ONE_SHOT if row.get("family") else None)


@dataclass
class MusicClips:
    """Real clips of one split of the music datasets, with their rows and the prompt each is generated from."""

    rows: list[dict]
    texts: list[str]
    audio: list[torch.Tensor]  # (L,) each, at the pipeline's sample rate, as long as the row states (capped)

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def categories(self) -> list[str]:
        return [category_of(row) for row in self.rows]


def load_music_clips(data_dirs: Sequence[PathLike], split: str, sample_rate: int, limit: Optional[int] = None,
                     max_seconds: Optional[float] = None, min_seconds: float = 0.0) -> MusicClips:
    """The clips of ``split``, at most ``limit`` per category (evenly spaced), each cut to ``max_seconds``.

    Raises:
        ValueError: No row of the split has a category.
    """
    from ..data.report import scan_folder
    from .evaluate import evenly_spaced

    by_category: dict[str, list] = {}
    for folder in data_dirs:
        for entry in scan_folder(folder)[0]:
            row = {**entry.columns, "text": entry.text}
            if row.get("split") == split and category_of(row) is not None:
                by_category.setdefault(category_of(row), []).append((entry, row))
    if not by_category:
        raise ValueError(f"No {split} rows with a category in {', '.join(map(str, data_dirs))}; build them with "
                         "`latentaudio data drumloops`, `melodic`, `sfx` or `soundfont`.")
    clips = MusicClips([], [], [])
    for category in sorted(by_category):
        chosen = by_category[category]
        for index in evenly_spaced(len(chosen), limit):
            entry, row = chosen[index]
            audio, _ = read_audio(entry.path, sample_rate=sample_rate)
            length = max(round(min(row.get("seconds") or entry.seconds, max_seconds or np.inf) * sample_rate),
                         round(min_seconds * sample_rate))
            clips.rows.append(row)
            clips.texts.append((row.get("captions") or [row["text"]])[-1])
            clips.audio.append(torch.nn.functional.pad(audio, (0, max(0, length - len(audio))))[:length])
    return clips


def train_music_judges(data_dirs: Sequence[PathLike], output_dir: Optional[PathLike] = None, seconds: float = 4.0,
                       max_steps: int = 1500, seed: int = 0, log=None, **kwargs) -> tuple[dict, dict]:
    """One :func:`train_classifier` per column of :data:`JUDGE_COLUMNS` that the train split holds two
    values of, on the first ``seconds`` of each clip, saved in ``output_dir/<column>``; ``kwargs`` go to
    :func:`train_classifier`. Only the train split is read (validation accuracy aside).

    Returns:
        ``(judges, records)``: ``{column: classifier}`` and ``{column: training record}``.
    """
    judges, records = {}, {}
    for column in JUDGE_COLUMNS:
        folder = None if output_dir is None else Path(output_dir) / column
        try:
            judges[column], records[column] = train_classifier(
                list(data_dirs), folder, seconds=seconds, max_steps=max_steps, seed=seed, log=log, label_column=column,
                missing_label=ONE_SHOT if column == "category" else None, **kwargs)
        except ValueError as error:  # no such column, or a single value: nothing to judge
            if log is not None:
                log(f"no {column} judge: {error}")
    if "category" not in judges:
        raise ValueError(f"Cannot train the category judge on {', '.join(map(str, data_dirs))}: it needs rows of two "
                         "categories in the train split.")
    return judges, records


def load_music_judges(folder: PathLike) -> tuple[dict, dict]:
    """The judges :func:`train_music_judges` saved in ``folder`` (at least ``category``), and their records."""
    judges, records = {}, {}
    for column in JUDGE_COLUMNS:
        if (Path(folder) / column / AudioFamilyClassifier.config_name).is_file():
            judges[column], records[column] = load_classifier(Path(folder) / column)
    if "category" not in judges:
        raise FileNotFoundError(f"No music judges in {folder}: it has no category/{AudioFamilyClassifier.config_name}.")
    return judges, records


def by_length(audio: Sequence[torch.Tensor]) -> list[list[int]]:
    """The indices of ``audio``'s clips grouped by length, in order of first appearance."""
    groups: dict[int, list[int]] = {}
    for index, clip in enumerate(audio):
        groups.setdefault(clip.shape[-1], []).append(index)
    return list(groups.values())


def classify_any_lengths(classifier: AudioFamilyClassifier, audio: Sequence[torch.Tensor], sample_rate: int):
    """:func:`classify_clips` over clips of different lengths (batched by length): embeddings (N, D) and labels.
    Clips shorter than the classifier's training clip are padded with silence to it, as its training clips were."""
    shortest = round(classifier.config.clip_seconds * sample_rate)
    audio = [torch.nn.functional.pad(clip, (0, max(0, shortest - clip.shape[-1]))) for clip in audio]
    embeddings, labels = [None] * len(audio), [None] * len(audio)
    for indices in by_length(audio):
        embedding, predicted = classify_clips(classifier, torch.stack([audio[i] for i in indices]), sample_rate)
        for i, vector, label in zip(indices, embedding, predicted):
            embeddings[i], labels[i] = vector, label
    return torch.stack(embeddings).numpy(), labels


def score_music(judges: dict, clips: MusicClips, audio: Sequence[torch.Tensor], sample_rate: int,
                family_classifier: Optional[AudioFamilyClassifier] = None, tolerance: float = TEMPO_TOLERANCE) -> dict:
    """Per category, the shares of the module docstring for ``audio`` (one clip per row of ``clips``), and
    the category judge's embeddings (``{category: {"scores": {...}, "embeddings": (n, D)}}``)."""
    from .evaluate import PITCHED_FAMILIES

    audio = [clip.float().cpu() for clip in audio]
    embeddings, heard = classify_any_lengths(judges["category"], audio, sample_rate)
    heard_as = {"category": heard}
    for column, judge in judges.items():
        if column != "category":
            heard_as[column] = classify_any_lengths(judge, audio, sample_rate)[1]
    if family_classifier is not None:
        heard_as["family"] = classify_any_lengths(family_classifier, audio, sample_rate)[1]
    section = {}
    for category in sorted(set(clips.categories)):
        indices = [i for i, c in enumerate(clips.categories) if c == category]
        rows = [clips.rows[i] for i in indices]
        hits: dict[str, list[bool]] = {"category_accuracy": [heard_as["category"][i] == category for i in indices]}
        for column, name in (("family", "family_accuracy"), ("style", "style_accuracy"), ("sfx_class", "sfx_class_accuracy")):
            if column in heard_as and (column != "family" or category == ONE_SHOT):
                hits[name] = [heard_as[column][i] == row[column] for i, row in zip(indices, rows) if row.get(column)]
        if category == ONE_SHOT:
            hits["note_accuracy"] = [within_semitone(estimate_pitch(audio[i].numpy(), sample_rate), row["pitch"])
                                     for i, row in zip(indices, rows) if row.get("family") in PITCHED_FAMILIES]
        for i, row in zip(indices, rows):
            if row.get("tempo") and category != ONE_SHOT:
                tempo = estimate_tempo(audio[i].numpy(), sample_rate)
                hits.setdefault("tempo_accuracy", []).append(tempo_matches(tempo, row["tempo"], tolerance))
                hits.setdefault("tempo_accuracy_octave", []).append(tempo_matches(tempo, row["tempo"], tolerance, octave=True))
            if row.get("tonic") is not None and row.get("mode"):
                key = estimate_key(audio[i].numpy(), sample_rate)
                hits.setdefault("key_exact", []).append(key_matches(key, (row["tonic"], row["mode"]), relative=False))
                hits.setdefault("key_or_relative", []).append(key_matches(key, (row["tonic"], row["mode"])))
                hits.setdefault("mode_accuracy", []).append(key is not None and key[1] == MODE_QUALITY.get(row["mode"]))
        scores = {"clips": len(indices), **{name: float(np.mean(h)) for name, h in hits.items() if h}}
        section[category] = {"scores": scores, "embeddings": embeddings[indices]}
    return section


def _frechet(a: Optional[np.ndarray], b: Optional[np.ndarray]) -> Optional[float]:
    return frechet_distance(a, b) if a is not None and b is not None and len(a) >= 2 and len(b) >= 2 else None


def real_clips_section(data_dirs: Sequence[PathLike], judges: dict, sample_rate: int, limit: Optional[int] = None,
                       max_seconds: Optional[float] = None, family_classifier: Optional[AudioFamilyClassifier] = None,
                       test: Optional[MusicClips] = None, split: str = "test") -> dict:
    """The real test clips (or ``split``'s) scored like generations (the ceiling), with each category's Fréchet
    floor (real clips of the other held-out split against them) and their embeddings.

    Returns:
        ``{category: {"scores": {..., "frechet_floor"}, "embeddings": (n, D)}}``.
    """
    from .evaluate import floor_split

    other = floor_split(split)
    test = test or load_music_clips(data_dirs, split, sample_rate, limit, max_seconds)
    section = score_music(judges, test, test.audio, sample_rate, family_classifier)
    try:
        validation = load_music_clips(data_dirs, other, sample_rate, max(len(test), 1), max_seconds)
        floor_embeddings = classify_any_lengths(judges["category"], validation.audio, sample_rate)[0]
    except ValueError:  # no validation rows: no floor
        validation, floor_embeddings = MusicClips([], [], []), None
    for category, entry in section.items():
        indices = [i for i, c in enumerate(validation.categories) if c == category][: entry["scores"]["clips"]]
        floor = floor_embeddings[indices] if indices else None
        entry["scores"]["frechet_floor"] = _frechet(floor, entry["embeddings"])
    return section


def music_section(pipe, data_dirs: Sequence[PathLike], judges: dict, steps: int = 20, limit: Optional[int] = None,
                  seed: int = 0, guidance_scale: float = 3.0, batch_size: int = 8, max_seconds: Optional[float] = None,
                  family_classifier: Optional[AudioFamilyClassifier] = None, judges_info: Optional[dict] = None,
                  baseline: bool = False, log=None, split: str = "test", best_of: int = 1) -> dict:
    """Adherence of ``pipe`` on the music test prompts beside the real clips' (see the module docstring).

    Args:
        pipe (`LatentAudioPipeline`): The model to evaluate.
        data_dirs: Music datasets (drum loops, melodic material, sound effects, one-shots), read as one.
        judges (`dict`): ``{column: AudioFamilyClassifier}`` from :func:`train_music_judges`; ``category`` required.
        steps (`int`, defaults to 20): Sampler steps of every generation.
        limit (`int`, *optional*): At most this many test prompts per category, evenly spread.
        seed (`int`, defaults to 0): Seeds the generations.
        guidance_scale (`float`, defaults to 3.0): Classifier-free guidance.
        batch_size (`int`, defaults to 8): Prompts per pipeline call (prompts of one length share a call).
        max_seconds (`float`, *optional*): Longest clip; defaults to the pipeline's ``max_audio_length_in_s``.
        family_classifier (`AudioFamilyClassifier`, *optional*): Judges the family of one-shots.
        judges_info (`dict`, *optional*): Where the judges came from, recorded as is.
        baseline (`bool`, defaults to `False`): Also score the same prompts, steps and seeds through ``pipe`` with an
            untrained U-Net of the same config (:func:`~latentaudio.evaluation.evaluate.random_unet_pipeline`, seeded
            by ``seed``): what every category's Fréchet distance and scores are without training.
        log: ``log(str)`` for progress lines; silent when `None`.
        split (`str`, defaults to ``"test"``): The held-out split whose rows give the prompts and the real clips;
            ``"validation"`` to choose settings without the test prompts (the test clips then give the floors).
        best_of (`int`, defaults to 1): Score the best of this many takes of each prompt, as the pipeline ranks them
            (:func:`~latentaudio.evaluation.evaluate.generate_clips`); 1 scores single takes.

    Returns:
        `dict`: ``{"setup": {...}, "generated": {category: scores}, "real": {category: scores}}``, and
        ``"baseline": {category: scores}`` with ``baseline``.
    """
    from .evaluate import check_best_of, random_unet_pipeline

    check_best_of(pipe, best_of)
    # 1. the test prompts and their real clips, as long as the rows state (within what the pipeline generates)
    log = log or (lambda message: None)
    longest = min(max_seconds or np.inf, pipe.config.max_audio_length_in_s)
    shortest = pipe.samples_per_latent_frame / pipe.sample_rate
    test = load_music_clips(data_dirs, split, pipe.sample_rate, limit, longest, min_seconds=shortest)
    log(f"music: {len(test)} {split} prompts ({', '.join(f'{c} {test.categories.count(c)}' for c in sorted(set(test.categories)))})")

    # 2. the ceiling and the floors
    real = real_clips_section(data_dirs, judges, pipe.sample_rate, limit, longest, family_classifier, test, split)

    # 3. every prompt at its length, scored against the real clips; then the untrained U-Net the same way
    sections = {"generated": pipe, **({"baseline": random_unet_pipeline(pipe, seed)} if baseline else {})}
    report = {}
    for name, model in sections.items():
        report[name] = generated_scores(model, test, real, judges, steps, guidance_scale, seed, batch_size, family_classifier,
                                        best_of)
        for category, scores in report[name].items():
            log(f"music {category} ({name}): " + ", ".join(f"{k} {v:.2f}" for k, v in scores.items() if isinstance(v, float)))

    return {
        "setup": {"data": [str(folder) for folder in data_dirs], "split": split, "steps": steps, "guidance_scale": guidance_scale,
                  "seed": seed, "limit": limit, "best_of": best_of, "max_seconds": longest, "tempo_tolerance": TEMPO_TOLERANCE,
                  "prompts": f"each {split} row's last caption (a varied wording), at the length the row states",
                  "judges": {"labels": {column: judge.labels for column, judge in judges.items()}, **(judges_info or {})}},
        **report,
        "real": {category: entry["scores"] for category, entry in real.items()},
    }


def generated_scores(pipe, test: MusicClips, real: dict, judges: dict, steps: int, guidance_scale: float, seed: int,
                     batch_size: int = 8, family_classifier: Optional[AudioFamilyClassifier] = None,
                     best_of: int = 1) -> dict:
    """Every prompt of ``test`` at its row's length through ``pipe`` (:func:`generate_at_row_lengths`, the best of
    ``best_of`` takes), scored as
    :func:`music_section` scores it: ``{category: scores}``, each with its Fréchet distance to the real clips of
    ``real`` (:func:`real_clips_section` of the same rows) and their floor."""
    audio = generate_at_row_lengths(pipe, test, steps, guidance_scale, seed, batch_size, best_of)
    scored = score_music(judges, test, audio, pipe.sample_rate, family_classifier)
    for category, entry in scored.items():
        entry["scores"]["frechet_distance"] = _frechet(entry["embeddings"], real[category]["embeddings"])
        entry["scores"]["frechet_floor"] = real[category]["scores"]["frechet_floor"]
    return {category: entry["scores"] for category, entry in scored.items()}


def generate_at_row_lengths(pipe, test: MusicClips, steps: int, guidance_scale: float, seed: int,
                            batch_size: int = 8, best_of: int = 1) -> list[torch.Tensor]:
    """One take of each test prompt (the best of ``best_of``), as long as its real clip; prompts of one length share
    calls, seeded by ``seed`` plus the first row of their group."""
    from .evaluate import generate_clips

    audio: list[Optional[torch.Tensor]] = [None] * len(test)
    for indices in by_length(test.audio):
        length = test.audio[indices[0]].shape[-1]
        generated = generate_clips(pipe, [test.texts[i] for i in indices], steps, length / pipe.sample_rate,
                                   guidance_scale, seed + indices[0], batch_size, best_of=best_of)
        for i, clip in zip(indices, generated):
            audio[i] = torch.nn.functional.pad(clip, (0, max(0, length - clip.shape[-1])))[:length]
    return audio


SCORE_NAMES = {
    "category_accuracy": "category", "family_accuracy": "family", "note_accuracy": "note within 1 semitone",
    "style_accuracy": "style", "tempo_accuracy": "tempo within {tolerance}", "tempo_accuracy_octave":
    "tempo within {tolerance}, double or half", "key_exact": "key", "key_or_relative": "key or its relative",
    "mode_accuracy": "mode (major/minor)", "sfx_class_accuracy": "effect class",
}


def format_music(section: dict) -> str:
    """The section as a Markdown table: per category and score, the generated clips beside the real ones (and the
    untrained U-Net's, when the section has them)."""
    from .evaluate import best_of_words

    setup, baseline = section["setup"], section.get("baseline")
    tolerance = f"{setup['tempo_tolerance']:.0%}"
    untrained = "" if baseline is None else " untrained U-Net |"
    split = setup.get("split", "test")  # reports written before the option existed are the test split's
    lines = [f"Music ({setup['steps']} steps, guidance {setup['guidance_scale']:g}{best_of_words(setup.get('best_of', 1))}; "
             f"ceiling: the real {split} clips):", "",
             f"| category | n | score | generated | real clips |{untrained}", "|---|---|---|---|---|" + "---|" * (baseline is not None)]
    for category, scores in section["generated"].items():
        real = section["real"].get(category, {})
        base = None if baseline is None else baseline.get(category, {})
        for key, name in SCORE_NAMES.items():
            if key in scores or key in real:
                lines.append(f"| {category} | {scores['clips']} | {name.format(tolerance=tolerance)} ↑ | "
                             f"{_percent(scores.get(key))} | {_percent(real.get(key))} |"
                             + ("" if base is None else f" {_percent(base.get(key))} |"))
        distance, floor = scores.get("frechet_distance"), scores.get("frechet_floor")
        lines.append(f"| {category} | {scores['clips']} | Fréchet distance ↓ | {_number(distance)} | "
                     f"{_number(floor)} (floor) |" + ("" if base is None else f" {_number(base.get('frechet_distance'))} |"))
    return "\n".join(lines)


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.0%}"


def _number(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.2f}"

