"""Does a model answer how people ask? Adherence on template, paraphrased and unseen-note prompts, at several lengths.

:func:`generalisation_section` generates one clip per prompt of four prompt sets, at every
length of ``lengths``, and scores each clip against the prompt's labels:

``template``
    The test split's own captions (the training template), labelled by their metadata.
``paraphrases``
    :data:`PARAPHRASES_PATH`: hand-written prompts in users' wording (nicknames, note spellings,
    adjectives, no template), never used for training, with family, program or drum, and note. The
    prompt reader's phrase tables (:mod:`latentaudio.prompts`) were written beside this set.
``blind_paraphrases``
    :data:`BLIND_PARAPHRASES_PATH`: more prompts of that kind, written after the phrase tables and never
    used to change them, so a model that reads prompts through :func:`~latentaudio.prompts.parse_prompt`
    (its structured features, its ``prompt_template``) is measured on wording the reader was not fitted to.
``unseen_notes``
    Template captions of notes that the training split never holds *for that program*: the
    pitches inside each program's range (:data:`gm.PROGRAMS`) minus those of its training rows, less
    those the dataset holds out for validation (:func:`notes_of_split`).

Scores (each a share of the prompts that carry the label):

* ``family_accuracy``: the :class:`AudioFamilyClassifier`'s top family is the prompt's.
* ``drum_accuracy``: for drum prompts, the drum type (:data:`vocabulary.DRUM_TYPES`: kick, snare,
  hi-hat, ...) is the prompt's, judged by :class:`DrumTypeJudge`.
* ``note_accuracy``: for pitched prompts, :func:`estimate_pitch` is within a semitone of the note.
* ``family_accuracy_by_family`` and ``family_heard_as``: the family score per family asked for, and what the
  judge heard instead for its misses (:func:`family_breakdown`, as the standard section reports them).

``split="validation"`` scores the validation split's template captions and unseen notes instead (a dataset
whose held-out pitches are shared between the two splits, as ``latentaudio data soundfont --holdout pitches``
writes them, gives each split its own unseen notes: :func:`notes_of_split`), so that a stage or a setting
is chosen without the test prompts; the paraphrase sets are test prompts only and are left out.

The judges are independent of the model: both learn only from the real clips of the training split.
The ``ceiling`` entry scores the template prompts' own real clips (the test split's renders) the same
way at every length: what the judges give a perfect model, so a short length's figures can be read
against what one second of real sound allows. ``ceiling_unseen_notes`` does the same for the unseen
notes, whose real clips the dataset never holds: :func:`render_like_dataset` renders them with the
dataset's SoundFont, length, hold and per-program gain (left out, with a logged line, when that font
is not on the machine).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional, Sequence

import numpy as np
import torch

from ..audio_io import PathLike
from ..data import gm, vocabulary
from .classifier import AudioFamilyClassifier, classify_clips, family_breakdown
from ..metrics import estimate_pitch, within_semitone

PARAPHRASES_PATH = Path(__file__).with_name("paraphrases.jsonl")
BLIND_PARAPHRASES_PATH = Path(__file__).with_name("paraphrases_blind.jsonl")
DEFAULT_LENGTHS = (1.0, 1.5, 2.56)
CLASSIFIER_BATCH = 32  # clips per classifier call
UNSEEN_VELOCITY = 80  # the dynamics of the unseen-note prompts ("moderately loud")
SET_NAMES = ("template", "paraphrases", "unseen_notes", "blind_paraphrases")  # the prompt sets, in report order
TEST_ONLY_SETS = ("paraphrases", "blind_paraphrases")  # hand-written prompts, not rows of a split: the test split's only


@dataclass
class PromptSet:
    """Prompts with the labels a clip is scored against (`None` where a prompt has no such label)."""

    texts: list[str]
    families: list[str]
    notes: list[Optional[int]]  # MIDI note of pitched prompts
    drum_types: list[Optional[str]]

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, indices: Sequence[int]) -> "PromptSet":
        return PromptSet(*([column[i] for i in indices] for column in (self.texts, self.families, self.notes, self.drum_types)))


def load_paraphrases(path: PathLike = PARAPHRASES_PATH) -> PromptSet:
    """The paraphrase prompt set (one JSON object per line: text, family, note, drum_type, ...)."""
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return PromptSet([r["text"] for r in rows], [r["family"] for r in rows], [r.get("note") for r in rows],
                     [r.get("drum_type") for r in rows])


def template_prompts(rows: list[dict], pitched_families: frozenset) -> PromptSet:
    """The captions of metadata ``rows`` (the test split), labelled by their columns."""
    return PromptSet(
        [row["text"] for row in rows], [row["family"] for row in rows],
        [row["pitch"] if row["family"] in pitched_families else None for row in rows],
        [vocabulary.DRUM_TYPES.get(row["pitch"]) if row["family"] == gm.DRUMS_FAMILY else None for row in rows],
    )


def unseen_notes(train_rows: list[dict], pitched_families: frozenset) -> list[tuple[int, int]]:
    """(program, pitch) of every in-range note that no training row plays on its program, by program then pitch."""
    heard: dict[int, set] = {}
    for row in train_rows:
        if row.get("kit") is None and row["family"] in pitched_families:
            heard.setdefault(row["program"], set()).add(row["pitch"])
    notes = []
    for program, pitches in sorted(heard.items()):
        spec = gm.PROGRAMS[program]
        notes += [(program, pitch) for pitch in range(spec.low, spec.high + 1)
                  if pitch not in pitches and min(pitches) <= pitch <= max(pitches)]  # inside what the font renders
    return notes


def notes_of_split(notes: Sequence[tuple[int, int]], rows: list[dict], split: str) -> list[tuple[int, int]]:
    """The ``notes`` ((program, pitch) pairs) that belong to ``split``: those whose rows in ``rows`` are of that split.
    A note with no row (a pitch the dataset never rendered) belongs to the test split, so the validation split's
    notes are ones the test never asks for, and the test split keeps every note of a dataset without held-out rows."""
    splits: dict[tuple[int, int], set] = {}
    for row in rows:
        if row.get("kit") is None and row.get("split") != "train":
            splits.setdefault((row["program"], row["pitch"]), set()).add(row["split"])
    return [note for note in notes if split in splits.get(note, {"test"})]


def unseen_note_prompts(train_rows: list[dict], pitched_families: frozenset, velocity: int = UNSEEN_VELOCITY) -> PromptSet:
    """Template captions of every in-range note that no training row plays on its program (:func:`unseen_notes`)."""
    return note_prompts(unseen_notes(train_rows, pitched_families), velocity)


def note_prompts(notes: Sequence[tuple[int, int]], velocity: int = UNSEEN_VELOCITY) -> PromptSet:
    """Template captions of melodic ``notes`` ((program, pitch) pairs), labelled with family and note."""
    return PromptSet([gm.program_caption(program, pitch, velocity) for program, pitch in notes],
                     [gm.family_of(program).name for program, _ in notes], [pitch for _, pitch in notes], [None] * len(notes))


DRUM_WINDOWS = (0.0, 0.03, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56)  # s: onset, attack, body, decay, tail


class DrumTypeJudge:
    """Names the drum type of a clip (kick, snare, hi-hat, ...) from how each mel band rises and dies away.

    A kick is low and short, a hi-hat high and short, a crash high and long, a tom a low tone that
    decays: the judge reads exactly that. Each clip is brought to full scale and its log-mel (64 bands,
    20 ms hop) taken relative to its loudest bin, so a soft and a loud hit look alike, and averaged
    over each span of :data:`DRUM_WINDOWS` that starts inside the clip (onset, attack, body, decay,
    tail): 64 numbers a span. A multinomial logistic regression on the standardised features, with an L2 penalty, is fitted
    by L-BFGS on the real drum clips cut to the length being judged, once per length.

    A generated hit is a drum the judge has never heard, so its ceiling that matters is
    :meth:`unseen_kit_accuracy` (fit on all kits but one, judge the one left out), which the evaluation
    reports beside its scores.

    Args:
        audio (`torch.Tensor`): Real drum clips (N, L) at ``sample_rate``.
        types (`list[str]`): Their drum types (:data:`vocabulary.DRUM_TYPES`).
        sample_rate (`int`): Rate of ``audio`` and of the clips it judges.
        l2 (`float`, defaults to 1e-2): Penalty on the squared weights.
    """

    def __init__(self, audio: torch.Tensor, types: list[str], sample_rate: int, l2: float = 1e-2):
        from ..spectrogram import MelSpectrogram

        if audio.ndim != 2 or audio.shape[0] != len(types) or len(set(types)) < 2:
            raise ValueError(f"DrumTypeJudge needs clips (N, L) of at least two types, got {tuple(audio.shape)} "
                             f"and {len(set(types))} types.")
        self.audio, self.types, self.sample_rate, self.l2 = audio, list(types), sample_rate, l2
        self.names = sorted(set(types))
        self.spectrogram = MelSpectrogram(sample_rate=sample_rate, n_fft=1024, hop_length=320, n_mels=64)
        self._fits: dict[int, Callable[[torch.Tensor], list[str]]] = {}  # by clip length in samples

    @torch.no_grad()
    def features(self, audio: torch.Tensor) -> torch.Tensor:
        """(N, 64 x spans) features of clips (N, L): band means per span, relative to each clip's loudest bin."""
        audio = audio.float()
        mel = self.spectrogram(audio / audio.abs().amax(-1, keepdim=True).clamp_min(1e-8))  # each clip at full scale
        mel = mel - mel.amax(dim=(1, 2), keepdim=True)
        frames_per_second = self.sample_rate / self.spectrogram.hop_length
        seconds = audio.shape[-1] / self.sample_rate
        spans = [(round(lo * frames_per_second), max(round(lo * frames_per_second) + 1, round(hi * frames_per_second)))
                 for lo, hi in zip(DRUM_WINDOWS[:-1], DRUM_WINDOWS[1:]) if lo < seconds]
        return torch.cat([mel[..., start:stop].mean(-1) for start, stop in spans], dim=1)

    def _fit(self, features: torch.Tensor, types: list[str]) -> Callable[[torch.Tensor], list[str]]:
        """A classifier ``features (N, F) -> type names`` fitted on the features of clips of ``types``."""
        mean, std = features.mean(0), features.std(0) + 1e-3
        x = (features - mean) / std
        y = torch.tensor([self.names.index(t) for t in types])
        weight = torch.zeros(x.shape[1], len(self.names), requires_grad=True)
        bias = torch.zeros(len(self.names), requires_grad=True)
        optimiser = torch.optim.LBFGS([weight, bias], max_iter=500, line_search_fn="strong_wolfe")

        def closure():
            optimiser.zero_grad()
            loss = torch.nn.functional.cross_entropy(x @ weight + bias, y) + self.l2 * weight.square().sum()
            loss.backward()
            return loss

        with torch.enable_grad():
            optimiser.step(closure)
        weight, bias = weight.detach(), bias.detach()
        return lambda judged: [self.names[k] for k in (((judged - mean) / std) @ weight + bias).argmax(-1).tolist()]

    def _real_features(self, length: int) -> torch.Tensor:
        """Features of the real clips cut (or silence-padded) to ``length`` samples."""
        audio = torch.nn.functional.pad(self.audio, (0, max(0, length - self.audio.shape[-1])))[..., :length]
        return self.features(audio)

    def __call__(self, audio: torch.Tensor) -> list[str]:
        """The drum type of each clip (N, L), by a judge fitted on the real clips cut to L samples."""
        length = audio.shape[-1]
        if length not in self._fits:
            self._fits[length] = self._fit(self._real_features(length), self.types)
        return self._fits[length](self.features(audio))

    def unseen_kit_accuracy(self, kits: list[str], length: int) -> Optional[float]:
        """Leave one kit out: fit on the other kits' clips, judge the left-out kit's, mean over kits.

        How well the judge names a drum it has never heard, the case of a generated hit; `None` with fewer
        than two kits.
        """
        if len(set(kits)) < 2:
            return None
        features, shares = self._real_features(length), []
        for kit in sorted(set(kits)):
            heard = [i for i, k in enumerate(kits) if k != kit]
            left_out = [i for i, k in enumerate(kits) if k == kit]
            judge = self._fit(features[heard], [self.types[i] for i in heard])
            shares.append(_share([h == self.types[i] for h, i in zip(judge(features[left_out]), left_out)]))
        return float(np.mean(shares))


