"""General MIDI names, families, playable ranges and the percussion key map, for captions.

Programs are numbered from 0 as on the wire (GM documents often count from 1). Names are the
GM names reworded to read well in a caption ("Electric Bass (finger)" -> "fingered electric
bass"). Ranges are the usual playable MIDI pitches of the real instrument, or a comfortable
keyboard span for synthesisers and effects; notes outside the SoundFont's samples render
silent and are skipped by the builder.
"""

from __future__ import annotations

from typing import NamedTuple, Optional


class Family(NamedTuple):
    name: str  # GM family name
    phrase: str  # what a caption calls it
    noun: str  # "note", "hit", or "" when the caption names no pitch (sound effects)


FAMILIES = [
    Family("Piano", "piano", "note"),
    Family("Chromatic Percussion", "chromatic percussion", "note"),
    Family("Organ", "organ", "note"),
    Family("Guitar", "guitar", "note"),
    Family("Bass", "bass", "note"),
    Family("Strings", "strings", "note"),
    Family("Ensemble", "ensemble", "note"),
    Family("Brass", "brass", "note"),
    Family("Reed", "reed", "note"),
    Family("Pipe", "pipe", "note"),
    Family("Synth Lead", "synth lead", "note"),
    Family("Synth Pad", "synth pad", "note"),
    Family("Synth Effects", "synth effect", "note"),
    Family("Ethnic", "ethnic", "note"),
    Family("Percussive", "percussive", "hit"),
    Family("Sound Effects", "sound effect", ""),
]
DRUMS_FAMILY = "Drums"


class Program(NamedTuple):
    name: str
    low: int  # lowest playable MIDI pitch
    high: int  # highest playable MIDI pitch


# fmt: off
PROGRAMS = [
    # Piano
    Program("acoustic grand piano", 21, 108), Program("bright acoustic piano", 21, 108),
    Program("electric grand piano", 21, 108), Program("honky-tonk piano", 21, 108),
    Program("electric piano", 28, 103), Program("FM electric piano", 28, 103),
    Program("harpsichord", 29, 89), Program("clavinet", 36, 96),
    # Chromatic percussion
    Program("celesta", 60, 108), Program("glockenspiel", 79, 108), Program("music box", 60, 96),
    Program("vibraphone", 53, 89), Program("marimba", 45, 96), Program("xylophone", 65, 108),
    Program("tubular bells", 60, 77), Program("dulcimer", 48, 96),
    # Organ
    Program("drawbar organ", 36, 96), Program("percussive organ", 36, 96), Program("rock organ", 36, 96),
    Program("church organ", 24, 96), Program("reed organ", 36, 96), Program("accordion", 53, 89),
    Program("harmonica", 60, 84), Program("tango accordion", 53, 89),
    # Guitar
    Program("nylon-string acoustic guitar", 40, 84), Program("steel-string acoustic guitar", 40, 84),
    Program("jazz electric guitar", 40, 86), Program("clean electric guitar", 40, 86),
    Program("muted electric guitar", 40, 86), Program("overdriven electric guitar", 40, 86),
    Program("distorted electric guitar", 40, 86), Program("guitar harmonics", 52, 88),
    # Bass
    Program("acoustic bass", 28, 55), Program("fingered electric bass", 28, 60),
    Program("picked electric bass", 28, 60), Program("fretless bass", 28, 60),
    Program("slap bass", 28, 60), Program("popped slap bass", 28, 60),
    Program("synth bass", 24, 60), Program("synth bass 2", 24, 60),
    # Strings
    Program("violin", 55, 103), Program("viola", 48, 88), Program("cello", 36, 76),
    Program("contrabass", 28, 67), Program("tremolo strings", 36, 96), Program("pizzicato strings", 36, 96),
    Program("orchestral harp", 24, 103), Program("timpani", 40, 55),
    # Ensemble
    Program("string ensemble", 36, 96), Program("slow string ensemble", 36, 96),
    Program("synth strings", 36, 96), Program("synth strings 2", 36, 96),
    Program("choir aahs", 48, 79), Program("voice oohs", 48, 79),
    Program("synth voice", 48, 84), Program("orchestra hit", 48, 84),
    # Brass
    Program("trumpet", 55, 82), Program("trombone", 40, 72), Program("tuba", 28, 58),
    Program("muted trumpet", 55, 82), Program("french horn", 41, 77), Program("brass section", 40, 84),
    Program("synth brass", 36, 96), Program("synth brass 2", 36, 96),
    # Reed
    Program("soprano sax", 56, 87), Program("alto sax", 49, 81), Program("tenor sax", 44, 76),
    Program("baritone sax", 36, 69), Program("oboe", 58, 91), Program("english horn", 52, 81),
    Program("bassoon", 34, 72), Program("clarinet", 50, 91),
    # Pipe
    Program("piccolo", 74, 108), Program("flute", 60, 96), Program("recorder", 60, 96),
    Program("pan flute", 60, 96), Program("blown bottle", 60, 84), Program("shakuhachi", 55, 84),
    Program("whistle", 60, 96), Program("ocarina", 60, 84),
    # Synth lead
    Program("square wave synth lead", 36, 96), Program("sawtooth synth lead", 36, 96),
    Program("calliope synth lead", 36, 96), Program("chiff synth lead", 36, 96),
    Program("charang synth lead", 36, 96), Program("voice synth lead", 36, 96),
    Program("fifths synth lead", 36, 96), Program("bass and lead synth lead", 36, 96),
    # Synth pad
    Program("new age synth pad", 36, 96), Program("warm synth pad", 36, 96),
    Program("polysynth pad", 36, 96), Program("choir synth pad", 36, 96),
    Program("bowed synth pad", 36, 96), Program("metallic synth pad", 36, 96),
    Program("halo synth pad", 36, 96), Program("sweep synth pad", 36, 96),
    # Synth effects
    Program("rain synth effect", 36, 96), Program("soundtrack synth effect", 36, 96),
    Program("crystal synth effect", 36, 96), Program("atmosphere synth effect", 36, 96),
    Program("brightness synth effect", 36, 96), Program("goblins synth effect", 36, 96),
    Program("echoes synth effect", 36, 96), Program("sci-fi synth effect", 36, 96),
    # Ethnic
    Program("sitar", 48, 84), Program("banjo", 48, 84), Program("shamisen", 50, 79), Program("koto", 55, 90),
    Program("kalimba", 60, 84), Program("bagpipe", 60, 77), Program("fiddle", 55, 96), Program("shanai", 60, 84),
    # Percussive
    Program("tinkle bell", 72, 96), Program("agogo", 60, 84), Program("steel drum", 52, 76),
    Program("woodblock", 60, 84), Program("taiko drum", 36, 60), Program("melodic tom", 40, 70),
    Program("synth drum", 40, 70), Program("reverse cymbal", 60, 72),
    # Sound effects
    Program("guitar fret noise", 48, 72), Program("breath noise", 48, 72), Program("seashore", 48, 72),
    Program("bird tweet", 48, 72), Program("telephone ring", 48, 72), Program("helicopter", 48, 72),
    Program("applause", 48, 72), Program("gunshot", 48, 72),
]

