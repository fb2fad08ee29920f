"""Reading a prompt the way a musician writes it: the note, dynamics, tempo, key, length and instrument.

:func:`parse_prompt` turns free text into :class:`PromptAttributes`. It is a rule-based reader:
every rule is a regular expression or a phrase table, so an answer can always be traced to the
words that gave it, and a word it does not know leaves a field `None` rather than a guess.

Example:
    ```py
    >>> from latentaudio.prompts import parse_prompt
    >>> attributes = parse_prompt("fingered electric bass, low E, punchy")
    >>> attributes.note, attributes.program, attributes.family
    (28, 33, 'Bass')
    >>> parse_prompt("airy flute G5").note, parse_prompt("tight 808 snare").drum_key
    (79, 38)

    ```

Conventions:

* **Octaves** are scientific pitch notation: C4 = middle C = MIDI 60, A4 = 440 Hz = MIDI 69, and
  B♯/C♭ cross the octave as written (C♭4 = B3 = 59). The octave may be -1 to 9.
* **Notes** are read from ``C4``, ``c#3``, ``F♯3``, ``Bb2``, ``B♭2``, ``F sharp 3``, ``B-flat 2``,
  ``middle C``, ``A440``/``440 Hz``/``261.6 hz`` (the nearest note), ``midi 60``/``MIDI note 60``/
  ``note 60``, and ``low E``/``high C``. A letter with no octave counts only with such a marker, an
  attached accidental (``F#``, ``Bb``) or a following ``note`` ("a G note"), so the article "a"
  and words such as "bass" or "e-piano" are never notes.
* **"low X" and "high X"** are the lowest and highest X within the named instrument's playable
  range (:data:`latentaudio.data.gm.PROGRAMS`): "fingered electric bass, low E" is E1 (28), "guitar,
  low E" is E2 (40); a family word alone ("bass, low E") takes the range of the family's usual
  program (:data:`latentaudio.data.vocabulary.FAMILY_WORDS`). Without an instrument, low X is X2 and high X is X6 (so "high C" is the
  soprano's C6). A bare ``F#`` takes the octave nearest the middle of the instrument's range, or 4.
* **Keys are not notes.** ``C major``, ``A minor``, ``F#m``, ``key of D``, ``C-major chord`` and
  ``C chord`` set :attr:`PromptAttributes.key` and leave :attr:`~PromptAttributes.note` `None`.
* ``around F4``/``about``/``roughly``/``~`` set :attr:`~PromptAttributes.note_approximate`.
* **Bars and metre**: ``2-bar``, ``four bars``, ``1 bar`` set :attr:`~PromptAttributes.bars`; a time signature
  (``3/4``) or a style played in another metre than 4/4 (``waltz``, :data:`latentaudio.data.drum_patterns.STYLES`)
  sets :attr:`~PromptAttributes.beats_per_bar`. With a tempo they give a loop's length in whole bars
  (:func:`take_length_in_s`).
* **What the music builders' captions state and a prompt may leave out**: a loop or a phrase without a tempo plays at
  the one its builder plays what it names at (:func:`take_tempo_bpm`): a drum style's usual tempo ("a house drum
  loop", "trap beat": :func:`drum_style`, :func:`style_tempo_bpm`), or a kind of phrase's ("a sad piano melody",
  "chill rhodes chords": :func:`melodic_kind`, :func:`melodic_tempo_bpm`), in the part of its range a tempo word names
  ("slow", "uptempo": :func:`pace`); a sound effect (:func:`effect_class`) is as long as its class was rendered
  (:func:`effect_length_in_s`).
* **Instruments**: General MIDI names and the nicknames of :mod:`latentaudio.data.vocabulary`
  ("sax", "rhodes", "strat", "kick", "hat", "808"). The longest phrase wins, then the first: in
  "a violin note, strings" the instrument is the violin. "drum and bass" is a genre, not a drum.
  "808" alone is a TR-808 kick; with another drum ("808 snare") it names that drum's kit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Optional

from .data import gm, vocabulary
from .data.drum_patterns import STYLES, TEMPO_RANGE
from .data.melodic_material import KINDS, PACES
from .sample_info import SampleInfo

PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
# Velocities of dynamics words: the builder's soft / moderately loud / loud are 40 / 80 / 112.
DYNAMICS = {
    "ppp": 16, "pp": 24, "pianissimo": 24, "very soft": 24, "very quiet": 24, "barely audible": 16,
    "soft": 40, "softly": 40, "quiet": 40, "quietly": 40, "gentle": 40, "gently": 40, "delicate": 40, "light": 40,
    "mp": 64, "mezzo-piano": 64, "medium": 80, "moderate": 80, "moderately loud": 80, "mf": 80, "mezzo-forte": 80,
    "loud": 112, "hard": 112, "forte": 112, "strong": 112, "accented": 112,
    "ff": 127, "fff": 127, "fortissimo": 127, "very loud": 127, "very hard": 127, "full force": 127,
}
GENRES = re.compile(r"\b(drum\s*(?:and|&|'?n'?)\s*bass|d&b|dnb)\b", re.I)
_ACCIDENTAL = r"(?P<acc>##|#|♯|♭|b|-sharp|-flat|\s?sharp|\s?flat)?"
_APPROXIMATE = re.compile(r"(?:around|about|roughly|approximately|approx\.?|near|circa|~)\s*(?:an?\s+|the\s+)?$", re.I)


@dataclass
class PromptAttributes:
    """What :func:`parse_prompt` read from a prompt; `None` where the prompt does not say."""

    note: Optional[int] = None  # MIDI pitch, 60 = C4
    note_text: Optional[str] = None  # the words the note was read from
    note_span: Optional[tuple[int, int]] = None  # where they stand in the prompt: text[start:end]
    note_approximate: bool = False  # "around F4"
    frequency_hz: Optional[float] = None  # when the note was given as a frequency
    velocity: Optional[int] = None  # MIDI velocity of a dynamics word or "velocity 100"
    dynamics: Optional[str] = None  # the word it came from
    tempo_bpm: Optional[float] = None
    key: Optional[str] = None  # "C major", "F# minor"
    seconds: Optional[float] = None  # asked-for length
    seconds_span: Optional[tuple[int, int]] = None  # where its words stand in the prompt
    bars: Optional[int] = None  # "2-bar", "four bars"
    beats_per_bar: Optional[int] = None  # a time signature's ("3/4") or a style's ("waltz"); None: unstated (4/4)
    program: Optional[int] = None  # GM program 0-127
    instrument: Optional[str] = None  # its GM name (gm.PROGRAMS), or the drum's (gm.DRUM_KEYS)
    family: Optional[str] = None  # GM family name, or "Drums"
    drum_key: Optional[int] = None  # GM percussion key 35-81
    kit: Optional[str] = None  # drum kit name (gm.DRUM_KITS)
    instrument_span: Optional[tuple[int, int]] = None  # where the instrument's (or family's) name stands

    @property
    def is_drum(self) -> bool:
        return self.drum_key is not None

    @property
    def key_signature(self) -> Optional[tuple[int, str]]:
        """The key as (tonic pitch class 0-11, mode): "F# minor" -> (6, "minor"); ionian and aeolian
        read as major and minor. `None` without a key."""
        if self.key is None:
            return None
        tonic, mode = self.key.split(" ", 1)
        return midi_from_name(tonic[0], tonic[1:]) % 12, _MODE_ALIASES.get(mode, mode)


def parse_prompt(text: str) -> PromptAttributes:
    """Read the note, dynamics, tempo, key, length and instrument of a prompt (see the module docstring).

    Args:
        text (`str`): A prompt in any wording.

    Returns:
        `PromptAttributes`: Every field the prompt states; the others `None`.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_prompt expects a string, got {type(text).__name__}.")
    found = PromptAttributes()
    work = _blank(text, GENRES)  # consumed words become spaces, so positions stay those of `text`
    # 0. the tempo, before "beats per minute" could read as a drum beat
    work = _read_tempo(work, found)
    # 1. instrument, drum, kit and family words (before notes: "b3 organ", "f horn", "cp70" are names)
    work = _read_instrument(work, found)
    # 2. keys, then the numbers that are not notes
    work = _read_key(work, found)
    work = _read_numbers(work, found)
    work = _read_bars(work, found)
    # 3. the note: the first one the text states, in any notation
    candidates = _note_candidates(work, found)
    if candidates:
        start, note, words = min(candidates, key=lambda c: c[0])
        found.note, found.note_text, found.note_span = note, words, (start, start + len(words))
        found.note_approximate = bool(_APPROXIMATE.search(text[:start]))
    # 4. dynamics words
    if found.velocity is None:
        match = _longest_phrase(text.lower(), DYNAMICS)
        if match:
            found.dynamics, found.velocity = match, DYNAMICS[match]
    return found


