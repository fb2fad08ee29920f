"""Where in the sampler classifier-free guidance matters: the standard evaluation with guidance on part of the steps.

    python benchmarks/guidance_interval.py --model default-teacher --data data/gm_semi512 \
        --classifier runs/classifier_crops3000 [--steps 8] [--guidance 3] [--limit 128] [--intervals 0:1,0:0.5,0.5:1] \
        [--threads 2]

Each interval ``START:STOP`` guides the steps ``i`` with ``START * N <= i < STOP * N`` of an ``N``-step call (the
convention of diffusers' guiders' ``start``/``stop``) and runs the others on the conditional half alone, one U-Net
row instead of two. Kynkäänniemi et al. (2024) found image models sample better with no guidance at high noise;
this script measures what a latentaudio model does. It prints, per interval, the Fréchet distance, family and pitch
adherence and seconds per clip of ``latentaudio evaluate``'s standard section (same prompts, seed and judge for every
row), and the most frequent family misses. A model that embeds its guidance scale (a guidance-distilled student)
has no unconditional half to leave out and is refused.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import generation_parser, load_pipeline  # noqa: E402


def parse_intervals(text: str) -> list[tuple[float, float]]:
    intervals = []
    for part in text.split(","):
        start, _, stop = part.partition(":")
        try:
            interval = (float(start), float(stop))
        except ValueError:
            raise SystemExit(f"--intervals takes START:STOP pairs such as 0:1,0.5:1, got {part!r}.") from None
        if not 0 <= interval[0] <= interval[1] <= 1:
            raise SystemExit(f"--intervals needs 0 <= START <= STOP <= 1, got {part!r}.")
        intervals.append(interval)
    return intervals


def is_guided(index: int, count: int, start: float, stop: float) -> bool:
    """Whether step ``index`` of ``count`` lies in the interval ``[start * count, stop * count)``."""
    return start * count <= index < stop * count


def guide_within(pipe, start: float, stop: float):
    """``pipe``, changed in place to guide only steps ``i`` with ``start * N <= i < stop * N`` of each ``N``-step
    denoising; the other steps predict from the conditional half alone. Returns ``pipe``."""
    from latentaudio.conditioning import conditional_rows

    if pipe.embeds_guidance:
        raise ValueError("This pipeline embeds its guidance scale: it has no unconditional half to leave out.")
    denoise, predict_window = pipe.denoise, pipe._predict_window
    step = {"index": 0, "count": 1}

    def counted_denoise(latents, timesteps, conditions, guidance_scale, *args, callback_on_step_end=None, **kwargs):
        step.update(index=0, count=len(timesteps))

        def advance(p, i, t, tensors):
            step["index"] = i + 1
            return callback_on_step_end(p, i, t, tensors) if callback_on_step_end is not None else {}

        return denoise(latents, timesteps, conditions, guidance_scale, *args, callback_on_step_end=advance, **kwargs)

    def window(latents, t, conditions, guidance_scale, *where):  # where: the window's start and frame length
        if guidance_scale > 1.0 and conditions is not None and not is_guided(step["index"], step["count"], start, stop):
            # encode_prompt puts the unconditional half first: keep the conditional rows
            conditions = conditional_rows(conditions)
            guidance_scale = 1.0
        return predict_window(latents, t, conditions, guidance_scale, *where)

    pipe.denoise, pipe._predict_window = counted_denoise, window
    return pipe


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=128, seconds=2.56)
    parser.set_defaults(model="default-teacher")
    parser.add_argument("--data", required=True, help="a dataset built by `latentaudio data soundfont`")
    parser.add_argument("--classifier", required=True, help="a saved family classifier (`latentaudio evaluate` writes one)")
    parser.add_argument("--intervals", type=parse_intervals, default=parse_intervals("0:1,0:0.5,0.5:1"))
    args = parser.parse_args()

    from latentaudio.evaluation.classifier import load_classifier
    from latentaudio.evaluation.evaluate import common_confusions, evaluate

    classifier, _ = load_classifier(args.classifier)
    for number, (start, stop) in enumerate(args.intervals):
        pipe = guide_within(load_pipeline(args), start, stop)  # a fresh pipeline: guide_within changes it in place
        if number == 0:
            print(f"{args.model} on {args.data}: {args.limit} test prompts, {args.steps} steps, guidance {args.guidance:g}, "
                  f"seed {args.seed}")
            print("| guided steps | Fréchet distance ↓ | family ↑ | pitch ↑ | s per clip | most frequent misses |")
            print("|---|---|---|---|---|---|")
        report = evaluate(pipe, args.data, classifier, steps=[args.steps], limit=args.limit, seconds=args.seconds,
                          guidance_scale=args.guidance, seed=args.seed, baseline=False)
        (entry,) = report["generation"]
        misses = "; ".join(f"{asked} → {heard} {n}" for asked, heard, n in common_confusions(entry["family_heard_as"], 3))
        guided = [i for i in range(args.steps) if is_guided(i, args.steps, start, stop)]
        which = f"{guided[0]}–{guided[-1]}" if guided else "none"
        print(f"| {start:g}–{stop:g} (steps {which} of 0–{args.steps - 1}) | {entry['frechet_distance']:.2f} | "
              f"{entry['family_accuracy']:.0%} | {entry['pitch_accuracy']:.0%} | {entry['seconds_per_clip']:.2f} | {misses} |",
              flush=True)


if __name__ == "__main__":
    main()
