"""Continuing a drum loop: does ``extend`` keep the groove's tempo, and does ``extend --loop`` leave a step at the wrap?

Takes ``--limit`` drum loops of the test split (``--split``) of a ``latentaudio data drumloops`` dataset (evenly spread
among those at least ``--context`` seconds long; the split holds out whole tempos). For each, the first
``--context`` seconds of the real loop are the input, and ``LatentAudioContinuationPipeline`` adds
``--seconds`` more with the row's last caption (a varied wording) as the prompt, once as a plain
continuation and once with ``loop=True``. Reported, as shares of the loops:

* **tempo kept**: ``estimate_tempo`` (librosa's beat tracker) of the added part within 4 % of its estimate
  of the input part (the issue's measure), and within 4 % of it, its double or its half; the input
  part's own estimate against the row's bpm shows how far the tracker can be trusted at this length. Where
  the tracker reads the given part at double or half its tempo, the first measure fails a continuation at
  the right tempo, so the added part's estimate is also scored against the loop's own bpm (the row's, which
  the prompt states).
* **the wrap**: the output played in a loop, its last sample followed by its first. An audible step is a
  spectral jump no musical onset explains, so the jump across the wrap (the positive log-mel flux of the
  looped output at the wrap frame) is compared with the largest flux inside the output, its loudest
  drum hit: ``wrap / max`` below 1 means the wrap is no bigger a change than a hit inside the loop. The
  sample step ``|x[-1] - x[0]|`` against the 99th percentile of ``|x[n] - x[n-1]|`` shows a click.
  Both for the plain continuation too, whose end goes its own way: the loop option's effect, side by side.
  For material without hits (a pad, rain), the **seam**: the mean absolute log-mel change across the wrap over the
  median change from one frame to the next inside (about 1 for a wrap like any other moment of the take).

    python benchmarks/music_edits.py --model runs/music --data data/drumloops-0[,data/drumloops-1] \\
        [--limit 12] [--context 5.12] [--seconds 5.12] [--steps 20] [--threads 2] [--split validation] \\
        [--no-prompt [--no-match-tempo] [--no-match-sound]] [--judges J] [--best-of K] [--modes plain,loop]

``--no-prompt`` extends as a user does who gives no prompt; the pipeline then states what the clip sounds like to the
model's scorer (``match_sound``: "a trap drum loop"), unless ``--no-match-sound``, and the clip's own tempo, as the
beat tracker hears it (``match_tempo``), unless ``--no-match-tempo``. ``--judges`` (the folder of
``latentaudio evaluate --music``'s judges) also reports how the new part is heard: as a drum loop (the category
judge), and in the loop's style. ``--best-of K`` keeps the best of K takes as the model's scorer ranks them by the new
part (``num_waveforms_per_prompt``), as ``extend --best-of K`` writes it; ``--modes`` runs only the plain
continuation or only ``loop=True``. ``--inpaint START`` regenerates ``--seconds``
of the given part from ``START`` (``LatentAudioInpaintPipeline``, the rest kept) instead of adding them, and scores
that part's tempo the same way (``--context`` must hold it; the wrap columns are then the given loop's own).
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import add_split_argument, generation_parser, load_pipeline  # noqa: E402

WRAP_FRAMES = 2  # flux frames on each side of the wrap that count as the wrap (the STFT window spans it)


def loop_wrap(audio, mel_fn, hop: int) -> tuple[float, float, float]:
    """``(flux at the wrap / largest flux inside, sample step at the wrap / 99th percentile of sample steps,
    largest mel change at the wrap / median mel change inside)`` of ``audio`` played twice in a row."""
    import numpy as np
    import torch

    looped = torch.as_tensor(np.concatenate([audio, audio]), dtype=torch.float32)
    mel = mel_fn(looped[None])[0].numpy()  # (mels, frames)
    flux = np.maximum(mel[:, 1:] - mel[:, :-1], 0).mean(0)  # flux[t]: frame t -> t + 1
    wrap = len(audio) // hop
    inside = flux[4 : wrap - 4]  # the first pass, away from its edges and from the wrap
    around = flux[max(wrap - 1 - WRAP_FRAMES, 0) : wrap + WRAP_FRAMES]
    steps = np.abs(np.diff(audio))
    change = np.abs(mel[:, 1:] - mel[:, :-1]).mean(0)  # both ways: a seam may drop as well as rise
    seam = change[max(wrap - 1 - WRAP_FRAMES, 0) : wrap + WRAP_FRAMES].max() / np.median(change[4 : wrap - 4])
    return (float(around.max() / inside.max()), float(abs(audio[-1] - audio[0]) / np.percentile(steps, 99)),
            float(seam))


def score_loop(take, tempo: float, mel_fn, hop: int, sample_rate: int) -> tuple[tuple, str]:
    """A take scored as a loop of ``tempo`` bpm: ``(within 4% of it, ... or its double or half, *loop_wrap)``, and
    the figures as a line for the log."""
    from latentaudio.evaluation.music import estimate_tempo, tempo_matches

    bpm = estimate_tempo(take, sample_rate)
    wrap = loop_wrap(take, mel_fn, hop)
    line = f"tempo {bpm or 0:6.1f}  wrap/max flux {wrap[0]:.2f}  sample step {wrap[1]:.2f}  seam {wrap[2]:.1f}"
    return (tempo_matches(bpm, tempo), tempo_matches(bpm, tempo, octave=True), *wrap), line


def loop_edit_setup(args, pipeline_class):
    """``(pipe, edit, clips)`` for a drum-loop benchmark's parsed ``args``: ``args.model`` loaded (:func:`load_pipeline`),
    ``pipeline_class`` over it with its progress bar off, and the ``args.split`` clips of the datasets ``args.data``."""
    from latentaudio.evaluation.music import load_music_clips

    pipe = load_pipeline(args)
    edit = pipeline_class.from_pipe(pipe)
    edit.set_progress_bar_config(disable=True)
    return pipe, edit, load_music_clips(args.data.split(","), args.split, pipe.sample_rate)


def chosen_rows(clips, category: str, limit: int, shortest: int = 0) -> list[int]:
    """Indices of ``limit`` rows of ``clips`` (``load_music_clips``) in ``category``, at least ``shortest`` samples
    long, evenly spread; none found is the run's end, with a message."""
    from latentaudio.evaluation.evaluate import evenly_spaced

    rows = [i for i, audio in enumerate(clips.audio) if clips.categories[i] == category and audio.shape[-1] >= shortest]
    if not rows:
        raise SystemExit(f"No {category} rows of at least {shortest} samples among the clips.")
    return [rows[i] for i in evenly_spaced(len(rows), limit)]


