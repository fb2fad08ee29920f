"""How people name General MIDI sounds: nicknames per program, words per family, drum names and types;
and the sound-effect classes of ``latentaudio data sfx``.

One table serves both directions: :mod:`latentaudio.data.captions` draws training captions from
it, and :func:`latentaudio.prompts.parse_prompt` reads prompts with it. Every entry is lower
case; the GM names of :mod:`latentaudio.data.gm` are always valid too and need no entry here.
A nickname names one program ("rhodes" -> electric piano); a word that names a whole family
("keys", "horns", "pad") belongs in :data:`FAMILY_WORDS`, with the program a prompt using it
alone most likely means.
"""

from __future__ import annotations

# The ``category`` column of the music builders' rows (``latentaudio data drumloops``, ``melodic``, ``sfx``); the
# SoundFont builder's one-shots have none.
DRUM_LOOP, MELODIC, SOUND_EFFECT = "drum loop", "melodic", "sound effect"
MUSIC_CATEGORIES = (DRUM_LOOP, MELODIC, SOUND_EFFECT)
ONE_SHOT = "one-shot"  # what the evaluation and a music model's scorer call a row without a category (a one-shot)

# fmt: off
PROGRAM_NICKNAMES: dict[int, tuple[str, ...]] = {
    0: ("piano", "grand piano", "acoustic piano", "grand", "concert grand", "steinway"),
    1: ("bright piano", "bright grand piano"), 2: ("electric grand", "cp-70", "cp70"),
    3: ("honky tonk piano", "honkytonk piano", "saloon piano", "tack piano", "honky-tonk"),
    4: ("rhodes", "e-piano", "epiano", "electric piano 1", "rhodes piano", "fender rhodes"),
    5: ("dx7 piano", "fm piano", "dx piano", "electric piano 2", "dx7 electric piano"),
    6: ("harpsi", "cembalo"), 7: ("clav", "clavi", "hohner clavinet"),
    8: ("celeste",), 9: ("glock", "bells"), 10: ("musicbox",), 11: ("vibes", "vibraphone mallets"),
    12: ("marimba mallets",), 13: ("xylo",), 14: ("chimes", "tubular bell", "orchestral chimes"),
    15: ("hammered dulcimer", "santur"),
    16: ("hammond", "hammond organ", "hammond b3", "tonewheel organ", "jazz organ"),
    17: ("percussive organ", "perc organ", "click organ"), 18: ("rock organ", "overdriven organ"),
    19: ("pipe organ", "cathedral organ", "church organ pipes"), 20: ("harmonium", "pump organ"),
    21: ("squeezebox", "musette accordion"), 22: ("blues harp", "mouth organ", "mouth harp"),
    23: ("bandoneon", "tango squeezebox"),
    24: ("classical guitar", "nylon guitar", "nylon-string guitar", "spanish guitar", "nylon"),
    25: ("acoustic guitar", "steel-string guitar", "steel guitar", "folk guitar", "acoustic"),
    26: ("jazz guitar", "hollow-body guitar", "archtop guitar"),
    27: ("clean guitar", "strat", "stratocaster", "electric guitar"),
    28: ("palm-muted guitar", "muted guitar", "palm mute guitar"),
    29: ("overdriven guitar", "crunchy guitar", "crunch guitar", "overdrive guitar"),
    30: ("distorted guitar", "distortion guitar", "metal guitar", "dist guitar", "fuzz guitar"),
    31: ("harmonics", "guitar harmonic"),
    32: ("upright bass", "double bass", "stand-up bass", "jazz bass", "acoustic upright"),
    33: ("electric bass", "finger bass", "fingerstyle bass", "bass guitar", "e-bass", "p-bass", "precision bass"),
    34: ("pick bass", "picked bass"), 35: ("fretless", "fretless electric bass"),
    36: ("slap", "slapped bass", "funk bass"), 37: ("pop bass", "popped bass"),
    38: ("synth bass 1", "analog bass", "moog bass", "sub bass", "bass synth"),
    39: ("synth bass two", "acid bass", "303 bass", "tb-303"),
    40: ("solo violin", "violino", "orchestral violin"), 41: ("solo viola",), 42: ("violoncello", "solo cello"),
    43: ("upright string bass", "orchestral bass", "bowed bass", "bass viol"),
    44: ("string tremolo", "tremolo string"), 45: ("pizzicato", "pizz", "plucked strings", "pizz strings"),
    46: ("harp", "concert harp", "pedal harp"), 47: ("kettle drum", "kettledrum", "timps"),
    48: ("strings", "string section", "orchestral strings", "string orchestra"),
    49: ("slow strings", "legato strings", "string pad"), 50: ("synth strings 1", "analog strings", "string synth"),
    51: ("synth strings two", "solina"), 52: ("choir", "aahs", "vocal aahs"), 53: ("oohs", "vocal oohs"),
    54: ("synth choir", "vox", "synth vox"), 55: ("orch hit", "orchestral hit", "stab"),
    56: ("trump", "cornet", "flugelhorn"), 57: ("bone", "slide trombone"), 58: ("sousaphone",),
    59: ("muted trumpet", "harmon mute trumpet", "mute trumpet"), 60: ("horn", "french horns", "f horn"),
    61: ("brass", "horns", "horn section", "brass ensemble"), 62: ("synth brass 1", "analog brass", "brass synth"),
    63: ("synth brass two",),
    64: ("soprano saxophone", "soprano"), 65: ("alto saxophone", "alto", "sax", "saxophone"),
    66: ("tenor saxophone", "tenor", "tenor sax"), 67: ("bari sax", "baritone saxophone", "bari"),
    68: ("hautbois",), 69: ("cor anglais",), 70: ("fagott",), 71: ("clarinette", "b-flat clarinet"),
    72: ("piccolo flute",), 73: ("concert flute", "transverse flute", "silver flute"),
    74: ("recorder flute", "soprano recorder"), 75: ("panpipes", "pan pipes", "panpipe", "pan-flute", "zampona"),
    76: ("bottle", "blown bottle", "jug"), 77: ("bamboo flute",), 78: ("whistling", "tin whistle"),
    79: ("ocarina flute",),
    80: ("square lead", "square wave", "square synth", "chiptune lead", "8-bit lead"),
    81: ("saw lead", "sawtooth lead", "supersaw", "saw synth", "sawtooth"),
    82: ("calliope lead", "calliope"), 83: ("chiff lead",), 84: ("charang", "charang lead"),
    85: ("voice lead", "vocal lead"), 86: ("fifths lead", "fifths"), 87: ("bass and lead", "bass+lead"),
    88: ("new age pad", "fantasia pad", "fantasia"), 89: ("warm pad", "soft pad"), 90: ("polysynth", "poly synth"),
    91: ("choir pad", "space voice"), 92: ("bowed pad", "bowed glass"), 93: ("metallic pad", "metal pad"),
    94: ("halo pad", "halo"), 95: ("sweep pad", "sweep"),
    96: ("rain", "ice rain"), 97: ("soundtrack",), 98: ("crystal",), 99: ("atmosphere",), 100: ("bright synth effect",),
    101: ("goblins", "goblin"), 102: ("echoes", "echo drops"), 103: ("sci-fi", "scifi", "star theme"),
    104: ("sitar drone",), 105: ("five-string banjo", "bluegrass banjo"), 106: ("samisen",), 107: ("japanese koto",),
    108: ("thumb piano", "mbira", "likembe"), 109: ("bagpipes", "highland pipes"), 110: ("fiddle", "folk fiddle", "country fiddle"),
    111: ("shehnai", "shenai"),
    112: ("tinkle bell", "tinkly bell", "small bell"), 113: ("agogo bell", "agogo bells"),
    114: ("steel pan", "steelpan", "steel drums", "pan drum"), 115: ("wood block", "temple block"),
    116: ("taiko", "japanese drum", "big drum"), 117: ("melodic toms", "tuned tom"),
    118: ("syn drum", "syndrum", "electronic drum", "synth tom"), 119: ("reverse crash", "reversed cymbal", "cymbal swell"),
    120: ("fret noise", "string squeak", "fret squeak"), 121: ("breath", "breathing"), 122: ("ocean", "waves", "sea waves", "surf"),
    123: ("birdsong", "bird", "birds", "bird chirp", "chirping birds"), 124: ("phone ring", "telephone", "phone"),
    125: ("chopper", "helicopter rotor"), 126: ("clapping", "crowd applause", "audience clapping"),
    127: ("gun shot", "gun", "pistol shot", "rifle shot"),
}