_SEPARATORS = ",;:"


def without_note(text: str) -> str:
    """``text`` with the words that state its note taken out, and the separator they leave dangling:
    "a soft piano note, C4" → "a soft piano note", "piano one-shot, 28 Hz, crisp" → "piano one-shot,
    crisp". A prompt that states no note comes back as it is. Diffusion training uses it
    (``caption_note_dropout``) so that, for some captions, only the pitch embedding carries the note.
    """
    return _without(text, parse_prompt(text).note_span)


def without_length(text: str) -> str:
    """``text`` with the words that state its length taken out, and the separator they leave dangling: "light rain,
    6.60 s" → "light rain", "a coin sfx, bright, 0.30 s long" → "a coin sfx, bright", "uplifting accordion chords
    (E maj, 93 bpm, 7.74 s)" → "uplifting accordion chords (E maj, 93 bpm)". A prompt that states none comes back
    as it is."""
    return _without(text, parse_prompt(text).seconds_span)


def with_tempo(text: Optional[str], bpm: float) -> str:
    """``text`` stating ``bpm`` (rounded to a whole beat a minute) where it states no tempo: "a funky groove" → "a funky
    groove, 124 bpm", ``""`` or ``None`` → "124 bpm"; before a length that ends the prompt, as the music builders'
    captions order them: "a house drum loop, 3 s" → "a house drum loop, 124 bpm, 3 s". A prompt that states a tempo
    comes back as it is."""
    if not text or not text.strip():
        return f"{round(bpm)} bpm"
    found = parse_prompt(text)
    if found.tempo_bpm is not None:
        return text
    return _stating(text, f"{round(bpm)} bpm", found.seconds_span)


def without_instrument(text: str) -> str:
    """``text`` with the name of its instrument (the one :func:`parse_prompt` reads, or the family word
    when it names no instrument) taken out: "a soft acoustic grand piano note, A0" → "a soft note, A0",
    "a loud kick drum hit" → "a loud hit", "tight 808 snare" → "tight 808". A prompt that names none
    comes back as it is. Diffusion training uses it (``caption_instrument_dropout``) so that, for some
    captions, only the instrument embedding says what plays.
    """
    return _without(text, parse_prompt(text).instrument_span)


# Templates a pipeline may rewrite prompts into before its text encoder reads them (``prompt_template``).
# "gm_one_shot": the one-shot captions of ``latentaudio data soundfont``; "gm_music": those, and the loops, phrases and
# effects of ``latentaudio data drumloops``, ``melodic`` and ``sfx``, whose captions always state their length.
PROMPT_TEMPLATES = ("gm_one_shot", "gm_music")
# Words that ask for more than one sound: a loop, a phrase, an effect. They, a tempo or a key mark a prompt
# no one-shot caption has a place for. "chord", "bass line" and "melodic" are not among them: "a rhodes
# chord tone, C4", "303 bass line note, G2" and "melodic toms" are one-shots.
MATERIAL_WORDS = re.compile(
    r"\b(loops?|looped|grooves?|beats|beat(?!-)|melod(?:y|ies)|riffs?|progressions?|arpeggi(?:os?|ated)|scales?|"
    r"drum patterns?|drum breaks?|shuffles?|sound effects?|sfx|game sounds?)\b", re.I)
# The names and nicknames of the sound-effect classes of ``latentaudio data sfx``, longest first. A prompt naming one
# asks for the effect its captions describe unless it also names a drum, an instrument or a note (``effect_class``).
_EFFECT_OF_NAME = {name.lower(): effect for table in (vocabulary.EFFECT_NAMES, vocabulary.EFFECT_NICKNAMES)
                   for effect, names in table.items() for name in names}
EFFECT_WORDS = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _EFFECT_OF_NAME), key=len, reverse=True)) + r")\b", re.I)
_CAPTION_EFFECT_NAMES = {name.lower() for names in vocabulary.EFFECT_NAMES.values() for name in names}
_EFFECT_TAIL = re.compile(r"\s+(?:sound effects?|sounds?|effects?|sfx|fx|noises?)\b", re.I)  # "a level up sound"
# The drum styles of ``latentaudio data drumloops`` by name and nickname, longest first, and the words that ask for a loop
# of one beside its name ("a house drum loop", "trap beat", "funk drums"): ``drum_style``.
_STYLE_OF_NAME = {**{name: name for name in STYLES},
                  **{nick.lower(): style for style, nicks in vocabulary.STYLE_NICKNAMES.items() for nick in nicks}}
STYLE_WORDS = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _STYLE_OF_NAME), key=len, reverse=True))
                         + r")(?![\w-])", re.I)
DRUM_LOOP_WORDS = re.compile(
    r"\b(drums|beats?|breaks?|breakbeats?|grooves?|loops?|patterns?|rhythms?|fills?|rolls?|shuffles?)\b(?!-)", re.I)
# Words for a fill or a roll: a loop of one bar unless the prompt states its bars or length ("a drum fill", "a snare
# roll"); not beside a word for one sound or a note ("high tom fill hit", "kettle drum roll stroke, C3" are one-shots).
FILL_WORDS = re.compile(r"\b(?:fills?|(?:drum|snare|tom|hi-?hat|hats?|cymbal)\s+rolls?)\b", re.I)
ONE_SOUND_WORDS = re.compile(r"\b(hits?|one-shots?|single|notes?)\b", re.I)
# Words that make a loop a drum loop when it names no style ("a drum loop", "a beat", "percussion groove").
DRUM_WORDS = re.compile(r"\b(drums?|beats?|breakbeats?|percussion)\b(?!-)", re.I)
# The kinds of material of ``latentaudio data melodic`` by name and nickname, longest first ("a funky bassline", "piano
# chords", "a sad tune"): ``melodic_kind``. Those that :data:`MATERIAL_WORDS` lacks ask for material when the prompt
# states no note and no drum ("303 bass line note, G2", "a solo kick" are one-shots), but for "pad", a GM program as
# often as a phrase.
_KIND_OF_NAME = {**{kind: kind for kind in KINDS},
                 **{nick.lower(): kind for kind, nicks in vocabulary.KIND_NICKNAMES.items() for nick in nicks}}