def drum_clips(data_dir: PathLike, split: str, seconds: float, sample_rate: int) -> tuple[torch.Tensor, list[str], list[str]]:
    """The drum clips (N, L) of ``split`` of a ``latentaudio data soundfont`` dataset, their drum types
    (:data:`vocabulary.DRUM_TYPES`) and their kits; N may be 0."""
    from ..data import AudioFolderDataset

    dataset = AudioFolderDataset(data_dir, seconds=seconds, sample_rate=sample_rate, split=split)
    drums = [i for i, entry in enumerate(dataset.entries) if entry.columns.get("family") == gm.DRUMS_FAMILY]
    items = [dataset[i] for i in drums]
    audio = torch.stack([item["audio"] for item in items]) if items else torch.zeros(0, round(seconds * sample_rate))
    return (audio, [vocabulary.DRUM_TYPES[item["pitch"]] for item in items],
            [str(dataset.entries[i].columns.get("kit")) for i in drums])


def drum_judge(data_dir: PathLike, split: str, seconds: float, sample_rate: int) -> tuple[Optional[DrumTypeJudge], list]:
    """A :class:`DrumTypeJudge` fitted on the drum clips of ``split`` of a ``latentaudio data soundfont`` dataset
    (``None`` when it has fewer than two types), and those clips' kits."""
    audio, types, kits = drum_clips(data_dir, split, seconds, sample_rate)
    if len(set(types)) < 2:
        return None, []
    return DrumTypeJudge(audio, types, sample_rate), kits


