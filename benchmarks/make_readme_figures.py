"""Before/after spectrograms of every editing feature, for the documentation.

Renders a few real notes from FluidR3_GM (a piano note, an organ chord, a kick drum), runs each
editing pipeline of a model folder on them and writes one labelled PNG per feature (with the
WAVs beside it), so the documentation's images always come from the model they describe:

    python benchmarks/make_readme_figures.py --model DIR --out docs/figures [--steps 20] [--seed 0]

Features and files: prompts.png (text to audio), transform.png, vary.png, tweak.png, inpaint.png,
extend.png, upsample.png, widen.png, interpolate.png, long.png. extend.png is made with ``--extend-model``
(default: the music model, which ``latentaudio extend`` runs without ``--model``); ``--only extend`` renders
just it. ``--only prompts`` renders just
the first. ``--only music`` renders music.png instead: two prompts of each category the music model
trains on (drum loop, melodic, sound effect, one-shot), a row each, at lengths a producer would ask for:

    python benchmarks/make_readme_figures.py --model music --out docs/figures --only music
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

SAMPLE_RATE = 16000

# (prompt, seconds): a row of two per category; the loops are two bars at their tempo
MUSIC_PROMPTS = [
    ("a 120 bpm rock drum loop, standard kit", 4.0), ("a 90 bpm hip hop drum loop, 2 bars", 5.33),
    ("a sad cello melody in D minor, 70 bpm", 6.0), ("a bright ukulele chord progression in G major", 6.0),
    ("a descending 8-bit laser sound effect", 1.0), ("a big explosion, sound effect", 2.56),
    ("a loud snare drum hit", 1.0), ("a soft acoustic grand piano note, C4", 2.56),
]


def render_sources(sample_rate: int) -> dict[str, torch.Tensor]:
    """A held piano note, an organ chord and a kick drum, 1.5 s each."""
    from latentaudio.data.synth import DEFAULT_SOUNDFONT, DRUM_BANK, DRUM_CHANNEL, FluidSynthRenderer

    length, hold = int(1.5 * sample_rate), sample_rate
    sources = {}
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, sample_rate) as synth:
        synth.select(0, 0, 0)
        sources["piano"] = synth.one_shot(0, 60, 100, length, hold)
        synth.select(0, 0, 19)
        for pitch in (48, 55, 64):
            synth.note_on(0, pitch, 90)
        sources["organ"] = synth.render(length)
        synth.silence()
        synth.select(DRUM_CHANNEL, DRUM_BANK, 0)
        sources["kick"] = synth.one_shot(DRUM_CHANNEL, 36, 110, length, hold // 4)
    return {name: torch.from_numpy(0.8 * audio / np.abs(audio).max()) for name, audio in sources.items()}


class Figures:
    """Writes a PNG of labelled spectrograms (and the WAVs) per feature."""

    def __init__(self, pipe, out: Path):
        self.pipe, self.out = pipe, out
        out.mkdir(parents=True, exist_ok=True)

    def save(self, name: str, sounds: list, titles: list[str], columns: int | None = None) -> None:
        from latentaudio.audio_io import write_audio
        from latentaudio.plotting import plot_spectrograms

        mels = []
        for i, (sound, title) in enumerate(zip(sounds, titles)):
            sound = torch.as_tensor(sound).float()
            write_audio(self.out / f"{name}_{i}.wav", sound, self.pipe.sample_rate)
            mels.append(self.pipe.spectrogram(sound))
        print(f"Wrote {plot_spectrograms(self.out / f'{name}.png', mels, self.pipe.spectrogram, titles, columns)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="pipeline folder, or an embedded model's name (default, default-teacher, music)")
    parser.add_argument("--out", default="docs/figures", help="folder for the PNGs and WAVs")
    parser.add_argument("--steps", type=int, default=20, help="sampler steps")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", choices=["prompts", "music", "extend"], default=None,
                        help="render only the text-to-audio figure, only the music model's categories, or only extend.png")
    parser.add_argument("--extend-model", default="music",
                        help="the model of extend.png (default: music, the model `latentaudio extend` runs without --model)")
    args = parser.parse_args()

    import latentaudio as la
    from latentaudio.audio_io import resample
    from latentaudio.loading import load_pipeline
    from latentaudio.model_folder import model_location

    base = load_pipeline(model_location(args.model))
    base.set_progress_bar_config(disable=True)
    figures = Figures(base, Path(args.out))
    if args.only == "music":
        audio = [base(prompt, audio_length_in_s=seconds, num_inference_steps=args.steps,
                      generator=torch.Generator().manual_seed(args.seed)).audios[0] for prompt, seconds in MUSIC_PROMPTS]
        figures.save("music", audio, [f"'{prompt}'" for prompt, _ in MUSIC_PROMPTS], columns=2)
        return
    sources = render_sources(base.sample_rate)
    piano, organ, kick = sources["piano"], sources["organ"], sources["kick"]
    steps = dict(num_inference_steps=args.steps)

    def seed(offset: int = 0) -> torch.Generator:
        return torch.Generator().manual_seed(args.seed + offset)

    if args.only in (None, "extend"):  # with the model `extend` runs by default, its own sampling steps
        continuation = la.LatentAudioContinuationPipeline.from_pretrained(model_location(args.extend_model))
        continuation.set_progress_bar_config(disable=True)
        longer = continuation(organ, 1.5, generator=seed()).audios[0]
        loop = continuation(organ, 1.5, loop=True, generator=seed()).audios[0]
        figures.save("extend", [organ, longer, np.concatenate([loop, loop])],
                     ["input: organ chord (1.5 s)", f"extended by 1.5 s ({args.extend_model} model)",
                      "extended with --loop, played twice"])
        if args.only == "extend":
            return
    prompts = ["a loud kick drum hit", "a loud snare drum hit", "a loud acoustic grand piano note, C4",
               "a moderately loud violin note, G4, strings"]
    audio = base(prompts, num_inference_steps=args.steps, generator=torch.Generator().manual_seed(args.seed)).audios
    figures.save("prompts", list(audio), [f"'{p}'" for p in prompts])
    if args.only == "prompts":
        return
    def pipe(cls):
        edited = cls.from_pipe(base)
        edited.set_progress_bar_config(disable=True)
        return edited

    a2a = pipe(la.LatentAudioAudioToAudioPipeline)
    snare = a2a(kick, "a snare drum hit", strength=0.6, generator=seed(), **steps).audios[0]
    figures.save("transform", [kick, snare], ["input: kick drum", "transform → 'a snare drum hit', strength 0.6"])

    takes = a2a(kick, strength=0.3, num_waveforms_per_prompt=3, generator=seed(), **steps).audios
    figures.save("vary", [kick, *takes], ["input: kick drum", *(f"variation {i + 1}, strength 0.3" for i in range(3))])

    brighter = a2a(organ, "a bright organ chord", strength=0.25, generator=seed(), **steps).audios[0]
    figures.save("tweak", [organ, brighter], ["input: organ chord", "tweak: 'a bright organ chord', strength 0.25"])

    inpainted = pipe(la.LatentAudioInpaintPipeline)(piano, 0.5, 0.9, generator=seed(), **steps).audios[0]
    figures.save("inpaint", [piano, inpainted], ["input: piano note", "inpainted 0.5-0.9 s"])

    low = resample(resample(piano, base.sample_rate, 6000), 6000, base.sample_rate)[: len(piano)]
    restored = pipe(la.LatentAudioSuperResolutionPipeline)(low, cutoff_hz=0.99 * 3000, generator=seed(), **steps).audios[0]
    figures.save("upsample", [piano, low, restored], ["original piano note", "stored at 6 kHz", "upsampled"])

    stereo = pipe(la.LatentAudioStereoWideningPipeline)(organ, width=0.8, generator=seed(), **steps).audios[0]
    figures.save("widen", [organ, stereo[0], stereo[1]], ["input: mono organ", "widened, left (width 0.8)", "right"])

    path = pipe(la.LatentAudioInterpolationPipeline)("a kick drum hit", "a snare drum hit", num_interpolation_steps=5,
                                                     generator=seed(), **steps).audios
    figures.save("interpolate", list(path), [f"kick → snare, {k}/4" for k in range(5)])

    seconds = min(4 * base.default_audio_length_in_s, base.config.max_audio_length_in_s)
    long = base("a soft piano melody", audio_length_in_s=seconds, generator=seed(), **steps).audios[0]
    figures.save("long", [long], [f"{seconds:g} s from a {base.default_audio_length_in_s:g} s model: overlapping windows"])


if __name__ == "__main__":
    main()