KIND_WORDS = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _KIND_OF_NAME), key=len, reverse=True)) + r")\b(?!-)", re.I)
_HELD_WORDS = ("pad", "pads")  # kind words that alone do not ask for material: GM programs ("warm synth pad") as often
# Tempo words by name and nickname ("slow", "chill", "uptempo"): the tempi of their pace (``paced_tempo_bpm``).
_PACE_OF_NAME = {**{pace: pace for pace in PACES},
                 **{nick.lower(): pace for pace, nicks in vocabulary.PACE_NICKNAMES.items() for nick in nicks}}
PACE_WORDS = re.compile(r"(?<![\w-])(" + "|".join(sorted(map(re.escape, _PACE_OF_NAME), key=len, reverse=True))
                        + r")(?![\w-])", re.I)
EFFECT_FAMILIES = ("Synth Effects", "Sound Effects")  # GM families an effect's name may also call up ("rain", "sci-fi")
UNSTATED_VELOCITY = 80  # a prompt without a dynamics word reads as the middle of the builder's 40 / 80 / 112


def check_prompt_template(template: Optional[str]) -> None:
    """Raise ``ValueError`` unless ``template`` is one of :data:`PROMPT_TEMPLATES` or ``None``."""
    if template is not None and template not in PROMPT_TEMPLATES:
        raise ValueError(f"prompt_template={template!r} is not a known template; expected one of "
                         f"{list(PROMPT_TEMPLATES)} or None.")


def template_caption(text: str, template: Optional[str] = "gm_one_shot", seconds: Optional[float] = None) -> str:
    """What a prompt asks for, written as the captions a model was trained on; the prompt itself when it
    names nothing the template has a place for, or when ``template`` is ``None`` (a model that reads prompts as written).

    ``"gm_one_shot"`` is the caption of ``latentaudio data soundfont`` (:func:`~latentaudio.data.gm.program_caption`,
    :func:`~latentaudio.data.gm.drum_caption`): the General MIDI program or drum, the note and the dynamics
    :func:`parse_prompt` reads, and the drum kit. "kick, deep and boomy" → "a moderately loud kick drum hit";
    "rhodes key, Eb3, mellow" → "a moderately loud electric piano note, D#3"; "airy flute G5, soft" →
    "a soft flute note, G5, pipe". Words the template has no place for (adjectives, lengths) are left out,
    an unstated dynamics reads as moderately loud, a prompt that names only a family is read as the program it most
    likely means (:func:`family_program`: "guitar, soft, E3" → "a soft steel-string acoustic guitar note, E3"), and
    one that names no program, drum or family ("a dark evolving texture") comes back as it is. So does a prompt for
    more than one sound, one that states a tempo or a key or names a loop, a phrase or an effect (:data:`MATERIAL_WORDS`, :data:`EFFECT_WORDS`): "a 124 bpm
    house drum loop", "a cello melody in D minor", "light rain, 6.6 s" are the captions of ``latentaudio data
    drumloops``, ``melodic`` and ``sfx``, which a music model learns as written. A template caption comes
    back unchanged, and the note and instrument the structured features read (:mod:`latentaudio.note_features`)
    are the same before and after, but for a family read as its program, which gains that program (a stated length
    is left out: one-shot captions state none).

    ``"gm_music"`` is the same for one-shots; a loop, a phrase or an effect that states no length is read stating
    ``seconds``, the take's length, as every caption of the music builders states its clip's ("a 124 bpm house drum
    loop" → "a 124 bpm house drum loop, 9.68 s"): a model trained on them (:data:`latentaudio.MUSIC_MODEL`) has
    seldom met such a prompt without one, and it tells the length to the structured embedding too. A loop or a phrase
    that states no tempo is read stating the one it is played at (:func:`take_tempo_bpm`; every drum-loop and phrase
    caption states one): "a house drum loop" → "a house drum loop, 124 bpm, 9.68 s", "a sad piano melody" → "a sad
    piano melody, 105 bpm, 9.14 s", whole bars of it. An effect or a drum style named only by a nickname the
    captions never use (:data:`~latentaudio.data.vocabulary.EFFECT_NICKNAMES`, ``STYLE_NICKNAMES``) is read by the name
    they give it: "a white noise riser" → "a white noise whoosh sound effect, 0.95 s", "heavy metal drums" → "rock
    drums, 120 bpm, 10.00 s" (on 28 effect prompts in such words the class is heard about 1.5 times as often).

    A model trained on one template hears users' wording through its text encoder only as far as the
    encoder places it near the template; rewritten, the prompt reaches the U-Net in the words it learnt.
    Pipelines whose ``prompt_template`` is set apply it to every prompt (not to negative prompts), with the
    length of the take they make.
    """
    check_prompt_template(template)
    if template is None:
        return text
    found = parse_prompt(text)
    if _asks_for_material(text, found):
        # a loop, a phrase or an effect: what a music model learnt from its captions as written, their length stated
        if template != "gm_music":
            return text
        tempo = _tempo_bpm(text, found)
        text = _style_as_captioned(_effect_as_captioned(text, found), found)
        if tempo is not None and found.tempo_bpm is None:
            text = with_tempo(text, tempo)
        if seconds is not None and found.seconds is None:
            return _stating(text, f"{seconds:.2f} s")
        return text
    velocity = found.velocity if found.velocity is not None else UNSTATED_VELOCITY
    if found.drum_key is not None:
        return gm.drum_caption(found.drum_key, velocity, found.kit or "standard")
    program = found.program if found.program is not None else family_program(found.family)
    if program is not None:
        return gm.program_caption(program, found.note, velocity)
    return text


def asks_for_material(text: str) -> bool:
    """Whether ``text`` asks for more than one sound: it states a tempo or a key, or names a loop, a phrase or a
    sound effect (:data:`MATERIAL_WORDS`, :data:`EFFECT_WORDS`). "a 124 bpm house drum loop", "a sad piano melody
    in A minor" and "light rain, 6.6 s" do; "a tight snare hit", "grand piano, middle C" and "a rhodes chord tone,
    C4" do not. These are the prompts a one-shot model has no caption for and a music model
    (:data:`latentaudio.MUSIC_MODEL`) learnt as written; :func:`template_caption` leaves them as they are, and
    ``latentaudio generate`` without ``--model`` gives them to the music model."""
    return _asks_for_material(text, parse_prompt(text))


