"""Move the default U-Net (and text projection) between machines as one half-precision file.

    python configs/default_model/snapshot.py pack SOURCE OUT.safetensors
    python configs/default_model/snapshot.py apply SNAPSHOT.safetensors PIPELINE_DIR OUT_DIR

``pack`` reads a pipeline folder (its ``unet`` and ``text_projection``) or a diffusion training
checkpoint (its EMA weights) and writes them as float16 (``unet.*`` and ``projection.*``): 22 MB
instead of 44, which leaves room for the training data within one transfer to a GPU machine
(``gpu_finetune.sh``). float16 rounds each weight by at most 0.05% of its size (4.9e-4 at most
for the default U-Net), about one Adam step at learning rate 1e-4. ``apply`` saves ``PIPELINE_DIR`` with the snapshot's U-Net and text projection
(float32 again; their weights in ``PIPELINE_DIR`` are not read, only their configs) to ``OUT_DIR``; ``assemble.py`` then checks and cleans it for release.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

WEIGHTS = "diffusion_pytorch_model.safetensors"
PREFIXES = {"unet": "unet.", "text_projection": "projection."}  # pipeline component -> key prefix


def read_weights(source: Path) -> dict[str, torch.Tensor]:
    """``unet.*``/``projection.*`` tensors of a pipeline folder or of a checkpoint's EMA."""
    if (source / "ema.safetensors").is_file():
        weights = load_file(source / "ema.safetensors")
        return {key: value for key, value in weights.items() if key.startswith(tuple(PREFIXES.values()))}
    if not (source / "model_index.json").is_file():
        raise SystemExit(f"{source} is neither a pipeline folder (model_index.json) nor a checkpoint (ema.safetensors).")
    return {prefix + key: value for component, prefix in PREFIXES.items() if (source / component / WEIGHTS).is_file()
            for key, value in load_file(source / component / WEIGHTS).items()}


def pack(source: Path, out: Path) -> None:
    weights = {key: value.to(torch.float16).contiguous() for key, value in read_weights(source).items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(weights, out)
    print(f"Wrote {out}: {len(weights)} tensors, {out.stat().st_size / 1e6:.1f} MB")


def apply(snapshot: Path, pipeline_dir: Path, out_dir: Path) -> None:
    import importlib
    import json

    from latentaudio.loading import load_pipeline

    index = json.loads((pipeline_dir / "model_index.json").read_text())
    weights = load_file(snapshot)
    # The snapshot's components are built from their configs alone, so PIPELINE_DIR may lack their
    # weights; a packaged text encoder is not needed either (the saved folder still names its package).
    components = {"text_encoder": None, "tokenizer": None} if index.get("text_encoder_package") else {}
    for component, prefix in PREFIXES.items():
        if not any(key.startswith(prefix) for key in weights):
            continue  # e.g. a pipeline without a text projection
        library, class_name = index[component]
        cls = getattr(importlib.import_module(library), class_name)
        module = cls.from_config(cls.load_config(pipeline_dir / component))
        state = {key[len(prefix):]: value.float() for key, value in weights.items() if key.startswith(prefix)}
        module.load_state_dict(state, strict=True)
        components[component] = module
    pipe = load_pipeline(pipeline_dir, **components)
    pipe.save_pretrained(out_dir)
    print(f"Wrote {out_dir} with the U-Net and text projection of {snapshot}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    verbs = parser.add_subparsers(dest="verb", required=True)
    packer = verbs.add_parser("pack", help="pipeline folder or checkpoint -> float16 snapshot")
    packer.add_argument("source", type=Path)
    packer.add_argument("out", type=Path)
    applier = verbs.add_parser("apply", help="snapshot + pipeline folder -> pipeline folder")
    applier.add_argument("snapshot", type=Path)
    applier.add_argument("pipeline_dir", type=Path)
    applier.add_argument("out_dir", type=Path)
    args = parser.parse_args()
    if args.verb == "pack":
        pack(args.source, args.out)
    else:
        apply(args.snapshot, args.pipeline_dir, args.out_dir)


if __name__ == "__main__":
    main()
