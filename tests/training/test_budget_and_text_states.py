"""Time-boxed runs (--max-minutes), precomputed caption states, and trainers that never load a
packaged text encoder they do not need."""

import json

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from latentaudio import LatentAudioPipeline
from latentaudio.builder import build_pipeline
from latentaudio.cli import main
from latentaudio.training.text_states import CaptionStateTable

from .conftest import TRAINING_CONFIGS, loss_history, train_args


@pytest.fixture
def no_minilm(monkeypatch):
    """Make the packaged encoder unloadable, as on a machine without its package."""
    import dataclasses

    from latentaudio import conditioning

    missing = dataclasses.replace(conditioning.PACKAGED_TEXT_ENCODERS["minilm"], module="no_such_minilm_package")
    monkeypatch.setitem(conditioning.PACKAGED_TEXT_ENCODERS, "minilm", missing)


def test_max_minutes_stops_checkpoints_saves_and_resumes(tiny_pipe_dir, gm_data, tmp_path, capsys):
    out = tmp_path / "vae"
    # 0.0001 min: the budget is spent before the first step ends, so the run stops after it.
    args = train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml", "--max-minutes", 0.0001)
    assert main(args) == 0
    assert "Stopping vae training at step 1: max_minutes=0.0001 reached." in capsys.readouterr().out
    assert json.loads((out / "training.json").read_text())["steps"] == 1
    assert [p.name for p in (out / "checkpoints").iterdir()] == ["checkpoint-00000001"]
    assert LatentAudioPipeline.from_pretrained(out).vae is not None

    assert main(train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml", "--max-steps", 3, "--resume")) == 0
    assert json.loads((out / "training.json").read_text())["steps"] == 3
    assert len(loss_history(out)) == 3


def test_max_minutes_must_be_positive(tiny_pipe_dir, gm_data, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(train_args("train vae", tiny_pipe_dir, gm_data, tmp_path / "x", "tiny_vae.yaml", "--max-minutes", 0))
    assert "--max-minutes" in capsys.readouterr().err


def test_precomputed_caption_states_train_like_the_encoder(tiny_pipe_dir, gm_data, tmp_path):
    states = tmp_path / "captions.safetensors"
    assert main(["data", "embed-captions", str(gm_data), "--model", str(tiny_pipe_dir), "--output", str(states),
                 "--prompt", "a trumpet note"]) == 0
    captions = {json.loads(line)["text"] for line in (gm_data / "metadata.jsonl").read_text().splitlines()}
    table = CaptionStateTable(states)
    assert all(c in table for c in captions | {"", "a trumpet note"})

    config = tmp_path / "with_states.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\ntext_states_file: {states}\n")
    runs = {}
    for name, extra in (("encoder", []), ("states", ["--config", config])):
        out = tmp_path / name
        args = train_args("train diffusion", tiny_pipe_dir, gm_data, out, None if extra else "tiny_diffusion.yaml",
                          "--max-steps", 4, *extra)
        assert main(args) == 0
        runs[name] = [h["loss"] for h in loss_history(out)]
    assert runs["states"] == pytest.approx(runs["encoder"], rel=1e-4)


def test_caption_states_file_errors(tiny_pipe_dir, tmp_path):
    with pytest.raises(FileNotFoundError, match="embed-captions"):
        CaptionStateTable(tmp_path / "missing.safetensors")
    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    from latentaudio.training.text_states import save_caption_states

    path = save_caption_states(pipe, ["a piano note"], tmp_path / "s.safetensors")
    width = pipe.text_encoder.config.hidden_size
    with pytest.raises(ValueError, match=f"width {width}.*in_features={width + 1}"):
        CaptionStateTable(path, hidden_size=width + 1)
    with pytest.raises(KeyError, match="'a violin note'"):
        CaptionStateTable(path)(["a piano note", "a violin note"], "cpu")


def test_pooled_caption_states_project_exactly_like_the_encoder(minilm_pipe_dir, tmp_path):
    from latentaudio.training.text_states import save_caption_states

    pipe = LatentAudioPipeline.from_pretrained(minilm_pipe_dir)
    prompts = ["a loud snare drum hit", "a soft acoustic grand piano note, C4"]
    path = save_caption_states(pipe, prompts, tmp_path / "s.safetensors")
    with safe_open(str(path), framework="pt") as f:
        assert f.get_slice("states").get_shape()[1] == 1  # stored mean-pooled: one state per caption
    states, mask = CaptionStateTable(path)(prompts, "cpu")
    from_file, _ = pipe.text_projection(states, mask)
    from_encoder = pipe.conditioner().encode(prompts, "cpu", torch.float32).states
    torch.testing.assert_close(from_file, from_encoder, rtol=1e-5, atol=1e-6)


def test_init_without_the_packaged_encoder_builds_the_same_pipeline(tiny_config, minilm_pipe_dir, tmp_path, no_minilm):
    config = {**tiny_config, "text_encoder": {"pretrained": "minilm", "pooling": "mean", "normalize": True}}
    with pytest.raises(ImportError):
        build_pipeline(config, seed=0)
    pipe = build_pipeline(config, seed=0, load_packaged_encoder=False)
    assert pipe.text_encoder is None and pipe.config.text_encoder_package == "minilm"
    pipe.save_pretrained(tmp_path / "skipped")
    for name in ("unet", "vae", "vocoder", "text_projection"):
        ours, theirs = (load_file(str(next((folder / name).glob("*.safetensors"))))
                        for folder in (tmp_path / "skipped", minilm_pipe_dir))
        assert ours.keys() == theirs.keys() and all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_vae_training_needs_no_packaged_encoder(minilm_pipe_dir, gm_data, tmp_path, monkeypatch, no_minilm):
    out = tmp_path / "vae"
    assert main(train_args("train vae", minilm_pipe_dir, gm_data, out, "tiny_vae.yaml", "--max-steps", 1)) == 0
    monkeypatch.undo()  # the package is back: the saved pipeline loads with its encoder
    pipe = LatentAudioPipeline.from_pretrained(out)
    assert type(pipe.text_encoder).__name__ == "BertModel" and pipe.config.text_encoder_package == "minilm"


def test_distillation_reads_precomputed_caption_states_like_the_encoder(tiny_pipe_dir, gm_data, tmp_path):
    states = tmp_path / "captions.safetensors"
    assert main(["data", "embed-captions", str(gm_data), "--model", str(tiny_pipe_dir), "--output", str(states),
                 "--prompt", "a trumpet note"]) == 0
    config = tmp_path / "with_states.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_distill.yaml'}\ntext_states_file: {states}\n"
                      "validation_every: 2\n")  # the student's validation reads the prompt's states from the file too
    runs = {}
    for name, extra in (("encoder", []), ("states", ["--config", config])):
        out = tmp_path / name
        args = train_args("distill", tiny_pipe_dir, gm_data, out, None if extra else "tiny_distill.yaml", "--max-steps", 3, *extra)
        assert main(args) == 0
        runs[name] = [h["loss"] for h in loss_history(out)]
    assert len(runs["states"]) == 3 and runs["states"] == pytest.approx(runs["encoder"], rel=1e-4)
    assert LatentAudioPipeline.from_pretrained(tmp_path / "states").embeds_guidance