def take_length_in_s(text: str, longest_in_s: Optional[float]) -> Optional[float]:
    """The length of a take of ``text`` when the caller states none; ``None`` for the model's own clip.

    In order: the length the prompt states ("light rain, 3 s"); for a prompt that asks for more than one sound
    (:func:`asks_for_material`) and states a tempo, whole bars at that tempo: the bars it states ("a 2-bar
    120 bpm funk loop": 4.0 s), else as many as fit in ``longest_in_s`` ("a 124 bpm house drum loop" and
    10.24 s: 5 bars, 9.68 s), in 4/4 unless it states another metre ("a 140 bpm waltz": 3/4), and a loop or a
    phrase that states no tempo at the one :func:`take_tempo_bpm` gives it ("a house drum loop": 124 bpm, 9.68 s;
    "a sad piano melody": 105 bpm, 9.14 s); for a sound effect, the middle of the lengths ``latentaudio data sfx``
    renders its class at (:func:`effect_length_in_s`: "a laser zap" 0.38 s, "police siren" 4.0 s), at most
    ``longest_in_s``; for other such prompts ``longest_in_s`` itself; for a one-shot ``None``. A take of whole bars
    ends where its first beat comes round again, so it loops in a DAW at the project's tempo, and every drum loop and
    phrase of ``latentaudio data drumloops`` and ``melodic`` is whole bars long too.

    Args:
        text (`str`): The prompt.
        longest_in_s (`float`, *optional*): The longest clip the model learnt (its pipeline's
            ``longest_trained_length_in_s``); `None` leaves material without a stated length at the model's own clip.
    """
    found = parse_prompt(text)
    if found.seconds is not None:
        return found.seconds
    if not _asks_for_material(text, found):
        return None
    tempo = _tempo_bpm(text, found)
    if tempo is not None and tempo > 0:
        bar = (found.beats_per_bar or 4) * 60.0 / tempo
        bars = found.bars
        if bars is None and FILL_WORDS.search(text) is not None:
            bars = 1  # a fill or a roll
        if bars is not None:
            return round(bars * bar, 6)
        if longest_in_s is not None and bar <= longest_in_s:
            return round(math.floor(longest_in_s / bar + 1e-9) * bar, 6)
    effect = _effect_class(text, found) if tempo is None and longest_in_s is not None else None
    if effect is not None:
        return min(effect_length_in_s(effect), longest_in_s)
    return longest_in_s


def prompt_sample_info(prompt: Optional[str], num_samples: int, sample_rate: int,
                       loop: bool = False) -> Optional[SampleInfo]:
    """What a take of ``num_samples`` made for ``prompt`` states to a sampler or a DAW in its WAV
    (:class:`~latentaudio.sample_info.SampleInfo`); `None` for a take of no prompt that is not a loop (an edit of a clip without one: nothing is known of it).

    - A loop or a phrase (:func:`asks_for_material`) is a loop to a DAW, at the tempo it states or is given
      (:func:`take_tempo_bpm`) when the take holds whole beats at it (a take of the
      length the prompt leads to does: whole bars), in its metre; its root is the tonic of the key it states.
    - A sound effect is a one-shot, and so is every other take: its root key the note the prompt states.
    - ``loop`` (a take made seamless, ``--loop``) adds a sustain loop over the whole take, and makes it a loop to a DAW.
    """
    if prompt is None and not loop:
        return None
    prompt = prompt or ""
    found = parse_prompt(prompt)
    material = asks_for_material(prompt)
    root = found.note if not material else _tonic_note(found.key)
    tempo, beats = (take_tempo_bpm(prompt), None) if material and effect_class(prompt) is None else (None, None)
    if tempo is not None:
        counted = num_samples / sample_rate * tempo / 60
        beats = round(counted)
        if beats < 1 or abs(counted - beats) > 0.01:  # not whole beats: a DAW would stretch it to the wrong length
            tempo, beats = None, None
    return SampleInfo(root_key=root, loop=(0, num_samples - 1) if loop else None, tempo_bpm=tempo, beats=beats,
                      beats_per_bar=found.beats_per_bar or 4, one_shot=not (loop or tempo is not None))


def _tonic_note(key: Optional[str]) -> Optional[int]:
    """The MIDI note of a key's tonic in the octave from C4 ("F# minor" → 66); `None` for none."""
    if not key:
        return None
    name = key.split()[0]
    return midi_from_name(name[0], name[1:])


def effect_class(text: str) -> Optional[str]:
    """The sound-effect class of ``latentaudio data sfx`` that ``text`` asks for (its first name in
    :data:`~latentaudio.data.vocabulary.EFFECT_NAMES` the prompt holds: "a sci-fi laser zap" → "laser", "heavy rain" →
    "rain"), or ``None``: no effect named, or a drum, a note or an instrument that is not a GM effect named beside it
    ("a tight snare hit", "sci-fi synth fx, C4")."""
    return _effect_class(text, parse_prompt(text))


def effect_length_in_s(effect: str) -> float:
    """The length of a take of the sound-effect class ``effect`` whose prompt states none: the middle of the lengths
    ``latentaudio data sfx`` renders it at (:data:`~latentaudio.data.vocabulary.EFFECT_SECONDS`), in hundredths of
    a second as its captions state them. A music model learnt each class at those lengths only: asked for "a laser
    zap" at its longest clip (10.24 s) it plays a steady texture: on 56 effect prompts an effect judge hears the class
    named 27-29% of the time there, and 64-71% at these lengths (two seeds; ``benchmarks/effect_lengths.py``).

    Raises:
        ValueError: ``effect`` is not a class of the builder.
    """
    if effect not in vocabulary.EFFECT_SECONDS:
        raise ValueError(f"No sound-effect class {effect!r}; expected one of {', '.join(vocabulary.EFFECT_SECONDS)}.")
    low, high = vocabulary.EFFECT_SECONDS[effect]
    return round((low + high) / 2, 2)


def names_known_material(text: str) -> bool:
    """Whether ``text`` names material the music builders make: a drum loop (of a style, or of drums: "a house drum
    loop", "a snare fill"), a kind of phrase (:func:`melodic_kind`: "a sad piano melody") or a sound-effect class
    (:func:`effect_class`). ``False`` for a prompt for material that names none ("a dembow loop", "a looped ambient
    texture": the music model plays whatever the words call up, a loop at 120 bpm) and for one-shots."""
    return material_category(text) is not None


def material_category(text: str) -> Optional[str]:
    """The category of the music builders' material that ``text`` asks for: ``"sound effect"`` for an effect class
    (:func:`effect_class`), ``"drum loop"`` for a loop of drums ("a house drum loop", "a snare fill"), ``"melodic"``
    for a kind of phrase (:func:`melodic_kind`: "a sad piano melody", "chords in G"); ``None`` for a one-shot and for
    material that names none of them ("a dembow loop"). The values are the ``category`` column of the builders' rows
    (:data:`~latentaudio.data.vocabulary.MUSIC_CATEGORIES`)."""
    found = parse_prompt(text)
    if not _asks_for_material(text, found):
        return None
    if _effect_class(text, found) is not None:
        return vocabulary.SOUND_EFFECT
    if _is_drum_loop(text, found):
        return vocabulary.DRUM_LOOP
    return vocabulary.MELODIC if _melodic_kind(text, found) is not None else None


def _asks_for_material(text: str, found: PromptAttributes) -> bool:
    return (found.tempo_bpm is not None or found.key is not None or MATERIAL_WORDS.search(text) is not None
            or (FILL_WORDS.search(text) is not None and ONE_SOUND_WORDS.search(text) is None and found.note is None)
            or _effect_class(text, found) is not None or _drum_style(text, found) is not None
            or (found.note is None and found.drum_key is None and _kind_word(text) not in (None, *_HELD_WORDS)))