def score_prompts(classifier: AudioFamilyClassifier, judge: Optional[DrumTypeJudge], prompts: PromptSet,
                  audio: torch.Tensor, sample_rate: int) -> dict:
    """Family, drum-type and note adherence of ``audio`` (N, L), one clip per prompt; ``drums_heard`` lists
    the type the judge heard for each drum prompt, in order (empty without a judge)."""
    _, families = classify_clips(classifier, audio, sample_rate, CLASSIFIER_BATCH)
    scores = {"prompts": len(prompts), "family_accuracy": _share([f == p for f, p in zip(families, prompts.families)])}
    drums = [i for i, t in enumerate(prompts.drum_types) if t is not None]
    heard = judge(audio[drums]) if judge is not None and drums else []
    scores["drum_accuracy"] = _share([h == prompts.drum_types[i] for h, i in zip(heard, drums)])
    scores["drums_heard"] = heard
    scores["drum_prompts"] = len(drums)
    pitched = [i for i, n in enumerate(prompts.notes) if n is not None]
    scores["note_accuracy"] = _share([within_semitone(estimate_pitch(audio[i].float().numpy(), sample_rate), prompts.notes[i])
                                      for i in pitched])
    scores["pitched_prompts"] = len(pitched)
    scores.update(family_breakdown(prompts.families, families))
    return scores


