"""The ``latentaudio data`` verbs through their parser: exit codes, outputs and the recorded command."""

import argparse
import json
import shutil
import sys

import numpy as np
import pytest
import soundfile as sf

from latentaudio.cli.data import add_data_commands, int_list, run_data_command


def run(argv, monkeypatch=None):
    parser = argparse.ArgumentParser(prog="latentaudio")
    add_data_commands(parser.add_subparsers(dest="verb", required=True))
    args = parser.parse_args(argv)
    if monkeypatch is not None:
        monkeypatch.setattr(sys, "argv", ["/usr/bin/latentaudio", *argv])
    assert args.run is run_data_command
    return args.run(args)


def test_check_exit_codes(gm_dataset, tmp_path, capsys):
    assert run(["data", "check", str(gm_dataset.out_dir)]) == 0
    assert f"{len(gm_dataset.rows)} usable audio files" in capsys.readouterr().out

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "broken.wav").write_bytes(b"RIFF....WAVE")
    sf.write(bad / "quiet.wav", np.zeros(100, np.float32), 16000)
    assert run(["data", "check", str(bad)]) == 1
    captured = capsys.readouterr()
    assert "unreadable (1" in captured.out and "broken.wav" in captured.out and "silent (1" in captured.out
    assert "Nothing usable" in captured.err

    shutil.copy(gm_dataset.out_dir / gm_dataset.rows[0]["file_name"], bad / "good.wav")
    assert run(["data", "check", str(bad)]) == 0
    assert run(["data", "check", str(tmp_path / "nowhere")]) == 1


def test_soundfont_verb_records_its_command(tmp_path, monkeypatch, capsys):
    out = tmp_path / "gm"
    argv = ["data", "soundfont", "--out", str(out), "--programs", "56", "--pitches", "1",
            "--velocities", "64,127", "--kits", "0", "--seconds", "0.5", "--seed", "1"]
    assert run(argv, monkeypatch) == 0
    assert "Wrote" in capsys.readouterr().out
    rows = [json.loads(line) for line in open(out / "metadata.jsonl")]
    assert len(rows) == 2 + 47 * 2
    assert "a loud trumpet note, G#4, brass" in {row["text"] for row in rows}
    card = (out / "dataset_card.md").read_text()
    assert "latentaudio data soundfont --out " in card and "--velocities 64,127" in card


def test_soundfont_verb_without_drums(tmp_path):
    assert run(["data", "soundfont", "--out", str(tmp_path), "--programs", "0", "--pitches", "1", "--no-drums", "--seconds", "0.25"]) == 0
    assert {json.loads(line)["family"] for line in open(tmp_path / "metadata.jsonl")} == {"Piano"}


def test_soundfont_verb_hold(tmp_path, capsys):
    argv = ["data", "soundfont", "--programs", "19", "--pitches", "1", "--no-drums", "--seconds", "0.5"]
    assert run(argv + ["--out", str(tmp_path / "a"), "--hold", "0.1"]) == 0
    assert "held for 0.10 s" in (tmp_path / "a" / "dataset_card.md").read_text()
    assert run(argv + ["--out", str(tmp_path / "b"), "--hold", "0.75"]) == 1
    assert "hold_seconds=0.75 is out of range" in capsys.readouterr().err


def test_folder_verb(gm_dataset, tmp_path):
    src = tmp_path / "src" / "drums"
    src.mkdir(parents=True)
    shutil.copy(gm_dataset.out_dir / gm_dataset.rows[-1]["file_name"], src / "hit.wav")
    assert run(["data", "folder", str(tmp_path / "src"), "--out", str(tmp_path / "out"), "--seconds", "0.5"]) == 0
    assert json.loads(open(tmp_path / "out" / "metadata.jsonl").readline())["text"] == "drums"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(["data", "folder", str(empty), "--out", str(tmp_path / "out2")]) == 1


def test_bad_arguments(tmp_path, capsys):
    # A bad value found by the package: exit 1 and one line, like every verb; argparse's usage errors: exit 2.
    assert run(["data", "soundfont", "--out", str(tmp_path), "--programs", "200"]) == 1
    assert "Invalid program 200" in capsys.readouterr().err
    assert run(["data", "soundfont", "--out", str(tmp_path), "--sf2", str(tmp_path / "x.sf2")]) == 1
    for argv in (["data", "soundfont", "--out", "x", "--programs", "a-b"], ["data", "folder", "src", "--out", "x", "--seconds", "0"],
                 ["data", "music21", "--out", "x"], ["data"]):
        with pytest.raises(SystemExit) as error:
            run(argv)
        assert error.value.code == 2


def test_program_lists():
    assert int_list("0,24-26, 40") == [0, 24, 25, 26, 40]
    assert int_list("") == []
