"""Move the default U-Net (and text projection) between machines as one half-precision file.

    python configs/default_model/snapshot.py pack SOURCE OUT.safetensors
    python configs/default_model/snapshot.py apply SNAPSHOT.safetensors PIPELINE_DIR OUT_DIR
    python configs/default_model/snapshot.py half FILE.safetensors [FILE ...]
    python configs/default_model/snapshot.py mix OUT.safetensors SOURCE=WEIGHT [SOURCE=WEIGHT ...]

``pack`` reads a pipeline folder (its ``unet`` and ``text_projection``) or a diffusion training
checkpoint (its EMA weights) and writes them as float16, named as the diffusion trainer names them
(``ConditionedUNet``: ``unet.*`` and ``projection.*``): 22 MB instead of 44, which leaves room for
the training data within one transfer to a GPU machine (``gpu_finetune.sh``). float16 rounds each
weight by at most 0.05% of its size (4.9e-4 at most for the default U-Net), about one Adam step at
learning rate 1e-4. ``apply`` saves ``PIPELINE_DIR`` with the snapshot's U-Net and text projection
(float32 again; their weights in ``PIPELINE_DIR`` are not read, only their configs, except the text
projection's when the run froze it and the snapshot has none) to ``OUT_DIR``;
a snapshot trained with ``pitch_conditioning`` gives ``OUT_DIR`` the pitch embedding and the flag (as wide as
the snapshot's: the note's features, with ``instrument_conditioning`` the instrument's as well, with
``music_conditioning`` the tempo's, key's and length's too). ``--longest-trained-length`` records the longest clip
the snapshot's U-Net trained on (the music model's 10.24 s applied to the default model's 5.12 s folder).
``assemble.py`` then checks and cleans it for release. ``half`` rewrites weight files in place with their floating
tensors as float16 (integer tensors as they are): what goes back from a GPU machine, or to one, at half the bytes.
``mix`` writes the snapshot of an affine combination of pipeline folders or checkpoints, sum of WEIGHT x weights, the
WEIGHTs summing to 1: ``A=0.5 B=0.5`` averages two points of one run (Wortsman et al. 2022, "model soups"), and
``STUDENT=1 NEW=1 OLD=-1`` moves a distilled student by what its teacher learnt from OLD to NEW (Ilharco et al. 2023,
"task arithmetic"). A tensor only some sources hold (the student's guidance-scale embedding) needs their weights to
sum to 1 as well, so it is taken whole.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from latentaudio.model_folder import PipelineFolder

TRAINED = ("unet", "text_projection")  # the pipeline components a snapshot holds


def read_weights(source: Path) -> dict[str, torch.Tensor]:
    """The trained tensors of a checkpoint's EMA, or of a pipeline folder's U-Net and text projection."""
    if (source / "ema.safetensors").is_file():
        return load_file(source / "ema.safetensors")
    folder = PipelineFolder.find(source)
    if folder is None:
        raise SystemExit(f"{source} is neither a pipeline folder (model_index.json) nor a checkpoint (ema.safetensors).")
    from latentaudio.loading import load_pipeline
    from latentaudio.training.diffusion import ConditionedUNet

    pipe = load_pipeline(source, **folder.without_packaged_encoder())  # moving weights needs no text encoder
    return ConditionedUNet(pipe.unet, pipe.text_projection).state_dict()


def halved(weights: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``weights`` with every floating tensor in float16."""
    return {key: value.to(torch.float16).contiguous() if value.is_floating_point() else value for key, value in weights.items()}


def half(files: list[Path]) -> None:
    """Rewrite each safetensors file with its floating tensors in float16 (written beside it, then moved over it)."""
    for path in files:
        scratch = path.with_name(path.name + ".half")
        save_file(halved(load_file(path)), scratch)
        scratch.replace(path)
        print(f"Halved {path}: {path.stat().st_size / 1e6:.1f} MB")


def mixed(sources: list[tuple[dict[str, torch.Tensor], float]]) -> dict[str, torch.Tensor]:
    """The affine combination ``sum(weight * tensors)`` of ``sources``, key by key, computed in float32.

    Every key's holders' weights must sum to 1 (so the whole does too); integer tensors must agree and are kept.
    """
    out = {}
    for key in dict.fromkeys(key for weights, _ in sources for key in weights):
        holders = [(weights[key], weight) for weights, weight in sources if key in weights]
        total = sum(weight for _, weight in holders)
        if abs(total - 1.0) > 1e-6:
            raise SystemExit(f"The weights of the sources holding {key} sum to {total:g}; expected 1 (an affine combination).")
        shapes = {tuple(tensor.shape) for tensor, _ in holders}
        if len(shapes) > 1:
            raise SystemExit(f"{key} has shapes {sorted(shapes)} in the sources; expected one shape.")
        first = holders[0][0]
        if not first.is_floating_point():
            if any(not torch.equal(tensor, first) for tensor, _ in holders):
                raise SystemExit(f"The integer tensor {key} differs between the sources; expected it equal.")
            out[key] = first
            continue
        out[key] = sum(tensor.float() * weight for tensor, weight in holders).to(first.dtype)
    return out


