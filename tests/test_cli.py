"""The `latentaudio` command end to end: init, generate, clear errors."""

import subprocess
import sys

import pytest
import soundfile as sf

from latentaudio.cli import main

from .conftest import TINY_CONFIG

FAST = ["--steps", "2", "--seconds", "0.5"]


def _available(device: str) -> bool:
    import torch

    return torch.cuda.is_available() if device == "cuda" else torch.backends.mps.is_available()


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


def test_a_random_seed_is_drawn_and_said_and_is_the_seed_the_takes_are_made_with(tiny_pipe_dir, tmp_path, capsys,
                                                                                monkeypatch):
    import latentaudio.cli.generate as generate_verb

    used, seeded = [], generate_verb.generator
    monkeypatch.setattr(generate_verb, "generator", lambda seed: used.append(seed) or seeded(seed))
    said = []
    for take in ("a.wav", "b.wav"):
        assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), *FAST, "--seed", "random",
                     "-o", str(tmp_path / take)]) == 0
        lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("--seed random drew ")]
        assert len(lines) == 1
        said.append(int(lines[0].split()[3].rstrip(":")))
    assert used == said and said[0] != said[1]  # (the tiny model's audio hardly depends on its noise)
    assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), *FAST, "--seed", str(said[1]),
                 "-o", str(tmp_path / "again.wav")]) == 0
    assert used[-1] == said[1] and "drew" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "expected a positive integer, got 0"),
        (["--steps", "many"], "argument --steps: expected a positive integer, got many"),
        (["--guidance", "abc"], "argument --guidance: expected a finite number, got abc"),
        (["--seconds", "1s"], "argument --seconds: expected a positive number, got 1s"),
        (["--seed", "lucky"], "argument --seed: expected a seed from 0 to 2**64 - 1, or random, got lucky"),
        (["--scheduler", "warp"], "invalid choice: 'warp'"),
        (["--device", "tpu"], "argument --device: expected one of cpu, cuda, mps (or cuda:N), got 'tpu'"),
        (["--dtype", "float8"], "argument --dtype: invalid choice: 'float8'"),
    ],
)
def test_bad_arguments_are_rejected_by_the_parser(tiny_pipe_dir, args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["generate", "a kick", "--model", str(tiny_pipe_dir), *args])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and message in err  # one line, as every bad input: no usage block
    assert err.count("\n") == 1 and err.endswith("(see latentaudio generate --help)\n")


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--seconds", "99"], "audio_length_in_s=99.0 is out of range"),
        (["-o", "/proc/forbidden/x.wav"], "Cannot create the output folder /proc/forbidden"),
        (["-o", "out.mp4"], "Output path 'out.mp4' must end in .wav, .flac, .ogg, .mp3, .aiff or .aif."),
        (["--prompts-file", "missing.txt"], "Cannot read the prompts file missing.txt"),
    ]
    + [(["--device", device], f"Device {device!r} is not available on this machine; use --device cpu.")
       for device in ("cuda", "mps") if not _available(device)],
)
def test_errors_are_one_clear_line(tiny_pipe_dir, tmp_path, extra, message, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "a kick", "--model", str(tiny_pipe_dir), "--steps", "1", *extra]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_missing_model_folder(tmp_path, capsys):
    assert main(["generate", "a kick", "--model", str(tmp_path / "none"), "-o", str(tmp_path / "x.wav")]) == 1
    assert "Model folder not found" in capsys.readouterr().err