def _kind_word(text: str) -> Optional[str]:
    named = KIND_WORDS.search(text)
    return None if named is None else named.group(1).lower()


def _named_kind(text: str) -> Optional[str]:
    word = _kind_word(text)
    return None if word is None else _KIND_OF_NAME[word]


def drum_style(text: str) -> Optional[str]:
    """The drum style of ``latentaudio data drumloops`` (:data:`~latentaudio.data.drum_patterns.STYLES`) that ``text``
    asks a loop of: a style's name or nickname (:data:`~latentaudio.data.vocabulary.STYLE_NICKNAMES`) beside a word for
    a loop (:data:`DRUM_LOOP_WORDS`), with no instrument, note or key: "a house drum loop" → "house", "trap beat" →
    "trap", "boom bap drums" → "hip hop"; "a house piano loop", "a rock organ note" and "a rock drum hit" → ``None``."""
    return _drum_style(text, parse_prompt(text))


def style_tempo_bpm(style: str, pace: Optional[str] = None) -> int:
    """The tempo a drum loop of ``style`` is played at when its prompt states none: the middle of the style's usual
    range (:attr:`~latentaudio.data.drum_patterns.DrumStyle.tempo`), as every caption of ``latentaudio data
    drumloops`` states its loop's: house 124 bpm, hip hop 90, drum and bass 170; with a tempo word
    (:func:`paced_tempo_bpm`) the part of the range it names: a "fast" rock loop 150, a "slow" hip hop one 80.

    Raises:
        ValueError: ``style`` is not a style of the builder.
    """
    if style not in STYLES:
        raise ValueError(f"No drum style {style!r}; expected one of {', '.join(STYLES)}.")
    return paced_tempo_bpm(STYLES[style].tempo, pace)


def melodic_kind(text: str) -> Optional[str]:
    """The kind of material of ``latentaudio data melodic`` (:data:`~latentaudio.data.melodic_material.KINDS`) that
    ``text`` asks for, or ``None`` where it asks for no phrase (a one-shot, a drum loop, a sound effect). Its first
    kind word, by name or nickname (:data:`~latentaudio.data.vocabulary.KIND_NICKNAMES`): "a funky bassline" → "bass
    line", "soft piano chords" → "chord progression", "an upbeat guitar riff" → "melody"; a phrase that names none but
    an instrument or a key is a melody ("a house piano loop", "a cello in D minor")."""
    return _melodic_kind(text, parse_prompt(text))


def melodic_tempo_bpm(kind: str, pace: Optional[str] = None) -> int:
    """The tempo a phrase of ``kind`` is played at when its prompt states none: the middle of the range ``latentaudio
    data melodic`` plays the kind at (:attr:`~latentaudio.data.melodic_material.Kind.tempo`): a melody 105 bpm, a pad
    80; with a tempo word (:func:`paced_tempo_bpm`) the part of the range it names: a "slow" melody 68, a "fast" one 150.

    Raises:
        ValueError: ``kind`` is not a kind of the builder.
    """
    if kind not in KINDS:
        raise ValueError(f"No kind of material {kind!r}; expected one of {', '.join(KINDS)}.")
    return paced_tempo_bpm(KINDS[kind].tempo, pace)


def pace(text: str) -> Optional[str]:
    """The tempo word of :data:`~latentaudio.data.melodic_material.PACES` that ``text`` names, by name or nickname
    (:data:`~latentaudio.data.vocabulary.PACE_NICKNAMES`): "a slow cello melody" → "slow", "chill rhodes chords" →
    "relaxed", "uptempo techno beat" → "fast"; ``None`` where it names none."""
    named = PACE_WORDS.search(text)
    return None if named is None else _PACE_OF_NAME[named.group(1).lower()]


def paced_tempo_bpm(tempo_range: tuple[float, float], pace: Optional[str] = None) -> int:
    """The middle of ``tempo_range`` (low, high bpm, both included), or, with a tempo word of
    :data:`~latentaudio.data.melodic_material.PACES`, the middle of the tempi in it that the word names ("slow": below
    76 bpm), as the melodic builder's captions name them; the end of the range nearest those tempi when it holds none
    (a "fast" pad: 100 bpm, the fastest a pad is played)."""
    low, high = tempo_range
    if pace is not None:
        if pace not in PACES:
            raise ValueError(f"No tempo word {pace!r}; expected one of {', '.join(PACES)}.")
        named_low, named_above = PACES[pace]  # the word's tempi: from named_low up to below named_above
        if named_low > high or named_above <= low:  # none in the range: its end nearest them
            low = high = high if named_low > high else low
        else:
            low, high = max(low, named_low), min(high, named_above - 1)
    return round((low + high) / 2)


def take_tempo_bpm(text: str) -> Optional[float]:
    """The tempo a take of ``text`` plays at: the one it states; for a prompt that asks for a loop or a phrase
    (:func:`asks_for_material`) and states none, the one the music builders play what it names at, at the pace its
    tempo word names (:func:`pace`): a style's (:func:`style_tempo_bpm`: "a house drum loop" 124 bpm, "a house piano
    loop" too), a drum loop's of no style (the middle of every drum loop's 60-180 bpm: "a drum loop" 120), a phrase's
    (:func:`melodic_tempo_bpm`: "a sad piano melody" 105, "a slow cello melody" 68); ``None`` for a sound effect or a
    one-shot that states none. Every drum-loop and phrase caption of those builders states its tempo, and the
    beat-phase channels of :data:`latentaudio.MUSIC_MODEL` play at a stated tempo only."""
    return _tempo_bpm(text, parse_prompt(text))


def _drum_style(text: str, found: PromptAttributes) -> Optional[str]:
    if DRUM_LOOP_WORDS.search(text) is None:
        return None
    if found.program is not None or found.note is not None or found.key is not None:
        return None
    return _named_style(text, found)


def _named_style(text: str, found: PromptAttributes) -> Optional[str]:
    """The first drum style ``text`` names outside its instrument's name ("rock organ" and "jazz guitar" are GM programs)."""
    named = _style_match(text, found)
    return None if named is None else _STYLE_OF_NAME[named.group(1).lower()]


def _style_match(text: str, found: PromptAttributes) -> Optional[re.Match]:
    for named in STYLE_WORDS.finditer(text):
        span = found.instrument_span
        if span is None or named.end() <= span[0] or named.start() >= span[1]:
            return named
    return None


def _style_as_captioned(text: str, found: PromptAttributes) -> str:
    """``text`` with the style of a drum loop it names by a nickname (:data:`~latentaudio.data.vocabulary.STYLE_NICKNAMES`)
    named as the captions of ``latentaudio data drumloops`` name it: "heavy metal drums" → "rock drums", "a trance beat"
    → "a techno beat"; any other ``text`` (a phrase: "a lofi piano loop") as it is."""
    style = _drum_style(text, found)  # the style of the match _style_match finds
    if style is None or any(other.group(1).lower() in STYLES for other in STYLE_WORDS.finditer(text)):
        return text  # "a blues shuffle" names its style as the captions do
    named = _style_match(text, found)
    return _replaced(text, named.start(), named.end(), style)


_ARTICLE = re.compile(r"\b(an?)(\s+)$", re.I)


