"""Training throughput on CPU: examples per second of each trainer, and the U-Net step's GFLOP/s.

For a pipeline built from a model config (default ``configs/small.yaml``, random weights: speed
does not depend on training), on a few FluidR3_GM one-shots rendered into a temporary folder:

* each trainer (VAE, vocoder, diffusion) runs its real loop with its default recipe
  (``configs/training/<trainer>.yaml``) at ``--batch-size``; examples per second are counted
  over the steps after ``--warmup`` (data caches filled, kernels chosen);
* the diffusion U-Net's training step (forward + backward of U-Net and text projection) is
  counted with ``torch.utils.flop_counter.FlopCounterMode`` and timed alone, and its achieved
  GFLOP/s is set beside the machine's fp32 matmul peak, measured here with square ``torch.mm``.

    python benchmarks/bench_training.py [--config configs/small.yaml] [--batch-size 4] [--steps 4] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def render_data(folder: Path, seconds: float) -> Path:
    """Ten one-shots (five programs, two pitches) of ``seconds`` each, all in the training split."""
    from latentaudio.data.soundfont import render_soundfont_dataset

    render_soundfont_dataset(folder, programs=[0, 24, 33, 56, 73], drums=False, seconds=seconds,
                             pitches_per_program=2, velocities=(100,))
    return folder


def timed_trainer(trainer_class):
    """The trainer, recording the time at which every optimizer update ends."""

    class Timed(trainer_class):
        def after_step(self):
            super().after_step()
            self.step_ends.append(time.perf_counter())

    return Timed


def trainer_throughput(name: str, model: Path, data: Path, work: Path, args) -> dict:
    from latentaudio import training

    trainer_class, config_class = {
        "vae": (training.VaeTrainer, training.VaeTrainingConfig),
        "vocoder": (training.VocoderTrainer, training.VocoderTrainingConfig),
        "diffusion": (training.DiffusionTrainer, training.DiffusionTrainingConfig),
    }[name]
    config = config_class.from_yaml(
        REPO / "configs" / "training" / f"{name}.yaml", batch_size=args.batch_size, max_steps=args.warmup + args.steps,
        checkpoint_every=10_000, validation_every=0, log_every=1, lr_warmup_steps=0,
        **({"cache_latents": True} if name == "diffusion" else {}),
    )
    trainer = timed_trainer(trainer_class)(model, data, work / name, config)
    trainer.step_ends = []
    trainer.run()
    ends = trainer.step_ends[args.warmup - 1:]
    seconds = (ends[-1] - ends[0]) / (len(ends) - 1)
    return {"trainer": name, "batch": args.batch_size, "s_per_step": seconds, "examples_per_s": args.batch_size / seconds}


def unet_step_flops(model: Path, batch_size: int, repeats: int) -> dict:
    """FLOPs and time of one U-Net training step (forward + backward) at the native clip."""
    from torch.utils.flop_counter import FlopCounterMode

    from latentaudio.loading import load_pipeline
    from latentaudio.training.diffusion import CaptionStates, ConditionedUNet

    pipe = load_pipeline(model)
    unet = pipe.unet.train()
    denoiser = ConditionedUNet(unet, pipe.text_projection)
    frames = pipe.latent_frames_for(round(pipe.default_audio_length_in_s * pipe.sample_rate))
    latents = torch.randn(pipe.codec.latent_shape(batch_size, frames))
    timesteps = torch.randint(0, 1000, (batch_size,))
    states, mask = CaptionStates(pipe, memoise=False)(["a loud snare drum hit"] * batch_size, torch.device("cpu"))

    def step():
        denoiser.zero_grad(set_to_none=True)
        denoiser(latents, timesteps, states, mask).square().mean().backward()

    with FlopCounterMode(display=False) as counter:
        step()
    step()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    seconds = (time.perf_counter() - start) / repeats
    flops = counter.get_total_flops()
    return {"shape": tuple(latents.shape), "gflop": flops / 1e9, "s_per_step": seconds, "gflops": flops / 1e9 / seconds}


def matmul_peak(size: int = 2048, repeats: int = 10) -> float:
    """Best fp32 GFLOP/s of a square matmul (2 n^3 FLOPs each)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    torch.mm(a, b)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(REPO / "configs" / "small.yaml"), help="model config")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--steps", type=int, default=4, help="timed steps per trainer")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--trainers", nargs="+", default=["vae", "vocoder", "diffusion"])
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    from latentaudio.builder import build_pipeline, load_config

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        pipe = build_pipeline(load_config(args.config), seed=0)
        pipe.save_pretrained(work / "model")
        data = render_data(work / "data", seconds=pipe.default_audio_length_in_s)
        print(f"{Path(args.config).name}: training on CPU, {args.threads} threads, batch {args.batch_size}, "
              f"{args.steps} timed steps after {args.warmup}")
        print(f"{'trainer':<10} {'s/step':>8} {'examples/s':>11}")
        for name in args.trainers:
            result = trainer_throughput(name, work / "model", data, work, args)
            print(f"{result['trainer']:<10} {result['s_per_step']:>8.3f} {result['examples_per_s']:>11.2f}", flush=True)
        unet = unet_step_flops(work / "model", args.batch_size, args.steps)
    peak = matmul_peak()
    print(f"\nU-Net training step (forward + backward) on latents {unet['shape']}: {unet['gflop']:.1f} GFLOP "
          f"in {unet['s_per_step']:.3f} s = {unet['gflops']:.1f} GFLOP/s")
    print(f"fp32 matmul peak (2048^2 torch.mm): {peak:.1f} GFLOP/s; "
          f"the U-Net step reaches {100 * unet['gflops'] / peak:.0f}% of it")


if __name__ == "__main__":
    main()
