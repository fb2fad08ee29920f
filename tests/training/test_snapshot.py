"""configs/default_model/snapshot.py with a frozen text projection: the snapshot carries the U-Net alone."""

import subprocess
import sys

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