def _replaced(text: str, start: int, end: int, words: str) -> str:
    """``text`` with ``words`` in place of ``text[start:end]``, the article before it agreeing ("an edm loop" → "a
    house loop", "a bomb" → "an explosion sound effect")."""
    before = text[:start]
    article = _ARTICLE.search(before)
    if article is not None:
        wanted = "an" if words[:1].lower() in "aeiou" else "a"
        wanted = wanted.capitalize() if article.group(1)[0].isupper() else wanted
        before = f"{before[: article.start()]}{wanted}{article.group(2)}"
    return f"{before}{words}{text[end:]}"


def _melodic_kind(text: str, found: PromptAttributes) -> Optional[str]:
    if not _asks_for_material(text, found) or _effect_class(text, found) is not None or _is_drum_loop(text, found):
        return None
    kind = _named_kind(text)
    if kind is not None:
        return kind
    pitched = found.program is not None or (found.family is not None and found.family != "Drums")
    return "melody" if pitched or found.key is not None else None


def _is_drum_loop(text: str, found: PromptAttributes) -> bool:
    """A loop of drums: of a style ("a house drum loop"), or of none ("a drum loop", "a beat", "percussion groove",
    "a hi-hat loop")."""
    if _drum_style(text, found) is not None:
        return True
    drums = DRUM_WORDS.search(text) is not None or found.drum_key is not None
    return (drums and DRUM_LOOP_WORDS.search(text) is not None and found.program is None and found.note is None
            and found.key is None and found.family in (None, "Drums", "Percussive"))


def _tempo_bpm(text: str, found: PromptAttributes) -> Optional[float]:
    if found.tempo_bpm is not None:
        return found.tempo_bpm
    if not _asks_for_material(text, found) or _effect_class(text, found) is not None:
        return None
    tempo_word = pace(text)
    style = _named_style(text, found)
    if style is not None:
        return float(style_tempo_bpm(style, tempo_word))
    if _is_drum_loop(text, found):
        return float(paced_tempo_bpm(TEMPO_RANGE, tempo_word))
    kind = _melodic_kind(text, found)
    if kind is not None:
        return float(melodic_tempo_bpm(kind, tempo_word))
    if DRUM_LOOP_WORDS.search(text) is not None:  # a loop of nothing the builders name ("a dembow loop"): whole bars
        return float(paced_tempo_bpm(TEMPO_RANGE, tempo_word))
    return None


def _effect_class(text: str, found: PromptAttributes) -> Optional[str]:
    """The class of the first sound-effect name in ``text`` (:data:`EFFECT_WORDS`) when it names no note, and no drum
    or instrument but a GM effect: "light rain, 6.6 s" and "a sci-fi laser zap" do; "a tight snare hit", "click
    organ", "a rock drum hit" and "sci-fi synth fx, C4" (the GM program, played at a note) do not."""
    named = EFFECT_WORDS.search(text)
    if named is None or found.drum_key is not None or found.note is not None or DRUM_WORDS.search(text) is not None:
        return None
    if _drum_style(text, found) is not None:  # "a hip hop groove" is no jump ("hop")
        return None
    if found.program is not None and gm.family_of(found.program).name not in EFFECT_FAMILIES:
        return None
    return _EFFECT_OF_NAME[named.group(1).lower()]


def _effect_as_captioned(text: str, found: PromptAttributes) -> str:
    """``text`` with a sound effect it names only by a nickname (:data:`~latentaudio.data.vocabulary.EFFECT_NICKNAMES`)
    named as the captions of ``latentaudio data sfx`` name its class: "a white noise riser" → "a white noise whoosh
    sound effect", "a level up sound" → "a power-up sound effect"; any other ``text`` as it is."""
    effect = _effect_class(text, found)  # the class of the first name EFFECT_WORDS finds
    names = list(EFFECT_WORDS.finditer(text))
    if effect is None or any(m.group(1).lower() in _CAPTION_EFFECT_NAMES for m in names):
        return text  # "pew pew laser shot" names its class as the captions do
    tail = _EFFECT_TAIL.match(text, names[0].end())
    return _replaced(text, names[0].start(), tail.end() if tail else names[0].end(),
                     f"{vocabulary.EFFECT_NAMES[effect][0]} sound effect")


def _stating(text: str, words: str, length_span: Optional[tuple[int, int]] = None) -> str:
    """``text`` with ``words`` after it, or before the length at ``length_span`` when that ends the prompt ("a house
    drum loop, 3 s" → "a house drum loop, 124 bpm, 3 s"; "chords (E maj, 7.74 s)" → "chords (E maj, 93 bpm, 7.74 s)")."""
    if length_span is not None:
        start, end = length_span
        if not text[end:].strip(" )]." + _SEPARATORS) and text[:start].rstrip()[-1:] in (*_SEPARATORS, "(", "["):
            return f"{text[:start]}{words}, {text[start:]}"
    return f"{text.rstrip().rstrip(_SEPARATORS)}, {words}"


def _without(text: str, span: Optional[tuple[int, int]]) -> str:
    """``text`` without ``text[start:end]`` and the separator it leaves dangling."""
    if span is None:
        return text
    before, after = text[: span[0]].rstrip(), text[span[1] :].lstrip()
    if after[:1] and after[0] in _SEPARATORS and (not before or before[-1] in _SEPARATORS):
        after = after[1:].lstrip()  # "x, C4, y": one separator stays
    if not after:
        return before.rstrip(_SEPARATORS + " ")
    if not before:
        return after
    if after[0] in ")]" and before[-1] in _SEPARATORS:
        return before[:-1].rstrip() + after  # "(E major, 93 bpm, 7.74 s)" → "(E major, 93 bpm)"
    return before + after if after[0] in _SEPARATORS or after[0] in ")]" else f"{before} {after}"


def midi_from_hz(frequency: float) -> int:
    """The nearest MIDI note to a frequency (A4 = 440 Hz = 69)."""
    if not frequency > 0:
        raise ValueError(f"A frequency must be positive, got {frequency}.")
    return round(69 + 12 * math.log2(frequency / 440.0))


def midi_from_name(letter: str, accidental: str = "", octave: int = 4) -> int:
    """MIDI pitch of a spelled note: ("F", "#", 3) -> 54; ("C", "b", 4) -> 59."""
    letter = letter.upper()
    if letter not in PITCH_CLASSES:
        raise ValueError(f"Unknown note letter {letter!r}; expected one of {sorted(PITCH_CLASSES)}.")
    return 12 * (octave + 1) + PITCH_CLASSES[letter] + _accidental_shift(accidental)


# ---- instruments -------------------------------------------------------------------------------

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")  # hyphens split words: "hi-hat" reads as "hi hat"