# Words naming a whole family, and the program a prompt that names only the family most likely means.
FAMILY_WORDS: dict[str, tuple[tuple[str, ...], int]] = {
    "Piano": (("keys", "keyboard", "piano sound"), 0),
    "Chromatic Percussion": (("mallets", "mallet", "tuned percussion", "chromatic percussion"), 11),
    "Organ": (("organ",), 16),
    "Guitar": (("guitar", "gtr"), 25),
    "Bass": (("bass", "bassline"), 33),
    "Strings": (("string", "bowed string"), 40),
    "Ensemble": (("ensemble", "orchestra"), 48),
    "Brass": (("brass instrument",), 61),
    "Reed": (("reed", "woodwind", "woodwinds", "reed instrument"), 65),
    "Pipe": (("pipe", "flute sound", "wind instrument"), 73),
    "Synth Lead": (("lead", "synth lead", "lead synth", "synth"), 81),
    "Synth Pad": (("pad", "synth pad", "pad synth", "ambient pad"), 89),
    "Synth Effects": (("synth fx", "synth effect", "fx synth"), 99),
    "Ethnic": (("world instrument", "ethnic instrument", "folk instrument"), 104),
    "Percussive": (("percussion", "perc"), 116),
    "Sound Effects": (("sound effect", "sfx", "foley", "fx"), 122),
}

