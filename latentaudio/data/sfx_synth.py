"""A procedural sound-effect synthesiser in numpy: 14 classes, each drawn from a few parameters.

Each class (:data:`SFX_CLASSES`) has a sampler that draws its parameters from a
``numpy.random.Generator`` (pitches, sweeps, rates, lengths) and a renderer that turns them into
mono audio with oscillators (sine, square, saw, triangle over an integrated frequency curve),
filtered noise and envelopes. Caption words come from the same parameters: a laser that starts
above 2 kHz is "high-pitched", rain with many drops per second is "heavy", an engine whose rpm
rises is "revving". Nothing here reads files or calls other synthesisers.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from scipy import signal

from .vocabulary import EFFECT_NAMES, EFFECT_SECONDS

Params = dict


def oscillator(frequency: np.ndarray, sample_rate: int, wave: str = "sine") -> np.ndarray:
    """A waveform following a per-sample frequency curve (Hz), phase-continuous."""
    phase = np.cumsum(2 * np.pi * np.asarray(frequency, np.float64) / sample_rate)
    if wave == "sine":
        return np.sin(phase)
    cycle = (phase / (2 * np.pi)) % 1.0
    if wave == "square":
        return np.where(cycle < 0.5, 1.0, -1.0)
    if wave == "saw":
        return 2 * cycle - 1
    if wave == "triangle":
        return 4 * np.abs(cycle - 0.5) - 1
    raise ValueError(f"Unknown wave {wave!r}; expected sine, square, saw or triangle.")


def sweep(start: float, end: float, n: int) -> np.ndarray:
    """An exponential glide from ``start`` to ``end`` Hz over ``n`` samples."""
    return start * (end / start) ** np.linspace(0.0, 1.0, n)


def decay(n: int, sample_rate: int, seconds: float) -> np.ndarray:
    """exp(-t / seconds)."""
    return np.exp(-np.arange(n) / (sample_rate * seconds))


def attack_release(n: int, sample_rate: int, attack: float = 0.005, release: float = 0.02) -> np.ndarray:
    """1 with linear ramps at both ends (no clicks)."""
    envelope = np.ones(n)
    a, r = min(n // 2, int(attack * sample_rate)), min(n // 2, int(release * sample_rate))
    if a:
        envelope[:a] = np.linspace(0, 1, a)
    if r:
        envelope[n - r :] = np.linspace(1, 0, r)
    return envelope


def filtered_noise(rng: np.random.Generator, n: int, sample_rate: int, kind: str, cutoff, order: int = 2) -> np.ndarray:
    """White noise through a Butterworth ``kind`` filter ("lowpass", "highpass", "bandpass")."""
    nyquist = sample_rate / 2
    edges = np.clip(np.atleast_1d(cutoff) / nyquist, 1e-4, 0.999)
    sos = signal.butter(order, edges if kind == "bandpass" else edges[0], btype=kind, output="sos")
    return signal.sosfilt(sos, rng.standard_normal(n))


def moving_bandpass(rng: np.random.Generator, centre: np.ndarray, sample_rate: int, q: float = 2.0, block: int = 256) -> np.ndarray:
    """Noise through a band-pass whose centre (Hz, per sample) moves; coefficients change every ``block`` samples."""
    n = len(centre)
    noise, out = rng.standard_normal(n), np.zeros(n)
    state = np.zeros((1, 2))
    for start in range(0, n, block):
        f = float(np.clip(centre[start], 40.0, 0.45 * sample_rate))
        b, a = signal.iirpeak(f, q, fs=sample_rate)
        sos = np.concatenate([b, a])[None]
        out[start : start + block], state = signal.sosfilt(sos, noise[start : start + block], zi=state)
    return out


class SfxClass(NamedTuple):
    names: tuple[str, ...]  # what captions call it; the first is its label
    sample: Callable[[np.random.Generator], Params]  # draws the parameters (always with "seconds")
    render: Callable[[Params, np.random.Generator, int], np.ndarray]
    words: Callable[[Params], list[str]]  # caption words of the parameters


def _laser(p, rng, sr):
    n = _n(p, sr)
    return oscillator(sweep(p["start_hz"], p["end_hz"], n), sr, p["wave"]) * decay(n, sr, p["seconds"] / 2)


def _coin(p, rng, sr):
    n, first = _n(p, sr), int(p["first_seconds"] * sr)
    frequency = np.where(np.arange(n) < first, p["pitch_hz"], p["pitch_hz"] * p["interval"])
    envelope = np.concatenate([np.ones(first), decay(n - first, sr, (p["seconds"] - p["first_seconds"]) / 3)])
    return oscillator(frequency, sr, "square") * envelope


def _jump(p, rng, sr):
    n = _n(p, sr)
    return oscillator(sweep(p["start_hz"], p["end_hz"], n), sr, p["wave"]) * decay(n, sr, p["seconds"] / 1.5)


def _power_up(p, rng, sr):
    n, steps = _n(p, sr), p["steps"]
    step = np.minimum(np.arange(n) * steps // n, steps - 1)
    frequency = p["base_hz"] * 2 ** (step * p["semitones"] / 12) * (1 + 0.01 * np.sin(2 * np.pi * 7 * np.arange(n) / sr))
    return oscillator(frequency, sr, "square") * np.linspace(0.7, 1.0, n)


def _explosion(p, rng, sr):
    n = _n(p, sr)
    rumble = 0.6 * np.sin(2 * np.pi * p["rumble_hz"] * np.arange(n) / sr)
    noise = filtered_noise(rng, n, sr, "lowpass", p["cutoff_hz"], order=4)
    return (noise / (np.abs(noise).max() + 1e-9) + rumble) * decay(n, sr, p["decay_seconds"]) * attack_release(n, sr, 0.002)


def _hit(p, rng, sr):
    n, burst = _n(p, sr), int(0.02 * sr)
    thump = np.sin(2 * np.pi * np.cumsum(sweep(p["thump_hz"] * 2, p["thump_hz"], n)) / sr) * decay(n, sr, p["decay_seconds"])
    crack = np.zeros(n)
    crack[:burst] = filtered_noise(rng, burst, sr, "highpass", 1500.0) * decay(burst, sr, 0.005)
    return thump + p["crack"] * crack / (np.abs(crack).max() + 1e-9)


def _whoosh(p, rng, sr):
    n = _n(p, sr)
    shape = np.sin(np.pi * np.linspace(0, 1, n)) ** 2
    centre = p["low_hz"] * (p["high_hz"] / p["low_hz"]) ** (shape if p["there_and_back"] else np.linspace(0, 1, n))
    return moving_bandpass(rng, centre, sr, q=1.5) * shape


def _click(p, rng, sr):
    n, width = _n(p, sr), max(2, int(p["width_ms"] * sr / 1000))
    audio = np.zeros(n)
    audio[:width] = np.sin(2 * np.pi * p["pitch_hz"] * np.arange(width) / sr) * np.hanning(width)
    return audio


def _beep(p, rng, sr):
    n, on, gap = _n(p, sr), int(p["beep_seconds"] * sr), int(p["gap_seconds"] * sr)
    gate = np.zeros(n)
    for k in range(p["count"]):
        start = k * (on + gap)
        gate[start : start + on] = attack_release(len(gate[start : start + on]), sr, 0.003, 0.005)
    return oscillator(np.full(n, p["pitch_hz"]), sr, "sine") * gate


def _alarm(p, rng, sr):
    n = _n(p, sr)
    high = (np.arange(n) * p["rate_hz"] / sr) % 1.0 < 0.5
    return oscillator(np.where(high, p["high_hz"], p["low_hz"]), sr, "square") * 0.7


def _siren(p, rng, sr):
    n = _n(p, sr)
    lfo = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / (p["period_seconds"] * sr))
    frequency = p["low_hz"] * (p["high_hz"] / p["low_hz"]) ** lfo
    return oscillator(frequency, sr, p["wave"]) * attack_release(n, sr, 0.05, 0.1)


def _rain(p, rng, sr):
    n = _n(p, sr)
    bed = 0.3 * filtered_noise(rng, n, sr, "bandpass", (400.0, 6000.0))
    drops = np.zeros(n)
    starts = rng.integers(0, n, int(p["drops_per_second"] * p["seconds"]))
    drops[starts] = rng.uniform(0.2, 1.0, len(starts)) * rng.choice((-1, 1), len(starts))
    drops = signal.lfilter([1.0], [1.0, -0.6], drops)  # each drop a tiny decaying tick
    drops = signal.sosfilt(signal.butter(2, 1500, "highpass", fs=sr, output="sos"), drops)
    return (bed / (np.abs(bed).max() + 1e-9) * p["bed"] + drops) * attack_release(n, sr, 0.2, 0.2)


def _wind(p, rng, sr):
    n = _n(p, sr)
    gusts = np.interp(np.arange(n), np.linspace(0, n, 8), rng.uniform(0.2, 1.0, 8))
    centre = p["centre_hz"] * (0.6 + 0.8 * gusts)
    return moving_bandpass(rng, centre, sr, q=p["q"]) * gusts * attack_release(n, sr, 0.3, 0.3)


def _engine(p, rng, sr):
    n = _n(p, sr)
    rpm = np.linspace(p["rpm"], p["end_rpm"], n)
    firing = rpm / 60 * p["cylinders"] / 2  # a four-stroke fires each cylinder every other turn
    pulses = oscillator(firing * (1 + 0.01 * rng.standard_normal(n).cumsum() / np.sqrt(n)), sr, "saw")
    body = signal.sosfilt(signal.butter(2, 800, "lowpass", fs=sr, output="sos"), pulses)
    return body + 0.1 * filtered_noise(rng, n, sr, "lowpass", 600.0)


def _n(p: Params, sample_rate: int) -> int:
    return round(p["seconds"] * sample_rate)


def _u(rng, low, high, digits=2) -> float:
    return round(float(rng.uniform(low, high)), digits)


def _with_length(p: Params) -> Params:
    """Beeps last as long as their count: each beep and its gap, then 0.1 s."""
    return dict(p, seconds=round(p["count"] * (p["beep_seconds"] + p["gap_seconds"]) + 0.1, 2))


# fmt: off
SFX_CLASSES = {
    "laser": SfxClass(EFFECT_NAMES["laser"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["laser"]), start_hz=_u(r, 800, 3200, 0), end_hz=_u(r, 100, 400, 0),
                       wave=str(r.choice(["square", "saw", "sine"]))), _laser,
        lambda p: ["descending"] + (["high-pitched"] if p["start_hz"] > 2000 else []) + (["8-bit"] if p["wave"] == "square" else ["sci-fi"])),
    "coin": SfxClass(EFFECT_NAMES["coin"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["coin"]), first_seconds=_u(r, 0.05, 0.1, 3), pitch_hz=_u(r, 800, 1400, 0),
                       interval=float(r.choice([4 / 3, 3 / 2]))), _coin, lambda p: ["bright", "two-note", "8-bit"]),
    "jump": SfxClass(EFFECT_NAMES["jump"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["jump"]), start_hz=_u(r, 150, 400, 0), end_hz=_u(r, 700, 1400, 0),
                       wave=str(r.choice(["square", "triangle"]))), _jump,
        lambda p: ["rising", "bouncy"] + (["8-bit"] if p["wave"] == "square" else ["retro"])),
    "power-up": SfxClass(EFFECT_NAMES["power-up"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["power-up"]), base_hz=_u(r, 200, 500, 0), steps=int(r.integers(6, 13)),
                       semitones=int(r.choice([2, 3, 4]))), _power_up, lambda p: ["rising", "triumphant", "arpeggiated"]),
    "explosion": SfxClass(EFFECT_NAMES["explosion"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["explosion"]), cutoff_hz=_u(r, 300, 1500, 0), rumble_hz=_u(r, 35, 60, 0),
                       decay_seconds=_u(r, 0.3, 0.9)), _explosion,
        lambda p: ["deep", "distant"] if p["cutoff_hz"] < 600 else ["big", "booming"]),
    "hit": SfxClass(EFFECT_NAMES["hit"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["hit"]), thump_hz=_u(r, 60, 150, 0), decay_seconds=_u(r, 0.04, 0.12, 3),
                       crack=_u(r, 0.2, 1.0)), _hit, lambda p: ["punchy", "short"] + (["cracking"] if p["crack"] > 0.6 else ["dull"])),
    "whoosh": SfxClass(EFFECT_NAMES["whoosh"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["whoosh"]), low_hz=_u(r, 200, 500, 0), high_hz=_u(r, 1500, 4000, 0),
                       there_and_back=bool(r.random() < 0.5)), _whoosh,
        lambda p: ["airy", "fast" if p["seconds"] < 0.8 else "slow"] + (["passing-by"] if p["there_and_back"] else ["rising"])),
    "click": SfxClass(EFFECT_NAMES["click"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["click"]), width_ms=_u(r, 1.0, 5.0), pitch_hz=_u(r, 1500, 5000, 0)), _click,
        lambda p: ["crisp", "tiny"] + (["sharp"] if p["width_ms"] < 2.5 else ["soft"])),
    "beep": SfxClass(EFFECT_NAMES["beep"],
        lambda r: _with_length(dict(count=int(r.integers(1, 4)), beep_seconds=_u(r, 0.08, 0.3, 3),
                                    gap_seconds=_u(r, 0.05, 0.15, 3), pitch_hz=_u(r, 500, 2000, 0))), _beep,
        lambda p: [{1: "single", 2: "double", 3: "triple"}[p["count"]], "high" if p["pitch_hz"] > 1200 else "low"]),
    "alarm": SfxClass(EFFECT_NAMES["alarm"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["alarm"]), low_hz=_u(r, 400, 700, 0), high_hz=_u(r, 800, 1200, 0), rate_hz=_u(r, 2, 8, 1)),
        _alarm, lambda p: ["urgent", "pulsing" if p["rate_hz"] > 5 else "two-tone", "electronic"]),
    "siren": SfxClass(EFFECT_NAMES["siren"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["siren"]), low_hz=_u(r, 450, 700, 0), high_hz=_u(r, 1100, 1600, 0),
                       period_seconds=float(r.choice([_u(r, 0.2, 0.4), _u(r, 1.0, 3.0)])),
                       wave=str(r.choice(["sine", "saw"]))), _siren,
        lambda p: ["yelping" if p["period_seconds"] < 0.5 else "wailing", "loud"]),
    "rain": SfxClass(EFFECT_NAMES["rain"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["rain"]), drops_per_second=_u(r, 20, 300, 0), bed=_u(r, 0.1, 0.6)), _rain,
        lambda p: ["heavy" if p["drops_per_second"] > 150 else "light", "steady"]),
    "wind": SfxClass(EFFECT_NAMES["wind"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["wind"]), centre_hz=_u(r, 250, 900, 0), q=_u(r, 0.7, 6.0)), _wind,
        lambda p: ["gusty"] + (["howling"] if p["q"] > 3 else ["soft"])),
    "engine": SfxClass(EFFECT_NAMES["engine"],
        lambda r: dict(seconds=_u(r, *EFFECT_SECONDS["engine"]), rpm=_u(r, 700, 2500, 0), end_rpm=_u(r, 700, 5000, 0),
                       cylinders=int(r.choice([4, 6, 8]))), _engine,
        lambda p: ["revving" if p["end_rpm"] > p["rpm"] * 1.3 else "idling", "rumbling"]),
}
# fmt: on


def render_sfx(name: str, params: Params, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """The effect's audio, exactly ``params["seconds"]`` long, float32 (not yet normalised)."""
    if name not in SFX_CLASSES:
        raise ValueError(f"Unknown sound-effect class {name!r}; expected one of {sorted(SFX_CLASSES)}.")
    audio = np.asarray(SFX_CLASSES[name].render(params, rng, sample_rate), np.float32)
    return audio[: round(params["seconds"] * sample_rate)]
