"""What a music model's codec lets through: real clips through the vocoder, and through the VAE and the vocoder.

A U-Net only makes latents; what is heard passes the VAE decoder and the vocoder. So the real held-out clips
of the music datasets, sent through a model's codec and scored as ``latentaudio evaluate --music`` scores
generations (category, drum style, effect class, one-shot note, tempo within 4 %, key or its relative, mode),
are the ceiling of what any U-Net with that codec reaches. Each ``--model`` is read side by side on the same
clips: the clips as they are, their mel through the vocoder alone, and their mel through the VAE (posterior
mode) and the vocoder; beside each, the mean L1 between the clip's log-mel and the codec's.

    python benchmarks/music_codec.py --model music --model runs/candidate --data D1,D2,... --judges J \
        [--limit 24] [--split validation]
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
    add_split_argument(parser, "validation")
    args = parser.parse_args()

    import torch

    from latentaudio import LatentAudioPipeline
    from latentaudio.evaluation.music import SCORE_NAMES, TEMPO_TOLERANCE, load_music_clips, load_music_judges, score_music
    from latentaudio.model_folder import model_location

    torch.set_num_threads(args.threads)
    judges, _ = load_music_judges(args.judges)
    names = args.model or ["music"]
    pipes = {name: LatentAudioPipeline.from_pretrained(model_location(name)) for name in names}
    first = next(iter(pipes.values()))
    clips = load_music_clips(args.data.split(","), args.split, first.sample_rate, args.limit, first.config.max_audio_length_in_s,
                             min_seconds=first.samples_per_latent_frame / first.sample_rate)
    print(f"{len(clips)} {args.split} clips ({args.limit} a category at most)")

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
                categories = {c: [v for v, cc in zip(mel_l1[path], clips.categories) if cc == c] for c in set(clips.categories)}
                heard[f"{name}: {path}"] = (score_music(judges, clips, audio_out, pipe.sample_rate),
                                            {c: sum(v) / len(v) for c, v in categories.items()})
            print(f"{name} done", flush=True)

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