# Instruments General MIDI lacks, by the program nearest them. Only the prompt reader uses these ("a ukulele" is read as
# the nylon-string guitar, "a vocal" as voice oohs); no caption calls a program by them, so a seed's captions stay put.
NEAREST_PROGRAMS: dict[int, tuple[str, ...]] = {
    4: ("wurli", "wurlitzer"), 9: ("bell",), 24: ("ukulele", "uke"), 25: ("mandolin",),
    53: ("vocal", "vocals", "voice"),
}

# Bank-128 percussion keys by the names people use; the GM names of gm.DRUM_KEYS are always valid too.
DRUM_NICKNAMES: dict[int, tuple[str, ...]] = {
    35: ("acoustic kick", "acoustic bass drum", "low kick"),
    36: ("kick", "bass drum", "kick drum", "bd", "kik"),
    37: ("rimshot", "rim shot", "rim", "sidestick", "cross stick", "cross-stick", "rim click"),
    38: ("snare", "sd", "acoustic snare", "snare hit"), 39: ("clap", "handclap", "claps", "hand claps"),
    40: ("electric snare", "electronic snare", "e-snare"),
    41: ("floor tom", "low floor tom"), 42: ("hat", "hihat", "hi hat", "closed hat", "closed hihat", "chh", "hh"),
    43: ("high floor tom",), 44: ("pedal hat", "foot hat", "hat pedal", "foot hi-hat"),
    45: ("low tom", "tom", "tom-tom", "rack tom"), 46: ("open hat", "open hihat", "open hi hat", "ohh"),
    47: ("mid tom", "middle tom"), 48: ("high-mid tom",), 50: ("high tom", "hi tom"),
    49: ("crash", "crash cymbal", "cymbal crash"), 51: ("ride", "ride cymbal"), 52: ("china", "chinese cymbal"),
    53: ("bell of the ride", "ride bell"), 54: ("tambo", "tamb"), 55: ("splash",),
    56: ("cow bell",), 58: ("vibra-slap",), 60: ("bongo", "bongos", "hi bongo"), 61: ("low bongo",),
    62: ("muted conga", "slap conga"), 63: ("conga", "congas", "tumba"), 64: ("low conga",),
    65: ("timbale", "timbales"), 66: ("low timbale",), 67: ("high agogo",), 68: ("low agogo",),
    69: ("cabasa", "afuche"), 70: ("shaker", "maraca", "shakers"), 73: ("guiro", "guiro scrape"),
    75: ("clave", "claves"), 76: ("high wood block",), 77: ("low wood block",), 78: ("cuica",),
    80: ("triangle", "muted triangle"), 81: ("open triangle",),
}

