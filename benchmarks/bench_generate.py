"""Generation speed and memory on CPU: latentaudio beside diffusers' AudioLDMPipeline.

Prints, for a pipeline built from a model config (default ``configs/small.yaml``, random
weights: speed does not depend on training) or loaded from ``--model``:

* wall time to generate ``--seconds`` of audio at ``--steps`` steps (default: the model's own, 4 for a
  distilled student such as the embedded default model, else 20), split into text encoding,
  denoising, VAE decoding and vocoder, and the real-time factor (audio seconds per second);
* peak resident memory of the process that ran it (each measurement in its own process);
* with ``--model`` a folder holding a standalone export (``latentaudio export --standalone``) that runs these
  settings: the whole call through it (ONNX Runtime, no PyTorch), warm;
* the vocoder's real-time factor beside Griffin-Lim's on the same mel, in the same run;
* the same generation through diffusers' ``AudioLDMPipeline`` built from equivalent components
  (the same VAE; a U-Net of the same widths conditioned AudioLDM's way, on a CLAP text
  embedding through class labels; a ``SpeechT5HifiGan`` of 0.86 M parameters, near our vocoder's size),
  at ``--reference-steps`` steps (default 10, ``AudioLDMPipeline``'s own default; several may be given).

    python benchmarks/bench_generate.py [--config configs/small.yaml | --model DIR [--runtime onnx]] [--seconds 5.12] [--steps N]
        [--reference-steps 10 20] [--loop]

``--loop`` times a take that plays in a loop (``loop=True``), its VAE decoding and vocoding as one stage.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import time
from contextlib import contextmanager

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

PROMPT = "a loud snare drum hit"


@contextmanager
def timed(times: dict, name: str):
    start = time.perf_counter()
    yield
    times[name] = times.get(name, 0.0) + time.perf_counter() - start


def load(args, runtime=None):
    """The pipeline of ``--model`` (run as ``runtime``, default ``--runtime``) or a random one from ``--config``."""
    from latentaudio import LatentAudioPipeline
    from latentaudio.builder import build_pipeline, load_config
    from latentaudio.model_folder import model_location

    if args.model:
        pipe = LatentAudioPipeline.from_pretrained(model_location(args.model), runtime=runtime or args.runtime)
    else:
        pipe = build_pipeline(load_config(args.config))
    pipe.set_progress_bar_config(disable=True)
    return pipe


def run_latentaudio(args) -> dict:
    """One generation, timed stage by stage through the pipeline's own steps."""
    from latentaudio.pipelines.loops import loop_period_frames

    pipe = load(args)
    codec = pipe.codec
    pipe("warm-up", num_inference_steps=2, audio_length_in_s=args.seconds)
    times: dict = {}
    for _ in range(args.repeats):
        with torch.no_grad():
            num_samples = pipe.check_length(args.seconds)
            with timed(times, "text encoding"):
                conditions = pipe.encode_prompt([PROMPT], None, 1, True)
            frames = loop_period_frames(num_samples, pipe.samples_per_latent_frame) if args.loop else pipe.latent_frames_for(num_samples)
            with timed(times, "denoising"):
                pipe.scheduler.set_timesteps(args.steps)
                latents = pipe.prepare_latents(1, frames, torch.manual_seed(0))
                latents = pipe.denoise(latents, pipe.scheduler.timesteps, conditions, 3.0,
                                       loop_samples=num_samples if args.loop else None)
            if args.loop:  # the VAE decoder and the vocoder each with the circle around the period
                with timed(times, "decode + vocode"):
                    audio = pipe.decode_loop(latents, num_samples, "pt")
                continue
            with timed(times, "VAE decode"):
                mel = codec.decode(latents)
            with timed(times, "vocoder"):
                audio = codec.vocode(mel, num_samples)
    assert audio.shape[-1] == num_samples
    times = {k: v / args.repeats for k, v in times.items()}
    return {"times": times, "peak_mb": peak_mb()}


def default_steps(args) -> int:
    """The sampler steps the model uses when a call gives none: its saved ``default_inference_steps``, read
    from ``model_index.json`` (a random ``--config`` pipeline, or a folder without the setting, uses the pipelines' default)."""
    from latentaudio.model_folder import PipelineFolder, model_location
    from latentaudio.pipelines.base import DEFAULT_INFERENCE_STEPS

    folder = PipelineFolder.find(model_location(args.model)) if args.model else None
    return (folder.index if folder else {}).get("default_inference_steps", DEFAULT_INFERENCE_STEPS)


def run_vocoders(args) -> dict:
    from latentaudio.builder import griffin_lim_for

    pipe = load(args)
    mel = pipe.spectrogram(torch.randn(1, round(args.seconds * pipe.sample_rate)) * 0.1)
    out = {}
    for name, vocoder in ((type(pipe.vocoder).__name__, pipe.vocoder),
                          ("Griffin-Lim (32 iters)", griffin_lim_for(pipe.spectrogram))):
        with torch.no_grad():
            vocoder(mel)
            start = time.perf_counter()
            for _ in range(args.repeats):
                vocoder(mel)
        out[name] = args.seconds / ((time.perf_counter() - start) / args.repeats)
    return out


