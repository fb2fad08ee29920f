"""Training configs: defaults match the YAML recipes, bases merge, bad values are named."""

import dataclasses

import pytest
import yaml

from latentaudio.cli import main
from latentaudio.training.config import (
    DiffusionTrainingConfig,
    DistillationConfig,
    FinetuneConfig,
    VaeTrainingConfig,
    VocoderTrainingConfig,
)

from .conftest import TRAINING_CONFIGS

RECIPES = {"vae": VaeTrainingConfig, "vocoder": VocoderTrainingConfig, "diffusion": DiffusionTrainingConfig,
           "finetune": FinetuneConfig, "distill": DistillationConfig}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_recipe_files_spell_out_the_defaults(name):
    config_class = RECIPES[name]
    assert config_class.from_yaml(TRAINING_CONFIGS / f"{name}.yaml") == config_class()


def test_tiny_config_overrides_its_base_and_cli_overrides_both():
    config = VaeTrainingConfig.from_yaml(TRAINING_CONFIGS / "tiny_vae.yaml", max_steps=3, seed=None)
    assert config.max_steps == 3 and config.batch_size == 5  # flag, then tiny file
    assert config.kl_weight == 1e-6 and config.discriminator == "hinge"  # from the base


def test_yaml_exponents_without_a_dot_are_numbers(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("learning_rate: 1e-4\n")  # YAML 1.1 reads this as a string
    assert DiffusionTrainingConfig.from_yaml(path).learning_rate == 1e-4


@pytest.mark.parametrize(
    "config_class, key, value, expected",
    [
        (VaeTrainingConfig, "kl_weight", -1, "a number in [0, inf)"),
        (VaeTrainingConfig, "learning_rate", 0, "a number in (0, 1]"),
        (VaeTrainingConfig, "discriminator", "wgan", "one of ['none', 'hinge', 'lsgan']"),
        (DiffusionTrainingConfig, "prediction_type", "x0", "one of [None, 'epsilon', 'v_prediction']"),
        (DiffusionTrainingConfig, "caption_dropout", 1.5, "a number in [0, 1]"),
        (DiffusionTrainingConfig, "batch_size", 2.5, "an integer in [1, 1024]"),
        (DiffusionTrainingConfig, "use_ema", "yes please", "true or false"),
        (DiffusionTrainingConfig, "validation_prompts", [], "a non-empty list"),
        (DiffusionTrainingConfig, "mixed_precision", "fp8", "one of [None, 'no', 'fp16', 'bf16']"),
        (VocoderTrainingConfig, "segment_seconds", 0, "a number in (0, inf)"),
    ],
)
def test_bad_values_name_key_value_file_and_range(tmp_path, config_class, key, value, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(f"base: {TRAINING_CONFIGS / 'tiny_vae.yaml'}\n" * (config_class is VaeTrainingConfig)
                    + yaml.safe_dump({key: value}))
    with pytest.raises(ValueError) as error:
        config_class.from_yaml(path)
    assert str(error.value) == f"Invalid training setting {key}={value!r} in {path}: expected {expected}."


def test_unknown_keys_are_named_with_the_valid_ones(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("learning_rat: 1.0e-3\n")
    with pytest.raises(ValueError, match=r"Unknown training setting\(s\) \['learning_rat'\] for VocoderTrainingConfig"):
        VocoderTrainingConfig.from_yaml(path)


def test_replace_checks_again():
    with pytest.raises(ValueError, match="max_steps=0"):
        dataclasses.replace(DiffusionTrainingConfig(), max_steps=0)


def test_cli_reports_a_bad_config_in_one_line(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text("ema_decay: 1.0\n")
    args = ["train", "diffusion", "--model", str(tmp_path), "--data", str(tmp_path), "--output", str(tmp_path / "o"),
            "--config", str(path)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert f"error: Invalid training setting ema_decay=1.0 in {path}: expected a number in [0, 1)." in err
    assert "Traceback" not in err


@pytest.mark.parametrize("args, message", [
    (["train", "vae", "--model", "m", "--data", "d", "--output", "o", "--max-steps", "0"], "expected a positive integer, got 0"),
    (["train", "gan", "--model", "m"], "invalid choice: 'gan'"),
    (["finetune", "--model", "m", "--data", "d"], "the following arguments are required: --output"),
    (["finetune", "--model", "m", "--data", "d", "--output", "o", "--lora-rank", "-2"], "expected a positive integer, got -2"),
])
def test_parser_rejects_bad_flags(args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and message in err and err.count("\n") == 1