# Bank 128 (channel 10) key map, keys 35-81.
DRUM_KEYS = {
    35: "acoustic kick drum", 36: "kick drum", 37: "side stick", 38: "snare drum", 39: "hand clap",
    40: "electric snare drum", 41: "low floor tom", 42: "closed hi-hat", 43: "high floor tom",
    44: "pedal hi-hat", 45: "low tom", 46: "open hi-hat", 47: "low-mid tom", 48: "high-mid tom",
    49: "crash cymbal", 50: "high tom", 51: "ride cymbal", 52: "china cymbal", 53: "ride bell",
    54: "tambourine", 55: "splash cymbal", 56: "cowbell", 57: "crash cymbal", 58: "vibraslap",
    59: "ride cymbal", 60: "high bongo", 61: "low bongo", 62: "muted high conga", 63: "open high conga",
    64: "low conga", 65: "high timbale", 66: "low timbale", 67: "high agogo", 68: "low agogo",
    69: "cabasa", 70: "maracas", 71: "short whistle", 72: "long whistle", 73: "short guiro",
    74: "long guiro", 75: "claves", 76: "high woodblock", 77: "low woodblock", 78: "muted cuica",
    79: "open cuica", 80: "muted triangle", 81: "open triangle",
}

# GM2 / GS drum kit presets in bank 128, as FluidR3_GM names them.
DRUM_KITS = {0: "standard", 8: "room", 16: "power", 24: "electronic", 25: "TR-808", 32: "jazz", 40: "brush", 48: "orchestra"}
# fmt: on

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def family_of(program: int) -> Family:
    return FAMILIES[program // 8]


def note_name(pitch: int) -> str:
    """Scientific pitch notation, MIDI 60 = C4."""
    return f"{NOTE_NAMES[pitch % 12]}{pitch // 12 - 1}"


def dynamics_word(velocity: int) -> str:
    """How a caption describes a MIDI velocity."""
    if velocity <= 24:
        return "very soft"
    if velocity <= 56:
        return "soft"
    if velocity <= 96:
        return "moderately loud"
    return "loud"


def program_caption(program: int, pitch: Optional[int], velocity: int) -> str:
    """'a soft acoustic grand piano note, C4'; the family is added when the name lacks it. Without a
    ``pitch``, the caption without its note ('a soft violin note, strings')."""
    name, family = PROGRAMS[program].name, family_of(program)
    if not family.noun:  # sound effects: the pitch means little
        return f"a {dynamics_word(velocity)} {name} sound effect"
    caption = f"a {dynamics_word(velocity)} {name} {family.noun}"
    if pitch is not None:
        caption += f", {note_name(pitch)}"
    if family.phrase not in name:
        caption += f", {family.phrase}"
    return caption


def drum_caption(key: int, velocity: int, kit: str) -> str:
    """'a loud snare drum hit'; kits other than the standard one are named."""
    caption = f"a {dynamics_word(velocity)} {DRUM_KEYS[key]} hit"
    return caption if kit == "standard" else f"{caption}, {kit} kit"