def test_dry_run_says_how_each_prompt_is_read_and_what_generate_then_does(tiny_pipe_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "--dry-run", "a sad piano melody", "a tight snare hit", "a laser zap"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "'a sad piano melody': the music model, 9.14 s, read as 'a sad piano melody, 105 bpm, 9.14 s'; "
        "the prompt asks for more than one sound (a loop, a phrase or an effect)",
        "'a tight snare hit': the default model, its own clip, 2.56 s, read as 'a moderately loud snare drum hit'",
        "'a laser zap': the music model, 0.38 s, read as 'a laser zap, 0.38 s'; "
        "the prompt asks for more than one sound (a loop, a phrase or an effect)",
    ]
    assert list(tmp_path.iterdir()) == []  # nothing generated, nothing written
    assert main(["generate", "--dry-run", "kick", "--loop", "--seconds", "2"]) == 0
    assert capsys.readouterr().out.strip() == ("'kick': the music model, 2.00 s, read as 'a moderately loud kick drum hit'; "
                                               "a take that plays in a loop")
    assert main(["generate", "--dry-run", "kick", "--model", "music"]) == 0  # a named model: no reason to give
    assert capsys.readouterr().out.strip() == "'kick': the music model, its own clip, 2.56 s, read as 'a moderately loud kick drum hit'"
    assert main(["generate", "--dry-run", "a gong", "foley", "drums"]) == 0  # an instrument it never learnt: said
    assert capsys.readouterr().out.splitlines() == [
        "'a gong': the default model, its own clip, 2.56 s, read as written; it names no instrument, drum or family "
        "the model learnt",
        "'foley': the default model, its own clip, 2.56 s, read as written",  # a family, read as written
        "'drums': the default model, its own clip, 2.56 s, read as written",
    ]
    assert main(["generate", "--dry-run", "a dembow loop", "--model", "music"]) == 0  # a style it never learnt: said
    assert capsys.readouterr().out.strip() == ("'a dembow loop': the music model, 10.00 s, read as 'a dembow loop, 120 bpm, "
                                               "10.00 s'; it names no drum style, drum, kind of phrase or sound effect "
                                               "the music model learnt")
    assert main(["generate", "--dry-run", "a snare", "--model", str(tiny_pipe_dir)]) == 0  # its configs give its clip
    assert capsys.readouterr().out.strip() == "'a snare': " + str(tiny_pipe_dir) + ", its own clip, 0.32 s, read as written"
    assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), "--steps", "1", "-o", "snare.wav"]) == 0
    assert sf.read(tmp_path / "snare.wav")[0].shape == (round(0.32 * 16000),)  # the clip it said
    assert main(["generate", "--dry-run", "kick", "--model", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().err.strip().endswith("none is neither a pipeline folder nor a hub id in the local cache.")
    # what the dry run says is what generate does: the same words read, a take of the length said
    assert main(["generate", "a laser zap", "--steps", "1", "-o", "zap.wav"]) == 0
    assert "'a laser zap' is read as 'a laser zap, 0.38 s'" in capsys.readouterr().err
    assert sf.read(tmp_path / "zap.wav")[0].shape == (round(0.38 * 16000),)


def test_python_dash_m_entry_point():
    result = subprocess.run([sys.executable, "-m", "latentaudio", "--help"], capture_output=True, text=True, check=True)
    for verb in ("init", "generate"):
        assert verb in result.stdout


def every_verb() -> list[list[str]]:
    """Every verb of the command, as the words that name it (``["train", "scorer"]``)."""
    import argparse

    from latentaudio.cli import build_parser

    def verbs(parser, words):
        subparsers = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
        if not subparsers:
            return [words]
        return [found for name, sub in subparsers[0].choices.items() for found in verbs(sub, [*words, name])]

    return verbs(build_parser(), [])


@pytest.mark.parametrize("words", every_verb(), ids=" ".join)
def test_every_verbs_help_prints(words, capsys):
    """A stray % in an option's help (argparse formats it) breaks only that verb's --help."""
    with pytest.raises(SystemExit) as exit_:
        main([*words, "--help"])
    assert exit_.value.code == 0 and f"usage: latentaudio {' '.join(words)}" in capsys.readouterr().out


def test_several_prompts_and_a_prompts_file_write_one_file_per_take(tiny_pipe_dir, tmp_path, capsys):
    prompts = tmp_path / "pack.txt"
    prompts.write_text("# a sample pack\na snare\n\na low piano note\n")
    out = tmp_path / "pack" / "take.wav"
    assert main(["generate", "a kick", "--prompts-file", str(prompts), "--model", str(tiny_pipe_dir), *FAST,
                 "-n", "2", "-o", str(out)]) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == [f"take_{i}.wav" for i in range(6)]  # 3 prompts x 2 takes
    for i in range(6):
        assert sf.read(out.parent / f"take_{i}.wav")[0].shape == (8000,)
    # each prompt's takes are those a call with that prompt alone writes
    alone = tmp_path / "snare.wav"
    assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), *FAST, "-n", "2", "-o", str(alone)]) == 0
    assert (tmp_path / "snare_1.wav").read_bytes() == (out.parent / "take_3.wav").read_bytes()


def test_without_o_each_prompt_is_named_after_it_and_no_file_is_written_over(tiny_pipe_dir, tmp_path, capsys,
                                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    kept = b"a take made earlier"
    (tmp_path / "a_snare.wav").write_bytes(kept)
    assert main(["generate", "A snare!", "a snare", "Low piano, F#2", "--model", str(tiny_pipe_dir), *FAST]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_snare-2.wav", "a_snare-3.wav", "a_snare.wav",
                                                          "low_piano_f#2.wav"]
    assert (tmp_path / "a_snare.wav").read_bytes() == kept
    assert "Wrote low_piano_f#2.wav" in capsys.readouterr().out
    # the takes are those -o writes; several takes are numbered, and a name is taken whole or not at all
    assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), *FAST, "-o", "named.wav"]) == 0
    assert (tmp_path / "named.wav").read_bytes() == (tmp_path / "a_snare-2.wav").read_bytes()
    (tmp_path / "a_snare_1.wav").write_bytes(kept)
    assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), *FAST, "-n", "2"]) == 0
    assert (tmp_path / "a_snare-2_0.wav").is_file() and (tmp_path / "a_snare-2_1.wav").is_file()
    assert not (tmp_path / "a_snare_0.wav").exists() and (tmp_path / "a_snare_1.wav").read_bytes() == kept


@pytest.mark.parametrize("suffix, format_", [(".flac", "FLAC"), (".ogg", "OGG"), (".mp3", "MP3"), (".aiff", "AIFF"),
                                             (".aif", "AIFF"), (".WAV", "WAV")])
def test_a_take_is_written_in_the_format_its_suffix_names(tiny_pipe_dir, tmp_path, suffix, format_):
    wav, out = tmp_path / "take.wav", tmp_path / f"take{suffix}"
    for path in (wav, out):
        assert main(["generate", "a snare", "--model", str(tiny_pipe_dir), *FAST, "-o", str(path)]) == 0
    info = sf.info(out)
    assert info.format == format_ and info.frames == 8000 and info.samplerate == 16000
    reference, written = sf.read(wav)[0], sf.read(out)[0]
    assert abs(written - reference).max() < (0.05 if suffix in (".ogg", ".mp3") else 1e-4)  # lossy codecs: close


def test_no_prompt_is_one_clear_line(tiny_pipe_dir, tmp_path, capsys):
    assert main(["generate", "--model", str(tiny_pipe_dir), "-o", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "latentaudio generate: error: No prompt given: pass one or more prompts, or --prompts-file FILE."


def test_cpu_bfloat16_runs(tiny_pipe_dir, tmp_path):
    out = tmp_path / "bf16.wav"
    assert main(["generate", "a kick", "--model", str(tiny_pipe_dir), *FAST, "--device", "cpu", "--dtype", "bfloat16",
                 "-o", str(out)]) == 0
    audio, rate = sf.read(out)
    assert audio.shape == (8000,) and abs(audio).max() > 0
