"""Pack the music model's training split and starting weights for a GPU machine reached by small transfers
(64 MiB a call here, the repository included), for configs/default_model/gpu_finetune.sh.

    python configs/music_model/pack_transfer.py --model runs/music --data data/music --states states.safetensors \
        --out transfer [--compression 0.97] [--oneshot-every 1] [--captions 3]

Writes, under OUT:
- ``data/<builder>``: each builder's training split as Ogg Opus at ``--compression`` (0.97: about 16 kbit/s, 2.1 kB
  per second of 16 kHz audio; 0.99 and above fall to a speech mode that blurs the mel), the one-shots thinned to every
  ``--oneshot-every``-th clip, each clip with at most ``--captions`` of its captions (the first one kept);
- ``states.safetensors``: those captions' encoder states in float16, read from ``--states`` (``data embed-captions``
  on the full data), so the GPU machine needs no text encoder; the trainer reads them back in float32;
- ``start.safetensors``: the U-Net and text projection as a float16 snapshot (``snapshot.py pack``);
- ``base``: the pipeline's other components in float16 and the U-Net's config without its weights, the
  ``PIPELINE_DIR`` that ``snapshot.py apply`` completes (gpu_finetune.sh's ``BASE``).
The music set's training split (5.0 h) packs to about 75 MB (data 35, states 10, snapshot 22.5, base 7.3): with the
repository (4 MB without its weights) and the wheels a GPU machine lacks (8 MB) that is more than one transfer,
so its builders travel in two parts (MODEL_CARD.md, "The music model on a GPU machine", gives the commands).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


from latentaudio.data.output import METADATA_NAME, write_metadata
from latentaudio.data.transcode import transcode_folder
from latentaudio.training.config import DiffusionTrainingConfig
from latentaudio.training.text_states import subset_caption_states

HERE = Path(__file__).resolve().parent
SNAPSHOT = HERE.parent / "default_model" / "snapshot.py"
WEIGHTS = "diffusion_pytorch_model.safetensors"


def cap_captions(folder: Path, captions: int) -> list[str]:
    """Keep at most ``captions`` captions per row of ``folder``, the first one and ``text`` kept; returns them."""
    rows = [json.loads(line) for line in (folder / METADATA_NAME).read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        if "captions" in row:
            row["captions"] = list(dict.fromkeys([row["text"], *row["captions"]]))[:captions]
    write_metadata(folder, rows)
    return [wording for row in rows for wording in row.get("captions", [row["text"]])] + [row["text"] for row in rows]


def every_nth_training_row(source: Path, keep_every: int, view: Path) -> Path:
    """``source`` itself, or with ``keep_every`` > 1 a folder ``view`` of every ``keep_every``-th of its training
    rows (hard links, or copies across file systems) with their metadata: what is left out is never transcoded."""
    if keep_every == 1:
        return source
    rows = [json.loads(line) for line in (source / METADATA_NAME).read_text(encoding="utf-8").splitlines() if line]
    kept = [row for row in rows if row.get("split") == "train"][::keep_every]
    for row in kept:
        link = view / row["file_name"]
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(source / row["file_name"], link)
        except OSError:
            shutil.copy2(source / row["file_name"], link)
    write_metadata(view, kept)
    return view


def half_base(model: Path, out: Path) -> None:
    """``model`` with its models' weights in float16 (the spectrogram's and a text encoder's stay as saved) and the
    U-Net's and text projection's left out."""
    shutil.copytree(model, out, ignore=shutil.ignore_patterns("checkpoints", "logs", "*.png", "training.json"))
    for component in ("unet", "text_projection"):  # the snapshot's (a pipeline may have no projection)
        (out / component / WEIGHTS).unlink(missing_ok=True)
    # the spectrogram's filters stay exact: every cached latent starts from them
    weights = [str(path) for path in sorted(out.glob(f"*/{WEIGHTS}")) if path.parent.name != "spectrogram"]
    subprocess.run([sys.executable, str(SNAPSHOT), "half", *weights], check=True, stdout=subprocess.DEVNULL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="the pipeline folder to continue")
    parser.add_argument("--data", type=Path, required=True, help="folder of builder audiofolders (WAV)")
    parser.add_argument("--states", type=Path, required=True, help="caption states of --data (data embed-captions)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compression", type=float, default=0.97, help="libsndfile Opus compression level")
    parser.add_argument("--oneshot-every", type=int, default=1, help="keep every Nth one-shot (default all)")
    parser.add_argument("--captions", type=int, default=3, help="captions kept per clip")
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"{args.out} exists; choose a new folder.")
    args.out.mkdir(parents=True)
    captions = []
    for source in sorted(path.parent for path in args.data.glob(f"*/{METADATA_NAME}")):
        target = args.out / "data" / source.name
        keep_every = args.oneshot_every if source.name.startswith("oneshots") else 1
        with tempfile.TemporaryDirectory(dir=args.out) as view:
            transcode_folder(every_nth_training_row(source, keep_every, Path(view)), target, format="opus",
                             compression=args.compression, splits=["train"])
        captions += cap_captions(target, args.captions)
    # the validation prompts travel too (when embedded): a run validates with them and skips those it lacks
    subset_caption_states(args.states, captions, args.out / "states.safetensors", also=DiffusionTrainingConfig().validation_prompts)
    subprocess.run([sys.executable, str(SNAPSHOT), "pack", str(args.model),
                    str(args.out / "start.safetensors")], check=True)
    half_base(args.model, args.out / "base")
    sizes = {path.name: sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.is_dir()
             else path.stat().st_size for path in sorted(args.out.iterdir())}
    print(" ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sizes.items()), f"total {sum(sizes.values()) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
