"""Join what ``gpu_run.sh`` trained into one pipeline folder (the default model's layout).

    python configs/default_model/assemble.py OUT_DIR PACK [PACK ...]
    python configs/default_model/assemble.py OUT_DIR PIPELINE_DIR     # a finished training run's output
    python configs/default_model/assemble.py OUT_DIR PIPELINE_DIR --vocoder VOCODER_RUN   # another run's vocoder
    python configs/default_model/assemble.py OUT_DIR PIPELINE_DIR --scorer SCORER_DIR     # another pipeline's scorer

Each PACK holds one or more archives split into ``NAME.tar.part-*`` (``gpu_run.sh`` writes
``weights.tar.part-*``: the diffusion run's pipeline — U-Net, text projection, VAE, scheduler,
spectrogram — and the vocoder run's vocoder). Archives are unpacked in order, later ones over
earlier ones (a resumed diffusion run's U-Net over the first run's). The pipeline is loaded with the trained
vocoder in place, checked by generating one clip, and saved with ``save_pretrained``; the
packaged MiniLM text encoder is not written (it comes from its PyPI package). A pipeline folder
(one with ``model_index.json``, e.g. the ``--output`` of ``latentaudio train diffusion``) is taken
as it is, vocoder included, and goes through the same check, cleaning and save. ``--vocoder``
replaces the vocoder with another run's (checked against the spectrogram) or with Griffin-Lim.
``--scorer`` gives the pipeline the scorer that ranks its takes (``latentaudio train scorer`` writes one into a
pipeline folder; a scorer does not depend on the model, so one trained on the data serves every model of it).
``--half`` stores the trained weights (the parameters of the U-Net, VAE, vocoder, text projection and scorer)
as float16, half the bytes; buffers (the STFT window, mel filterbanks) stay float32, and diffusers
loads the folder in float32 as before. The check clip is generated again from the saved folder, and
the largest difference to the float32 pipeline's clip is printed.
"""

from __future__ import annotations

import argparse
import io
import json
import tarfile
import tempfile
from pathlib import Path

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", type=Path, help="pipeline folder to write")
    parser.add_argument("packs", type=Path, nargs="+", help="folders with NAME.tar.part-* archives, or one pipeline folder")
    parser.add_argument("--vocoder", default=None,
                        help="the vocoder to ship instead of the pipeline's: a vocoder folder, a pipeline folder "
                             "(e.g. the --output of `latentaudio train vocoder`), or 'griffin-lim'")
    parser.add_argument("--scorer", default=None, type=Path,
                        help="the scorer to ship: a scorer folder, or a pipeline folder that holds one")
    parser.add_argument("--half", action="store_true", help="store the trained weights as float16 (loaded as float32)")
    args = parser.parse_args()

    from latentaudio.builder import griffin_lim_for
    from latentaudio.loading import load_pipeline
    from latentaudio.spectrogram import check_compatible
    from vocoder import load_vocoder

    with tempfile.TemporaryDirectory() as work:
        if len(args.packs) == 1 and (args.packs[0] / "model_index.json").is_file():
            pipe = load_pipeline(args.packs[0])
        else:
            pipe = load_packs(args.packs, Path(work))
        if args.vocoder == "griffin-lim":
            pipe.vocoder = griffin_lim_for(pipe.spectrogram)
        elif args.vocoder:
            pipe.vocoder = load_vocoder(args.vocoder)
            check_compatible(pipe.spectrogram, vocoder=pipe.vocoder)
        if args.scorer is not None:
            from latentaudio.evaluation.classifier import load_classifier

            scorer_dir = args.scorer / "scorer" if (args.scorer / "model_index.json").is_file() else args.scorer
            pipe.register_modules(scorer=load_classifier(scorer_dir)[0])
        audio = pipe("a snare drum hit", num_inference_steps=10,
                     generator=torch.Generator().manual_seed(0)).audios[0]
        if not torch.isfinite(torch.as_tensor(audio)).all():
            raise SystemExit("The assembled pipeline generated non-finite audio.")
        if args.half:
            halve_parameters(pipe)
        pipe.save_pretrained(args.out_dir)
    for config in args.out_dir.rglob("*.json"):  # drop the scratch paths diffusers records
        values = json.loads(config.read_text())
        if values.pop("_name_or_path", None) is not None:
            config.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")
    print(f"Wrote {args.out_dir}: {len(audio) / pipe.sample_rate:.2f} s test clip generated")
    if args.half:
        saved = load_pipeline(args.out_dir)
        again = saved("a snare drum hit", num_inference_steps=10, generator=torch.Generator().manual_seed(0)).audios[0]
        print(f"Stored as float16, loaded as {saved.unet.dtype}: the test clip moved by at most "
              f"{abs(again - audio).max():.2e} (peak {abs(audio).max():.3f})")


HALVED = ("unet", "vae", "vocoder", "text_projection", "scorer")  # the trained components; the spectrogram has no weights


def halve_parameters(pipe) -> None:
    """Round the parameters (not the buffers) of the trained components to float16, in place."""
    for name in HALVED:
        component = getattr(pipe, name, None)
        if isinstance(component, torch.nn.Module):
            for parameter in component.parameters():
                parameter.data = parameter.data.to(torch.float16)


def load_packs(packs: list[Path], work: Path):
    """Unpack the archives of ``packs`` into ``work`` in order and load the diffusion run's pipeline
    with the vocoder run's vocoder."""
    from latentaudio.loading import load_pipeline
    from vocoder import load_vocoder

    for pack in packs:
        names = sorted({part.name.split(".tar.part-")[0] for part in pack.glob("*.tar.part-*")})
        if not names:
            raise SystemExit(f"No NAME.tar.part-* archives in {pack}")
        for name in names:
            parts = sorted(pack.glob(f"{name}.tar.part-*"))
            with tarfile.open(fileobj=io.BytesIO(b"".join(part.read_bytes() for part in parts))) as tar:
                tar.extractall(work, filter="data")
    return load_pipeline(work / "diffusion", vocoder=load_vocoder(work / "vocoder" / "vocoder"))


if __name__ == "__main__":
    main()
