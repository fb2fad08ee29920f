"""The `latentaudio` command end to end: init, generate, clear errors."""

import subprocess
import sys

import pytest
import soundfile as sf

from latentaudio.cli import main

from .conftest import TINY_CONFIG

FAST = ["--steps", "2", "--seconds", "0.5"]


def test_init_then_generate_with_plot(tmp_path, capsys):
    model = tmp_path / "model"
    assert main(["init", str(TINY_CONFIG), str(model), "--seed", "1"]) == 0
    assert (model / "model_index.json").is_file()
    out = tmp_path / "out" / "kick.wav"
    plot = tmp_path / "out" / "kick.png"
    assert main(["generate", "a kick", "--model", str(model), *FAST, "-n", "2", "-o", str(out), "--plot", str(plot),
                 "--scheduler", "ddim", "--negative-prompt", "a piano"]) == 0
    for i in range(2):
        audio, rate = sf.read(tmp_path / "out" / f"kick_{i}.wav")
        assert rate == 16000 and audio.shape == (8000,)
    assert plot.stat().st_size > 10_000
    assert "kick_1.wav" in capsys.readouterr().out


def test_same_seed_same_file(tiny_pipe_dir, tmp_path):
    paths = [tmp_path / f"{name}.wav" for name in "ab"]
    for path in paths:
        assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), *FAST, "--seed", "5", "-o", str(path)]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "expected a positive integer, got 0"),
        (["--scheduler", "warp"], "invalid choice: 'warp'"),
    ],
)
def test_bad_arguments_are_rejected_by_the_parser(tiny_pipe_dir, args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "a kick", "--model", str(tiny_pipe_dir), *args])
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--seconds", "99"], "audio_length_in_s=99.0 is out of range"),
        (["-o", "/proc/forbidden/x.wav"], "Cannot create the output folder /proc/forbidden"),
        (["-o", "out.mp4"], "must end in .wav, .flac or .ogg"),
    ],
)
def test_errors_are_one_clear_line(tiny_pipe_dir, tmp_path, extra, message, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "a kick", "--model", str(tiny_pipe_dir), "--steps", "1", *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_model_folder(tmp_path, capsys):
    assert main(["generate", "a kick", "--model", str(tmp_path / "none"), "-o", str(tmp_path / "x.wav")]) == 1
    assert "Model folder not found" in capsys.readouterr().err


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "latentaudio", "--help"], capture_output=True, text=True, check=True)
    for verb in ("init", "generate"):
        assert verb in result.stdout