def print_loop_table(results: dict, first: str, tempo: str, stated: str | None = None) -> None:
    """A Markdown table of ``{row name: [(tempo within 4%, ... or its double or half, [stated tempo hit,]
    wrap / max flux, sample step / p99, seam)]}``: the shares of the tempo hits (the third column, headed
    ``stated``, only when given), the medians of the wrap scores, and the share of wraps below the loudest hit."""
    import numpy as np

    heads = [first, tempo, "... or its double or half", *([stated] if stated else []), "wrap/max flux (median)",
             "wraps below the loudest hit", "sample step / p99 (median)", "seam (median)"]
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for mode, values in results.items():
        *hits, flux, step, seam = (np.array(column, dtype=float) for column in zip(*values))
        cells = [mode, *(f"{100 * hit.mean():.0f}%" for hit in hits), f"{np.median(flux):.2f}",
                 f"{100 * (flux < 1).mean():.0f}%", f"{np.median(step):.2f}", f"{np.median(seam):.1f}"]
        print("| " + " | ".join(cells) + " |")


def takes_now_and_before(pipe, args, prompts: list[str], now: str) -> dict[str, list]:
    """Takes (float32 arrays) of ``prompts`` from the same noise seed, as the pipeline reads them (``now``: its prompt
    template, the length it chooses) and as it read a loop or a phrase that states no tempo before it stated one for it
    ("no tempo, 10.24 s (before)": the longest clip's length stated, the template set aside so that it adds none)."""
    import numpy as np
    import torch

    longest = pipe.config.get("longest_trained_length_in_s") or pipe.default_audio_length_in_s
    template = pipe.config.get("prompt_template")

    def take(prompt: str, seconds=None):
        audio = pipe(prompt, audio_length_in_s=seconds, num_inference_steps=args.steps, guidance_scale=args.guidance,
                     generator=torch.Generator().manual_seed(args.seed)).audios[0]
        return np.asarray(audio, np.float32)

    try:
        now_takes = [take(prompt) for prompt in prompts]
        pipe.register_to_config(prompt_template=None)
        before = [take(f"{prompt}, {longest:.2f} s", longest) for prompt in prompts]
    finally:
        pipe.register_to_config(prompt_template=template)
    return {now: now_takes, f"no tempo, {longest:g} s (before)": before}


