"""Sound transfer (``latentaudio transform``): how far a take moves to the sound its prompt names, and what it keeps
of its source, as strength turns; the first take against the best of k.

Sources are the ``--split`` rows of a ``latentaudio data soundfont`` dataset (FluidR3_GM renders): every drum hit, and
``--limit`` pitched notes evenly spread. Each drum goes to another common drum (kick to snare, snare to clap, ...;
:data:`TARGET_DRUMS` in turn), each note to an instrument of another family at the same note; the prompt is the
dataset's caption of that target ("a moderately loud snare drum hit", "a moderately loud flute note, C5"). Every source
is transformed with ``LatentAudioAudioToAudioPipeline`` at each of ``--strengths``, ``--takes`` takes a prompt drawn
with the scorer detached; the pipeline's own ``take_order`` then says which of the first k it would put first
(``transform --best-of k``). Printed per strength and k, in percent:

- the target heard: the family (``--classifier``, a judge the scorer is not) of a note's take, the drum type
  (``DrumTypeJudge``, fitted on the dataset's training drums) of a drum's;
- the source still heard: the source's own family or drum type;
- the note kept (within a semitone) of the pitched takes;
- the envelope kept: the median correlation of the take's loudness over time (20 ms frames, in dB, 60 dB deep) with
  its source's.

``--no-prompt`` measures variations instead (``latentaudio vary``): no prompt, so nothing to rank and the source is
the only sound to hear; "the source still heard" is then how often a variation stays the same drum or family.

    python benchmarks/sound_transfer.py --data data/gm_dense2 --classifier C [--model default]
        [--strengths 0,0.3,0.5,0.6,0.7,0.9] [--takes 4] [--limit 48] [--split test] [--no-prompt]
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from common import add_split_argument, envelope_db, first_of, generation_parser, load_pipeline  # noqa: E402

TARGET_DRUMS = ("snare", "kick", "clap", "hi-hat", "tom", "crash", "cowbell", "tambourine")  # a drum goes to the next one
TARGET_VELOCITY = 80  # the target's dynamics in its caption ("moderately loud")


def transfer_pairs(rows: list[dict], split: str, limit: int) -> tuple[list[dict], list[dict]]:
    """``(sources, targets)``: the drum rows of ``split`` and ``limit`` of its pitched rows (evenly spread), each with
    the row whose caption it is transformed toward (another common drum; another family's instrument at the same
    note, the families taken in turn). Sources without such a target are left out."""
    from latentaudio.data import gm, vocabulary
    from latentaudio.evaluation.evaluate import PITCHED_FAMILIES

    def drum_type(row):
        return vocabulary.DRUM_TYPES.get(row["pitch"]) if row["family"] == gm.DRUMS_FAMILY else None

    loud = [row for row in rows if row["velocity"] == TARGET_VELOCITY]
    drum_rows = {drum: next(row for row in loud if drum_type(row) == drum) for drum in TARGET_DRUMS}
    families = sorted(PITCHED_FAMILIES)
    at_note = {}  # (family, pitch) -> a row of that family's first instrument to play the note
    for row in loud:
        if row["family"] in PITCHED_FAMILIES:
            at_note.setdefault((row["family"], row["pitch"]), row)
    held_out = [row for row in rows if row["split"] == split]
    drums = [row for row in held_out if row["family"] == gm.DRUMS_FAMILY]
    pitched = [row for row in held_out if row["family"] in PITCHED_FAMILIES]
    pitched = [pitched[i] for i in np.linspace(0, len(pitched) - 1, min(limit, len(pitched))).round().astype(int)]
    sources, targets = [], []
    for i, row in enumerate(drums):
        others = [drum for drum in TARGET_DRUMS if drum != drum_type(row)]
        sources.append(row)
        targets.append(drum_rows[others[i % len(others)]])
    for i, row in enumerate(pitched):
        others = [family for family in families if family != row["family"]]
        turn = others[i % len(others):] + others[: i % len(others)]
        target = next((at_note[(family, row["pitch"])] for family in turn if (family, row["pitch"]) in at_note), None)
        if target is not None:
            sources.append(row)
            targets.append(target)
    return sources, targets


def envelope(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Loudness of 20 ms frames of a clip (L,), in dB below its loudest, 60 dB deep (:func:`common.envelope_db`)."""
    return envelope_db(audio[None], sample_rate, 0.02, -60.0)[0]


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=48, seconds=2.56, model="default")
    parser.add_argument("--data", required=True, help="a latentaudio data soundfont dataset (sources and captions)")
    parser.add_argument("--classifier", required=True, help="the family judge (an AudioFamilyClassifier folder)")
    parser.add_argument("--strengths", default="0,0.3,0.5,0.6,0.7,0.9", help="comma-separated strengths in [0, 1]")
    parser.add_argument("--takes", type=int, default=4, help="takes drawn per source and strength (the largest k)")
    add_split_argument(parser, "test")
    parser.add_argument("--no-prompt", action="store_true", help="variations: no prompt (the first take only)")
    args = parser.parse_args()
    pipe = load_pipeline(args)

    import torch

    from latentaudio import LatentAudioAudioToAudioPipeline
    from latentaudio.data import AudioFolderDataset, vocabulary
    from latentaudio.evaluation import generalisation as G
    from latentaudio.evaluation.classifier import classify_clips, load_classifier
    from latentaudio.evaluation.evaluate import PITCHED_FAMILIES
    from latentaudio.metrics import estimate_pitch, within_semitone

    pipe = LatentAudioAudioToAudioPipeline.from_pipe(pipe)
    pipe.set_progress_bar_config(disable=True)
    if pipe.scorer is None:
        raise SystemExit(f"{args.model} has no scorer to rank takes with (latentaudio train scorer).")
    judge, _ = load_classifier(args.classifier)
    drum_judge, _ = G.drum_judge(args.data, "train", args.seconds, pipe.sample_rate)
    rows = [json.loads(line) for line in (Path(args.data) / "metadata.jsonl").read_text().splitlines() if line.strip()]
    sources, targets = transfer_pairs(rows, args.split, args.limit)
    dataset = AudioFolderDataset(args.data, seconds=args.seconds, sample_rate=pipe.sample_rate, split=args.split)
    index = {entry.file_name: i for i, entry in enumerate(dataset.entries)}
    clips = torch.stack([dataset[index[row["file_name"]]]["audio"] for row in sources])  # (N, L)
    prompts = [None if args.no_prompt else row["text"] for row in targets]
    is_drum = np.array([row["family"] not in PITCHED_FAMILIES for row in sources])
    source_labels = [vocabulary.DRUM_TYPES[row["pitch"]] if drum else row["family"] for row, drum in zip(sources, is_drum)]
    target_labels = [vocabulary.DRUM_TYPES[row["pitch"]] if drum else row["family"] for row, drum in zip(targets, is_drum)]
    source_envelopes = [envelope(clip.numpy(), pipe.sample_rate) for clip in clips]
    scorer, count, k_max = pipe.scorer, len(sources), args.takes
    ks = [1] if args.no_prompt else [k for k in (1, 2, 4, 8, 16) if k <= k_max]
    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, {args.seconds} s, seed {args.seed}, {k_max} takes "
          f"a source; {int(is_drum.sum())} drums and {int((~is_drum).sum())} notes of the {args.split} split"
          + ("; variations, no prompt (the target columns: the other sound no prompt names)" if args.no_prompt else ""))
    _, families = classify_clips(judge, clips[~is_drum], pipe.sample_rate, 32)
    drums_heard = drum_judge(clips[is_drum])
    print(f"The sources as they are, heard as their own family / drum: "
          f"{np.mean([f == s for f, s in zip(families, np.array(source_labels)[~is_drum])]):.0%} / "
          f"{np.mean([d == s for d, s in zip(drums_heard, np.array(source_labels)[is_drum])]):.0%}\n")
    print("| strength | takes | target heard: family / drum | source still heard: family / drum | note kept | "
          "envelope kept |")
    print("|---|---|---|---|---|---|")
    for strength in (float(value) for value in args.strengths.split(",")):
        started = time.perf_counter()
        pipe.register_modules(scorer=None)  # the takes in the order of their noise
        takes = []
        for start in range(0, count, 4):
            out = pipe(clips[start : start + 4], None if args.no_prompt else prompts[start : start + 4], strength=strength,
                       num_inference_steps=args.steps, guidance_scale=args.guidance, num_waveforms_per_prompt=k_max,
                       output_type="pt", generator=torch.Generator().manual_seed(args.seed + start)).audios
            takes.append(out.float().cpu().reshape(-1, k_max, out.shape[-1]))
        pipe.register_modules(scorer=scorer)
        takes = torch.cat(takes)  # (N, K, L)
        seconds = time.perf_counter() - started
        flat = takes.flatten(0, 1)
        _, families = classify_clips(judge, flat, pipe.sample_rate, 32)
        heard = np.array(families, dtype=object).reshape(count, k_max)
        drums = np.flatnonzero(is_drum)
        heard[drums] = np.array(drum_judge(takes[drums].flatten(0, 1)), dtype=object).reshape(len(drums), k_max)
        target_ok = heard == np.array(target_labels, dtype=object)[:, None]
        source_ok = heard == np.array(source_labels, dtype=object)[:, None]
        note_ok = np.zeros((count, k_max), bool)
        kept = np.zeros((count, k_max))
        for i in range(count):
            for k in range(k_max):
                take = takes[i, k].numpy()
                kept[i, k] = np.corrcoef(envelope(take, pipe.sample_rate), source_envelopes[i])[0, 1]
                if not is_drum[i]:
                    note_ok[i, k] = within_semitone(estimate_pitch(take, pipe.sample_rate), sources[i]["pitch"])
        rows_n = np.arange(count)
        for k in ks:
            best = first_of(pipe, takes, prompts, k)
            label = "first" if k == 1 else f"best of {k}"
            t, s = target_ok[rows_n, best], source_ok[rows_n, best]
            print(f"| {strength:g} | {label} | {t[~is_drum].mean():.0%} / {t[is_drum].mean():.0%} | "
                  f"{s[~is_drum].mean():.0%} / {s[is_drum].mean():.0%} | {note_ok[rows_n, best][~is_drum].mean():.0%} | "
                  f"{np.nanmedian(kept[rows_n, best]):.2f} |", flush=True)
        print(f"<!-- strength {strength:g}: {count * k_max} takes in {seconds:.0f} s -->", flush=True)


if __name__ == "__main__":
    main()