def _share(hits: list[bool]) -> Optional[float]:
    return float(np.mean(hits)) if hits else None


def generalisation_section(
    pipe,
    data_dir: PathLike,
    classifier: AudioFamilyClassifier,
    steps: int = 20,
    lengths: Sequence[float] = DEFAULT_LENGTHS,
    limit: Optional[int] = None,
    guidance_scale: float = 3.0,
    seed: int = 0,
    batch_size: int = 8,
    paraphrases: PathLike = PARAPHRASES_PATH,
    blind_paraphrases: Optional[PathLike] = BLIND_PARAPHRASES_PATH,
    sets: Optional[Sequence[str]] = None,
    log=None,
    split: str = "test",
    best_of: int = 1,
) -> dict:
    """Adherence of ``pipe`` on the four prompt sets at every length (see the module docstring).

    Args:
        pipe (`LatentAudioPipeline`): The model to evaluate.
        data_dir: A dataset built by ``latentaudio data soundfont`` (its test split gives the template
            prompts, its train split the unseen notes and the drum judge).
        classifier (`AudioFamilyClassifier`): The family judge and embedding.
        steps (`int`, defaults to 20): Sampler steps of every generation.
        lengths (`Sequence[float]`, defaults to (1.0, 1.5, 2.56)): Clip lengths in seconds.
        limit (`int`, *optional*): At most this many prompts per set, evenly spread over it.
        guidance_scale (`float`, defaults to 3.0): Classifier-free guidance.
        seed (`int`, defaults to 0): Seeds the generations (the same noise at every length's start).
        batch_size (`int`, defaults to 8): Prompts per pipeline call.
        paraphrases: The paraphrase set (JSON lines).
        blind_paraphrases: The blind paraphrase set (JSON lines); ``None`` leaves the set out.
        sets (`Sequence[str]`, *optional*): Score only these of :data:`SET_NAMES` (default: all of them), e.g.
            ``["unseen_notes"]`` with no ``limit`` to measure one set whole. A set's ceiling comes with it.
        log: ``log(str)`` for progress lines; silent when `None`.
        split (`str`, defaults to ``"test"``): The held-out split whose template captions and unseen notes are
            scored; ``"validation"`` to choose settings without the test prompts (the paraphrase sets, test prompts
            only, are then left out, and naming one in ``sets`` is an error).
        best_of (`int`, defaults to 1): Score the best of this many takes of each prompt, as the pipeline ranks them
            (:func:`~latentaudio.evaluation.evaluate.generate_clips`); 1 scores single takes.

    Returns:
        `dict`: ``{"steps", "guidance_scale", "lengths", "sets": {name: {"prompts", "lengths": {"1.5": scores}}},
        "drum_judge": {...}, "ceiling": {"prompts", "files", "lengths": {"1.5": scores}},
        "ceiling_unseen_notes": {"prompts", "font", "lengths": {"1.5": scores}}}`` (the ceilings: the template
        prompts' real clips and real renders of the unseen notes, scored the same way).
    """
    from ..data.report import scan_folder
    from .evaluate import PITCHED_FAMILIES, check_best_of, evenly_spaced, floor_split, generate_at_lengths

    # 1. check inputs and read the dataset's rows
    log = log or (lambda message: None)
    check_set_names(sets)
    check_best_of(pipe, best_of)
    floor_split(split)  # a held-out split
    if split != "test":
        paraphrased = [name for name in sets or () if name in TEST_ONLY_SETS]
        if paraphrased:
            raise ValueError(f"No {paraphrased[0]!r} prompts in the {split} split; expected template or unseen_notes: the "
                             "paraphrase sets are test prompts only.")
        sets = [name for name in sets or SET_NAMES if name not in TEST_ONLY_SETS]
    pipe.set_progress_bar_config(disable=True)
    lengths = list(dict.fromkeys(float(length) for length in lengths))
    for length in lengths:
        pipe.check_length(length)
    entries, _ = scan_folder(data_dir)
    rows = [{**entry.columns, "text": entry.text, "file_name": entry.file_name} for entry in entries]
    if not rows or "family" not in rows[0] or "split" not in rows[0]:
        raise ValueError(f"{data_dir} has no 'family' and 'split' columns; build it with `latentaudio data soundfont`.")

    # 2. the prompt sets
    train_rows = [r for r in rows if r["split"] == "train"]
    every_unseen = notes_of_split(unseen_notes(train_rows, PITCHED_FAMILIES), rows, split)
    every = {
        "template": template_prompts([r for r in rows if r["split"] == split], PITCHED_FAMILIES),
        "paraphrases": load_paraphrases(paraphrases),
        "unseen_notes": note_prompts(every_unseen),
    }
    if blind_paraphrases is not None:
        every["blind_paraphrases"] = load_paraphrases(blind_paraphrases)
    if sets is not None:
        every = {name: prompts for name, prompts in every.items() if name in sets}
    chosen = {name: evenly_spaced(len(prompts), limit) for name, prompts in every.items() if len(prompts)}
    sets = {name: every[name].subset(indices) for name, indices in chosen.items()}

    # 3. the drum judge, from the training split's real drum clips
    judge, kits = drum_judge(data_dir, "train", max(lengths), pipe.sample_rate)

    # 4. generate and score every set at every length
    section = {"split": split, "steps": steps, "guidance_scale": guidance_scale, "seed": seed, "limit": limit,
               "best_of": best_of, "lengths": lengths,
               "paraphrase_file": Path(paraphrases).name, "sets": {}}
    for name, prompts in sets.items():
        entry = {"prompts": len(prompts), "available": len(every[name]), "lengths": {}}
        takes = generate_at_lengths(pipe, prompts.texts, steps, lengths, guidance_scale, seed, batch_size, best_of)
        for length, audio in takes.items():
            entry["lengths"][f"{length:g}"] = scores = score_prompts(classifier, judge, prompts, audio, pipe.sample_rate)
            log(f"{name} at {length:g} s: family {_percent(scores['family_accuracy'])}, "
                f"drum {_percent(scores['drum_accuracy'])}, note {_percent(scores['note_accuracy'])}")
        section["sets"][name] = entry
    section["drum_judge"] = _judge_on_real_clips(judge, kits, data_dir, rows, lengths, pipe.sample_rate, split)
    if "template" in sets:
        section["ceiling"] = _real_template_clips(classifier, judge, data_dir, sets["template"], chosen["template"],
                                                  lengths, pipe.sample_rate, split)
    if "unseen_notes" in sets:
        notes = [every_unseen[i] for i in chosen["unseen_notes"]]
        try:
            audio, font = render_like_dataset(data_dir, train_rows, notes, UNSEEN_VELOCITY, pipe.sample_rate)
        except (FileNotFoundError, ImportError) as error:
            log(f"No ceiling for the unseen notes: {error}")
        else:
            section["ceiling_unseen_notes"] = {"prompts": len(notes), "font": font, "lengths": _score_real_clips(
                classifier, judge, sets["unseen_notes"], audio, lengths, pipe.sample_rate)}
    return section