def test_distillation_with_caption_states_needs_no_packaged_encoder(minilm_pipe_dir, gm_data, tmp_path, request):
    states = tmp_path / "captions.safetensors"
    assert main(["data", "embed-captions", str(gm_data), "--model", str(minilm_pipe_dir), "--output", str(states),
                 "--prompt", "a trumpet note"]) == 0
    request.getfixturevalue("no_minilm")  # from here on, as on a machine without the package
    config = tmp_path / "with_states.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_distill.yaml'}\ntext_states_file: {states}\nvalidation_every: 2\n")
    assert main(train_args("distill", minilm_pipe_dir, gm_data, tmp_path / "student", None, "--config", config, "--max-steps", 2)) == 0
    assert len(loss_history(tmp_path / "student")) == 2


def test_a_float16_subset_of_caption_states_reads_back_as_float32(tiny_pipe_dir, tmp_path):
    from latentaudio.training.text_states import save_caption_states, subset_caption_states

    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    prompts = ["a piano note", "a violin note", "a snare drum hit"]
    full = CaptionStateTable(save_caption_states(pipe, prompts, tmp_path / "full.safetensors"))
    path = subset_caption_states(full.path, ["a violin note"], tmp_path / "part.safetensors")
    with safe_open(str(path), framework="pt") as f:
        assert f.get_slice("states").get_dtype() == "F16"
    part = CaptionStateTable(path, hidden_size=pipe.text_encoder.config.hidden_size)
    assert "a violin note" in part and "" in part and "a piano note" not in part
    states, mask = part(["a violin note", ""], "cpu")
    expected, expected_mask = full(["a violin note", ""], "cpu")
    assert states.dtype == torch.float32 and torch.equal(mask, expected_mask)
    torch.testing.assert_close(states, expected, rtol=2**-10, atol=1e-6)
    with pytest.raises(KeyError, match="'a flute note'"):
        subset_caption_states(full.path, ["a flute note"], tmp_path / "none.safetensors")
