"""Few-step sampling and the CPU inference path, measured side by side in one run.

Prints, for the embedded teacher ``default-teacher`` and its distilled student, the default model (or ``--model`` and
``--student``) on ``--threads`` threads:

1. per stage (text, U-Net loop, VAE decoder, vocoder) and end to end, at each ``--seconds``: the
   teacher (``--teacher-steps`` steps, classifier-free guidance: a batch of 2 per U-Net call, in
   windows beyond the U-Net's clip) beside the few-step path (``--student-steps`` steps of the
   student's own sampler, guidance embedded: one batch of 1 per call, one pass up to the trained length).
   With ``--student none`` the few-step path runs the teacher's own weights behind a
   zero-initialised guidance embedding: its timing is a student's, its sound is not;
   Each path also runs with its U-Net and VAE decoder exported to ONNX (``latentaudio export``, into a
   temporary copy) and run by ONNX Runtime;
2. one U-Net call under each CPU optimisation (channels_last, the attention kernel, int8 dynamic
   quantisation of the linear layers, bfloat16, torch.compile, ONNX Runtime), medians of ``--repeats``
   calls taken in turns, so that load from other processes falls on all of them alike.

    python benchmarks/bench_fast.py [--model DIR] [--student DIR] [--seconds 2.56 5.12] [--threads 2] [--skip-onnx]
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

PROMPT = "a loud snare drum hit"


def load(path, runtime: str = "torch"):
    from latentaudio import LatentAudioPipeline
    from latentaudio.model_folder import model_location

    pipe = LatentAudioPipeline.from_pretrained(model_location(path), runtime=runtime)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def exported(pipe, folder: str):
    """``pipe`` saved to ``folder``, exported to ONNX there, and loaded to run in ONNX Runtime."""
    from latentaudio.export import export_onnx

    pipe.save_pretrained(folder)
    export_onnx(folder)
    return load(folder, runtime="onnx")


def few_step(teacher, student_dir):
    """The student, or the teacher's weights on the few-step sampling path."""
    from diffusers import LCMScheduler

    from latentaudio.conditioning import with_guidance_embedding

    if student_dir != "none":
        return load(student_dir)
    pipe = copy.copy(teacher)
    pipe.register_modules(unet=with_guidance_embedding(copy.deepcopy(teacher.unet)),
                          scheduler=LCMScheduler.from_config(teacher.scheduler.config))
    return pipe


def stages(pipe, seconds: float, steps: int, guidance: float) -> dict[str, float]:
    """Seconds per stage of one generation, through the pipeline's own steps."""
    times = {}

    def clock(name, function, *args):
        start = time.perf_counter()
        out = function(*args)
        times[name] = time.perf_counter() - start
        return out

    with torch.no_grad():
        num_samples = pipe.check_length(seconds)
        conditions = clock("text", pipe.encode_prompt, [PROMPT], None, 1, guidance > 1)
        pipe.scheduler.set_timesteps(steps)
        latents = pipe.prepare_latents(1, pipe.latent_frames_for(num_samples), torch.manual_seed(0))
        latents = clock("U-Net", pipe.denoise, latents, pipe.scheduler.timesteps, conditions, guidance)
        mel = clock("VAE", pipe.codec.decode, latents)
        audio = clock("vocoder", pipe.codec.vocode, mel, num_samples)
    assert audio.shape[-1] == num_samples
    times["total"] = sum(times.values())
    return times


def compare_paths(args, teacher, student, onnx: dict) -> None:
    paths = {f"teacher, {args.teacher_steps} steps + CFG": (teacher, args.teacher_steps, 3.0),
             f"few-step, {args.student_steps} steps": (student, args.student_steps, 3.0)}
    if onnx:
        paths = {f"teacher, {args.teacher_steps} steps + CFG": (teacher, args.teacher_steps, 3.0),
                 "  the same, ONNX Runtime": (onnx["teacher"], args.teacher_steps, 3.0),
                 f"few-step, {args.student_steps} steps": (student, args.student_steps, 3.0),
                 "  the same, ONNX Runtime ": (onnx["student"], args.student_steps, 3.0)}
    for seconds in args.seconds:
        for pipe, steps, guidance in paths.values():
            stages(pipe, seconds, 1, guidance)  # warm-up
        runs = {name: [] for name in paths}
        for _ in range(args.repeats):
            for name, (pipe, steps, guidance) in paths.items():
                runs[name].append(stages(pipe, seconds, steps, guidance))
        print(f"\n{seconds:g} s of audio, median of {args.repeats} (seconds per stage)")
        print(f"  {'path':<28}" + "".join(f"{s:>9}" for s in ("text", "U-Net", "VAE", "vocoder", "total")) + "   real time")
        for name, results in runs.items():
            median = {k: statistics.median(r[k] for r in results) for k in results[0]}
            print(f"  {name:<28}" + "".join(f"{median[k]:9.3f}" for k in ("text", "U-Net", "VAE", "vocoder", "total"))
                  + f"   {seconds / median['total']:6.2f}x")