def check_set_names(sets: Optional[Sequence[str]]) -> None:
    """Raise ``ValueError`` naming the first of ``sets`` that is not one of :data:`SET_NAMES` (or when it is empty)."""
    if sets is None:
        return
    unknown = [name for name in sets if name not in SET_NAMES]
    if unknown or not sets:
        raise ValueError(f"No prompt set {unknown[0]!r}; expected some of {', '.join(SET_NAMES)}." if unknown else
                         f"No prompt set given; expected some of {', '.join(SET_NAMES)}.")


def render_like_dataset(data_dir: PathLike, train_rows: list[dict], notes: Sequence[tuple[int, int]], velocity: int,
                        sample_rate: int) -> tuple[torch.Tensor, str]:
    """Real renders (N, L) of melodic ``notes`` ((program, pitch) pairs) as ``latentaudio data soundfont`` would
    have written them into ``data_dir``: its SoundFont, its clip length, its hold (the rows' ``hold_seconds``;
    half the clip, the builder's default, for datasets written before rows recorded it) and each program's own
    gain, read off one of the program's training clips rendered again and compared by peak.

    The unseen-note prompts get their ceiling from these: what the judges give a perfect model on notes the
    training split never plays. A FileNotFoundError when the dataset's font is not on this machine.
    """
    from ..audio_io import read_audio
    from ..data.soundfont import SILENCE_PEAK
    from ..data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer, fade_out

    reference = {}  # program -> its loudest training row, the one the builder's gain brought to full level
    for row in train_rows:
        if row.get("kit") is None and row.get("program") is not None:
            best = reference.get(row["program"])
            if best is None or row["velocity"] > best["velocity"]:
                reference[row["program"]] = row
    fonts = {reference[program].get("font") for program, _ in notes}
    if len(fonts) != 1 or None in fonts:
        raise FileNotFoundError(f"{data_dir} renders these programs with {sorted(map(str, fonts))}: one named font is needed")
    name = fonts.pop()
    font = next((path for path in (Path(data_dir) / name, Path(DEFAULT_SOUNDFONT).with_name(name)) if path.is_file()), None)
    if font is None:
        raise FileNotFoundError(f"the SoundFont {name} of {data_dir} is not on this machine")
    first = reference[notes[0][0]]
    num_samples = read_audio(Path(data_dir) / first["file_name"], sample_rate)[0].shape[-1]
    hold = round(first["hold_seconds"] * sample_rate) if first.get("hold_seconds") else num_samples // 2
    fade = sample_rate // 50
    clips, gains = [], {}  # program -> its gain, from its reference clip as written and as rendered again
    with FluidSynthRenderer(font, sample_rate) as synth:
        for program, pitch in notes:
            row = reference[program]
            synth.select(0, row.get("bank", 0), program)
            if program not in gains:
                written = read_audio(Path(data_dir) / row["file_name"], sample_rate)[0].abs().max().item()
                again = np.abs(synth.one_shot(0, row["pitch"], row["velocity"], num_samples, hold)).max()
                gains[program] = written / max(again, SILENCE_PEAK)
            audio = synth.one_shot(0, pitch, velocity, num_samples, hold)
            clips.append(torch.from_numpy(fade_out(audio * gains[program], fade).astype(np.float32)))
    return torch.stack(clips), name