def source_and_weight(text: str) -> tuple[Path, float]:
    """``PATH=WEIGHT`` (the last ``=`` splits, so a path may hold one)."""
    path, _, weight = text.rpartition("=")
    try:
        return Path(path), float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not SOURCE=WEIGHT (a pipeline folder or checkpoint, '=', a number)") from None


def mix(out: Path, sources: list[tuple[Path, float]]) -> None:
    weights = halved(mixed([(read_weights(path), weight) for path, weight in sources]))
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = out.with_name(out.name + ".partial")
    save_file(weights, scratch)
    scratch.replace(out)
    print(f"Wrote {out}: " + " + ".join(f"{weight:g} x {path}" for path, weight in sources))


def pack(source: Path, out: Path) -> None:
    weights = halved(read_weights(source))
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(weights, out)
    print(f"Wrote {out}: {len(weights)} tensors, {out.stat().st_size / 1e6:.1f} MB")


def apply(snapshot: Path, pipeline_dir: Path, out_dir: Path, longest: float | None = None) -> None:
    from latentaudio.loading import load_pipeline
    from latentaudio.training.diffusion import ConditionedUNet

    # The trained components are built from their configs alone, so PIPELINE_DIR may lack their weights;
    # a snapshot of a run that froze the text projection (train_text_projection: false) takes PIPELINE_DIR's.
    weights = {key: value.float() for key, value in load_file(snapshot).items()}
    frozen_projection = not any(key.startswith("projection.") for key in weights)
    folder = PipelineFolder.read(pipeline_dir)
    trained = {}
    for component in TRAINED:
        if component in folder.components:  # e.g. a pipeline without a text projection has none
            cls = folder.component_class(component)
            trained[component] = (cls.from_pretrained(pipeline_dir / component) if component == "text_projection" and frozen_projection
                                  else cls.from_config(cls.load_config(pipeline_dir / component)))
    pitched = any(key.startswith("unet.class_embedding.") for key in weights)
    if pitched:
        from latentaudio.conditioning import FEATURE_WIDTHS, with_pitch_embedding

        width = weights["unet.class_embedding.linear_1.weight"].shape[1]  # the note's, the instrument's, the music's
        trained["unet"] = with_pitch_embedding(trained["unet"], instruments=width >= FEATURE_WIDTHS[1],
                                               music=width >= FEATURE_WIDTHS[2])
    from latentaudio.conditioning import with_input_channels

    # a run that added beat-phase (and key) channels took more input channels than the folder's U-Net
    trained["unet"] = with_input_channels(trained["unet"], weights["unet.conv_in.weight"].shape[1])
    model = ConditionedUNet(trained["unet"], trained.get("text_projection"))
    if frozen_projection and model.projection is not None:
        weights.update({f"projection.{key}": value for key, value in model.projection.state_dict().items()})
    model.load_state_dict(weights, strict=True)
    extra = {"pitch_conditioning": True} if pitched else {}
    if longest is not None:
        extra["longest_trained_length_in_s"] = longest
    pipe = load_pipeline(pipeline_dir, **folder.without_packaged_encoder(), **trained, **extra)
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
    applier.add_argument("--longest-trained-length", type=float, default=None, metavar="SECONDS",
                         help="the longest clip the snapshot's U-Net trained on, when it is not PIPELINE_DIR's")
    halver = verbs.add_parser("half", help="safetensors files -> the same, floating tensors in float16 (in place)")
    halver.add_argument("files", type=Path, nargs="+")
    mixer = verbs.add_parser("mix", help="pipeline folders or checkpoints, weighted -> float16 snapshot of their sum")
    mixer.add_argument("out", type=Path)
    mixer.add_argument("sources", type=source_and_weight, nargs="+", metavar="SOURCE=WEIGHT")
    args = parser.parse_args()
    if args.verb == "pack":
        pack(args.source, args.out)
    elif args.verb == "half":
        half(args.files)
    elif args.verb == "mix":
        mix(args.out, args.sources)
    else:
        apply(args.snapshot, args.pipeline_dir, args.out_dir, args.longest_trained_length)


if __name__ == "__main__":
    main()