# Drum types that an evaluation can tell apart by ear: percussion keys grouped by the sound they make.
DRUM_TYPES: dict[int, str] = {
    35: "kick", 36: "kick", 37: "side stick", 38: "snare", 40: "snare", 39: "clap",
    42: "hi-hat", 44: "hi-hat", 46: "open hi-hat", 41: "tom", 43: "tom", 45: "tom", 47: "tom", 48: "tom", 50: "tom",
    49: "crash", 57: "crash", 52: "crash", 55: "crash", 51: "ride", 59: "ride", 53: "ride",
    54: "tambourine", 56: "cowbell", 58: "vibraslap", 60: "bongo", 61: "bongo", 62: "conga", 63: "conga", 64: "conga",
    65: "timbale", 66: "timbale", 67: "agogo", 68: "agogo", 69: "shaker", 70: "shaker", 71: "whistle", 72: "whistle",
    73: "guiro", 74: "guiro", 75: "wood", 76: "wood", 77: "wood", 78: "cuica", 79: "cuica", 80: "triangle", 81: "triangle",
}

# Names of the bank-128 kits as people write them.
KIT_NICKNAMES: dict[str, tuple[str, ...]] = {
    "TR-808": ("808", "tr-808", "tr808", "roland 808"), "electronic": ("electronic kit", "electro kit", "909", "tr-909"),
    "brush": ("brushes", "brush kit", "brushed"), "jazz": ("jazz kit",), "power": ("power kit", "rock kit"),
    "room": ("room kit",), "orchestra": ("orchestral kit", "concert percussion"), "standard": ("acoustic kit", "standard kit"),
}

# Drum styles of :data:`latentaudio.data.drum_patterns.STYLES` as people write them (captions use the style's own name).
STYLE_NICKNAMES: dict[str, tuple[str, ...]] = {
    "hip hop": ("hip-hop", "hiphop", "boom bap", "boom-bap", "lofi", "lo-fi", "lo fi"),
    "drum and bass": ("drum & bass", "drum n bass", "dnb", "d&b", "jungle"),
    "bossa nova": ("bossa",), "jazz swing": ("swing", "jazz", "bebop", "big band"),
    "rock": ("metal", "heavy metal", "punk", "hard rock", "grunge"), "techno": ("trance",),
    "house": ("four on the floor", "four-on-the-floor", "edm"), "shuffle": ("blues",),
}

# Tempo words of :data:`latentaudio.data.melodic_material.PACES` as people write them (captions use the word itself).
PACE_NICKNAMES: dict[str, tuple[str, ...]] = {
    "slow": ("slowly", "very slow", "downtempo", "lazy", "languid", "adagio", "largo", "lento"),
    "relaxed": ("chill", "chilled", "easy-going", "unhurried", "andante"),
    "moderate": ("mid-tempo", "midtempo", "medium tempo", "moderato"),
    "upbeat": ("lively", "bouncy", "brisk", "energetic", "driving", "allegro"),
    "fast": ("quick", "rapid", "uptempo", "up-tempo", "frantic", "presto", "vivace"),
}

# The kinds of material of :data:`latentaudio.data.melodic_material.KINDS` as people write them (captions use the kind).
KIND_NICKNAMES: dict[str, tuple[str, ...]] = {
    "melody": ("melodies", "tune", "tunes", "riff", "riffs", "lead line", "motif", "hook", "lick", "licks", "solo",
               "phrase", "piece"),
    "arpeggio": ("arpeggios", "arpeggiated", "arp", "arps", "broken chords"),
    "chord progression": ("chord progressions", "progression", "progressions", "chords", "chord changes", "comping"),
    "bass line": ("bass lines", "bassline", "basslines", "bass riff", "bass groove"),
    "pad": ("pads", "drone", "drones"),
    "scale": ("scales", "scale run"),
}

