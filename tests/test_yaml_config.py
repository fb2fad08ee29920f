"""The shared YAML-with-base loader, and loading a training config without the pipelines."""

import subprocess
import sys

import pytest

from latentaudio.yaml_config import load_yaml_with_base

from .conftest import REPO


def test_a_file_merges_over_its_base_recursively(tmp_path):
    (tmp_path / "base.yaml").write_text("a: 1\nnested: {x: 1, y: 2}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "variant.yaml").write_text("base: ../base.yaml\nnested: {y: 3}\nb: 4\n")
    assert load_yaml_with_base(tmp_path / "sub" / "variant.yaml", "Config", "keys") == {
        "a": 1, "nested": {"x": 1, "y": 3}, "b": 4}


def test_errors_and_checks_apply_to_every_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="Training config not found"):
        load_yaml_with_base(tmp_path / "none.yaml", "Training config", "settings")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(ValueError, match="must hold a mapping of sections, got list"):
        load_yaml_with_base(tmp_path / "list.yaml", "Config file", "sections")
    (tmp_path / "base.yaml").write_text("bad: 1\n")
    (tmp_path / "top.yaml").write_text("base: base.yaml\ngood: 2\n")
    seen = []
    load_yaml_with_base(tmp_path / "top.yaml", "Config", "keys", lambda path, values: seen.append(path.name))
    assert seen == ["top.yaml", "base.yaml"]


def test_loading_a_training_config_imports_neither_pipelines_nor_diffusers():
    """Arrows point down: latentaudio.training.config needs only the YAML loader.

    The training package's __init__ imports the trainers, so the module is loaded on its own here."""
    code = f"""
import importlib.util, sys, types
package = types.ModuleType("latentaudio.training")
package.__path__ = [{str(REPO / "latentaudio" / "training")!r}]
sys.modules["latentaudio.training"] = package
from latentaudio.training.config import VaeTrainingConfig
config = VaeTrainingConfig.from_yaml({str(REPO / "configs" / "training" / "tiny_vae.yaml")!r})
assert config.max_steps > 0
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "diffusers" or m.startswith("latentaudio.pipelines")
                or m == "latentaudio.builder")
print(loaded)
assert not loaded, loaded
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr + result.stdout
