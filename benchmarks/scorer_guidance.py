"""Guidance by the scorer's gradient, against ranking by the scorer: what two judges of different kinds hear.

The pipeline ranks takes with its ``scorer`` (``latentaudio.ranking``; ``generate --best-of K``). The same scorer could
steer one take instead, as classifier guidance does (Dhariwal & Nichol 2021, sec. 4): at every sampler step the clean
latent the U-Net predicts is decoded to a mel, the scorer reads it (its mel is the model's own at twice the hop, so
no vocoder is needed), and the latent moves up the gradient of the log-probability of what the prompt names, by
``scale`` times the gradient's RMS; the prediction handed to the scheduler is recomputed from the moved latent.

A judge built like the scorer (``--classifier``, a convolutional ``AudioFamilyClassifier``) can be moved by a change
that is too small to hear, as convolutional classifiers are by adversarial perturbations. So each take is also judged
by a model of another kind: gradient-boosted trees on clip statistics of the log-mel (band levels, their spread and
change, the envelope, eight bands' envelopes), fitted in memory on ``--judge-data``'s training split. Beside the
judges: the mean log-mel distance of each guided take from the unguided take of the same noise, and that of two takes
of different noise. Ranking (the best of 2, 4 and 8 takes by the scorer) is judged the same way.

    python benchmarks/scorer_guidance.py --data data/gm_semi512 --judge-data data/gm_dense2 \
        --classifier runs/classifier_crops3000 [--scales 0.03,0.07,0.1] [--takes 8] [--split validation] [--every 3]
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from best_of import prompt_sets  # noqa: E402
from common import add_split_argument, first_of, generation_parser, load_pipeline  # noqa: E402

BATCH = 4  # prompts per pipeline call


def clip_statistics(spectrogram, audio):
    """(N, 336) statistics of clips (N, L) brought to full scale: the log-mel's band levels (relative to the clip's
    mean), their spread over time, their mean change from frame to frame, the envelope over 16 segments, and eight
    bands' envelopes over the same segments (relative to the loudest)."""
    import torch

    audio = audio.float()
    mel = spectrogram(audio / audio.abs().amax(-1, keepdim=True).clamp_min(1e-6))  # (N, 64, T)
    count, bands, frames = mel.shape
    segments = mel[..., : frames // 16 * 16].reshape(count, bands, 16, -1).mean(-1)  # (N, 64, 16)
    envelope = torch.logsumexp(segments, 1)
    band_envelopes = segments.reshape(count, 8, bands // 8, 16).mean(2)
    return torch.cat([
        mel.mean(-1) - mel.mean((1, 2))[:, None],
        mel.std(-1),
        mel.diff(dim=-1).abs().mean(-1),
        envelope - envelope.amax(1, keepdim=True),
        (band_envelopes - band_envelopes.amax((1, 2), keepdim=True)).flatten(1),
    ], dim=1).numpy()


def statistics_judge(data: str, seconds: float, sample_rate: int, spectrogram):
    """Gradient-boosted trees on :func:`clip_statistics`, fitted on the training split of ``data``; returns
    ``judge(audio (N, L)) -> families`` and its accuracy on the validation split."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    from latentaudio.evaluation.evaluate import load_clips

    def statistics(clips):
        return np.concatenate([clip_statistics(spectrogram, batch) for batch in clips.audio.split(256)])

    train, validation = (load_clips(data, split, seconds, sample_rate) for split in ("train", "validation"))
    trees = HistGradientBoostingClassifier(max_iter=300, random_state=0).fit(statistics(train), train.families)
    accuracy = float(np.mean(trees.predict(statistics(validation)) == np.array(validation.families)))
    return (lambda audio: list(trees.predict(clip_statistics(spectrogram, audio)))), accuracy


def guide_by_scorer(pipe, scale: float):
    """Make ``pipe.predict_noise`` move each step's predicted clean latent up the scorer's gradient (module docstring);
    ``pipe.guided_labels`` must hold, per latent row, the scorer labels its prompt names (``named_labels``)."""
    import torch

    from latentaudio.schedulers import clean_and_noise

    predict = type(pipe).predict_noise.__get__(pipe)
    alphas = pipe.scheduler.alphas_cumprod
    mel_config, scorer_config = pipe.spectrogram.config, pipe.scorer.spectrogram.config
    every = scorer_config.hop_length // mel_config.hop_length
    differ = [key for key in mel_config if not key.startswith("_") and key not in ("hop_length", "norm_mean", "norm_std")
              and mel_config[key] != scorer_config.get(key)]
    if differ or every * mel_config.hop_length != scorer_config.hop_length:
        raise SystemExit(f"The scorer's mel is not the model's at a multiple of its hop ({differ or 'hop_length'} differ): "
                         "guiding would need the vocoder between them.")
    v_prediction = pipe.scheduler.config.prediction_type == "v_prediction"

    def predict_noise(latents, t, *args, **kwargs):
        output = predict(latents, t, *args, **kwargs)
        rows = [i for i, named in enumerate(pipe.guided_labels) if named]
        if scale == 0 or not rows:
            return output
        alpha, sigma = alphas[int(t)].sqrt(), (1 - alphas[int(t)]).sqrt()
        clean, _ = clean_and_noise(output, latents, alpha, sigma, pipe.scheduler.config.prediction_type)
        clean = clean.detach().float().requires_grad_(True)
        with torch.enable_grad():
            mel = pipe.codec.decode(clean).float() * mel_config.norm_std + mel_config.norm_mean  # the plain log-mel
            log_probs = torch.log_softmax(pipe.scorer(mel[..., ::every]).logits.float(), -1)  # at the scorer's hop
            named = sum(torch.logsumexp(log_probs[i, pipe.guided_labels[i]], 0) for i in rows)
            gradient, = torch.autograd.grad(named, clean)
        gradient = gradient / gradient.flatten(1).square().mean(1).sqrt().clamp_min(1e-12)[:, None, None, None]
        moved = (clean + scale * gradient).detach().to(output.dtype)
        return (alpha * latents - moved) / sigma if v_prediction else (latents - alpha * moved) / sigma

    pipe.predict_noise = predict_noise
    return pipe


def main() -> None:
    parser = generation_parser(__doc__.splitlines()[0], limit=0, seconds=2.56)
    parser.add_argument("--data", required=True, help="the dataset the model's unseen notes come from (data soundfont)")
    parser.add_argument("--judge-data", required=True, help="the dataset the statistics judge is fitted on")
    parser.add_argument("--classifier", required=True, help="the family judge (an AudioFamilyClassifier folder)")
    parser.add_argument("--scales", default="0.03,0.07,0.1", help="comma-separated guidance scales (gradient RMS a step)")
    parser.add_argument("--takes", type=int, default=8, help="takes drawn per prompt for ranking (the largest k)")
    add_split_argument(parser, "validation")
    parser.add_argument("--every", type=int, default=3, help="every n-th unseen note")
    args = parser.parse_args()
    pipe = load_pipeline(args)
    if pipe.scorer is None:
        raise SystemExit(f"{args.model} has no scorer to guide or rank with (latentaudio train scorer).")

    import numpy as np
    import torch

    from latentaudio.evaluation.classifier import classify_clips, load_classifier
    from latentaudio.metrics import estimate_pitch, within_semitone
    from latentaudio.ranking import named_labels

    started = time.perf_counter()
    judge, _ = load_classifier(args.classifier)
    trees, tree_accuracy = statistics_judge(args.judge_data, args.seconds, pipe.sample_rate, pipe.spectrogram)
    prompts = prompt_sets(args.data, args.split, args.every, ["unseen_notes"])["unseen_notes"]
    families, count = np.array(prompts.families), len(prompts)
    print(f"{args.model}, {args.steps} steps, guidance {args.guidance}, {args.seconds} s, seed {args.seed}; "
          f"{count} unseen notes of the {args.split} split; the statistics judge names {tree_accuracy:.1%} of "
          f"{args.judge_data}'s validation clips ({time.perf_counter() - started:.0f} s to fit)\n")

    scorer = pipe.scorer

    def draw(takes: int) -> torch.Tensor:
        audio = []
        for start in range(0, count, BATCH):
            texts = prompts.texts[start : start + BATCH]
            pipe.guided_labels = [named_labels(text, scorer.labels) for text in texts for _ in range(takes)]
            out = pipe(texts, num_inference_steps=args.steps, guidance_scale=args.guidance, audio_length_in_s=args.seconds,
                       num_waveforms_per_prompt=takes, output_type="pt",
                       generator=torch.Generator().manual_seed(args.seed + start)).audios
            audio.append(out.float().cpu().reshape(-1, takes, out.shape[-1]))
        return torch.cat(audio)  # (N, takes, L)

    def log_mel_distance(a: torch.Tensor, b: torch.Tensor) -> float:
        return float((pipe.spectrogram(a) - pipe.spectrogram(b)).abs().mean() * pipe.spectrogram.config.norm_std)

    def row(label: str, audio: torch.Tensor, distance: str) -> None:
        _, heard = classify_clips(judge, audio, pipe.sample_rate, 32)
        notes = [within_semitone(estimate_pitch(clip.numpy(), pipe.sample_rate), note)
                 for clip, note in zip(audio, prompts.notes) if note is not None]
        print(f"| {label} | {np.mean(np.array(heard) == families):.0%} | {np.mean(np.array(trees(audio)) == families):.0%} "
              f"| {np.mean(notes):.0%} | {distance} |")

    pipe.register_modules(scorer=None)  # the takes in the order of their noise
    takes, plain = draw(args.takes), draw(1)[:, 0]  # plain: the noise of the guided takes below
    pipe.register_modules(scorer=scorer)
    print("| takes | family (the CNN judge) | family (the statistics judge) | note within a semitone | "
          "mean log-mel distance (natural log) from the unguided take of the same noise |")
    print("|---|---|---|---|---|")
    row("one take, unguided", plain, f"{log_mel_distance(plain, takes[:, 0]):.2f} to a take of other noise")
    for scale in [float(s) for s in args.scales.split(",")]:
        guide_by_scorer(pipe, scale)
        guided = draw(1)[:, 0]
        del pipe.predict_noise  # the class's own method again
        row(f"one take, guided at {scale:g}", guided, f"{log_mel_distance(guided, plain):.2f}")
    row(f"the first of {args.takes} takes of other noise, unguided", takes[:, 0], "–")
    for k in (2, 4, 8):
        if k <= args.takes:
            best = torch.from_numpy(first_of(pipe, takes, prompts.texts, k))
            row(f"best of the first {k} by the scorer, unguided", takes[torch.arange(count), best], "–")


if __name__ == "__main__":
    main()