# Descriptive words a prompt may carry, by family (and for all), used to vary training captions.
DESCRIPTORS: dict[str, tuple[str, ...]] = {
    "*": ("clean", "dry", "short", "clear", "single", "isolated", "one-shot", "sampled", "crisp", "natural"),
    "Piano": ("warm", "mellow", "felt", "concert", "intimate"),
    "Chromatic Percussion": ("shimmering", "metallic", "sparkly", "ringing", "mallet-struck"),
    "Organ": ("churchy", "buzzy", "full", "reedy", "vintage"),
    "Guitar": ("plucked", "strummed", "twangy", "jangly"),
    "Bass": ("deep", "round", "punchy", "fat", "low"),
    "Strings": ("bowed", "lush", "rich", "expressive"),
    "Ensemble": ("lush", "cinematic", "orchestral", "wide"),
    "Brass": ("bold", "brassy", "blaring", "bright"),
    "Reed": ("breathy", "reedy", "smoky", "woody"),
    "Pipe": ("airy", "breathy", "pure", "hollow"),
    "Synth Lead": ("buzzy", "retro", "analog", "cutting"),
    "Synth Pad": ("ambient", "evolving", "lush", "dreamy"),
    "Synth Effects": ("spacey", "weird", "atmospheric", "glassy"),
    "Ethnic": ("exotic", "traditional", "folk", "twangy"),
    "Percussive": ("wooden", "resonant", "sharp"),
    "Sound Effects": ("realistic", "field-recorded", "foley"),
    "Drums": ("punchy", "tight", "snappy", "crisp", "fat", "boomy", "dry"),
}

# What captions call each sound-effect class of :mod:`latentaudio.data.sfx_synth` (the first name is its label).
EFFECT_NAMES: dict[str, tuple[str, ...]] = {
    "laser": ("laser", "laser zap", "laser shot", "blaster"),
    "coin": ("coin", "coin pickup", "coin collect"),
    "jump": ("jump", "hop", "platform jump"),
    "power-up": ("power-up", "powerup", "level-up"),
    "explosion": ("explosion", "blast", "boom"),
    "hit": ("hit", "punch", "impact"),
    "whoosh": ("whoosh", "swoosh", "swish"),
    "click": ("click", "UI click", "tick"),
    "beep": ("beep", "bleep", "electronic beep"),
    "alarm": ("alarm", "alarm buzzer", "warning alarm"),
    "siren": ("siren", "police siren", "emergency siren"),
    "rain": ("rain", "rainfall", "rain shower"),
    "wind": ("wind", "wind blowing", "breeze"),
    "engine": ("engine", "car engine", "motor"),
}
# Sound-effect classes by the other names people give them. Only the prompt reader uses these (a prompt naming one asks
# for its class); the captions of ``latentaudio data sfx`` draw from EFFECT_NAMES alone, so a seed's captions stay put.
EFFECT_NICKNAMES: dict[str, tuple[str, ...]] = {
    "laser": ("zap", "pew", "pew pew", "ray gun", "phaser"), "coin": ("pickup", "pick-up", "collectible", "ka-ching"),
    "jump": ("boing",), "power-up": ("level up", "levelup", "1-up", "one-up"),
    "explosion": ("bomb", "kaboom", "detonation", "thunder", "thunderclap"),
    "hit": ("thud", "slam", "smack", "whack", "bonk", "knock"),
    "whoosh": ("riser", "uplifter", "woosh", "swipe", "whizz"), "click": ("ui sound", "button press", "keystroke"),
    "beep": ("blip", "notification", "alert tone"), "alarm": ("buzzer", "klaxon", "alert"),
    "siren": ("ambulance", "police car", "fire truck", "fire engine"),
    "rain": ("rainstorm", "thunderstorm", "storm", "downpour", "drizzle", "raindrops"),
    "wind": ("gust", "gusts", "gale", "windy", "blizzard"),
    "engine": ("motorbike", "motorcycle", "revving", "vroom", "race car"),
}
# The lengths, in seconds, that ``latentaudio data sfx`` renders each class at (drawn uniformly between the two; a beep
# lasts as long as its one to three beeps and gaps make it). Its captions state the length, so a music model learns
# each class at these lengths only: "a laser zap, 10.24 s" is a sound it has never heard.
EFFECT_SECONDS: dict[str, tuple[float, float]] = {
    "laser": (0.15, 0.6), "coin": (0.3, 0.7), "jump": (0.15, 0.4), "power-up": (0.5, 1.5), "explosion": (1.0, 3.0),
    "hit": (0.15, 0.4), "whoosh": (0.4, 1.5), "click": (0.05, 0.2), "beep": (0.23, 1.45), "alarm": (1.5, 4.0),
    "siren": (2.0, 6.0), "rain": (3.0, 10.0), "wind": (3.0, 10.0), "engine": (2.0, 8.0),
}
# fmt: on

# Counts as captions write them ("a two-bar loop") and prompts may ("four bars of funk").
NUMBER_WORDS: dict[int, str] = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight",
                                12: "twelve", 16: "sixteen"}
