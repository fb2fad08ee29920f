"""A music model's pipeline on a finer mel: the start of a codec that keeps the key.

A 64-bin mel (slaney, up to 8 kHz at 16 kHz) spaces its bins about 46 Hz apart below 1 kHz, two to three semitones
around middle C: inverted exactly (Griffin-Lim), real melodic clips keep their key (or its relative) about as often
as through the trained vocoder, and 96 bins or more keep nearly as many as the clips themselves
(``benchmarks/music_codec.py --griffin-lim-mels``; MODEL_CARD.md). This writes MODEL's pipeline with the spectrogram
at ``--n-mels`` bins and every other setting kept, each component started from MODEL's weights:

* the VAE as it is: fully convolutional, it takes the taller mel image and makes a latent of ``n_mels / 4`` bins;
* the Vocos vocoder with its input convolution widened: each new bin takes the weights of the old bin its centre falls
  in, scaled by ``64 / n_mels`` (so a mel that is the old one repeated gives the old embedding); its magnitude prior is
  rebuilt for the new mel;
* the U-Net and everything else as they are (its ``sample_size`` set to the new latent).

The VAE, the vocoder and the U-Net then need training on the new mel (``codec_mels_cpu_run.sh``, a GPU round for the
U-Net); until then the pipeline loads and runs, but its takes are not the model's.

    python configs/music_model/widen_mels.py OUT [--model music] [--n-mels 128]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="folder for the widened pipeline (replaced)")
    parser.add_argument("--model", default="music", help="pipeline folder or embedded name (default music)")
    parser.add_argument("--n-mels", type=int, default=128, help="mel bins of the new spectrogram (default 128)")
    args = parser.parse_args()

    import torch

    from latentaudio.model_folder import model_location
    from latentaudio.spectrogram import MelSpectrogram, downsampling_factor
    from vocoder.vocos import VocosGenerator

    source = Path(model_location(args.model))
    index = json.loads((source / "model_index.json").read_text())
    if index["vocoder"] != ["vocoder.vocos", "VocosGenerator"]:
        raise SystemExit(f"{source} has a {index['vocoder'][1]} vocoder; this widens a VocosGenerator's input.")
    spectrogram = MelSpectrogram.from_pretrained(source / "spectrogram")
    old_mels = spectrogram.n_mels
    if args.n_mels <= old_mels:
        raise SystemExit(f"--n-mels {args.n_mels} must be more than the model's {old_mels} bins.")
    factor = downsampling_factor(len(json.loads((source / "vae" / "config.json").read_text())["block_out_channels"]))
    unet_factor = downsampling_factor(len(json.loads((source / "unet" / "config.json").read_text())["down_block_types"]))
    if args.n_mels % (factor * unet_factor):
        raise SystemExit(f"--n-mels {args.n_mels} must be a multiple of {factor * unet_factor}: the VAE's compression "
                         f"factor {factor} times the U-Net's downsampling factor {unet_factor}.")

    shutil.rmtree(args.output, ignore_errors=True)
    shutil.copytree(source, args.output, ignore=shutil.ignore_patterns("standalone", "*.onnx"))
    out = args.output
    settings = {key: value for key, value in spectrogram.config.items() if not key.startswith("_")}
    wider = MelSpectrogram(**{**settings, "n_mels": args.n_mels})
    shutil.rmtree(out / "spectrogram")
    wider.save_pretrained(out / "spectrogram")

    old = VocosGenerator.from_pretrained(source / "vocoder")
    vocoder = VocosGenerator(**{**{k: v for k, v in old.config.items() if not k.startswith("_")}, "num_mels": args.n_mels})
    # Everything but the input convolution and the prior's filterbank (rebuilt for the new mel) is the old vocoder's.
    kept = {key: value for key, value in old.state_dict().items() if key != "embed.weight" and not key.startswith("prior.")}
    missing, unexpected = vocoder.load_state_dict(kept, strict=False)
    if unexpected or any(key != "embed.weight" and not key.startswith("prior.") for key in missing):
        raise SystemExit(f"The vocoder's weights do not fit: missing {missing}, unexpected {unexpected}.")
    with torch.no_grad():  # new bin i lies inside old bin i * old / new: its weights, shared among the bins it split into
        source_bin = torch.arange(args.n_mels) * old_mels // args.n_mels
        vocoder.embed.weight.copy_(old.embed.weight[:, source_bin] * (old_mels / args.n_mels))
    shutil.rmtree(out / "vocoder")
    vocoder.save_pretrained(out / "vocoder")

    unet_config = json.loads((out / "unet" / "config.json").read_text())
    frames = unet_config["sample_size"][0] if isinstance(unet_config["sample_size"], list) else unet_config["sample_size"]
    unet_config["sample_size"] = [frames, args.n_mels // factor]
    (out / "unet" / "config.json").write_text(json.dumps(unet_config, indent=2, sort_keys=True) + "\n")
    index["trained_mel"] = {**index["trained_mel"], "n_mels": args.n_mels}
    (out / "model_index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n")

    from latentaudio import LatentAudioPipeline

    pipe = LatentAudioPipeline.from_pretrained(out)  # checks that the components agree with the new spectrogram
    print(f"wrote {out}: {args.n_mels} mel bins, latent {pipe.codec.latent_bins} bins; VAE, vocoder and U-Net from {source}")


if __name__ == "__main__":
    main()
