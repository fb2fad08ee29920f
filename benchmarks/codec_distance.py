"""How far a lossy codec moves real clips in the evaluation's embedding: what training on transcoded audio costs.

    python benchmarks/codec_distance.py --data data/gm --classifier runs/eval/report_classifier \
        [--model DIR] [--codec opus:0.9 --codec ogg:0.3]

The held-out test clips are encoded and decoded with each codec (the formats and compression levels
of `latentaudio data transcode`), then scored by the classifier of `latentaudio evaluate`: Fréchet
distance to the original clips and family adherence, directly and after the pipeline's VAE and
vocoder. A model trained on transcoded audio learns the codec's signature, so its generations'
Fréchet distance includes about the direct figure printed here.
"""

from __future__ import annotations

import argparse
import dataclasses
import io

import numpy as np
import soundfile as sf
import torch


def transcode(audio: torch.Tensor, sample_rate: int, format: str, compression: float) -> torch.Tensor:
    """(N, L) audio through one encode and decode, trimmed or padded back to L samples."""
    from latentaudio.data.transcode import write_encoded

    decoded = []
    for clip in audio.numpy():
        buffer = io.BytesIO()
        write_encoded(buffer, clip, sample_rate, format, compression)
        buffer.seek(0)
        samples, _ = sf.read(buffer, dtype="float32")
        decoded.append(np.pad(samples, (0, max(0, len(clip) - len(samples))))[: len(clip)])
    return torch.from_numpy(np.stack(decoded))


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="a dataset built by `latentaudio data soundfont`")
    parser.add_argument("--classifier", required=True, help="the classifier folder `latentaudio evaluate` saved")
    parser.add_argument("--model", default=None, help="pipeline folder (default: the embedded model)")
    parser.add_argument("--codec", action="append", default=None, help="FORMAT:COMPRESSION (repeatable; default opus:0.9 and ogg:0.3)")
    args = parser.parse_args()

    from latentaudio import DEFAULT_MODEL
    from latentaudio.evaluation.classifier import load_classifier
    from latentaudio.evaluation.evaluate import load_clips, reconstruct_clips, score_clips
    from latentaudio.metrics import frechet_distance
    from latentaudio.loading import load_pipeline

    pipe = load_pipeline(args.model or DEFAULT_MODEL)
    pipe.set_progress_bar_config(disable=True)
    classifier, _ = load_classifier(args.classifier)
    test = load_clips(args.data, "test", pipe.default_audio_length_in_s, pipe.sample_rate)
    real = score_clips(classifier, test, test.audio, pipe.sample_rate)
    print(f"{len(test)} test clips; Fréchet distance to the originals and family adherence")
    print("| codec | direct: FD | family | through VAE and vocoder: FD | family |")
    print("|---|---|---|---|---|")
    for codec in ["wav:0"] + (args.codec or ["opus:0.9", "ogg:0.3"]):
        format, compression = codec.split(":")
        audio = test.audio if format == "wav" else transcode(test.audio, pipe.sample_rate, format, float(compression))
        clips = dataclasses.replace(test, audio=audio)
        direct = score_clips(classifier, test, audio, pipe.sample_rate)
        through = score_clips(classifier, test, reconstruct_clips(pipe, clips), pipe.sample_rate)
        print(f"| {codec} | {frechet_distance(direct['embeddings'], real['embeddings']):.1f} | "
              f"{direct['family_accuracy']:.0%} | {frechet_distance(through['embeddings'], real['embeddings']):.1f} | "
              f"{through['family_accuracy']:.0%} |")


if __name__ == "__main__":
    main()
