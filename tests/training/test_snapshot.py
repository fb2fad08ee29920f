"""configs/default_model/snapshot.py with a frozen text projection: the snapshot carries the U-Net alone."""

import subprocess
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from latentaudio import LatentAudioPipeline

from ..conftest import REPO


def test_a_snapshot_without_the_projection_keeps_the_pipelines(minilm_pipe_dir, tmp_path):
    script = [sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py")]
    packed = tmp_path / "packed.safetensors"
    assert subprocess.run(script + ["pack", str(minilm_pipe_dir), str(packed)], capture_output=True, timeout=300).returncode == 0
    weights = load_file(packed)
    assert any(key.startswith("projection.") for key in weights)
    # What a run with train_text_projection: false checkpoints: the U-Net's weights, moved, and no projection.
    unet_only = {key: value + 0.25 for key, value in weights.items() if key.startswith("unet.")}
    save_file(unet_only, tmp_path / "unet_only.safetensors")
    result = subprocess.run(script + ["apply", str(tmp_path / "unet_only.safetensors"), str(minilm_pipe_dir), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    source, out = LatentAudioPipeline.from_pretrained(minilm_pipe_dir), LatentAudioPipeline.from_pretrained(tmp_path / "out")
    for key, value in source.text_projection.state_dict().items():
        assert torch.equal(out.text_projection.state_dict()[key], value)  # the pipeline's own projection
    for key, value in out.unet.state_dict().items():
        torch.testing.assert_close(value, unet_only[f"unet.{key}"].float())  # the snapshot's U-Net


def test_a_snapshot_with_the_instrument_embedding_gives_the_pipeline_its_width(minilm_pipe_dir, tmp_path):
    from latentaudio.conditioning import FEATURE_WIDTHS, has_instrument_embedding, with_pitch_embedding

    pipe = LatentAudioPipeline.from_pretrained(minilm_pipe_dir)
    pipe.unet = with_pitch_embedding(pipe.unet, instruments=True)
    torch.nn.init.normal_(pipe.unet.class_embedding.linear_1.weight, std=0.5)  # trained columns, the instrument's too
    torch.nn.init.normal_(pipe.unet.class_embedding.linear_2.weight, std=0.5)
    pipe.register_to_config(pitch_conditioning=True)
    pipe.save_pretrained(tmp_path / "wide")
    script = [sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py")]
    packed = tmp_path / "packed.safetensors"
    assert subprocess.run(script + ["pack", str(tmp_path / "wide"), str(packed)], capture_output=True, timeout=300).returncode == 0
    result = subprocess.run(script + ["apply", str(packed), str(minilm_pipe_dir), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = LatentAudioPipeline.from_pretrained(tmp_path / "out")  # applied to a pipeline without any embedding
    assert out.config.pitch_conditioning and has_instrument_embedding(out.unet)
    assert out.unet.config.projection_class_embeddings_input_dim == FEATURE_WIDTHS[1]
    torch.testing.assert_close(out.unet.class_embedding.linear_1.weight, pipe.unet.class_embedding.linear_1.weight.half().float())


def test_a_music_snapshot_applied_to_a_narrower_pipeline_keeps_its_width_and_length(minilm_pipe_dir, tmp_path):
    """The snapshot of a run that added the music embedding, beat-phase channels and key channels, applied to a
    pipeline folder with none of them: the output has them all, with the run's weights."""
    from latentaudio.conditioning import (
        FEATURE_WIDTHS,
        has_beat_channels,
        has_key_channels,
        has_music_embedding,
        with_beat_channels,
        with_key_channels,
        with_pitch_embedding,
    )

    pipe = LatentAudioPipeline.from_pretrained(minilm_pipe_dir)
    pipe.unet = with_key_channels(with_beat_channels(with_pitch_embedding(pipe.unet, music=True)))
    torch.nn.init.normal_(pipe.unet.conv_in.weight, std=0.3)
    torch.nn.init.normal_(pipe.unet.class_embedding.linear_1.weight, std=0.5)
    torch.nn.init.normal_(pipe.unet.class_embedding.linear_2.weight, std=0.5)
    pipe.register_to_config(pitch_conditioning=True)
    pipe.save_pretrained(tmp_path / "music")
    narrow = LatentAudioPipeline.from_pretrained(minilm_pipe_dir)
    narrow.unet = with_pitch_embedding(narrow.unet)  # the note's 16 features only, as the default model has
    narrow.register_to_config(pitch_conditioning=True)
    narrow.save_pretrained(tmp_path / "narrow")
    script = [sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py")]
    packed = tmp_path / "packed.safetensors"
    assert subprocess.run(script + ["pack", str(tmp_path / "music"), str(packed)], capture_output=True, timeout=300).returncode == 0
    result = subprocess.run(script + ["apply", str(packed), str(tmp_path / "narrow"), str(tmp_path / "out"),
                                      "--longest-trained-length", "10.24"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    out = LatentAudioPipeline.from_pretrained(tmp_path / "out")
    assert has_music_embedding(out.unet) and out.unet.config.projection_class_embeddings_input_dim == FEATURE_WIDTHS[2]
    assert has_beat_channels(out.unet) and has_key_channels(out.unet) and not has_beat_channels(narrow.unet)
    torch.testing.assert_close(out.unet.conv_in.weight, pipe.unet.conv_in.weight.half().float())
    assert out.config.longest_trained_length_in_s == 10.24
    torch.testing.assert_close(out.unet.class_embedding.linear_1.weight, pipe.unet.class_embedding.linear_1.weight.half().float())


def test_pack_transfer_packs_the_train_split_small_and_a_run_trains_from_it(tiny_pipe_dir, gm_data, tmp_path):
    import json
    import shutil

    from safetensors import safe_open

    from latentaudio.cli import main
    from latentaudio.training.config import DiffusionTrainingConfig
    from latentaudio.training.text_states import CaptionStateTable

    from .conftest import TRAINING_CONFIGS, loss_history, train_args

    data = tmp_path / "music"
    shutil.copytree(gm_data, data / "oneshots")
    states = tmp_path / "states.safetensors"
    assert main(["data", "embed-captions", str(data), "--model", str(tiny_pipe_dir), "--output", str(states)]) == 0
    out = tmp_path / "transfer"
    result = subprocess.run([sys.executable, str(REPO / "configs" / "music_model" / "pack_transfer.py"), "--model", str(tiny_pipe_dir),
                             "--data", str(data), "--states", str(states), "--out", str(out), "--oneshot-every", "2"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]

    rows = [json.loads(line) for line in (out / "data" / "oneshots" / "metadata.jsonl").read_text().splitlines()]
    train = [json.loads(line) for line in (gm_data / "metadata.jsonl").read_text().splitlines() if '"train"' in line]
    assert len(rows) == (len(train) + 1) // 2 and {row["split"] for row in rows} == {"train"}
    assert [Path(row["file_name"]).stem for row in rows] == [Path(row["file_name"]).stem for row in train[::2]]
    assert sorted(p.name for p in (out / "data" / "oneshots").glob("*.opus")) == sorted(row["file_name"] for row in rows)
    table = CaptionStateTable(out / "states.safetensors")
    validation = DiffusionTrainingConfig().validation_prompts  # embed-captions adds them; the pack keeps them
    assert all(row["text"] in table for row in rows) and all(prompt in table for prompt in validation)
    assert len(table.index) == len({row["text"] for row in rows} | set(validation)) + 1  # and the empty prompt
    with safe_open(str(out / "states.safetensors"), framework="pt") as f:
        assert f.get_slice("states").get_dtype() == "F16"
    assert not (out / "base" / "unet" / "diffusion_pytorch_model.safetensors").exists()
    assert load_file(out / "base" / "vae" / "diffusion_pytorch_model.safetensors")["encoder.conv_in.weight"].dtype == torch.float16
    filters = load_file(out / "base" / "spectrogram" / "diffusion_pytorch_model.safetensors")  # exact: the latents start from them
    assert filters and all(value.dtype == torch.float32 for value in filters.values() if value.is_floating_point())

    # the GPU machine's steps: the snapshot completes the base, and a run trains on the Opus copy with the states alone
    applied = subprocess.run([sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py"), "apply",
                              str(out / "start.safetensors"), str(out / "base"), str(tmp_path / "start")],
                             capture_output=True, text=True, timeout=300)
    assert applied.returncode == 0, applied.stderr[-2000:]
    config = tmp_path / "transfer.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\ntext_states_file: {out / 'states.safetensors'}\n")
    run = tmp_path / "run"
    assert main(train_args("train diffusion", tmp_path / "start", out / "data", run, None, "--config", config, "--max-steps", 2)) == 0
    assert len(loss_history(run)) == 2


def test_half_rewrites_floating_tensors_as_float16_and_leaves_integers(tmp_path):
    weights = {"weight": torch.randn(4, 3), "steps": torch.arange(5), "scale": torch.tensor([1.0001], dtype=torch.float64)}
    path = tmp_path / "diffusion_pytorch_model.safetensors"
    save_file(weights, path)
    result = subprocess.run([sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py"), "half", str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    halved = load_file(path)
    assert halved["weight"].dtype == torch.float16 and halved["scale"].dtype == torch.float16
    assert torch.equal(halved["weight"], weights["weight"].half()) and torch.equal(halved["steps"], weights["steps"])
    assert sorted(path.parent.iterdir()) == [path]  # no scratch file left beside it


def _mix(*args):
    return subprocess.run([sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py"), "mix", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def _checkpoint(folder: Path, weights: dict) -> Path:
    folder.mkdir()
    save_file(weights, folder / "ema.safetensors")
    return folder


def test_mix_averages_a_pipeline_folder_with_a_checkpoint(minilm_pipe_dir, tmp_path):
    packed = tmp_path / "packed.safetensors"
    script = [sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py")]
    assert subprocess.run(script + ["pack", str(minilm_pipe_dir), str(packed)], capture_output=True, timeout=300).returncode == 0
    weights = {key: value.float() for key, value in load_file(packed).items()}
    later = _checkpoint(tmp_path / "checkpoint-00000200", {key: value + 0.5 for key, value in weights.items()})
    result = _mix(tmp_path / "soup.safetensors", f"{minilm_pipe_dir}=0.5", f"{later}=0.5")
    assert result.returncode == 0, result.stderr[-2000:]
    soup = load_file(tmp_path / "soup.safetensors")
    assert soup.keys() == weights.keys()
    for key, value in weights.items():
        assert soup[key].dtype == torch.float16
        torch.testing.assert_close(soup[key].float(), value + 0.25, atol=2e-3, rtol=1e-3)  # halfway, in float16


def test_mix_moves_a_student_by_its_teachers_change_and_keeps_what_only_it_holds(tmp_path):
    old = {"unet.conv.weight": torch.randn(3, 3), "unet.steps": torch.arange(4)}
    new = {"unet.conv.weight": old["unet.conv.weight"] + 1.0, "unet.steps": torch.arange(4)}
    student = {"unet.conv.weight": old["unet.conv.weight"] - 2.0, "unet.steps": torch.arange(4),
               "unet.time_embedding.cond_proj.weight": torch.randn(2, 5)}  # the guidance-scale embedding
    sources = [_checkpoint(tmp_path / name, weights) for name, weights in (("student", student), ("new", new), ("old", old))]
    result = _mix(tmp_path / "moved.safetensors", f"{sources[0]}=1", f"{sources[1]}=1", f"{sources[2]}=-1")
    assert result.returncode == 0, result.stderr[-2000:]
    moved = load_file(tmp_path / "moved.safetensors")
    torch.testing.assert_close(moved["unet.conv.weight"].float(), (old["unet.conv.weight"] - 1.0).half().float())
    torch.testing.assert_close(moved["unet.time_embedding.cond_proj.weight"], student["unet.time_embedding.cond_proj.weight"].half())
    assert torch.equal(moved["unet.steps"], torch.arange(4))


def test_mix_refuses_weights_that_do_not_sum_to_one(tmp_path):
    a = _checkpoint(tmp_path / "a", {"w": torch.ones(2)})
    b = _checkpoint(tmp_path / "b", {"w": torch.zeros(2), "only_b": torch.ones(1)})
    result = _mix(tmp_path / "out.safetensors", f"{a}=0.7", f"{b}=0.7")
    assert result.returncode != 0 and result.stderr.strip().splitlines()[-1] == (
        "The weights of the sources holding w sum to 1.4; expected 1 (an affine combination).")
    # Every source's weights sum to 1, but the tensor only b holds would be scaled by 0.5.
    result = _mix(tmp_path / "out.safetensors", f"{a}=0.5", f"{b}=0.5")
    assert result.returncode != 0 and "only_b sum to 0.5" in result.stderr
    result = _mix(tmp_path / "out.safetensors", f"{a}=half")
    assert result.returncode != 0 and "'" + f"{a}=half" + "' is not SOURCE=WEIGHT" in result.stderr
    assert not (tmp_path / "out.safetensors").exists()