def judged(judge: str, takes: list, sample_rate: int) -> list[str]:
    """The labels the classifier folder ``judge`` gives ``takes`` (of any lengths)."""
    import torch

    from latentaudio.evaluation.classifier import load_classifier
    from latentaudio.evaluation.music import classify_any_lengths

    classifier, _ = load_classifier(judge)
    return classify_any_lengths(classifier, [torch.from_numpy(take) for take in takes], sample_rate)[1]


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=12, seconds=5.12)
    parser.add_argument("--data", required=True, help="`latentaudio data drumloops` datasets, comma-separated")
    parser.add_argument("--context", type=float, default=5.12, help="seconds of the real loop given (default 5.12)")
    parser.add_argument("--no-prompt", action="store_true",
                        help="extend without a prompt, as `latentaudio extend` without --prompt (at the clip's tempo)")
    parser.add_argument("--no-match-tempo", dest="match_tempo", action="store_false",
                        help="leave a prompt that states no tempo as it is (match_tempo=False), not at the clip's tempo")
    parser.add_argument("--no-match-sound", dest="match_sound", action="store_false",
                        help="leave an empty prompt empty (match_sound=False), not what the clip sounds like to the scorer")
    parser.add_argument("--judges", default=None, help="music judges: also score the new part's category and style")
    parser.add_argument("--best-of", type=int, default=1, help="keep the best of K takes, as the scorer ranks them")
    parser.add_argument("--modes", default="plain,loop", help="continuations to run: plain, loop or both (default)")
    parser.add_argument("--inpaint", type=float, default=None, metavar="START",
                        help="regenerate --seconds of the given part from START s instead of adding them")
    add_split_argument(parser, "test")
    args = parser.parse_args()
    if not set(args.modes.split(",")) <= {"plain", "loop"}:
        parser.error(f"--modes {args.modes}: expected plain, loop or plain,loop")
    if args.inpaint is not None and not 0 <= args.inpaint < args.inpaint + args.seconds <= args.context:
        parser.error(f"--inpaint {args.inpaint:g} with --seconds {args.seconds:g} must lie inside --context {args.context:g}")

    import numpy as np
    import torch

    from latentaudio import LatentAudioContinuationPipeline, LatentAudioInpaintPipeline
    from latentaudio.evaluation.music import estimate_tempo, tempo_matches
    from latentaudio.metrics import log_mel_fn

    pipe, extend, clips = loop_edit_setup(args, LatentAudioContinuationPipeline)
    inpaint = LatentAudioInpaintPipeline.from_pipe(pipe)
    inpaint.set_progress_bar_config(disable=True)
    chosen = chosen_rows(clips, "drum loop", args.limit, round(args.context * pipe.sample_rate))
    mel_fn, hop = log_mel_fn(pipe.spectrogram), pipe.spectrogram.config.hop_length
    context = round(args.context * pipe.sample_rate)
    results = {mode: [] for mode in args.modes.split(",")} if args.inpaint is None else {"inpaint": []}
    new_part = (slice(context, None) if args.inpaint is None else
                slice(round(args.inpaint * pipe.sample_rate), round((args.inpaint + args.seconds) * pipe.sample_rate)))
    tracker, made = [], []  # (mode, the loop's style, the new part)
    what = "added" if args.inpaint is None else f"regenerated from {args.inpaint:g} s"
    print(f"{len(chosen)} {args.split} drum loops: {args.context:g} s given, {args.seconds:g} s {what}, {args.steps} steps")
    for k, i in enumerate(chosen):
        row, given = clips.rows[i], clips.audio[i][:context].numpy()
        given_bpm = estimate_tempo(given, pipe.sample_rate)
        tracker.append(tempo_matches(given_bpm, row["tempo"]))
        for mode in results:
            sampling = dict(prompt=None if args.no_prompt else clips.texts[i], match_tempo=args.match_tempo,
                            match_sound=args.match_sound, num_waveforms_per_prompt=args.best_of,
                            num_inference_steps=args.steps, guidance_scale=args.guidance,
                            generator=torch.Generator().manual_seed(args.seed + k))
            if args.inpaint is None:
                output = extend(torch.from_numpy(given), args.seconds, loop=mode == "loop", **sampling).audios[0]
            else:
                output = inpaint(torch.from_numpy(given), args.inpaint, args.inpaint + args.seconds, **sampling).audios[0]
            output = np.asarray(output, dtype=np.float32)
            added_bpm = estimate_tempo(output[new_part], pipe.sample_rate)
            made.append((mode, row["style"], output[new_part]))
            results[mode].append((
                given_bpm is not None and tempo_matches(added_bpm, given_bpm),
                given_bpm is not None and tempo_matches(added_bpm, given_bpm, octave=True),
                tempo_matches(added_bpm, row["tempo"]),
                *loop_wrap(output, mel_fn, hop)))
            print(f"  {row['tempo']:>3} bpm {row['style']:<14} {mode:<5} given {given_bpm or 0:6.1f} added {added_bpm or 0:6.1f}"
                  f"  wrap/max flux {results[mode][-1][3]:.2f}  sample step {results[mode][-1][4]:.2f}", flush=True)
    print(f"\nthe tracker on the given part: within 4% of the row's bpm for {100 * np.mean(tracker):.0f}% of the loops")
    print_loop_table(results, "", "added part's tempo within 4% of the given part's", "... of the loop's own bpm")
    if args.judges:
        categories = judged(f"{args.judges}/category", [part for _, _, part in made], pipe.sample_rate)
        styles = judged(f"{args.judges}/style", [part for _, _, part in made], pipe.sample_rate)
        for mode in results:
            rows = [k for k, (m, _, _) in enumerate(made) if m == mode]
            loop = np.mean([categories[k] == "drum loop" for k in rows])
            style = np.mean([styles[k] == made[k][1] for k in rows])
            print(f"{mode}: the {what} part heard as a drum loop {100 * loop:.0f}%, in the loop's style {100 * style:.0f}%")


if __name__ == "__main__":
    main()
