"""Ranking takes by how well they answer their prompt: ask for several, hear the best first.

A diffusion model answers the same prompt differently from one seed to the next, and some takes miss:
a pad that comes out as a lead, a cello heard as a bassoon. A producer generates a few and keeps the one
that sounds right; AudioLDM 2's pipeline does the same with ``num_waveforms_per_prompt``, ranking its takes
by CLAP score. A latentaudio pipeline that holds a ``scorer`` (an
:class:`~latentaudio.audio_classifier.AudioFamilyClassifier` trained on the instruments and drums its model
learnt, or on their GM families and the drums by name as the embedded one-shot models' is, ``latentaudio train
scorer``) returns each prompt's takes best first.

A take's score is the log-probability the scorer gives the sound its prompt names, as
:mod:`latentaudio.prompts` reads it (:func:`named_labels`): the drum a prompt names, or the family
of the instrument (or the family alone) it names: that family's probability, or its instruments' summed.
A scorer of a music model also knows its material (:func:`sound_label`: a drum loop's style, an effect's class, the
family playing a phrase), and scores a prompt for a loop, a phrase or an effect by what it names of that.
A prompt that names nothing the scorer knows ("", "something dark") keeps its takes in the order they were drawn.
Ranking never changes a take, only the order; with one take per prompt nothing is scored.

MusicLDM and AudioLDM2 folders rank by CLAP score instead (:func:`clap_take_scores`), as diffusers' own pipelines do.
"""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

import torch

from .audio_classifier import AudioFamilyClassifier
from .audio_io import resample
from .data import gm
from .data.captions import with_article
from .data.vocabulary import DRUM_LOOP, MELODIC, MUSIC_CATEGORIES, ONE_SHOT, SOUND_EFFECT
from .prompts import drum_style, effect_class, material_category, parse_prompt

SCORER_BATCH = 16  # takes per scorer call


def sound_label(row: Mapping[str, Any]) -> Optional[str]:
    """What a scorer learns to name a dataset row as: a one-shot's instrument (its ``instrument`` column: the GM program
    or drum), and for the music builders' material its category and what a prompt names of it: a drum loop's style
    (``"drum loop: house"``), an effect's class (``"sound effect: laser"``), the family of the instrument playing a
    phrase (``"melodic: Strings"``). `None` for a row without them (it is left out of training)."""
    category = row.get("category")
    if not category:
        return row.get("instrument") or None
    column = _NAMED_COLUMN.get(category)
    return f"{category}: {row[column]}" if column is not None and row.get(column) else None


def family_sound_label(row: Mapping[str, Any]) -> Optional[str]:
    """:func:`sound_label` with a one-shot named by its GM family (``"Strings"``, ``"Drums"``) rather than its
    instrument: the labels of a music model's scorer, which ranks loops, effects and phrases and needs of one-shots
    only to hear a single note from a phrase, and one family from another (17 labels where the instruments are 173)."""
    return sound_label(row) if row.get("category") else row.get("family") or None


def family_or_drum_sound_label(row: Mapping[str, Any]) -> Optional[str]:
    """:func:`sound_label` with a pitched one-shot named by its GM family and a drum by its own name (``"Strings"``,
    ``"snare drum"``): the labels of a one-shot model's scorer that ranks a pitched prompt's takes by family, as the
    scorer of families does, and a drum prompt's by the drum it names, as the scorer of instruments does. Train it with
    every family equally likely and each drum a share of the drums' (``train_classifier(balance_by=label_family)``):
    drawn label by label, the 45 drums would take three quarters of its training from the 16 pitched families."""
    if row.get("category"):
        return sound_label(row)
    return (row.get("instrument") if row.get("family") == gm.DRUMS_FAMILY else row.get("family")) or None


def one_shot_sound_label(row: Mapping[str, Any]) -> Optional[str]:
    """:func:`sound_label` with every one-shot named alike, ``"one-shot"``: the labels of a music model's scorer that
    should hear a single note from a phrase without one-shot labels taking the share of training its loops', effects'
    and phrases' labels get (each label is drawn as often as any other)."""
    return sound_label(row) if row.get("category") else ONE_SHOT if row.get("instrument") or row.get("family") else None


def label_category(label: str) -> Optional[str]:
    """The music category of a scorer label (:func:`sound_label`), `None` for a one-shot's."""
    category = label.split(": ", 1)[0]
    return category if category != label and category in MUSIC_CATEGORIES else None


