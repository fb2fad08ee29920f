"""Tiny components built on the spot: tokenizers for encoder families whose real tokenizers live on a hub,
a vocoder louder than full scale, and libsndfile's reading of a WAV's sample information."""

import json
import struct
from pathlib import Path

WORDS = ["a", "loud", "soft", "snare", "kick", "drum", "hit", "piano", "note", "bass", "guitar", "c4", "violin"]


def clip_tokenizer(folder: Path):
    """A real ``CLIPTokenizer`` over a handful of whole-word BPE tokens."""
    from transformers import CLIPTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    specials = ["<|startoftext|>", "<|endoftext|>"]
    letters = sorted({c for w in WORDS for c in w})
    vocab = specials + [c for c in letters] + [c + "</w>" for c in letters] + [w + "</w>" for w in WORDS]
    merges, seen = ["#version: 0.2"], set(vocab)
    for word in WORDS:  # merge left to right until the whole word is one token
        pieces = list(word[:-1]) + [word[-1] + "</w>"]
        while len(pieces) > 1:
            merged = pieces[0] + pieces[1]
            merges.append(f"{pieces[0]} {pieces[1]}")
            if merged not in seen:
                vocab.append(merged)
                seen.add(merged)
            pieces = [merged] + pieces[2:]
    (folder / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(vocab)}))
    (folder / "merges.txt").write_text("\n".join(dict.fromkeys(merges)) + "\n")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"), model_max_length=77)


def t5_tokenizer():
    """A real ``T5TokenizerFast`` over a small unigram vocabulary."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import T5TokenizerFast

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)] + [("▁" + w, -1.0) for w in WORDS]
    pieces += [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz0123456789"]
    tokenizer = Tokenizer(models.Unigram(pieces, unk_id=2))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.decoder = decoders.Metaspace()
    return T5TokenizerFast(tokenizer_object=tokenizer, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                           extra_ids=0, model_max_length=77)


def loud_vocos(mel_config, log_gain: float):
    """A tiny seeded Vocos (no tanh at its output) whose magnitudes are ``e ** log_gain`` times too large:
    it vocodes any mel far past full scale."""
    import torch
    from vocoder import VocosGenerator

    torch.manual_seed(0)
    vocos = VocosGenerator.from_mel_config(mel_config, dim=8, intermediate_dim=16, num_layers=1)
    with torch.no_grad():
        vocos.head.bias[: vocos.config.n_fft // 2 + 1] += log_gain  # the log magnitude half of the head
    return vocos


# libsndfile's loop modes (SF_LOOP_*)
SF_LOOP_NONE, SF_LOOP_FORWARD = 800, 801


def libsndfile_reads(path) -> dict:
    """What libsndfile reads of a file's sample information (``SFC_GET_INSTRUMENT`` for the ``smpl`` chunk,
    ``SFC_GET_LOOP_INFO`` for ``acid``), through soundfile's own binding of it; absent keys: it found none."""
    import soundfile as sf

    ffi, lib = sf._ffi, sf._snd
    found = {}
    with sf.SoundFile(str(path)) as file:
        instrument = ffi.new("char[]", 272)  # sizeof(SF_INSTRUMENT)
        if lib.sf_command(file._file, 0x10D0, instrument, 272):
            data = bytes(ffi.buffer(instrument, 272))
            _, basenote, detune = struct.unpack_from("<ibb", data, 0)
            count = struct.unpack_from("<i", data, 12)[0]
            found.update(basenote=basenote, detune=detune,
                         loops=[struct.unpack_from("<iII", data, 16 + 16 * i) for i in range(count)])
        loop_info = ffi.new("char[]", 44)  # sizeof(SF_LOOP_INFO)
        if lib.sf_command(file._file, 0x10E0, loop_info, 44):
            numerator, denominator, mode, beats, bpm, root = struct.unpack_from("<hhiifi", bytes(ffi.buffer(loop_info, 44)))
            found.update(metre=(numerator, denominator), loop_mode=mode, beats=beats, bpm=bpm, root=root)
    return found


def midi_file(path, notes, tempos=((0.0, 120.0),), division: int = 480, controls=(), programs=(), bends=()):
    """A standard MIDI file (format 0) written byte by byte: ``notes`` as ``(start beat, end beat, pitch, velocity,
    channel 1-16)``, ``tempos`` as ``(beat, bpm)``, ``controls`` as ``(beat, controller, value, channel)``,
    ``programs`` as ``(beat, program, channel)``, ``bends`` as ``(beat, 14-bit value, channel)`` (8192: none); at one
    beat, tempos, programs, controllers (in the order given) and bends come first, then note-offs, then note-ons. The
    independent writer the MIDI reader is tested against."""

    def number(value: int) -> bytes:  # a variable-length quantity
        out = [value & 0x7F]
        while value > 0x7F:
            value >>= 7
            out.insert(0, (value & 0x7F) | 0x80)
        return bytes(out)

    events = [(round(beat * division), 0, b"\xff\x51\x03" + round(60e6 / bpm).to_bytes(3, "big")) for beat, bpm in tempos]
    for beat, program, channel in programs:
        events.append((round(beat * division), 0, bytes([0xC0 | (channel - 1), program])))
    for beat, controller, value, channel in controls:
        events.append((round(beat * division), 0, bytes([0xB0 | (channel - 1), controller, value])))
    for beat, value, channel in bends:
        events.append((round(beat * division), 0, bytes([0xE0 | (channel - 1), value & 0x7F, value >> 7])))
    for start, end, pitch, velocity, channel in notes:
        events.append((round(start * division), 2, bytes([0x90 | (channel - 1), pitch, velocity])))
        events.append((round(end * division), 1, bytes([0x80 | (channel - 1), pitch, 0])))
    track, tick = b"", 0
    for at, _, data in sorted(events, key=lambda event: event[:2]):  # at a tick: as listed, note-offs before note-ons
        track += number(at - tick) + data
        tick = at
    track += b"\x00\xff\x2f\x00"
    Path(path).write_bytes(b"MThd" + struct.pack(">IHHH", 6, 0, 1, division) + b"MTrk" + struct.pack(">I", len(track)) + track)
    return Path(path)
