"""Fuzzing configs: YAML syntax errors, non-mappings, unsafe tags, ``base`` chains and cycles,
unknown sections, and training settings of every type. Loading must give a mapping or a named
``ValueError``/``TypeError``/``FileNotFoundError``; a cycle or a Python tag must never load."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from latentaudio.builder import load_config
from latentaudio.training import DiffusionTrainingConfig

from .conftest import CLEAR_ERRORS, answer, examples

AREA = "configs"

TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from([
        "vae: [1, 2\n", "unet: {a: 1\n", "- a\n- b\n", "42\n", "'just a string'\n", "vae:\n  - x\n\t- y\n",
        "!!python/object/apply:os.system ['true']\n", "unet: !!python/name:os.system\n", "vae: &a [*a]\n",
        "spectrogram: {}\nbogus: 1\n", "spectrogram: {}\n", "base: 3\n", "base: ''\n", "base: missing.yaml\n",
        "\xff\xfe", "unet:\n  clip_seconds: .nan\n",
    ]),
)


@settings(max_examples=examples(15))
@given(text=TEXTS, cycle=st.integers(0, 3))
def test_model_configs(tmp_path_factory, text, cycle):
    folder = tmp_path_factory.mktemp("config")
    path = folder / "config.yaml"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    if cycle:
        # config.yaml -> c1.yaml -> ... -> config.yaml
        names = ["config.yaml"] + [f"c{i}.yaml" for i in range(1, cycle + 1)]
        for name, following in zip(names, names[1:] + ["config.yaml"]):
            (folder / name).write_text(f"base: {following}\nspectrogram: {{}}\n")

    def check(config):
        return None if isinstance(config, dict) else f"loaded a {type(config).__name__}"

    bad = "a base cycle" if cycle else ("a Python tag" if "!!python" in text else ...)
    try:
        answer(AREA, lambda: load_config(path), bad, check)
    except AssertionError as error:
        if isinstance(error.__cause__, FileNotFoundError) and "not found" in str(error.__cause__):
            return  # a base that does not exist: a named FileNotFoundError is a clear answer too
        raise


SETTINGS = st.sampled_from(["batch_size", "learning_rate", "max_steps", "seed", "lr_schedule", "use_ema", "clip_seconds"])
VALUES = st.one_of(
    st.integers(-5, 10**6), st.just(2**70), st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=False), st.text(max_size=4),
    st.booleans(), st.none(), st.just([1]),
)


@settings(max_examples=examples(20))
@given(name=SETTINGS, value=VALUES)
def test_training_settings(tmp_path_factory, name, value):
    import yaml

    path = tmp_path_factory.mktemp("training") / "train.yaml"
    path.write_text(yaml.safe_dump({name: value}))

    def check(config):
        loaded = getattr(config, name)
        if isinstance(loaded, float) and not math.isfinite(loaded):
            return f"{name}={loaded} was accepted"
        if name == "batch_size" and not 1 <= loaded <= 1024:
            return f"batch_size={loaded} was accepted"
        if name == "seed" and not 0 <= loaded < 2**64:
            return f"seed={loaded} was accepted"
        return None

    answer(AREA, lambda: DiffusionTrainingConfig.from_yaml(path), ..., check)


def test_clear_errors_are_the_documented_types():
    assert set(CLEAR_ERRORS) == {ValueError, TypeError}
