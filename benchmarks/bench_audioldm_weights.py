"""AudioLDM weights on CPU: diffusers' AudioLDMPipeline beside latentaudio, on the same folder.

Builds AudioLDM-S-sized components with random weights (speed does not depend on training):
``cvssp/audioldm-s-full-v2``'s U-Net (widths 128-256-384-640, class-label conditioned, 8 latent
channels), VAE (128-256-512, 8 latent channels), CLAP text tower (RoBERTa-base, 512-wide projection,
prompts up to 512 tokens) and SpeechT5 HiFi-GAN (1024 channels, upsampling 5·4·2·2·2), saves them
with diffusers' ``save_pretrained`` and generates ``--seconds`` of audio from that folder through
``diffusers.AudioLDMPipeline`` and through latentaudio as its CLI loads it (``load_pipeline`` and
``place_pipeline``: ``LatentAudioPipeline.from_pretrained``, a channels-last U-Net on the CPU), with
the same prompt, steps, guidance and DDIM scheduler. Each pipeline runs in its own process (its
peak RSS is its own, loading included), the two alternating for ``--rounds`` rounds; each process
warms up with a 1-step call and then times ``--repeats`` calls. Prints the median time of each,
their ratio and the peak RSS.

    python benchmarks/bench_audioldm_weights.py [--seconds 5.12] [--steps 10] [--threads 2] [--rounds 2] [--repeats 2]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

PROMPT, NEGATIVE = "a dog barking in the rain", "low quality"
GUIDANCE = 2.5


def roberta_tokenizer(max_length: int = 512):
    """RoBERTa's byte-level scheme over single bytes (the real merges only shorten prompts)."""
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import RobertaTokenizer

    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    vocab = {token: i for i, token in enumerate(specials + sorted(ByteLevel.alphabet()))}
    return RobertaTokenizer(vocab=vocab, merges=[], model_max_length=max_length)


def build_audioldm_s(folder: Path) -> None:
    from diffusers import AudioLDMPipeline, AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import ClapTextConfig, ClapTextModelWithProjection, SpeechT5HifiGan, SpeechT5HifiGanConfig

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=128, in_channels=8, out_channels=8, block_out_channels=(128, 256, 384, 640), layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=8, cross_attention_dim=(128, 256, 384, 640), class_embed_type="simple_projection",
        projection_class_embeddings_input_dim=512, class_embeddings_concat=True,
    )
    vae = AutoencoderKL(in_channels=1, out_channels=1, block_out_channels=(128, 256, 512), latent_channels=8,
                        down_block_types=("DownEncoderBlock2D",) * 3, up_block_types=("UpDecoderBlock2D",) * 3,
                        layers_per_block=2, sample_size=512, scaling_factor=0.9228)
    text_encoder = ClapTextModelWithProjection(ClapTextConfig(vocab_size=50265, hidden_size=768, num_hidden_layers=12,
                                                              num_attention_heads=12, intermediate_size=3072,
                                                              max_position_embeddings=514, projection_dim=512))
    vocoder = SpeechT5HifiGan(SpeechT5HifiGanConfig(
        model_in_dim=64, sampling_rate=16000, upsample_initial_channel=1024, upsample_rates=[5, 4, 2, 2, 2],
        upsample_kernel_sizes=[16, 16, 8, 4, 4], resblock_kernel_sizes=[3, 7, 11],
        resblock_dilation_sizes=[[1, 3, 5]] * 3, normalize_before=True,
    ))
    scheduler = DDIMScheduler(beta_start=0.0015, beta_end=0.0195, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = AudioLDMPipeline(vae=vae, text_encoder=text_encoder, tokenizer=roberta_tokenizer(), unet=unet,
                                scheduler=scheduler, vocoder=vocoder)
    pipe.save_pretrained(folder, safe_serialization=True)
    sizes = {name: sum(p.numel() for p in getattr(pipe, name).parameters()) / 1e6
             for name in ("unet", "vae", "text_encoder", "vocoder")}
    print("  components (M parameters): " + ", ".join(f"{k} {v:.1f}" for k, v in sizes.items()))


def run(which: str, folder: str, args) -> dict:
    torch.set_num_threads(args.threads)
    warnings.simplefilter("ignore")
    if which == "diffusers":
        from diffusers import AudioLDMPipeline

        pipe = AudioLDMPipeline.from_pretrained(folder, local_files_only=True)
    else:
        from latentaudio.loading import load_pipeline, place_pipeline

        pipe = place_pipeline(load_pipeline(folder))  # as every CLI verb loads it: a channels-last U-Net on the CPU
    pipe.set_progress_bar_config(disable=True)
    call = dict(prompt=PROMPT, negative_prompt=NEGATIVE, audio_length_in_s=args.seconds, guidance_scale=GUIDANCE)
    with torch.no_grad():
        pipe(**call, num_inference_steps=1)  # warm-up
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            audio = pipe(**call, num_inference_steps=args.steps, generator=torch.Generator().manual_seed(0)).audios
            times.append(time.perf_counter() - start)
    assert audio.shape[-1] == round(args.seconds * 16000), audio.shape
    return {"times": times, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def in_child(which: str, folder: str, args) -> dict:
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(run, (which, folder, args))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.12)
    parser.add_argument("--steps", type=int, default=10, help="sampler steps (default 10, diffusers' AudioLDM default)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--folder", default=None, help="reuse (or write) the AudioLDM-S-sized folder here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.folder or Path(scratch) / "audioldm-s-random")
        print(f"AudioLDM-S-sized random weights, {args.seconds} s, {args.steps} DDIM steps, guidance {GUIDANCE}, "
              f"{args.threads} threads; {args.rounds} rounds x {args.repeats} timed calls per pipeline")
        if not (folder / "model_index.json").is_file():
            build_audioldm_s(folder)
        results = {"diffusers": {"times": [], "peak_mb": 0.0}, "latentaudio": {"times": [], "peak_mb": 0.0}}
        for _ in range(args.rounds):
            for which in results:
                out = in_child(which, str(folder), args)
                results[which]["times"] += out["times"]
                results[which]["peak_mb"] = max(results[which]["peak_mb"], out["peak_mb"])
        medians = {which: statistics.median(r["times"]) for which, r in results.items()}
        for which, r in results.items():
            print(f"  {which:<12} median {medians[which]:7.2f} s  (runs {', '.join(f'{t:.2f}' for t in r['times'])})  "
                  f"real-time factor {args.seconds / medians[which]:5.2f}x  peak RSS {r['peak_mb']:.0f} MB")
        print(f"  latentaudio / diffusers time: {medians['latentaudio'] / medians['diffusers']:.3f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
