"""Caption alignment: other wordings of a sound move onto its canonical caption's state, the canonical
captions and the unconditional prompt stay, the rest of the pipeline is untouched, bad inputs are refused."""

import json

import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.cli import main
from latentaudio.training.align import RECORD_FILE, align_captions


@pytest.fixture(scope="module")
def worded_data(tmp_path_factory):
    """Short FluidR3_GM notes of six programs, six wordings per clip (the real caption builder)."""
    from latentaudio.data.soundfont import render_soundfont_dataset

    folder = tmp_path_factory.mktemp("worded")
    render_soundfont_dataset(folder, programs=[0, 24, 40, 56, 73, 33], drums=False, seconds=0.2, pitches_per_program=4,
                             velocities=(50, 110), captions_per_clip=6, seed=1)
    return folder


def projected(pipe, captions):
    with torch.no_grad():
        return pipe.encode_prompt(captions, None, 1, False)["encoder_hidden_states"][:, 0]


def test_other_wordings_land_on_the_canonical_caption_and_nothing_else_moves(minilm_pipe_dir, worded_data, tmp_path):
    rows = [json.loads(line) for line in (worded_data / "metadata.jsonl").read_text().splitlines()]
    validation = [row for row in rows if row["split"] == "validation"]
    assert validation and all(len(row["captions"]) > 1 for row in rows)
    states = tmp_path / "states.safetensors"
    record = align_captions(minilm_pipe_dir, worded_data, tmp_path / "aligned", text_states=states)
    assert record["validation_error"]["after"] < 0.5 * record["validation_error"]["before"]
    assert json.loads((tmp_path / "aligned" / RECORD_FILE).read_text()) == record
    # a second run reads the states file instead of the encoder, to the same projection
    again = align_captions(minilm_pipe_dir, worded_data, tmp_path / "again", text_states=states)
    assert again == record
    torch.testing.assert_close(LatentAudioPipeline.from_pretrained(tmp_path / "again").text_projection.proj.weight,
                               LatentAudioPipeline.from_pretrained(tmp_path / "aligned").text_projection.proj.weight)

    before = LatentAudioPipeline.from_pretrained(minilm_pipe_dir)
    after = LatentAudioPipeline.from_pretrained(tmp_path / "aligned")
    # unseen clips' other wordings: nearer their canonical caption's state than before
    wordings = [caption for row in validation for caption in row["captions"][1:]]
    targets = projected(before, [row["text"] for row in validation for _ in row["captions"][1:]])
    distance = lambda pipe: (projected(pipe, wordings) - targets).norm(dim=1).mean()  # noqa: E731
    assert distance(after) < 0.7 * distance(before)
    # the unconditional prompt keeps its state; the canonical captions nearly so
    torch.testing.assert_close(projected(after, [""]), projected(before, [""]), atol=1e-3, rtol=1e-3)
    canonical = [row["text"] for row in validation]
    assert (projected(after, canonical) - projected(before, canonical)).norm(dim=1).mean() < distance(after)
    # only the projection changed
    for name in ("unet", "vae", "vocoder"):
        old, new = getattr(before, name).state_dict(), getattr(after, name).state_dict()
        assert all(torch.equal(old[key], new[key]) for key in old)
    assert not torch.equal(before.text_projection.proj.weight, after.text_projection.proj.weight)


def test_what_cannot_be_aligned_is_refused_in_one_line(tiny_pipe_dir, minilm_pipe_dir, worded_data, gm_data, tmp_path, capsys):
    with pytest.raises(ValueError, match="has no mean-pooling text projection"):
        align_captions(tiny_pipe_dir, worded_data, tmp_path / "a")
    with pytest.raises(ValueError, match="has no 'captions' column"):
        align_captions(minilm_pipe_dir, gm_data, tmp_path / "b")
    capsys.readouterr()
    assert main(["train", "align-captions", "--model", str(minilm_pipe_dir), "--data", str(gm_data), "--output", str(tmp_path / "c")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("latentaudio train: error:") and "captions" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "a").exists() and not (tmp_path / "c").exists()
