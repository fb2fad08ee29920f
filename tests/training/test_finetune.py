"""Fine-tuning on a new folder: full and LoRA; the result reloads, generates, and LoRA loads the diffusers way."""

import pytest
import torch
from safetensors import safe_open

from latentaudio import LatentAudioPipeline
from latentaudio.cli import main

from .conftest import train_args

FAST = dict(num_inference_steps=2, output_type="latent", audio_length_in_s=0.32)


def latents(pipe, prompt="a trumpet note"):
    pipe.set_progress_bar_config(disable=True)
    return pipe(prompt, generator=torch.manual_seed(0), **FAST).audios


@pytest.mark.parametrize("lora_rank", [None, 4])
def test_finetune_command_reloads_and_generates(tiny_pipe_dir, gm_data, tmp_path, lora_rank):
    out = tmp_path / "tuned"
    extra = ["--max-steps", 2] + (["--lora-rank", lora_rank] if lora_rank else [])
    assert main(train_args("finetune", tiny_pipe_dir, gm_data, out, None, *extra)) == 0
    assert (out / "lora" / "pytorch_lora_weights.safetensors").is_file() == bool(lora_rank)
    pipe = LatentAudioPipeline.from_pretrained(out)
    pipe.set_progress_bar_config(disable=True)
    audio = pipe("a trumpet note", num_inference_steps=2, generator=torch.manual_seed(0)).audios
    assert audio.shape == (1, 5120) and torch.isfinite(torch.as_tensor(audio)).all()
    assert not any("lora" in name for name in pipe.unet.state_dict())  # plain weights, adapter fused


def test_lora_changes_the_output_and_loads_fused_or_unfused(tiny_pipe_dir, gm_data, tmp_path, diffusers_messages):
    out = tmp_path / "lora"
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, out, "tiny_lora.yaml")) == 0
    adapter = out / "lora" / "pytorch_lora_weights.safetensors"
    with safe_open(str(adapter), "pt") as handle:
        keys = list(handle.keys())
    assert keys and all(k.startswith("unet.") and ".lora." in k for k in keys)
    assert {k.split(".lora.")[0].rsplit(".", 1)[-1] for k in keys} == {"to_q", "to_k", "to_v", "0"}  # to_out.0

    base = latents(LatentAudioPipeline.from_pretrained(tiny_pipe_dir))
    fused_folder = latents(LatentAudioPipeline.from_pretrained(out))
    assert (fused_folder - base).abs().max() > 1e-2  # the adapter changed the model

    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    diffusers_messages.clear()
    pipe.load_lora_weights(out / "lora")  # the diffusers way, onto the base model (alpha 8, rank 4 from metadata)
    assert not diffusers_messages  # quietly: that the adapter holds no text-encoder keys is how latentaudio trains them
    unfused = latents(pipe)
    pipe.fuse_lora()
    fused = latents(pipe)
    torch.testing.assert_close(unfused, fused_folder, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(fused, unfused, rtol=1e-4, atol=1e-4)
    pipe.unfuse_lora()  # W + BA - BA: back to the base model up to rounding
    pipe.unload_lora_weights()
    torch.testing.assert_close(latents(pipe), base, rtol=1e-3, atol=1e-3)


def test_finetune_resumes(tiny_pipe_dir, gm_data, tmp_path):
    import json

    out = tmp_path / "tuned"
    assert main(train_args("finetune", tiny_pipe_dir, gm_data, out, None, "--max-steps", 2, "--lora-rank", 2)) == 0
    assert main(train_args("finetune", tiny_pipe_dir, gm_data, out, None, "--max-steps", 2)) == 1  # checkpoints exist
    assert main(train_args("finetune", tiny_pipe_dir, gm_data, out, None, "--max-steps", 3, "--lora-rank", 2,
                           "--resume")) == 0
    assert json.loads((out / "training.json").read_text())["steps"] == 3