def _real_template_clips(classifier, judge, data_dir, prompts: PromptSet, indices: list[int], lengths, sample_rate,
                         split: str = "test") -> dict:
    """The template prompts' own real clips (``split`` rows ``indices``) scored as generated ones are, at every length."""
    from ..data import AudioFolderDataset

    dataset = AudioFolderDataset(data_dir, seconds=max(lengths), sample_rate=sample_rate, split=split)
    items = [dataset[i] for i in indices]
    if [item["text"] for item in items] != prompts.texts:
        raise ValueError(f"The {split} split of {data_dir} does not list its clips in the order of its metadata's {split} rows.")
    audio = torch.stack([item["audio"] for item in items])
    return {"prompts": len(prompts), "files": [item["file_name"] for item in items],
            "lengths": _score_real_clips(classifier, judge, prompts, audio, lengths, sample_rate)}


def _score_real_clips(classifier, judge, prompts: PromptSet, audio: torch.Tensor, lengths, sample_rate) -> dict:
    """``{"1.5": scores}``: real clips (N, L), one per prompt, scored as generated ones are, cut to every length."""
    return {f"{length:g}": score_prompts(classifier, judge, prompts, audio[..., : round(length * sample_rate)], sample_rate)
            for length in lengths}


def _judge_on_real_clips(judge, kits, data_dir, rows, lengths, sample_rate, split: str = "test") -> dict:
    """How often the drum judge names the type of real drum clips, its own ceiling: the held-out split's (kits it
    heard, at other velocities; ``real_test_accuracy`` whichever split) and, leaving one kit out of its fit at a
    time, a kit it never heard."""
    record = {"method": "logistic regression on per-band log-mel decay (DrumTypeJudge), fitted on the training "
                        "split's drum clips", "real_test_accuracy": {}, "unseen_kit_accuracy": {}}
    if judge is None:
        return record
    for length in lengths:
        record["unseen_kit_accuracy"][f"{length:g}"] = judge.unseen_kit_accuracy(kits, round(length * sample_rate))
    if not any(r["split"] == split and r["family"] == gm.DRUMS_FAMILY for r in rows):
        return record
    audio, types, _ = drum_clips(data_dir, split, max(lengths), sample_rate)
    for length in lengths:
        clips = audio[..., : round(length * sample_rate)]
        heard = judge(clips)
        record["real_test_accuracy"][f"{length:g}"] = _share([h == t for h, t in zip(heard, types)])
    return record


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.0%}"