def _phrase_table() -> dict[tuple[str, ...], tuple[str, object]]:
    """Token tuple -> (kind, value); earlier kinds win a phrase that two tables share."""
    table: dict[tuple[str, ...], tuple[str, object]] = {}

    def add(phrase: str, kind: str, value) -> None:
        table.setdefault(tuple(_TOKEN.findall(phrase.lower())), (kind, value))

    for program, spec in enumerate(gm.PROGRAMS):
        add(spec.name, "program", program)
    for key, name in sorted(gm.DRUM_KEYS.items()):
        add(name, "drum", key)
    for program, names in vocabulary.PROGRAM_NICKNAMES.items():
        for name in names:
            add(name, "program", program)
    for key, names in vocabulary.DRUM_NICKNAMES.items():
        for name in names:
            add(name, "drum", key)
    for program, names in vocabulary.NEAREST_PROGRAMS.items():  # after every GM name and nickname: those win
        for name in names:
            add(name, "program", program)
    add("cymbal", "drum", 49)  # a cymbal alone: the crash
    for kit, names in vocabulary.KIT_NICKNAMES.items():
        for name in (*names, f"{kit} kit"):
            add(name, "kit", kit)
    for family in gm.FAMILIES:
        add(family.phrase, "family", family.name)
    for family, (words, _) in vocabulary.FAMILY_WORDS.items():
        for word in words:
            add(word, "family", family)
    for word in ("drum", "drums", "drum kit", "drum set", "drum hit", "percussion hit", "beat",
                 "acoustic drums", "acoustic drum kit", "acoustic drum set"):  # not the "acoustic" guitar
        add(word, "family", gm.DRUMS_FAMILY)
    return table


PHRASES = _phrase_table()
_LONGEST_PHRASE = max(len(phrase) for phrase in PHRASES)
# The program a prompt that names only a family most likely means ("bass, low E": its range places the note).
_FAMILY_PROGRAMS = {family: program for family, (_, program) in vocabulary.FAMILY_WORDS.items()}
# Families whose likely program is no reading of the family word ("a sound effect" is no seashore).
_FAMILIES_READ_AS_WRITTEN = ("Sound Effects",)


def family_program(family: Optional[str]) -> Optional[int]:
    """The GM program a prompt that names only ``family`` most likely means
    (:data:`~latentaudio.data.vocabulary.FAMILY_WORDS`): "Guitar" → 25 (steel-string acoustic), "Bass" → 33 (fingered
    electric), "Synth Lead" → 81 (sawtooth); ``None`` for no family, the drums and the sound effects."""
    return None if family in _FAMILIES_READ_AS_WRITTEN else _FAMILY_PROGRAMS.get(family)



def _read_instrument(work: str, found: PromptAttributes) -> str:
    tokens = list(_TOKEN.finditer(work.lower()))
    words = [token.group() for token in tokens]
    matches = []  # the longest phrase starting at each word: (length, position, kind, value, span)
    for i in range(len(words)):
        for length in range(min(_LONGEST_PHRASE, len(words) - i), 0, -1):
            hit = _lookup(words[i : i + length])
            if hit:
                matches.append((length, i, *hit, (tokens[i].start(), tokens[i + length - 1].end())))
                break
    # a phrase inside a longer one ("bass" in "fingered electric bass") is part of that name
    matches = [m for m in matches if not any(o[1] <= m[1] and m[1] + m[0] <= o[1] + o[0] and o[0] > m[0] for o in matches)]
    kits = [m for m in matches if m[2] == "kit"]
    if kits:
        found.kit = kits[0][3]
    named = [m for m in matches if m[2] in ("program", "drum")]
    families = [m for m in matches if m[2] == "family"]
    if named:  # the most specific name: longest, then first
        _, _, kind, value, found.instrument_span = max(named, key=lambda m: (m[0], -m[1]))
        if kind == "program":
            found.program, found.instrument, found.family = value, gm.PROGRAMS[value].name, gm.family_of(value).name
        else:
            found.drum_key, found.instrument, found.family = value, gm.DRUM_KEYS[value], gm.DRUMS_FAMILY
    elif families:
        found.family, found.instrument_span = families[0][3], families[0][4]
        if found.family == gm.DRUMS_FAMILY and found.kit is not None:
            found.drum_key, found.instrument = 36, gm.DRUM_KEYS[36]
    elif found.kit == "TR-808" and kits[0][0] == 1:  # "808" alone: the 808 kick
        found.drum_key, found.instrument, found.family = 36, gm.DRUM_KEYS[36], gm.DRUMS_FAMILY
    if found.kit is not None and found.family not in (None, gm.DRUMS_FAMILY):
        found.kit = None  # "808 bass": a sound named after the machine, not a kit piece
    for match in matches:
        start, end = match[-1]
        work = work[:start] + " " * (end - start) + work[end:]
    return work


def _lookup(words: list[str]):
    hit = PHRASES.get(tuple(words))
    if hit is None and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        hit = PHRASES.get((*words[:-1], words[-1][:-1]))  # plurals: "snares", "toms"
    return hit


# ---- keys, numbers -----------------------------------------------------------------------------

_KEY = re.compile(
    r"(?<![\w#♯♭])(?:(?:in\s+)?(?:the\s+)?key\s+of\s+)?(?P<letter>[A-G])" + _ACCIDENTAL
    + r"(?:[\s-]*(?P<mode>major|minor|maj|min|m(?![a-z])|dorian|mixolydian|lydian|phrygian|aeolian|ionian)"
    r"|(?=[\s-]*chord))(?:[\s-]*chord)?",
)
_KEY_OF = re.compile(r"\bkey\s+of\s+(?P<letter>[A-G])" + _ACCIDENTAL + r"(?![\w])")
_MODE_NAMES = {"maj": "major", "min": "minor", "m": "minor"}
_MODE_ALIASES = {"ionian": "major", "aeolian": "minor"}  # one scale, two names


def _read_key(work: str, found: PromptAttributes) -> str:
    match = _KEY.search(work) or _KEY_OF.search(work)
    if match:
        mode = (match.groupdict().get("mode") or "major").lower()
        mode = _MODE_NAMES.get(mode, mode)
        found.key = f"{match['letter']}{_accidental_symbol(match['acc'])} {mode}"
        work = _blank_span(work, match.span())
    return work


_TEMPO = re.compile(
    r"(?P<bpm>\d{2,3}(?:\.\d+)?)\s*-?\s*(?:bpm|beats\s+(?:per|a)\s+minute)\b"
    r"|\btempo\s*(?:of\s*|[:=]\s*)?(?P<bpm2>\d{2,3}(?:\.\d+)?)\b|(?:♩|\bq|\bquarter(?:\s+note)?)\s*=\s*(?P<bpm3>\d{2,3})\b",
    re.I,
)
_SECONDS = re.compile(
    r"(?<![\w.])(?P<value>\d+(?:\.\d+)?)\s*-?\s*(?P<unit>ms|milliseconds?|s|secs?|seconds?)(?![a-z])(?:\s+long\b)?"
    r"|\b(?P<words>half a second|half-second|a second|one second|two seconds|three seconds)\b(?:\s+long\b)?",
    re.I,
)
_SECOND_WORDS = {"half a second": 0.5, "half-second": 0.5, "a second": 1.0, "one second": 1.0, "two seconds": 2.0,
                 "three seconds": 3.0}
_VELOCITY = re.compile(r"\bvel(?:ocity)?\s*[:=]?\s*(?P<value>\d{1,3})\b", re.I)


def _read_tempo(work: str, found: PromptAttributes) -> str:
    match = _TEMPO.search(work)
    if match:
        found.tempo_bpm = float(match["bpm"] or match["bpm2"] or match["bpm3"])
        work = _blank_span(work, match.span())
    return work


