"""Nothing lost: a run SIGKILLed after a checkpoint and resumed ends where an uninterrupted run does."""

import json

import pytest
import torch
from safetensors.torch import load_file

from latentaudio.cli import main

from .conftest import run_killed_after_checkpoint, train_args

STEPS, EVERY = 6, 2


def final_tensors(output):
    """Every trained tensor the run leaves: the pipeline's U-Net and projection, and the last checkpoint."""
    tensors = {}
    for component in ("unet", "text_projection"):
        for path in (output / component).glob("*.safetensors"):
            tensors.update({f"{component}/{k}": v for k, v in load_file(str(path)).items()})
    last = output / "checkpoints" / f"checkpoint-{STEPS:08d}"
    for name in ("model.safetensors", "ema.safetensors"):
        tensors.update({f"checkpoint/{name}/{k}": v for k, v in load_file(str(last / name)).items()})
    return tensors


def test_killed_and_resumed_run_equals_uninterrupted(tiny_pipe_dir, gm_data, tmp_path):
    def args(output):
        return train_args("train diffusion", tiny_pipe_dir, gm_data, output, "tiny_diffusion.yaml",
                          "--max-steps", STEPS, "--checkpoint-every", EVERY)

    # 1. the reference: one uninterrupted run
    assert main(args(tmp_path / "whole")) == 0

    # 2. the same run in a process killed (SIGKILL) as soon as its first checkpoint is complete
    killed = tmp_path / "killed"
    run_killed_after_checkpoint(args(killed), killed, EVERY)
    assert f"checkpoint-{STEPS:08d}" not in {p.name for p in (killed / "checkpoints").iterdir()}

    # 3. resumed to the end
    assert main(args(killed) + ["--resume"]) == 0

    whole, resumed = final_tensors(tmp_path / "whole"), final_tensors(killed)
    assert whole.keys() == resumed.keys() and len(whole) > 20
    for name in whole:
        torch.testing.assert_close(resumed[name], whole[name], rtol=1e-5, atol=1e-6, msg=name)
    states = [json.loads((out / "checkpoints" / f"checkpoint-{STEPS:08d}" / "trainer_state.json").read_text())
              for out in (killed, tmp_path / "whole")]
    assert states[0]["position"] == states[1]["position"] == STEPS * 4  # data position: steps x batch
    losses = [[values["loss"] for _, values in state["history"]] for state in states]
    torch.testing.assert_close(losses[0], losses[1], rtol=1e-5, atol=1e-6)  # the same batches, the same noise


@pytest.mark.parametrize("trainer", ["vae", "vocoder"])
def test_gan_run_stopped_and_resumed_equals_uninterrupted(tiny_pipe_dir, gm_data, tmp_path, trainer):
    """Both optimizers, the discriminators, weight norm and the switch-on step survive a resume."""
    def run(output, steps, *extra):
        args = train_args(f"train {trainer}", tiny_pipe_dir, gm_data, output, f"tiny_{trainer}.yaml", "--max-steps", steps)
        assert main(args + list(extra)) == 0

    run(tmp_path / "whole", 6)
    run(tmp_path / "parts", 3)  # stops after step 3 (the VAE's discriminator joins at step 5)
    run(tmp_path / "parts", 6, "--resume")
    for name in ("model.safetensors", "model_1.safetensors"):  # the component, and its discriminator(s)
        whole = load_file(str(tmp_path / "whole" / "checkpoints" / "checkpoint-00000006" / name))
        parts = load_file(str(tmp_path / "parts" / "checkpoints" / "checkpoint-00000006" / name))
        assert whole.keys() == parts.keys()
        for key in whole:
            torch.testing.assert_close(parts[key], whole[key], rtol=1e-5, atol=1e-6, msg=f"{name}: {key}")
    config = lambda out: json.loads((out / trainer / "config.json").read_text())  # noqa: E731
    assert config(tmp_path / "parts") == config(tmp_path / "whole")  # e.g. the VAE's scaling_factor