def label_family(label: str) -> Optional[str]:
    """The GM family of a scorer label: a family name is its own, a GM program's name its program's family, a drum's
    name ``"Drums"``; `None` for any other label (a drum loop's, an effect's, a phrase's)."""
    if label in FAMILY_NAMES:
        return label
    if label in PROGRAM_FAMILIES:
        return PROGRAM_FAMILIES[label]
    return gm.DRUMS_FAMILY if label in DRUM_NAMES else None


def named_labels(prompt: str, labels: Sequence[str]) -> list[int]:
    """Indices of the ``labels`` whose summed probability is ``prompt``'s score: the drum a prompt names, when it is a
    label; otherwise every label of the family the prompt names (its instrument's, for "cello, C3"); ``[]`` when it
    names neither.

    A prompt for material (:func:`~latentaudio.prompts.material_category`), given a scorer that knows that category,
    is scored by what it names of it (:func:`sound_label`): "a 124 bpm house drum loop" by ``"drum loop: house"``, "a
    laser zap" by ``"sound effect: laser"``, "a sad cello melody in D minor" by ``"melodic: Strings"``; by every label
    of the category when it names none of them or the scorer does not know it ("a drum loop, 120 bpm").

    A pitched prompt is scored by its family rather than by its one instrument: a scorer tells a cello from a
    trumpet far more surely than from a viola, and on notes no training row played the family scored this way
    picked takes heard in the right family more often than the instrument's own probability did, and a scorer of the
    families alone more often still (MODEL_CARD.md, "Ranking takes"). Drums are told apart by the drum when the
    scorer knows drums by name; a scorer of families scores a drum prompt by the drums' probability."""
    category = material_category(prompt)
    material = [index for index, label in enumerate(labels) if category is not None and label_category(label) == category]
    if material:
        named = f"{category}: {_MATERIAL_DETAIL[category](prompt)}"
        return [list(labels).index(named)] if named in labels else material
    found = parse_prompt(prompt)
    if found.drum_key is not None and found.instrument in labels:
        return [list(labels).index(found.instrument)]
    if found.family is None:
        return []
    return [index for index, label in enumerate(labels) if label_family(label) == found.family]