def format_generalisation(section: dict) -> str:
    """The section as a Markdown table: one row per prompt set and length."""
    from .evaluate import best_of_words

    lines = [
        f"Generalisation ({section['steps']} steps, guidance {section['guidance_scale']:g}"
        f"{best_of_words(section.get('best_of', 1))}"
        f"{'' if section.get('split', 'test') == 'test' else ', the ' + section['split'] + ' split'}):",
        "",
        "| prompts | length | n | family ↑ | drum type ↑ | note within 1 semitone ↑ |",
        "|---|---|---|---|---|---|",
    ]
    ceilings = (("ceiling", "ceiling: real template clips"), ("ceiling_unseen_notes", "ceiling: real unseen-note renders"))
    rows = [*section["sets"].items(), *((what, section[key]) for key, what in ceilings if key in section)]
    for name, entry in rows:
        for length, scores in entry["lengths"].items():
            lines.append(f"| {name} | {length} s | {entry['prompts']} | {_percent(scores['family_accuracy'])} | "
                         f"{_percent(scores['drum_accuracy'])} ({scores['drum_prompts']}) | "
                         f"{_percent(scores['note_accuracy'])} ({scores['pitched_prompts']}) |")
    judge = section.get("drum_judge", {})
    for key, what in (("real_test_accuracy", "real test clips"), ("unseen_kit_accuracy", "a kit it never heard")):
        if judge.get(key):
            lines += ["", f"Drum judge on {what}: " + ", ".join(f"{k} s {_percent(v)}" for k, v in judge[key].items())]
    return "\n".join(lines)
