"""What a music model's codec lets through: real clips through the vocoder, and through the VAE and the vocoder.

A U-Net only makes latents; what is heard passes the VAE decoder and the vocoder. So the real held-out clips
of the music datasets, sent through a model's codec and scored as ``latentaudio evaluate --music`` scores
generations (category, drum style, effect class, one-shot note, tempo within 4 %, key or its relative, mode),
are the ceiling of what any U-Net with that codec reaches. Each ``--model`` is read side by side on the same
clips: the clips as they are, their mel through the vocoder alone, and their mel through the VAE (posterior
mode) and the vocoder; beside each, the mean L1 between the clip's log-mel and the codec's.

``--griffin-lim-mels 64,128,256`` adds, for each bin count, the clips' log-mel at that many bins (the first
model's spectrogram otherwise) inverted by Griffin-Lim: how much of the key, the mode and the rest a mel of that
resolution holds with no trained vocoder, so how fine a spectrogram a codec that keeps them needs.

    python benchmarks/music_codec.py --model music --model runs/candidate --data D1,D2,... --judges J \
        [--limit 24] [--split validation] [--griffin-lim-mels 64,128,256]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from common import add_split_argument  # noqa: E402

SCORES = ("category_accuracy", "style_accuracy", "sfx_class_accuracy", "note_accuracy", "tempo_accuracy",
          "key_or_relative", "mode_accuracy")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=None, help="pipeline folder or embedded name (repeatable; default music)")
    parser.add_argument("--data", required=True, help="music datasets (drumloops, melodic, sfx, soundfont), comma-separated")
    parser.add_argument("--judges", required=True, help="music judges saved by `latentaudio evaluate --music`")
    parser.add_argument("--limit", type=int, default=24, help="clips a category, evenly spread (default 24)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--griffin-lim-mels", default="", help="mel bin counts to invert by Griffin-Lim, comma-separated")
    parser.add_argument("--griffin-lim-iterations", type=int, default=64, help="Griffin-Lim iterations (default 64)")
    add_split_argument(parser, "validation")
    args = parser.parse_args()

    import torch
    import torch.nn.functional as F

    from latentaudio import LatentAudioPipeline
    from latentaudio.builder import griffin_lim_for
    from latentaudio.evaluation.music import SCORE_NAMES, TEMPO_TOLERANCE, load_music_clips, load_music_judges, score_music
    from latentaudio.model_folder import model_location
    from latentaudio.spectrogram import MelSpectrogram

    torch.set_num_threads(args.threads)
    judges, _ = load_music_judges(args.judges)
    names = args.model or ["music"]
    pipes = {name: LatentAudioPipeline.from_pretrained(model_location(name)) for name in names}
    first = next(iter(pipes.values()))
    clips = load_music_clips(args.data.split(","), args.split, first.sample_rate, args.limit, first.config.max_audio_length_in_s,
                             min_seconds=first.samples_per_latent_frame / first.sample_rate)
    print(f"{len(clips)} {args.split} clips ({args.limit} a category at most)")

    def mean_by_category(values: list) -> dict:
        """The mean of one value a clip over each category's clips."""
        return {c: sum(v for v, cc in zip(values, clips.categories) if cc == c) / clips.categories.count(c)
                for c in set(clips.categories)}

    heard = {"real clips": (score_music(judges, clips, clips.audio, first.sample_rate), None)}
    with torch.no_grad():
        for name, pipe in pipes.items():
            vocoded, decoded, mel_l1 = [], [], {"vocoder": [], "VAE + vocoder": []}
            for audio in clips.audio:
                length = audio.shape[-1]
                mel = pipe.audio_mel(audio[None], length)
                reconstruction = pipe.codec.decode(pipe.codec.encode(mel))
                vocoded.append(pipe.vocode(mel, length, "pt")[0])
                decoded.append(pipe.vocode(reconstruction, length, "pt")[0])
                for path, audio_out in (("vocoder", vocoded[-1]), ("VAE + vocoder", decoded[-1])):
                    mel_l1[path].append((pipe.audio_mel(audio_out[None], length) - mel).abs().mean().item())
            for path, audio_out in (("vocoder", vocoded), ("VAE + vocoder", decoded)):
                heard[f"{name}: {path}"] = (score_music(judges, clips, audio_out, pipe.sample_rate), mean_by_category(mel_l1[path]))
            print(f"{name} done", flush=True)
        settings = {key: value for key, value in first.spectrogram.config.items() if not key.startswith("_")}
        for bins in (int(b) for b in args.griffin_lim_mels.split(",") if b.strip()):
            spectrogram = MelSpectrogram(**{**settings, "n_mels": bins})
            vocoder = griffin_lim_for(spectrogram, n_iter=args.griffin_lim_iterations)
            inverted, mel_l1 = [], []
            for audio in clips.audio:
                length = audio.shape[-1]
                out = vocoder(spectrogram(audio[None]))[..., :length]
                inverted.append(F.pad(out, (0, length - out.shape[-1]))[0])
                mel_l1.append((first.audio_mel(inverted[-1][None], length) - first.audio_mel(audio[None], length)).abs().mean().item())
            heard[f"{bins} mel bins: Griffin-Lim"] = (score_music(judges, clips, inverted, first.sample_rate),
                                                      mean_by_category(mel_l1))
            print(f"{bins} mel bins done", flush=True)

    for category in sorted(set(clips.categories)):
        names_here = [s for s in SCORES if s in heard["real clips"][0][category]["scores"]]
        print(f"\n{category} ({clips.categories.count(category)} clips)")
        print("| clips | " + " | ".join(SCORE_NAMES[s].format(tolerance=f"{TEMPO_TOLERANCE:.0%}") for s in names_here) + " | mel L1 |")
        print("|---|" + "---|" * (len(names_here) + 1))
        for label, (section, l1) in heard.items():
            scores = section[category]["scores"]
            cells = [f"{scores[s]:.0%}" if s in scores else "-" for s in names_here]
            print(f"| {label} | " + " | ".join(cells) + f" | {'-' if l1 is None else f'{l1[category]:.3f}'} |")


if __name__ == "__main__":
    main()