@torch.no_grad()
def take_scores(scorer: AudioFamilyClassifier, audio: torch.Tensor, sample_rate: int, prompts: Sequence[str],
                takes_per_prompt: int) -> torch.Tensor:
    """Scores (N * K,) of takes ``audio`` (N * K, L), ``K = takes_per_prompt`` consecutive takes of each of the N
    ``prompts``: the log-probability of what the prompt names (:func:`named_labels`), 0 for every take of a prompt
    that names nothing the scorer knows."""
    if len(audio) != len(prompts) * takes_per_prompt:
        raise ValueError(f"{len(audio)} takes for {len(prompts)} prompts of {takes_per_prompt} takes each.")
    named = [named_labels(prompt, scorer.labels) for prompt in prompts]
    scores = torch.zeros(len(audio))
    rows = [row for row in range(len(audio)) if named[row // takes_per_prompt]]
    if not rows:
        return scores
    clips = resample(audio[rows].float().cpu(), sample_rate, scorer.config.sample_rate)
    device, dtype = scorer.device, scorer.dtype
    log_probs = torch.cat([torch.log_softmax(scorer.classify_audio(batch.to(device, dtype)).logits.float(), -1).cpu()
                           for batch in clips.split(SCORER_BATCH)])
    for log_prob, row in zip(log_probs, rows):
        scores[row] = torch.logsumexp(log_prob[named[row // takes_per_prompt]], dim=0)
    return scores


@torch.no_grad()
def clap_take_scores(clap, tokenizer, feature_extractor, audio: torch.Tensor, sample_rate: int, prompts: Sequence[str],
                     takes_per_prompt: int) -> torch.Tensor:
    """Scores (N * K,) of takes ``audio`` (N * K, L), K consecutive takes of each of the N ``prompts``: CLAP's similarity
    of each take to its own prompt (``logits_per_text`` of a whole ``ClapModel``), 0 for the takes of an empty prompt.

    The takes are scored as diffusers' AudioLDM2 and MusicLDM pipelines score theirs (``score_waveforms``): resampled
    by librosa to the feature extractor's rate, the prompts tokenised with padding. Those pipelines then keep the
    takes most similar to each prompt among every prompt's takes of the call; here each prompt's own are ranked, which
    is the same for one prompt."""
    import librosa

    if len(audio) != len(prompts) * takes_per_prompt:
        raise ValueError(f"{len(audio)} takes for {len(prompts)} prompts of {takes_per_prompt} takes each.")
    rate = feature_extractor.sampling_rate
    clips = librosa.resample(audio.float().cpu().numpy(), orig_sr=sample_rate, target_sr=rate)
    features = feature_extractor(list(clips), return_tensors="pt", sampling_rate=rate).input_features
    tokens = tokenizer(list(prompts), return_tensors="pt", padding=True).to(clap.device)
    logits = clap(**tokens, input_features=features.to(clap.device, clap.dtype)).logits_per_text.float().cpu()
    takes = torch.arange(len(audio))
    scores = logits[takes // takes_per_prompt, takes]
    return torch.where(torch.tensor([bool(prompts[i // takes_per_prompt]) for i in takes]), scores, torch.zeros(()))


def best_first(scores: torch.Tensor, takes_per_prompt: int) -> torch.Tensor:
    """The order (N * K,) that puts each prompt's K consecutive takes best first; equal scores keep their order."""
    groups = scores.reshape(-1, takes_per_prompt)
    order = torch.sort(groups, dim=1, descending=True, stable=True).indices
    return (order + torch.arange(len(groups)).unsqueeze(1) * takes_per_prompt).flatten()


FAMILY_NAMES = frozenset(family.name for family in gm.FAMILIES) | {gm.DRUMS_FAMILY}
PROGRAM_FAMILIES = {spec.name: gm.family_of(program).name for program, spec in enumerate(gm.PROGRAMS)}
DRUM_NAMES = frozenset(gm.DRUM_KEYS.values())
_NAMED_COLUMN = {DRUM_LOOP: "style", SOUND_EFFECT: "sfx_class", MELODIC: "family"}  # what a label names of its category
_MATERIAL_DETAIL = {DRUM_LOOP: drum_style, SOUND_EFFECT: effect_class, MELODIC: lambda prompt: parse_prompt(prompt).family}


# The share of a scorer's probability its most likely label needs for :func:`clip_words` to name it rather than only
# its category.
CLIP_WORDS_CONFIDENCE = 0.5
CATEGORY_WORDS = {DRUM_LOOP: "a drum loop", MELODIC: "a phrase", SOUND_EFFECT: "a sound effect"}


def label_words(label: str) -> Optional[str]:
    """A prompt's words for a scorer's label of material (:func:`sound_label`), which :func:`named_labels` reads back
    as that label: ``"drum loop: house"`` → "a house drum loop", ``"sound effect: laser"`` → "a laser sound effect",
    ``"melodic: Strings"`` → "a violin phrase" (the family's name where the prompt reader hears it as the family, else
    the name of its first GM program that it does; "a synth pad chord progression", where a pad's phrase is not read
    as one). `None` for a one-shot's label."""
    category = label_category(label)
    if category is None:
        return None
    name = label.split(": ", 1)[1]
    if category == DRUM_LOOP:
        return with_article(f"{name} drum loop")
    if category == SOUND_EFFECT:
        return with_article(f"{name} sound effect")
    programs = [spec.name for program, spec in enumerate(gm.PROGRAMS) if gm.family_of(program).name == name]
    for noun in ("phrase", "chord progression"):
        for words in (with_article(f"{instrument} {noun}") for instrument in (name.lower(), *programs)):
            if material_category(words) == MELODIC and parse_prompt(words).family == name:
                return words
    return CATEGORY_WORDS[MELODIC]


@torch.no_grad()
def clip_words(scorer: AudioFamilyClassifier, audio: torch.Tensor, sample_rate: int) -> Optional[str]:
    """What a scorer of a music model's material hears in a clip (mono samples (L,) at ``sample_rate``), as a prompt's
    words: its most likely label's (:func:`label_words`: "a trap drum loop") where the scorer gives that label at least
    :data:`CLIP_WORDS_CONFIDENCE` of its probability, else its most likely category's ("a drum loop", "a phrase", "a
    sound effect"). `None` for a scorer that knows no material (a one-shot model's), or where a one-shot label is
    likelier than every category."""
    categories = [label_category(label) for label in scorer.labels]
    if not any(categories):
        return None
    clip = resample(torch.as_tensor(audio).float().reshape(1, -1).cpu(), sample_rate, scorer.config.sample_rate)
    probs = torch.softmax(scorer.classify_audio(clip.to(scorer.device, scorer.dtype)).logits.float(), -1)[0].cpu()
    shares = {}
    for category, prob in zip(categories, probs.tolist()):
        shares[category] = shares.get(category, 0.0) + prob
    category = max(shares, key=shares.get)
    if category is None:
        return None
    best = max((index for index, label_of in enumerate(categories) if label_of == category), key=lambda index: probs[index])
    return label_words(scorer.labels[best]) if probs[best] >= CLIP_WORDS_CONFIDENCE else CATEGORY_WORDS[category]
