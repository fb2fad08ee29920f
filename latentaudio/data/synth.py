"""Offline FluidSynth rendering through pyfluidsynth: no audio driver, samples pulled with ``get_samples``.

Reverb and chorus are off so one-shots are dry and every render depends only on its own
events. The synth gain is fixed (:data:`SYNTH_GAIN`); FluidR3_GM peaks below 0.5 for one
note at full velocity at this gain, so nothing clips in the 16-bit output, and the builders
normalise levels afterwards.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from ..audio_io import PathLike

DEFAULT_SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"  # Debian fluid-soundfont-gm (MIT)
SYNTH_GAIN = 0.5
BLOCK = 64  # FluidSynth's block: events take effect on block boundaries
DRUM_CHANNEL = 9  # MIDI channel 10
DRUM_BANK = 128


class NoteEvent(NamedTuple):
    """A note-on or note-off at a time in seconds."""

    seconds: float
    is_on: bool
    channel: int
    pitch: int
    velocity: int


def sort_events(events: Sequence[NoteEvent]) -> list[NoteEvent]:
    """Time order; at equal times releases come first, so a repeated note is re-struck."""
    return sorted(events, key=lambda e: (e.seconds, e.is_on, e.channel, e.pitch))


def import_fluidsynth():
    """pyfluidsynth, or an ImportError that says what to install."""
    try:
        import fluidsynth
    except (ImportError, OSError) as error:  # pyfluidsynth raises ImportError when libfluidsynth is absent
        raise ImportError(
            "Rendering needs FluidSynth: `apt-get install libfluidsynth3 fluid-soundfont-gm` and `pip install pyfluidsynth`."
        ) from error
    return fluidsynth


class FluidSynthRenderer:
    """One synthesiser with one SoundFont loaded, rendering mono float32 audio.

    Args:
        soundfont: Path to an ``.sf2`` file.
        sample_rate: Output rate in Hz.

    Raises:
        FileNotFoundError: The SoundFont does not exist.
        ValueError: FluidSynth cannot load it.
    """

    def __init__(self, soundfont: PathLike, sample_rate: int = 16000):
        soundfont = Path(soundfont)
        if not soundfont.is_file():
            raise FileNotFoundError(
                f"SoundFont not found: {soundfont} (the default comes with Debian's fluid-soundfont-gm package)."
            )
        fluidsynth = import_fluidsynth()
        self.sample_rate = sample_rate
        self.position = 0  # samples rendered so far
        settings = {"synth.reverb.active": 0, "synth.chorus.active": 0}
        self.synth = fluidsynth.Synth(gain=SYNTH_GAIN, samplerate=float(sample_rate), **settings)
        self.soundfont_id = self.synth.sfload(str(soundfont))
        if self.soundfont_id < 0:
            self.synth.delete()
            raise ValueError(f"FluidSynth cannot load the SoundFont {soundfont}.")

    def preset_name(self, bank: int, program: int):
        """The SoundFont's name for a preset, or ``None`` when it lacks that preset."""
        return self.synth.sfpreset_name(self.soundfont_id, bank, program)

    def select(self, channel: int, bank: int, program: int) -> bool:
        """Put a preset on a channel; ``False`` when the SoundFont lacks it."""
        if self.preset_name(bank, program) is None:
            return False
        return self.synth.program_select(channel, self.soundfont_id, bank, program) == 0

    def note_on(self, channel: int, pitch: int, velocity: int) -> None:
        self.synth.noteon(channel, pitch, velocity)

    def note_off(self, channel: int, pitch: int) -> None:
        self.synth.noteoff(channel, pitch)

    def render(self, num_samples: int) -> np.ndarray:
        """The next ``num_samples`` of output, mono float32 in [-1, 1]."""
        if num_samples <= 0:
            return np.zeros(0, np.float32)
        self.position += num_samples
        stereo = self.synth.get_samples(num_samples).reshape(-1, 2)  # interleaved int16
        return stereo.astype(np.float32).mean(axis=1) / 32768.0

    def silence(self) -> None:
        """Stop every voice at once and flush, so the next render starts from quiet."""
        for channel in range(16):
            self.synth.all_sounds_off(channel)
        self.render(256)

    def one_shot(self, channel: int, pitch: int, velocity: int, num_samples: int, hold_samples: int) -> np.ndarray:
        """A note held for ``hold_samples`` then released, ``num_samples`` long in all."""
        self.note_on(channel, pitch, velocity)
        held = self.render(min(hold_samples, num_samples))
        self.note_off(channel, pitch)
        audio = np.concatenate([held, self.render(num_samples - len(held))])
        self.silence()
        return audio

    def play(self, events: Sequence[NoteEvent], tail_samples: int) -> np.ndarray:
        """Render time-ordered events on the presets already selected, then ``tail_samples`` more; mono float32.

        Events before 0 s play at 0 s. The synth is silenced afterwards. The render starts on a block
        boundary, so the same events give the same audio whatever was rendered before.
        """
        self.render(-self.position % BLOCK)
        chunks, position = [], 0
        for event in events:
            target = max(0, round(event.seconds * self.sample_rate))
            chunks.append(self.render(target - position))
            position = max(position, target)
            if event.is_on:
                self.note_on(event.channel, event.pitch, event.velocity)
            else:
                self.note_off(event.channel, event.pitch)
        chunks.append(self.render(tail_samples))
        self.silence()
        return np.concatenate(chunks)

    def close(self) -> None:
        self.synth.delete()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def fade_out(audio: np.ndarray, samples: int) -> np.ndarray:
    """Linear fade over the last ``samples``, so a clip cut mid-release does not click."""
    samples = min(samples, len(audio))
    if samples > 0:
        audio = audio.copy()
        audio[-samples:] *= np.linspace(1.0, 0.0, samples, dtype=np.float32)
    return audio
