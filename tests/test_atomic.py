"""Atomic files and folders (latentaudio/atomic.py) and the writers that use them."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

from latentaudio.atomic import atomic_file, atomic_folder, recover_folder, temporary_sibling
from latentaudio.audio_io import write_audio
from latentaudio.model_folder import PipelineFolder
from latentaudio.plotting import save_figure


def visible(folder):
    return sorted(p.name for p in folder.iterdir())


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "kept.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError), atomic_file(path) as temp:
        temp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert path.read_text() == "old" and visible(tmp_path) == ["kept.txt"]
    with atomic_file(path) as temp:
        temp.write_text("new")
    assert path.read_text() == "new" and visible(tmp_path) == ["kept.txt"]


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg"])
def test_write_audio_replaces_a_file_in_the_format_of_its_suffix(tmp_path, suffix):
    path = tmp_path / f"take{suffix}"
    path.write_bytes(b"not audio")
    tone = 0.5 * np.sin(np.linspace(0, 200 * np.pi, 8000, dtype=np.float32))
    write_audio(path, tone, 16000)
    assert sf.info(str(path)).format == suffix[1:].upper()
    audio, rate = sf.read(str(path), dtype="float32")
    assert rate == 16000 and audio.shape == (8000,)
    assert visible(tmp_path) == [path.name]


def test_write_audio_to_an_unknown_suffix_names_the_path_and_writes_nothing(tmp_path):
    with pytest.raises(ValueError, match="take.xyz"):
        write_audio(tmp_path / "take.xyz", np.zeros(100, np.float32), 16000)
    assert visible(tmp_path) == []


def test_save_figure_checks_the_suffix_and_replaces_atomically(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure()
    with pytest.raises(ValueError, match=r"plot\.xyz.*\.png"):
        save_figure(fig, tmp_path / "plot.xyz")
    save_figure(fig, tmp_path / "plot.png")
    plt.close(fig)
    assert (tmp_path / "plot.png").read_bytes()[:4] == b"\x89PNG" and visible(tmp_path) == ["plot.png"]


def test_a_folder_is_swapped_whole_and_keeps_what_it_is_told_to(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    for name, text in {"weights": "old", "stale": "old", "notes.txt": "mine"}.items():
        (folder / name).write_text(text)
    (folder / "logs").mkdir()
    (folder / "logs" / "events").write_text("log")
    with atomic_folder(folder, keep=lambda name: name != "stale") as staged:
        (staged / "weights").write_text("new")
        assert (folder / "weights").read_text() == "old"  # nothing changes before the swap
    assert visible(folder) == ["logs", "notes.txt", "weights"]
    assert (folder / "weights").read_text() == "new" and (folder / "logs" / "events").read_text() == "log"
    assert visible(tmp_path) == ["out"]  # no temporary sibling is left


def test_a_failed_folder_write_leaves_the_old_folder(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "weights").write_text("old")
    with pytest.raises(RuntimeError), atomic_folder(folder) as staged:
        (staged / "weights").write_text("half")
        raise RuntimeError("killed mid-save")
    assert visible(folder) == ["weights"] and (folder / "weights").read_text() == "old"
    assert visible(tmp_path) == ["out"]


def test_a_folder_cannot_replace_a_file(tmp_path):
    (tmp_path / "model").write_text("a file")
    with pytest.raises(ValueError, match="model: it is a file"):
        with atomic_folder(tmp_path / "model"):
            pass
    assert (tmp_path / "model").read_text() == "a file"


def test_an_old_folder_set_aside_by_a_killed_swap_is_renamed_back(tmp_path):
    """Without RENAME_EXCHANGE the old folder is renamed aside first; a kill right after leaves it there."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "weights").write_text("old")
    os.rename(folder, temporary_sibling(folder, "old"))
    assert not folder.exists()
    assert recover_folder(folder) and (folder / "weights").read_text() == "old"
    assert visible(tmp_path) == ["out"] and not recover_folder(folder)


def test_stale_temporaries_of_dead_writers_are_removed_by_the_next_write(tmp_path):
    folder = tmp_path / "out"
    dead = tmp_path / f".out.{2 ** 22 + 12345}-00aa00aa.partial"  # above pid_max: no such process
    dead.mkdir()
    (dead / "half").write_text("x")
    with atomic_folder(folder) as staged:
        (staged / "weights").write_text("new")
    assert visible(tmp_path) == ["out"]


def test_save_pretrained_replaces_the_pipeline_and_keeps_other_files(tiny_pipe, tmp_path):
    folder = tmp_path / "pipe"
    tiny_pipe.save_pretrained(folder)
    # a component the previous pipeline named and the new one does not, and a file of the user's
    index = json.loads((folder / "model_index.json").read_text())
    index["extra"] = ["diffusers", "DDPMScheduler"]
    (folder / "model_index.json").write_text(json.dumps(index))
    (folder / "extra").mkdir()
    (folder / "notes.txt").write_text("mine")
    tiny_pipe.save_pretrained(folder)
    assert "extra" not in os.listdir(folder) and (folder / "notes.txt").read_text() == "mine"
    assert PipelineFolder.read(folder).missing() == {}
    assert visible(tmp_path) == ["pipe"]


def test_a_linked_folder_is_replaced_where_it_points(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (real / "weights").write_text("old")
    (tmp_path / "link").symlink_to(real)
    with atomic_folder(tmp_path / "link") as staged:
        (staged / "weights").write_text("new")
    assert (tmp_path / "link").is_symlink() and (real / "weights").read_text() == "new"
