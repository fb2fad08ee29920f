"""How far a guidance-distilled student is from its guided teacher, noise level by noise level.

    python benchmarks/student_gap.py --student DIR --data data/gm_dense2 [--teacher DIR] [--clips 64] [--guidance 3]

Clips of the test split (their own captions) are encoded, noised to z_t at each timestep and given to
both pipelines' own prediction (``predict_noise``): the teacher's classifier-free-guided pair, the student's
one call with the scale embedded. The table prints the mean squared distance of the two predictions, the
same as a share of the teacher's prediction's mean square, and the distance of the clean latents they imply
(for v-prediction (1 - ᾱ) times the first), beside the teacher's own clean-latent error against the clip.
The sampler's first steps run at the highest noise, so where the gap sits says where distillation falls short.
"""

from __future__ import annotations

import argparse

import torch


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--student", required=True, help="guidance-distilled pipeline folder (`latentaudio distill --method guidance`)")
    parser.add_argument("--teacher", default=None, help="its teacher (default: the embedded default model's, default-teacher)")
    parser.add_argument("--data", required=True, help="a dataset built by `latentaudio data soundfont`")
    parser.add_argument("--clips", type=int, default=64, help="test clips to measure on")
    parser.add_argument("--guidance", type=float, default=3.0)
    parser.add_argument("--timesteps", default="999,899,749,599,499,349,249,99")
    args = parser.parse_args()

    from diffusers import DDPMScheduler

    import latentaudio
    from latentaudio import LatentAudioPipeline
    from latentaudio.evaluation.evaluate import load_clips
    from latentaudio.schedulers import clean_and_noise

    teacher = LatentAudioPipeline.from_pretrained(args.teacher or latentaudio.DEFAULT_TEACHER)
    student = LatentAudioPipeline.from_pretrained(args.student)
    if not student.embeds_guidance or teacher.embeds_guidance:
        raise SystemExit("--student must embed guidance (a guidance-distilled student) and --teacher must not.")
    clips = load_clips(args.data, "test", teacher.default_audio_length_in_s, teacher.sample_rate, args.clips)
    latents = teacher.encode_audio(clips.audio, clips.audio.shape[-1]).float()
    guided = teacher.encode_prompt(clips.texts, None, 1, do_guidance=True)
    embedded = student.encode_prompt(clips.texts, None, 1, do_guidance=True)
    schedule = DDPMScheduler.from_config(teacher.scheduler.config)
    v = schedule.config.prediction_type == "v_prediction"

    print(f"{args.student} against {args.teacher or latentaudio.DEFAULT_TEACHER}: {len(clips)} test clips, guidance "
          f"{args.guidance:g}, {schedule.config.prediction_type}")
    print("| t | SNR | prediction distance | share of the teacher's | clean-latent distance | teacher's own clean-latent error |")
    print("|---|---|---|---|---|---|")
    for t in (int(value) for value in args.timesteps.split(",")):
        alpha_bar = schedule.alphas_cumprod[t].item()
        noise = torch.randn(latents.shape, generator=torch.Generator().manual_seed(t))
        noisy = schedule.add_noise(latents, noise, torch.full((len(clips),), t))
        target = teacher.predict_noise(noisy, t, guided, args.guidance).float()
        prediction = student.predict_noise(noisy, t, embedded, args.guidance).float()
        distance = ((prediction - target) ** 2).mean().item()
        share = distance / (target**2).mean().item()
        to_clean = (1 - alpha_bar) if v else (1 - alpha_bar) / alpha_bar  # |x̂₀ gap|² per |prediction gap|²
        clean, _ = clean_and_noise(target, noisy, alpha_bar**0.5, (1 - alpha_bar) ** 0.5, schedule.config.prediction_type)
        own = ((clean - latents) ** 2).mean().item()
        print(f"| {t} | {alpha_bar / (1 - alpha_bar):.2g} | {distance:.4f} | {share:.1%} | {to_clean * distance:.4f} | {own:.4f} |")


if __name__ == "__main__":
    main()
