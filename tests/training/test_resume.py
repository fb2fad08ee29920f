"""Nothing lost: a run SIGKILLed after a checkpoint and resumed ends where an uninterrupted run does."""

import json
import os
import shutil

import pytest
import torch
from safetensors.torch import load_file

from latentaudio.cli import main
from latentaudio.model_folder import PipelineFolder

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


# ------------------------------------------------------------- self-healing resume
def error_line(err: str) -> str:
    """The one error line of a failed command (progress bars aside), checked to be alone and traceback-free."""
    lines = [line for line in err.splitlines() if line.startswith("latentaudio ")]
    assert len(lines) == 1 and "Traceback" not in err, err[-2000:]
    return lines[0]


def truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def flip_middle_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


DAMAGES = {
    "truncated weights": lambda checkpoint: truncate(checkpoint / "model.safetensors"),
    "garbled state": lambda checkpoint: (checkpoint / "trainer_state.json").write_text('{"format": "latentaud'),
    "flipped optimizer byte": lambda checkpoint: flip_middle_byte(checkpoint / "optimizer.bin"),
}


@pytest.fixture(scope="module")
def two_checkpoints(tiny_pipe_dir, gm_data, tmp_path_factory):
    """A finished two-step VAE run with a checkpoint after each step; tests copy it."""
    out = tmp_path_factory.mktemp("two_checkpoints") / "vae"
    assert main(train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml", "--checkpoint-every", 1,
                           "--max-steps", 2)) == 0
    return out


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_damaged_newest_checkpoint_is_named_and_the_previous_one_resumes(two_checkpoints, tiny_pipe_dir, gm_data,
                                                                             tmp_path, capsys, damage):
    out = tmp_path / "vae"
    shutil.copytree(two_checkpoints, out)
    args = train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml", "--checkpoint-every", 1)
    checkpoints = out / "checkpoints"
    DAMAGES[damage](checkpoints / "checkpoint-00000002")
    capsys.readouterr()

    assert main(args + ["--max-steps", "3", "--resume"]) == 0
    said = capsys.readouterr().out
    assert "Checkpoint checkpoint-00000002 is damaged" in said and "resuming from checkpoint-00000001" in said
    assert {"truncated weights": "model.safetensors", "garbled state": "trainer_state.json",
            "flipped optimizer byte": "optimizer.bin"}[damage] in said
    assert "from " + str(checkpoints / "checkpoint-00000001") + " (step 1)" in said
    assert sorted(p.name for p in checkpoints.iterdir()) == [
        "checkpoint-00000001", "checkpoint-00000002", "checkpoint-00000003", "damaged-checkpoint-00000002"]
    assert json.loads((out / "training.json").read_text())["steps"] == 3


def test_no_intact_checkpoint_is_an_error_that_moves_nothing(tiny_pipe_dir, gm_data, tmp_path, capsys):
    out = tmp_path / "vae"
    args = train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml", "--max-steps", 1)
    assert main(args) == 0
    truncate(out / "checkpoints" / "checkpoint-00000001" / "model.safetensors")
    capsys.readouterr()
    assert main(args + ["--resume"]) == 1
    err = error_line(capsys.readouterr().err)
    assert "No intact checkpoint" in err and "model.safetensors" in err
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["checkpoint-00000001"]


def test_a_resume_with_other_settings_or_model_names_them_and_needs_permission(tiny_pipe_dir, tiny_config, gm_data,
                                                                                 tmp_path, capsys):
    from latentaudio.builder import build_pipeline

    out = tmp_path / "vae"
    args = lambda model, *extra: train_args("train vae", model, gm_data, out, "tiny_vae.yaml", *extra)  # noqa: E731
    assert main(args(tiny_pipe_dir, "--max-steps", 1)) == 0
    capsys.readouterr()

    assert main(args(tiny_pipe_dir, "--max-steps", 2, "--batch-size", 4, "--resume")) == 1
    err = error_line(capsys.readouterr().err)
    assert "batch_size: 5 → 4" in err and "--allow-changed-settings" in err

    other = tmp_path / "other_model"
    build_pipeline(tiny_config, seed=1).save_pretrained(other)
    assert main(args(other, "--max-steps", 2, "--resume")) == 1
    err = error_line(capsys.readouterr().err)
    assert "model: '" in err and "batch_size" not in err

    assert main(args(tiny_pipe_dir, "--max-steps", 2, "--batch-size", 4, "--resume", "--allow-changed-settings")) == 0
    assert "Resuming with changed settings: batch_size: 5 → 4" in capsys.readouterr().out
    state = json.loads((out / "checkpoints" / "checkpoint-00000002" / "trainer_state.json").read_text())
    assert state["settings"]["batch_size"] == 4 and state["step"] == 2  # later checkpoints record the new settings


@pytest.mark.parametrize("relation", ["is", "is inside", "holds"])
def test_training_refuses_an_output_that_overlaps_its_model(tiny_pipe_dir, gm_data, tmp_path, capsys, relation):
    model = tmp_path / "model"
    shutil.copytree(tiny_pipe_dir, model)
    before = PipelineFolder.read(model).digest()
    output = {"is": model, "is inside": model / "trained", "holds": tmp_path}[relation]
    assert main(train_args("train vae", model, gm_data, output, "tiny_vae.yaml", "--max-steps", 1)) == 1
    err = error_line(capsys.readouterr().err)
    assert f" {relation} --model " in err and "outside the model folder" in err
    assert PipelineFolder.read(model).digest() == before
    assert sorted(os.listdir(model)) == sorted(os.listdir(tiny_pipe_dir))