_NUMBER_WORDS = {word: number for number, word in vocabulary.NUMBER_WORDS.items()}
_BARS = re.compile(r"(?<![\w.])(?P<count>\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")\s*-?\s*bars?\b", re.I)
_TIME_SIGNATURE = re.compile(r"(?<![\w/])(?P<beats>[2-7])\s*/\s*4(?![\w/])")
_METRE_STYLES = re.compile(r"\b(" + "|".join(sorted(re.escape(name) for name, style in STYLES.items()
                                                      if style.beats_per_bar != 4)) + r")\b", re.I)


def _read_bars(work: str, found: PromptAttributes) -> str:
    match = _TIME_SIGNATURE.search(work)  # first, so "3/4 bar" is a metre and not four bars
    if match:
        found.beats_per_bar = int(match["beats"])
        work = _blank_span(work, match.span())
    else:
        match = _METRE_STYLES.search(work)
        if match:
            found.beats_per_bar = STYLES[match[1].lower()].beats_per_bar
    match = _BARS.search(work)
    if match:
        count = match["count"].lower()
        found.bars = (int(count) if count.isdigit() else _NUMBER_WORDS[count]) or None  # "0 bars" states nothing
        work = _blank_span(work, match.span())
    return work


def _read_numbers(work: str, found: PromptAttributes) -> str:
    match = _SECONDS.search(work)
    if match:
        if match["unit"] == "s" and re.fullmatch(r"[1-9]0", match["value"] or ""):
            pass  # "80s": a decade, not a length
        elif match["words"]:
            found.seconds = _SECOND_WORDS[match["words"].lower()]
        else:
            value = float(match["value"])
            found.seconds = value / 1000 if match["unit"].lower().startswith("m") else value
        if found.seconds is not None:
            found.seconds_span = match.span()
            work = _blank_span(work, match.span())
    match = _VELOCITY.search(work)
    if match and 1 <= int(match["value"]) <= 127:
        found.velocity, found.dynamics = int(match["value"]), match.group()
        work = _blank_span(work, match.span())
    return work


# ---- notes -------------------------------------------------------------------------------------

_HZ = re.compile(r"(?<![\w.])(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>hz|hertz|khz)\b|\bA\s?=?\s?(?P<a4>4[0-4]\d)\b", re.I)
_MIDI = re.compile(
    r"\bmidi(?:\s+note)?(?:\s+(?:number|num|no\.?))?\s*[#:=]?\s*(?P<a>\d{1,3})\b"
    r"|\bnote\s+(?:number\s+|#\s*)(?P<b>\d{1,3})\b|(?<![\w-])note\s+(?P<c>\d{1,3})(?![\w.-])",  # not "two-note 8-bit"
    re.I,
)
_MIDDLE_C = re.compile(r"\bmiddle\s+(?P<letter>[Cc])" + _ACCIDENTAL + r"(?![\w#♯♭])")
# A letter, an accidental and an octave; no letter or digit may touch it (mp3, dx7, tr-808).
_WITH_OCTAVE = re.compile(
    r"(?<![\w#♯♭])(?P<letter>[A-Ga-g])(?P<acc>##|#|♯|♭|b|[\s-]?sharp\s?|[\s-]?flat\s?)?(?P<octave>-1|\d)(?![\w.]|\.\d)"
)
_WITHOUT_OCTAVE = re.compile(
    r"(?<![\w#♯♭])(?:(?P<marker>low|lower|lowest|deep|bottom|high|higher|highest|top)\s+)?(?:(?P<an>an)\s+)?"
    r"(?P<letter>[A-G])(?P<acc>##|#|♯|♭|b|-sharp|-flat|\s?sharp|\s?flat)?(?P<suffix>\s+note)?(?![\w#♯♭])"
)


def _note_candidates(work: str, found: PromptAttributes) -> list[tuple[int, int, str]]:
    """(position, MIDI note, words) of every note the text states."""
    candidates = []
    for match in _HZ.finditer(work):
        frequency = float(match["a4"]) if match["a4"] else float(match["value"]) * (1000 if match["unit"].lower() == "khz" else 1)
        if 8 <= frequency <= 13000:
            found.frequency_hz = found.frequency_hz or frequency
            candidates.append((match.start(), midi_from_hz(frequency), match.group()))
    work = _blank(work, _HZ)
    for match in _MIDI.finditer(work):
        value = int(match["a"] or match["b"] or match["c"])
        if value <= 127:
            candidates.append((match.start(), value, match.group()))
    for match in _MIDDLE_C.finditer(work):
        candidates.append((match.start(), 60 + _accidental_shift(match["acc"]), match.group()))
    work = _blank(work, _MIDDLE_C)
    for match in _WITH_OCTAVE.finditer(work):
        if match["acc"] and match["acc"].strip() in ("sharp", "flat") and match["letter"].islower():
            continue  # "a flat 3-note riff": the article, not A flat
        candidates.append((match.start(), midi_from_name(match["letter"], match["acc"] or "", int(match["octave"])), match.group()))
    work = _blank(work, _WITH_OCTAVE)
    for match in _WITHOUT_OCTAVE.finditer(work):
        acc, marker = match["acc"] or "", match["marker"]
        attached = acc in ("#", "♯", "♭", "b", "##", "-sharp", "-flat")
        noted = match["suffix"] is not None and (match["letter"] != "A" or match["an"] is not None)
        if not (marker or attached or noted):
            continue
        pitch_class = midi_from_name(match["letter"], acc, -1)
        program = found.program if found.program is not None else _FAMILY_PROGRAMS.get(found.family)
        candidates.append((match.start(), _place_octave(pitch_class, marker, program), match.group().strip()))
    return [c for c in candidates if 0 <= c[1] <= 127]


def _place_octave(pitch_class: int, marker: Optional[str], program: Optional[int]) -> int:
    """The octave of a note named without one (see the module docstring)."""
    pitch_class %= 12
    low_marker = marker in ("low", "lower", "lowest", "deep", "bottom")
    if program is None:
        octave = 2 if low_marker else 6 if marker else 4
        return 12 * (octave + 1) + pitch_class
    low, high = gm.PROGRAMS[program].low, gm.PROGRAMS[program].high
    options = [p for p in range(low, high + 1) if p % 12 == pitch_class] or [60 + pitch_class]
    if marker:
        return options[0] if low_marker else options[-1]
    return min(options, key=lambda p: abs(p - (low + high) / 2))


# ---- helpers -----------------------------------------------------------------------------------


def _accidental_shift(accidental: Optional[str]) -> int:
    accidental = (accidental or "").strip().lstrip("-")
    return {"": 0, "#": 1, "♯": 1, "sharp": 1, "##": 2, "b": -1, "♭": -1, "flat": -1}[accidental]


def _accidental_symbol(accidental: Optional[str]) -> str:
    return {0: "", 1: "#", 2: "##", -1: "b"}[_accidental_shift(accidental)]


def _longest_phrase(lowered: str, table: dict) -> Optional[str]:
    """The first of the longest phrases of ``table`` found as whole words in ``lowered``."""
    hits = [(-len(phrase), match.start(), phrase) for phrase in table
            for match in re.finditer(rf"(?<![\w-]){re.escape(phrase)}(?![\w-])", lowered)]
    return min(hits)[2] if hits else None


def _blank(text: str, pattern: re.Pattern) -> str:
    return pattern.sub(lambda match: " " * len(match.group()), text)


def _blank_span(text: str, span: tuple[int, int]) -> str:
    return text[: span[0]] + " " * (span[1] - span[0]) + text[span[1] :]