def run_audioldm(args) -> dict:
    """diffusers' AudioLDMPipeline with components equivalent to ours."""
    from diffusers import AudioLDMPipeline, UNet2DConditionModel
    from transformers import ClapTextConfig, ClapTextModelWithProjection, SpeechT5HifiGan, SpeechT5HifiGanConfig

    from latentaudio.conditioning import minilm_path

    ours = load(args, runtime="torch")  # diffusers' pipeline runs PyTorch modules only
    unet_config = dict(ours.unet.config)
    embed_dim = unet_config["cross_attention_dim"]
    unet = UNet2DConditionModel(
        sample_size=unet_config["sample_size"], in_channels=unet_config["out_channels"],  # the latent alone: no beat channels
        out_channels=unet_config["out_channels"], down_block_types=("DownBlock2D",) * len(unet_config["down_block_types"]),
        up_block_types=("UpBlock2D",) * len(unet_config["up_block_types"]), mid_block_type="UNetMidBlock2D",
        block_out_channels=unet_config["block_out_channels"], layers_per_block=unet_config["layers_per_block"],
        norm_num_groups=unet_config["norm_num_groups"], class_embed_type="simple_projection",
        projection_class_embeddings_input_dim=embed_dim, class_embeddings_concat=True,
    )
    # A MiniLM-sized CLAP text tower (6 layers, width 384) with MiniLM's tokenizer.
    text_encoder = ClapTextModelWithProjection(ClapTextConfig(
        vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12, intermediate_size=1536,
        projection_dim=embed_dim,
    ))
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(  # hop 160; 0.86 M parameters
        model_in_dim=ours.spectrogram.n_mels, sampling_rate=ours.sample_rate, upsample_initial_channel=128,
        upsample_rates=[5, 4, 4, 2], upsample_kernel_sizes=[11, 8, 8, 4], resblock_kernel_sizes=[3, 7, 11],
        resblock_dilation_sizes=[[1, 3, 5]] * 3, normalize_before=False,
    ))
    pipe = AudioLDMPipeline(vae=ours.vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                            scheduler=ours.scheduler, vocoder=vocoder)
    pipe.set_progress_bar_config(disable=True)
    pipe(PROMPT, num_inference_steps=2, audio_length_in_s=args.seconds)
    start = time.perf_counter()
    for _ in range(args.repeats):
        audio = pipe(PROMPT, num_inference_steps=args.reference_steps, audio_length_in_s=args.seconds,
                     generator=torch.manual_seed(0)).audios
    total = (time.perf_counter() - start) / args.repeats
    return {"times": {"total": total}, "peak_mb": peak_mb(), "samples": audio.shape[-1]}


def run_standalone(args) -> dict:
    """The same generation through the folder's standalone export (``latentaudio export --standalone``), if it has
    one that runs these settings: whole calls (text to waveform, no stages to split), mean of the repeats."""
    from latentaudio.model_folder import model_location
    from latentaudio.standalone import StandaloneGenerator, StandaloneUnavailable, read_config, runs_call

    folder = model_location(args.model)
    try:
        config = read_config(folder)
    except StandaloneUnavailable:
        return {}
    if not runs_call(config, args.steps, None, args.seconds):
        return {}
    generator = StandaloneGenerator.from_pretrained(folder, threads=args.threads, config=config)
    generator("warm-up", args.seconds)
    start = time.perf_counter()
    for seed in range(args.repeats):
        audio = generator(PROMPT, args.seconds, seed=seed)
    assert audio.shape[-1] == round(args.seconds * generator.sample_rate)
    return {"total": (time.perf_counter() - start) / args.repeats}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(function, args):
    """Run in a fresh process so that its peak memory is its own."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, (args,))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="configs/small.yaml")
    parser.add_argument("--model", default=None, help="a pipeline folder instead of a random one from --config")
    parser.add_argument("--seconds", type=float, default=5.12)
    parser.add_argument("--steps", type=int, default=None, help="sampler steps (default: the model's default)")
    parser.add_argument("--reference-steps", type=int, nargs="+", default=[10],
                        help="AudioLDMPipeline's steps (default 10, its own default)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--runtime", choices=["auto", "torch", "onnx"], default="auto",
                        help="latentaudio's runtime for --model (auto: its ONNX export when it has one)")
    parser.add_argument("--skip-audioldm", action="store_true")
    parser.add_argument("--loop", action="store_true",
                        help="time a take that plays in a loop (loop=True: the period denoised and decoded as a circle)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.steps is None:
        args.steps = default_steps(args)

    print(f"{args.seconds} s of audio, {args.steps} steps, guidance on, {args.threads} threads, "
          f"{args.model or args.config}{f' (runtime {args.runtime})' if args.model else ''}, mean of {args.repeats}")
    ours = in_child(run_latentaudio, args)
    total = sum(ours["times"].values())
    for stage, seconds in ours["times"].items():
        print(f"  {stage:<14} {seconds:7.3f} s")
    print(f"  {'total':<14} {total:7.3f} s   real-time factor {args.seconds / total:5.2f}x   peak RSS {ours['peak_mb']:.0f} MB")
    standalone = in_child(run_standalone, args) if args.model and not args.loop else {}  # the export makes plain takes
    if standalone:
        print(f"  {'standalone':<14} {standalone['total']:7.3f} s   "
              f"real-time factor {args.seconds / standalone['total']:5.2f}x   (the whole call in one graph, no PyTorch; peak RSS: bench_startup.py)")
    for name, rtf in in_child(run_vocoders, args).items():
        print(f"  vocoder {name:<24} {rtf:7.1f}x real time")
    for reference_steps in [] if args.skip_audioldm else args.reference_steps:
        ref = in_child(run_audioldm, argparse.Namespace(**{**vars(args), "reference_steps": reference_steps}))
        t = ref["times"]["total"]
        print(f"  diffusers AudioLDMPipeline, equivalent components, {reference_steps} steps: {t:7.3f} s   real-time factor "
              f"{args.seconds / t:5.2f}x   peak RSS {ref['peak_mb']:.0f} MB   (latentaudio {t / total:.2f}x faster"
              + (f", its standalone graph {t / standalone['total']:.2f}x)" if standalone else ")"))


if __name__ == "__main__":
    main()
