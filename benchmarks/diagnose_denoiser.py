"""How well a pipeline's U-Net recovers clean latents, noise level by noise level, and how much the prompt helps.

    python benchmarks/diagnose_denoiser.py --model latentaudio/default_model --data data/gm [--clips 96]

For clips of the training split, latents z₀ (posterior mode) are noised to z_t at each timestep t
and the U-Net's prediction is turned into the clean latent it implies (ε: (z_t - √(1-ᾱ) ε̂) / √ᾱ;
v: √ᾱ z_t - √(1-ᾱ) v̂). The table prints the mean squared error of that estimate with the clip's own
caption, with another clip's caption, and with the empty prompt, beside the error of the best
prompt-blind constant (each latent channel's mean over the clips). An estimate worse than the
constant at high noise is what makes sampling follow the noise instead of the prompt; the gap between
the own and the other caption is how much the prompt steers.
"""

from __future__ import annotations

import argparse

import torch


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="pipeline folder (default: the embedded model)")
    parser.add_argument("--data", required=True, help="a dataset built by `latentaudio data soundfont`")
    parser.add_argument("--clips", type=int, default=96, help="training clips to measure on")
    parser.add_argument("--timesteps", default="100,300,500,700,800,900,999")
    args = parser.parse_args()

    from diffusers import DDPMScheduler

    import latentaudio
    from latentaudio import LatentAudioPipeline
    from latentaudio.evaluation.evaluate import load_clips
    from latentaudio.schedulers import clean_and_noise

    pipe = LatentAudioPipeline.from_pretrained(args.model or latentaudio.DEFAULT_MODEL)
    clips = load_clips(args.data, "train", pipe.default_audio_length_in_s, pipe.sample_rate, args.clips)
    latents = pipe.encode_audio(clips.audio, clips.audio.shape[-1]).float()
    prompts = {
        "own caption": clips.texts,
        "another clip's caption": clips.texts[len(clips) // 2 :] + clips.texts[: len(clips) // 2],
        "empty prompt": [""] * len(clips),
    }
    conditions = {name: pipe.encode_prompt(texts, None, 1, do_guidance=False) for name, texts in prompts.items()}
    schedule = DDPMScheduler.from_config(pipe.scheduler.config)
    prediction_type = schedule.config.prediction_type
    constant = ((latents - latents.mean(dim=(0, 2, 3), keepdim=True)) ** 2).mean().item()

    print(f"{args.model or latentaudio.DEFAULT_MODEL}: {prediction_type}, {len(clips)} training clips; "
          f"error of the per-channel mean (prompt-blind constant): {constant:.3f}")
    print("| t | SNR | " + " | ".join(prompts) + " |")
    print("|---|---|" + "---|" * len(prompts))
    for t in (int(value) for value in args.timesteps.split(",")):
        alpha_bar = schedule.alphas_cumprod[t].item()
        noise = torch.randn(latents.shape, generator=torch.Generator().manual_seed(t))
        noisy = schedule.add_noise(latents, noise, torch.full((len(clips),), t))
        errors = []
        for condition in conditions.values():
            output = pipe.predict_noise(noisy, t, condition, guidance_scale=1.0).float()
            clean, _ = clean_and_noise(output, noisy, alpha_bar**0.5, (1 - alpha_bar) ** 0.5, prediction_type)
            errors.append(((clean - latents) ** 2).mean().item())
        print(f"| {t} | {alpha_bar / (1 - alpha_bar):.2g} | " + " | ".join(f"{e:.3f}" for e in errors) + " |")


if __name__ == "__main__":
    main()
