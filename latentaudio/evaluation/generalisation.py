"""Does a model answer how people ask? Adherence on template, paraphrased and unseen-note prompts, at several lengths.

:func:`generalisation_section` generates one clip per prompt of three prompt sets, at every
length of ``lengths``, and scores each clip against the prompt's labels:

``template``
    The test split's own captions (the training template), labelled by their metadata.
``paraphrases``
    :data:`PARAPHRASES_PATH`: hand-written prompts in users' wording (nicknames, note spellings,
    adjectives, no template), never used for training, with family, program or drum, and note.
``unseen_notes``
    Template captions of notes that the training split never holds *for that program*: the
    pitches inside each program's range (:data:`gm.PROGRAMS`) minus those of its training rows.

Scores (each a share of the prompts that carry the label):

* ``family_accuracy``: the :class:`AudioFamilyClassifier`'s top family is the prompt's.
* ``drum_accuracy``: for drum prompts, the drum type (:data:`vocabulary.DRUM_TYPES`: kick, snare,
  hi-hat, ...) is the prompt's, judged by :class:`DrumTypeJudge`.
* ``note_accuracy``: for pitched prompts, :func:`estimate_pitch` is within a semitone of the note.

The judges are independent of the model: both learn only from the real clips of the training split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from ..audio_io import PathLike
from ..data import gm, vocabulary
from .classifier import AudioFamilyClassifier, classify_clips
from ..metrics import estimate_pitch, within_semitone

PARAPHRASES_PATH = Path(__file__).with_name("paraphrases.jsonl")
DEFAULT_LENGTHS = (1.0, 1.5, 2.56)
CLASSIFIER_BATCH = 32  # clips per classifier call


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


def unseen_note_prompts(train_rows: list[dict], pitched_families: frozenset, velocity: int = 80) -> PromptSet:
    """Template captions of every in-range note that no training row plays on its program."""
    heard: dict[int, set] = {}
    for row in train_rows:
        if row.get("kit") is None and row["family"] in pitched_families:
            heard.setdefault(row["program"], set()).add(row["pitch"])
    texts, families, notes = [], [], []
    for program, pitches in sorted(heard.items()):
        spec = gm.PROGRAMS[program]
        for pitch in range(spec.low, spec.high + 1):
            if pitch not in pitches and min(pitches) <= pitch <= max(pitches):  # inside what the font renders
                texts.append(gm.program_caption(program, pitch, velocity))
                families.append(gm.family_of(program).name)
                notes.append(pitch)
    return PromptSet(texts, families, notes, [None] * len(texts))


class DrumTypeJudge:
    """Nearest class mean, in the classifier's embedding, of the training split's drum clips by type.

    Args:
        classifier (`AudioFamilyClassifier`): Supplies the embedding.
        audio (`torch.Tensor`): Real drum clips (N, L) at ``sample_rate``.
        types (`list[str]`): Their drum types.
        sample_rate (`int`): Rate of ``audio``.
    """

    def __init__(self, classifier: AudioFamilyClassifier, audio: torch.Tensor, types: list[str], sample_rate: int):
        self.classifier, self.sample_rate, self.audio, self.types = classifier, sample_rate, audio, types
        self._means: dict[int, tuple[list[str], torch.Tensor]] = {}

    def _class_means(self, length: int) -> tuple[list[str], torch.Tensor]:
        """Type names and their mean embeddings (K, D) of the real clips cut or padded to ``length`` samples."""
        if length not in self._means:
            audio = torch.nn.functional.pad(self.audio, (0, max(0, length - self.audio.shape[-1])))[..., :length]
            embedding, _ = classify_clips(self.classifier, audio, self.sample_rate, CLASSIFIER_BATCH, labels=False)
            names = sorted(set(self.types))
            index = torch.tensor([names.index(t) for t in self.types])
            means = torch.stack([embedding[index == k].mean(0) for k in range(len(names))])
            self._means[length] = (names, torch.nn.functional.normalize(means, dim=-1))
        return self._means[length]

    def __call__(self, embeddings: torch.Tensor, length: int) -> list[str]:
        names, means = self._class_means(length)
        return [names[i] for i in (torch.nn.functional.normalize(embeddings, dim=-1) @ means.T).argmax(-1).tolist()]


def score_prompts(classifier: AudioFamilyClassifier, judge: Optional[DrumTypeJudge], prompts: PromptSet,
                  audio: torch.Tensor, sample_rate: int) -> dict:
    """Family, drum-type and note adherence of ``audio`` (N, L), one clip per prompt."""
    embedding, families = classify_clips(classifier, audio, sample_rate, CLASSIFIER_BATCH)
    scores = {"prompts": len(prompts), "family_accuracy": _share([f == p for f, p in zip(families, prompts.families)])}
    drums = [i for i, t in enumerate(prompts.drum_types) if t is not None]
    if judge is not None and drums:
        heard = judge(embedding[drums], audio.shape[-1])
        scores["drum_accuracy"] = _share([h == prompts.drum_types[i] for h, i in zip(heard, drums)])
    else:
        scores["drum_accuracy"] = None
    scores["drum_prompts"] = len(drums)
    pitched = [i for i, n in enumerate(prompts.notes) if n is not None]
    scores["note_accuracy"] = _share([within_semitone(estimate_pitch(audio[i].float().numpy(), sample_rate), prompts.notes[i])
                                      for i in pitched])
    scores["pitched_prompts"] = len(pitched)
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
    log=None,
) -> dict:
    """Adherence of ``pipe`` on the three prompt sets at every length (see the module docstring).

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
        log: ``log(str)`` for progress lines; silent when `None`.

    Returns:
        `dict`: ``{"steps", "guidance_scale", "lengths", "sets": {name: {"prompts", "lengths": {"1.5": scores}}},
        "drum_judge": {...}}``.
    """
    from ..data import AudioFolderDataset
    from ..data.report import scan_folder
    from .evaluate import PITCHED_FAMILIES, evenly_spaced, generate_clips

    # 1. check inputs and read the dataset's rows
    log = log or (lambda message: None)
    lengths = list(dict.fromkeys(float(length) for length in lengths))
    for length in lengths:
        pipe.check_length(length)
    entries, _ = scan_folder(data_dir)
    rows = [{**entry.columns, "text": entry.text} for entry in entries]
    if not rows or "family" not in rows[0] or "split" not in rows[0]:
        raise ValueError(f"{data_dir} has no 'family' and 'split' columns; build it with `latentaudio data soundfont`.")

    # 2. the prompt sets
    every = {
        "template": template_prompts([r for r in rows if r["split"] == "test"], PITCHED_FAMILIES),
        "paraphrases": load_paraphrases(paraphrases),
        "unseen_notes": unseen_note_prompts([r for r in rows if r["split"] == "train"], PITCHED_FAMILIES),
    }
    sets = {name: prompts.subset(evenly_spaced(len(prompts), limit)) for name, prompts in every.items() if len(prompts)}

    # 3. the drum judge, from the training split's real drum clips
    longest = max(lengths)
    train = AudioFolderDataset(data_dir, seconds=longest, sample_rate=pipe.sample_rate, split="train")
    drum_items = [train[i] for i, e in enumerate(train.entries) if e.columns.get("family") == gm.DRUMS_FAMILY]
    judge = None
    if drum_items:
        judge = DrumTypeJudge(classifier, torch.stack([item["audio"] for item in drum_items]),
                              [vocabulary.DRUM_TYPES[item["pitch"]] for item in drum_items], pipe.sample_rate)

    # 4. generate and score every set at every length
    section = {"steps": steps, "guidance_scale": guidance_scale, "seed": seed, "limit": limit, "lengths": lengths,
               "paraphrase_file": Path(paraphrases).name, "sets": {}}
    for name, prompts in sets.items():
        entry = {"prompts": len(prompts), "available": len(every[name]), "lengths": {}}
        for length in lengths:
            audio = generate_clips(pipe, prompts.texts, steps, length, guidance_scale, seed, batch_size)
            entry["lengths"][f"{length:g}"] = scores = score_prompts(classifier, judge, prompts, audio, pipe.sample_rate)
            log(f"{name} at {length:g} s: family {_percent(scores['family_accuracy'])}, "
                f"drum {_percent(scores['drum_accuracy'])}, note {_percent(scores['note_accuracy'])}")
        section["sets"][name] = entry
    section["drum_judge"] = _judge_on_real_test(judge, classifier, data_dir, rows, lengths, pipe.sample_rate)
    return section


def _judge_on_real_test(judge, classifier, data_dir, rows, lengths, sample_rate) -> dict:
    """How often the drum judge names the type of the real test split's drum clips: its own ceiling."""
    from ..data import AudioFolderDataset

    record = {"method": "nearest class mean (cosine) of the training split's drum clips in the classifier embedding",
              "real_test_accuracy": {}}
    if judge is None or not any(r["split"] == "test" and r["family"] == gm.DRUMS_FAMILY for r in rows):
        return record
    test = AudioFolderDataset(data_dir, seconds=max(lengths), sample_rate=sample_rate, split="test")
    items = [test[i] for i, e in enumerate(test.entries) if e.columns.get("family") == gm.DRUMS_FAMILY]
    audio, types = torch.stack([item["audio"] for item in items]), [vocabulary.DRUM_TYPES[item["pitch"]] for item in items]
    for length in lengths:
        clips = audio[..., : round(length * sample_rate)]
        heard = judge(classify_clips(classifier, clips, sample_rate, CLASSIFIER_BATCH, labels=False)[0], clips.shape[-1])
        record["real_test_accuracy"][f"{length:g}"] = _share([h == t for h, t in zip(heard, types)])
    return record


def _percent(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.0%}"


def format_generalisation(section: dict) -> str:
    """The section as a Markdown table: one row per prompt set and length."""
    lines = [
        f"Generalisation ({section['steps']} steps, guidance {section['guidance_scale']:g}):",
        "",
        "| prompts | length | n | family ↑ | drum type ↑ | note within 1 semitone ↑ |",
        "|---|---|---|---|---|---|",
    ]
    for name, entry in section["sets"].items():
        for length, scores in entry["lengths"].items():
            lines.append(f"| {name} | {length} s | {entry['prompts']} | {_percent(scores['family_accuracy'])} | "
                         f"{_percent(scores['drum_accuracy'])} ({scores['drum_prompts']}) | "
                         f"{_percent(scores['note_accuracy'])} ({scores['pitched_prompts']}) |")
    ceiling = section.get("drum_judge", {}).get("real_test_accuracy", {})
    if ceiling:
        lines += ["", "Drum judge on real test clips: " + ", ".join(f"{k} s {_percent(v)}" for k, v in ceiling.items())]
    return "\n".join(lines)
