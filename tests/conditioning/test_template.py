"""prompt_template: the text encoder reads each prompt rewritten into the training captions."""

import json

import pytest
import torch

from latentaudio import LatentAudioInpaintPipeline, LatentAudioPipeline
from latentaudio.builder import build_pipeline, merge
from latentaudio.conditioning import TemplateConditioner
from latentaudio.evaluation.evaluate import random_unet_pipeline

PROMPTS = ["kick, deep and boomy", "airy flute G5, soft"]
READ_AS = ["a moderately loud kick drum hit", "a soft flute note, G5, pipe"]


@pytest.fixture
def pipes(tiny_config):
    """The tiny pitch-conditioned pipeline with the template, and the same weights without it."""
    config = merge(tiny_config, {"pipeline": {"pitch_conditioning": True}})
    plain = build_pipeline(config, seed=0)
    templated = LatentAudioPipeline(**plain.components, pitch_conditioning=True, prompt_template="gm_one_shot")
    return templated, plain


def test_the_text_encoder_reads_each_prompt_as_its_template_caption(pipes):
    templated, plain = pipes
    assert isinstance(templated.conditioner(), TemplateConditioner)
    read = templated.encode_prompt(PROMPTS, None, 1, True)
    expected = plain.encode_prompt(READ_AS, None, 1, True)
    assert read.keys() == expected.keys()
    for name in read:
        assert torch.equal(read[name], expected[name]), name
    # as written, the same weights condition on something else
    assert not torch.equal(plain.encode_prompt(PROMPTS, None, 1, True)["encoder_hidden_states"], read["encoder_hidden_states"])


def test_negative_prompts_are_read_as_written(pipes):
    templated, plain = pipes
    read = templated.encode_prompt(PROMPTS, ["kick", "flute"], 1, True)
    expected = plain.encode_prompt(READ_AS, ["kick", "flute"], 1, True)
    assert torch.equal(read["encoder_hidden_states"], expected["encoder_hidden_states"])
    assert not torch.equal(read["encoder_hidden_states"][:2], plain.encode_prompt(READ_AS, READ_AS, 1, True)["encoder_hidden_states"][:2])


def test_the_template_survives_save_load_editing_pipelines_and_the_baseline(pipes, tmp_path):
    templated, _ = pipes
    templated.save_pretrained(tmp_path)
    assert json.loads((tmp_path / "model_index.json").read_text())["prompt_template"] == "gm_one_shot"
    loaded = LatentAudioPipeline.from_pretrained(tmp_path)
    for derived in (loaded, LatentAudioInpaintPipeline.from_pipe(loaded), random_unet_pipeline(loaded)):
        assert derived.config.prompt_template == "gm_one_shot" and isinstance(derived.conditioner(), TemplateConditioner)


def test_an_unknown_template_is_refused_in_one_line(pipes):
    _, plain = pipes
    with pytest.raises(ValueError, match=r"^prompt_template='gm' is not a known template; expected one of \['gm_one_shot', 'gm_music'\] or None\.$"):
        LatentAudioPipeline(**plain.components, prompt_template="gm")