def unet_variants(unet, compile_too: bool = True, onnx_unet=None):
    """(name, module, input dtype) of every CPU optimisation tried on one U-Net call."""
    from diffusers.models.attention_processor import AttnProcessor, AttnProcessor2_0

    base = copy.deepcopy(unet).eval()
    base.set_attn_processor(AttnProcessor2_0())
    yield "baseline (SDPA attention, float32)", base, torch.float32
    classic = copy.deepcopy(base)
    classic.set_attn_processor(AttnProcessor())
    yield "attention without SDPA", classic, torch.float32
    yield "channels_last", copy.deepcopy(base).to(memory_format=torch.channels_last), torch.float32
    quantised = torch.ao.quantization.quantize_dynamic(copy.deepcopy(base), {torch.nn.Linear}, dtype=torch.qint8)
    yield "int8 dynamic (linear layers)", quantised, torch.float32
    yield "bfloat16", copy.deepcopy(base).to(torch.bfloat16), torch.bfloat16
    if compile_too:
        yield "torch.compile", torch.compile(copy.deepcopy(base)), torch.float32
    if onnx_unet is not None:
        yield "ONNX Runtime (latentaudio export)", onnx_unet, torch.float32


def compare_unet(args, pipe, seconds: float, onnx_unet=None) -> None:
    frames = pipe.latent_frames_for(round(seconds * pipe.sample_rate))
    latents = torch.randn(pipe.codec.latent_shape(2, frames))  # one guided call: batch 2
    with torch.no_grad():
        conditions = pipe.encode_prompt([PROMPT], None, 1, True)
        variants = []
        for name, unet, dtype in unet_variants(pipe.unet, not args.skip_compile, onnx_unet):
            kwargs = {k: (v.to(dtype) if torch.is_tensor(v) and v.is_floating_point() else v) for k, v in conditions.items()}
            x = latents.to(dtype)
            start = time.perf_counter()
            reference = unet(x, 500, **kwargs).sample.float()  # warm-up (and compilation)
            warm = time.perf_counter() - start
            variants.append((name, unet, x, kwargs, warm, reference))
        times = {name: [] for name, *_ in variants}
        for _ in range(args.repeats):
            for name, unet, x, kwargs, _, _ in variants:
                start = time.perf_counter()
                unet(x, 500, **kwargs)
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times[variants[0][0]])
    print(f"\nOne U-Net call, batch 2, {frames} latent frames ({seconds:g} s), median of {args.repeats}")
    print(f"  {'variant':<36}{'seconds':>9}{'speed-up':>10}{'first call':>12}{'max |diff|':>12}")
    for name, _, _, _, warm, reference in variants:
        median = statistics.median(times[name])
        diff = (reference - variants[0][5]).abs().max().item()
        print(f"  {name:<36}{median:9.3f}{base / median:9.2f}x{warm:11.2f}s{diff:12.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="default-teacher", help="the teacher (default: the embedded teacher)")
    parser.add_argument("--student", default="default",
                        help="a distilled student (default: the embedded one; none: the teacher's weights, few steps)")
    parser.add_argument("--seconds", type=float, nargs="+", default=[2.56, 5.12])
    parser.add_argument("--teacher-steps", type=int, default=20)
    parser.add_argument("--student-steps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-unet", action="store_true", help="only the end-to-end comparison")
    parser.add_argument("--skip-paths", action="store_true", help="only the U-Net optimisations")
    parser.add_argument("--skip-compile", action="store_true", help="leave torch.compile out (minutes of compiling)")
    parser.add_argument("--skip-onnx", action="store_true", help="leave ONNX Runtime out (a minute or two of exporting)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    teacher = load(args.model)
    student = few_step(teacher, args.student)
    print(f"{args.model} and {args.student}, {args.threads} threads; U-Net clip {teacher.default_audio_length_in_s:g} s, "
          f"one pass up to {teacher.one_pass_length_in_s:g} s")
    with tempfile.TemporaryDirectory() as scratch:
        onnx = {} if args.skip_onnx else {"teacher": exported(teacher, f"{scratch}/teacher"),
                                           "student": exported(student, f"{scratch}/student")}
        if not args.skip_paths:
            compare_paths(args, teacher, student, onnx)
        if not args.skip_unet:
            compare_unet(args, teacher, max(args.seconds) if teacher.window_frames > teacher.clip_frames
                         else teacher.default_audio_length_in_s, onnx.get("teacher", teacher).unet if onnx else None)


if __name__ == "__main__":
    main()
