"""What a WAV tells a sampler or a DAW about the take it holds, besides the audio.

Two RIFF chunks that samplers and DAWs read from a WAV:

- ``smpl`` (the RIFF sampler chunk): the MIDI note the sample plays at unshifted (its *unity note*), how many cents
  above it the take sounds, and its sustain loop. A sampler that imports the file (sfizz, Kontakt, Logic's Sampler,
  Ableton's Sampler, libsndfile's ``SFC_GET_INSTRUMENT``) maps it to its key and loops it without being told.
- ``acid`` (ACID loop information): whether the file is a one-shot or a loop, its root (a pitch class), and for a
  loop its tempo, beats and metre, from which a DAW that reads it stretches the loop to the project's tempo
  (libsndfile's ``SFC_GET_LOOP_INFO``).

:func:`latentaudio.prompts.prompt_sample_info` reads them from the prompt a take was made for (the note, key, tempo
and bars it states or is given); :func:`add_to_wav` appends them to a WAV file. The loop's last sample is
inclusive in the ``smpl`` chunk, as sfizz and SFZ's ``loop_end`` count it.

Example:
    >>> from latentaudio.prompts import prompt_sample_info
    >>> prompt_sample_info("a 2-bar 120 bpm funk drum loop", 64_000, 16_000)
    SampleInfo(root_key=None, cents=0, loop=None, tempo_bpm=120.0, beats=8, beats_per_bar=4, one_shot=False)
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

# ACID flags (the chunk's first field)
ACID_ONE_SHOT, ACID_ROOT_SET, ACID_STRETCH = 0x01, 0x02, 0x04
ACID_ROOT_C = 0x30  # the chunk states a root as a pitch class: 0x30 C, 0x31 C#, ..., 0x3B B


@dataclass(frozen=True)
class SampleInfo:
    """What :func:`add_to_wav` states about a take.

    Attributes:
        root_key: The MIDI note the take sounds at (60 = C4), the ``smpl`` chunk's unity note; `None`: unpitched.
        cents: How far above ``root_key`` it sounds, 0 to 99 cents (the chunk's pitch fraction).
        loop: Its sustain loop, the first and last sample played (inclusive); `None`: none.
        tempo_bpm: A loop's tempo, with ``beats``: the file is ``beats`` beats at it. `None`: no tempo.
        beats: How many beats the file holds at ``tempo_bpm``.
        beats_per_bar: The metre's beats per bar (over a quarter note).
        one_shot: A one-shot (a DAW plays it as it is) rather than a loop (a DAW stretches it to the project's tempo).
    """

    root_key: Optional[int] = None
    cents: int = 0
    loop: Optional[tuple[int, int]] = None
    tempo_bpm: Optional[float] = None
    beats: Optional[int] = None
    beats_per_bar: int = 4
    one_shot: bool = True

    @classmethod
    def at_pitch(cls, pitch: Optional[float], **fields) -> "SampleInfo":
        """The info of a take heard at the fractional MIDI ``pitch`` (60.3: 30 cents above C4; `None`: unpitched):
        its unity note the semitone at or below it and the cents above that."""
        if pitch is None:
            return cls(**fields)
        cents = round(pitch * 100)
        return cls(root_key=cents // 100, cents=cents % 100, **fields)

    def chunks(self, sample_rate: int) -> bytes:
        """The ``smpl`` chunk (when there is a root key or a loop) and the ``acid`` chunk, as RIFF chunks."""
        out = b""
        if self.root_key is not None or self.loop is not None:
            loops = [] if self.loop is None else [self.loop]
            # the chunk always states a unity note: middle C for an unpitched loop, as samplers assume without one
            body = struct.pack("<9I", 0, 0, round(1e9 / sample_rate), self.root_key if self.root_key is not None else 60,
                               round(self.cents / 100 * 2**32) if self.root_key is not None else 0, 0, 0, len(loops), 0)
            for cue, (start, end) in enumerate(loops):
                body += struct.pack("<6I", cue, 0, start, end, 0, 0)  # type 0: forward; play count 0: for ever
            out += _chunk(b"smpl", body)
        flags = ((ACID_ONE_SHOT if self.one_shot else 0) | (ACID_STRETCH if self.tempo_bpm is not None else 0)
                 | (ACID_ROOT_SET if self.root_key is not None else 0))
        root = ACID_ROOT_C + (self.root_key % 12 if self.root_key is not None else 0)
        tempo = self.tempo_bpm if self.tempo_bpm is not None else 0.0
        out += _chunk(b"acid", struct.pack("<IHHfIHHf", flags, root, 0x8000, 0.0, self.beats or 0, 4,
                                           self.beats_per_bar, tempo))
        return out


def _chunk(name: bytes, body: bytes) -> bytes:
    return name + struct.pack("<I", len(body)) + body + b"\0" * (len(body) % 2)


def add_to_wav(path, info: SampleInfo, sample_rate: int) -> None:
    """Append ``info``'s chunks to the RIFF WAV file at ``path`` and update its RIFF size.

    Raises:
        ValueError: The file is not a RIFF WAV, or is too large for a RIFF size.
    """
    with Path(path).open("r+b") as file:
        header = file.read(12)
        if header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            raise ValueError(f"{path} is not a RIFF WAV file: its sample information cannot be written.")
        file.seek(0, 2)
        size = file.tell()
        if size % 2:
            file.write(b"\0")  # chunks start on even offsets
            size += 1
        chunks = info.chunks(sample_rate)
        if size + len(chunks) - 8 >= 2**32:
            raise ValueError(f"{path} is too large for a RIFF WAV to hold its sample information.")
        file.write(chunks)
        file.seek(4)
        file.write(struct.pack("<I", size + len(chunks) - 8))
