"""A sound effect asked for without a length: its take at the length the prompt now gets against the longest clip.

``latentaudio generate`` and the pipeline, given no length, make a sound effect as long as the middle of the lengths
``latentaudio data sfx`` renders its class at (:func:`latentaudio.prompts.effect_length_in_s`: a laser 0.38 s, a
siren 4 s, rain 6.5 s). The music model learnt every effect from captions that state its length, so its prompt template
states the take's length too; this compares that take with the same prompt at the model's longest clip (10.24 s, what
such a prompt got before) and at the top of its class's range. The prompts are four per class in a user's words,
none of them a caption of the builder and none stating a length ("a laser zap", "police siren", "rain on a window"):
the sound effects of the request set (:func:`latentaudio.evaluation.music.load_requests`).
Every take starts from the same noise seed. Reported per length:

* **effect class**: the share of takes the effect-class judge hears as the class the prompt names (``--judge``: the
  ``sfx_class`` judge of :func:`latentaudio.evaluation.music.train_music_judges`, or any classifier trained on the
  ``sfx_class`` column of ``latentaudio data sfx`` rows, e.g. ``train_classifier(["sfx"], J, seconds=4.0,
  label_column="sfx_class", max_steps=600)``);
* **sounding**: the median share of the take's 50 ms frames within 30 dB of its loudest (a laser that fills
  10.24 s with a steady texture sounds throughout; one that zaps and ends sounds for part of its take).

    python benchmarks/effect_lengths.py --model music --judge J [--steps 20] [--seed 0] [--threads 2]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402


def sounding_share(audio, sample_rate: int, frame_in_s: float = 0.05, within_db: float = 30.0) -> float:
    """The share of ``audio``'s frames whose RMS is within ``within_db`` of its loudest frame's."""
    import numpy as np

    frame = round(frame_in_s * sample_rate)
    frames = np.asarray(audio, dtype=np.float64)[: len(audio) // frame * frame].reshape(-1, frame)
    rms = np.sqrt(np.mean(frames**2, axis=1)) + 1e-9
    return float(np.mean(20 * np.log10(rms / rms.max()) > -within_db))


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=0, seconds=0.0, model="music")
    parser.add_argument("--judge", required=True, help="a classifier folder trained on the sfx_class column")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    import numpy as np
    import torch

    from latentaudio.data.vocabulary import EFFECT_SECONDS
    from latentaudio.evaluation.classifier import load_classifier
    from latentaudio.evaluation.music import classify_any_lengths, load_requests
    from latentaudio.prompts import effect_class, take_length_in_s

    judge, _ = load_classifier(args.judge)
    longest = pipe.config.get("longest_trained_length_in_s") or pipe.default_audio_length_in_s
    rows = [(row["sfx_class"], row["text"]) for row in load_requests("sound effect", nicknames=False)]
    rows = rows[: args.limit] if args.limit else rows
    classes = list(dict.fromkeys(effect for effect, _ in rows))
    assert all(effect_class(prompt) == effect for effect, prompt in rows), "a prompt names another class"
    lengths = {
        "asked (the prompt's own)": lambda prompt: take_length_in_s(prompt, longest),
        f"longest clip ({longest:g} s)": lambda prompt: longest,
        "top of its class's range": lambda prompt: min(EFFECT_SECONDS[effect_class(prompt)][1], longest),
    }
    print(f"{len(rows)} effect prompts, {args.model}, {args.steps or 'its own'} steps, seed {args.seed}")
    print("| length | effect class | sounding (median) | per class (of 4) |")
    print("|---|---|---|---|")
    for name, length_of in lengths.items():
        takes = [pipe(prompt, audio_length_in_s=length_of(prompt), num_inference_steps=args.steps,
                      guidance_scale=args.guidance, generator=torch.Generator().manual_seed(args.seed)).audios[0]
                 for _, prompt in rows]
        audio = [torch.from_numpy(np.asarray(take, dtype=np.float32)) for take in takes]
        _, heard = classify_any_lengths(judge, audio, pipe.sample_rate)
        hits = [label == effect for label, (effect, _) in zip(heard, rows)]
        per_class = " ".join(f"{effect} {sum(h for h, (e, _) in zip(hits, rows) if e == effect)}" for effect in classes)
        sounding = np.median([sounding_share(take, pipe.sample_rate) for take in takes])
        print(f"| {name} | {np.mean(hits):.0%} | {sounding:.2f} | {per_class} |", flush=True)


if __name__ == "__main__":
    main()
