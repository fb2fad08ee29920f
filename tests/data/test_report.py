"""Bad data is reported with counts and names, skipped, and never crashes anything."""

import json
import logging
import shutil

import numpy as np
import pytest
import soundfile as sf

from latentaudio.data import AudioFolderDataset, NoUsableAudioError, scan_folder


def write_rows(folder, rows, name="metadata.jsonl"):
    with open(folder / name, "w") as handle:
        for row in rows:
            handle.write(row if isinstance(row, str) else json.dumps(row))
            handle.write("\n")


@pytest.fixture
def bad_folder(tmp_path, gm_dataset):
    """Two good real clips among every kind of bad file and metadata row."""
    root = tmp_path / "bad"
    root.mkdir()
    good = [row["file_name"] for row in gm_dataset.rows[:2]]
    for name in good:
        shutil.copy(gm_dataset.out_dir / name, root / name)
    (root / "corrupt.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunkjunkjunk")
    (root / "notes.wav").write_text("this is not audio")
    (root / "empty.wav").write_bytes(b"")
    sf.write(root / "header_only.wav", np.zeros(0, np.float32), 16000)
    sf.write(root / "silent.wav", np.zeros(8000, np.float32), 16000)
    nan = np.full(8000, 0.1, np.float32)
    nan[100] = np.nan
    sf.write(root / "nan.wav", nan, 16000, subtype="FLOAT")
    sf.write(root / "unlisted.wav", np.full(800, 0.1, np.float32), 16000)
    sf.write(tmp_path / "outside.wav", np.full(800, 0.1, np.float32), 16000)  # exists, must not be read
    names = good + ["corrupt.wav", "notes.wav", "empty.wav", "header_only.wav", "silent.wav", "nan.wav", "missing.wav"]
    rows = [{"file_name": name, "text": f"caption of {name}", "split": "train"} for name in names]
    rows += [
        {"file_name": "../outside.wav", "text": "escape"},
        {"file_name": "/etc/passwd", "text": "absolute"},
        {"file_name": "C:\\Windows\\x.wav", "text": "windows absolute"},
        {"file_name": "sub/../../outside.wav", "text": "escape"},
        {"text": "no file name"},
        "{not json",
        {"file_name": good[0], "text": "listed twice"},
    ]
    write_rows(root, rows)
    return root, good


def test_report_names_every_problem(bad_folder):
    root, good = bad_folder
    entries, report = scan_folder(root)
    assert [entry.file_name for entry in entries] == good
    assert report.usable == 2 and report.uncaptioned == 0
    assert report.problems == {
        "unreadable": ["corrupt.wav", "notes.wav"],
        "empty": ["empty.wav", "header_only.wav"],
        "silent": ["silent.wav"],
        "nonfinite": ["nan.wav"],
        "missing": ["missing.wav"],
        "unsafe_path": ["../outside.wav", "/etc/passwd", "C:\\Windows\\x.wav", "sub/../../outside.wav"],
        "bad_row": ["metadata.jsonl:14", "metadata.jsonl:15"],
        "duplicate": [good[0]],
        "unlisted": ["unlisted.wav"],
    }
    assert report.skipped == 15
    text = report.format()
    assert "2 usable audio files" in text and "15 skipped" in text
    assert "nonfinite (1: holds NaN or infinite samples): nan.wav" in text
    assert "unsafe_path (4" in text and "../outside.wav" in text


def test_dataset_skips_bad_files_and_warns(bad_folder, caplog):
    root, good = bad_folder
    with caplog.at_level(logging.WARNING, logger="latentaudio.data.folder"):
        dataset = AudioFolderDataset(root, seconds=0.5)
    assert len(dataset) == 2
    assert "corrupt.wav" in caplog.text and "missing.wav" in caplog.text
    items = [dataset[i] for i in range(len(dataset))]
    assert [item["file_name"] for item in items] == good
    assert all(item["audio"].shape == (8000,) and item["text"].startswith("caption of") for item in items)


def test_nothing_usable_is_a_clear_error(tmp_path):
    (tmp_path / "a.wav").write_bytes(b"garbage")
    sf.write(tmp_path / "b.wav", np.zeros(1600, np.float32), 16000)
    with pytest.raises(NoUsableAudioError) as error:
        AudioFolderDataset(tmp_path, seconds=1.0)
    message = str(error.value)
    assert "No usable audio" in message and "a.wav" in message and "silent (1" in message
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NoUsableAudioError, match="0 usable audio files"):
        AudioFolderDataset(empty, seconds=1.0)


def test_captions_from_folder_names_without_metadata(tmp_path, gm_dataset):
    clip = gm_dataset.out_dir / gm_dataset.rows[0]["file_name"]
    for relative in ["brass/muted_trumpet/a.wav", "field-recordings/b.wav", "c.wav", ".hidden/d.wav"]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clip, tmp_path / relative)
    entries, report = scan_folder(tmp_path)
    assert {entry.file_name: entry.text for entry in entries} == {
        "brass/muted_trumpet/a.wav": "brass, muted trumpet",
        "c.wav": "",
        "field-recordings/b.wav": "field recordings",
    }
    assert report.uncaptioned == 1 and report.skipped == 0


def test_csv_metadata_and_nested_folders(tmp_path, gm_dataset):
    clip = gm_dataset.out_dir / gm_dataset.rows[0]["file_name"]
    (tmp_path / "sub").mkdir()
    shutil.copy(clip, tmp_path / "sub" / "x.wav")
    shutil.copy(clip, tmp_path / "y.wav")
    (tmp_path / "metadata.csv").write_text('file_name,text,mood\nsub/x.wav,"a bright note, C4",happy\ny.wav,,calm\n')
    entries, report = scan_folder(tmp_path)
    assert [(e.file_name, e.text, e.columns) for e in entries] == [
        ("sub/x.wav", "a bright note, C4", {"mood": "happy"}),
        ("y.wav", "", {"mood": "calm"}),
    ]
    assert report.uncaptioned == 1


def test_two_metadata_files_in_one_folder_are_refused(tmp_path):
    (tmp_path / "metadata.csv").write_text("file_name,text\n")
    (tmp_path / "metadata.jsonl").write_text("")
    with pytest.raises(ValueError, match="both metadata.jsonl and metadata.csv"):
        scan_folder(tmp_path)


def test_a_linked_folder_that_leaves_the_dataset_is_reported_not_passed_over_and_a_link_back_up_ends(tmp_path, gm_dataset):
    clip = gm_dataset.out_dir / gm_dataset.rows[0]["file_name"]
    elsewhere = tmp_path / "elsewhere" / "kicks"
    elsewhere.mkdir(parents=True)
    shutil.copy(clip, elsewhere / "k.wav")
    (elsewhere / "metadata.jsonl").write_text('{"file_name": "k.wav", "text": "a kick"}\n')
    dataset = tmp_path / "dataset"
    (dataset / "own").mkdir(parents=True)
    shutil.copy(clip, dataset / "own" / "n.wav")
    (dataset / "own" / "metadata.jsonl").write_text('{"file_name": "n.wav", "text": "a note"}\n')
    (dataset / "kicks").symlink_to(elsewhere, target_is_directory=True)
    (dataset / "own" / "up").symlink_to(dataset, target_is_directory=True)  # a link back up: walked once, not forever
    entries, report = scan_folder(dataset)
    assert [(e.file_name, e.text) for e in entries] == [("own/n.wav", "a note")]
    # the linked folder is seen and refused by name (its files lie outside the dataset), not silently left out
    assert report.problems == {"unsafe_path": ["kicks/k.wav"]} and report.skipped == 1
