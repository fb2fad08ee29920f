"""Fuzzing the command line: every failure is one line on stderr naming what is wrong, exit code 1
(usage errors too), never a traceback; ``--debug`` shows the traceback. Besides the
drawn arguments, the cases of the bad-input survey this suite grew from are replayed one by one."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from latentaudio.cli import main

from .conftest import examples, record

AREA = "command line"


def run(argv: list[str]) -> tuple[int, str]:
    """``latentaudio ARGV``: (exit code, stderr); an exception escaping ``main`` fails the test."""
    stderr, stdout = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
        try:
            code = main(argv)
        except SystemExit as exit:
            code = exit.code
        except BaseException as error:
            record(AREA, "traceback")
            raise AssertionError(f"latentaudio {' '.join(argv)} raised {type(error).__name__}: {error}") from error
    return code, stderr.getvalue()


def answered(argv: list[str], expect: str, output: Path | None = None, words: tuple = ()) -> None:
    """Run ``argv`` and check the contract: ``expect`` is "error" (exit 1, one named line), "ok"
    (exit 0, ``output`` whole and finite) or "either"."""
    code, stderr = run(argv)
    # Progress bars (loading, sampling) share stderr; they are not messages.
    lines = [line for line in stderr.splitlines() if line.strip() and "it/s]" not in line and "%|" not in line]
    if code == 0:
        if expect == "error":
            record(AREA, "silent wrong result")
            raise AssertionError(f"latentaudio {' '.join(argv)} exited 0")
        if output is not None:
            audio, _ = sf.read(output)
            if audio.size == 0 or not np.isfinite(audio).all():
                record(AREA, "silent wrong result")
                raise AssertionError(f"{output} is empty or holds NaN")
        record(AREA, "correct result")
        return
    error_lines = [line for line in lines if ": error: " in line]
    if "Traceback" in stderr or code != 1 or len(error_lines) != 1:
        record(AREA, "traceback")
        raise AssertionError(f"latentaudio {' '.join(argv)}: exit {code}, stderr:\n{stderr}")
    if len(lines) != 1:
        record(AREA, "traceback")
        raise AssertionError(f"exit 1 must print one line, got:\n{stderr}")
    if expect == "ok" or not all(word.lower() in error_lines[0].lower() for word in words):
        record(AREA, "silent wrong result" if expect == "ok" else "traceback")
        raise AssertionError(f"latentaudio {' '.join(argv)}: {error_lines[0]!r} (expected {expect}, naming {words})")
    record(AREA, "clear error")


OPTIONS = {
    "--steps": st.one_of(st.sampled_from(["1", "0", "-1", "10000", "1.5", "x", "1e3", ""]), st.integers(-3, 3).map(str)),
    "--guidance": st.sampled_from(["3", "inf", "-inf", "nan", "3x", "1e309", "0", "-2"]),
    "--seed": st.sampled_from(["0", "-1", str(2**64 - 1), str(2**64), str(2**70), "1.5", "seed"]),
    "--seconds": st.sampled_from(["0.16", "0", "-1", "nan", "inf", "100000", "0.001"]),
    "-n": st.sampled_from(["1", "2", "0", "65", "x"]),
    "--plot": st.sampled_from(["p.png", "p.xyz", "p", "p.svg"]),
    "-o": st.sampled_from(["out.wav", "out.xyz", "out", "out.flac"]),
}


@settings(max_examples=examples(8))
@given(chosen=st.dictionaries(st.sampled_from(sorted(OPTIONS)), st.just(None), min_size=1, max_size=2), data=st.data())
def test_generate_options(tiny_pipe_dir, tmp_path_factory, chosen, data):
    folder = tmp_path_factory.mktemp("cli")
    values = {"--steps": "1", "-o": "out.wav", "--seconds": "0.16"}
    for name in sorted(chosen):
        values[name] = data.draw(OPTIONS[name], label=name)
    argv = ["generate", "a kick", "--model", str(tiny_pipe_dir)]
    for name, value in values.items():
        argv += [name, str(folder / value) if name in ("-o", "--plot") else value]
    answered(argv, "either", None)


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny_pipe_dir):
    """A clip, a data folder with nothing usable, a folder with a pickle, a config cycle, and friends."""
    import shutil

    root = tmp_path_factory.mktemp("cases")
    noise = 0.3 * np.random.default_rng(0).standard_normal(4000)
    sf.write(root / "clip.wav", noise, 16000)
    spectrum = np.fft.rfft(noise)
    spectrum[np.fft.rfftfreq(4000, 1 / 16000) > 3000] = 0
    sf.write(root / "dull_clip.wav", np.fft.irfft(spectrum, 4000), 16000)  # a full-rate file, low-passed
    (root / "empty_data").mkdir()
    (root / "empty_data" / "bad.wav").write_bytes(b"")
    pickled = root / "pickled"
    shutil.copytree(tiny_pipe_dir, pickled)
    (pickled / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")
    absolute = root / "absolute_package"
    shutil.copytree(tiny_pipe_dir, absolute)
    index = json.loads((absolute / "model_index.json").read_text())
    (absolute / "model_index.json").write_text(json.dumps({**index, "text_encoder_package": "/tmp/evil"}))
    wrong = root / "wrong_unet"
    shutil.copytree(tiny_pipe_dir, wrong)
    config = json.loads((wrong / "unet" / "config.json").read_text())
    (wrong / "unet" / "config.json").write_text(json.dumps({**config, "in_channels": 8}))
    (root / "a.yaml").write_text("base: b.yaml\n")
    (root / "b.yaml").write_text("base: a.yaml\n")
    (root / "syntax.yaml").write_text("vae: [1, 2\n")
    (root / "a_file").write_text("")
    return root


# (argv with {model} and {root} to fill in, "error" or "ok", words the error line must hold)
CASES = [
    ("generate x --model {model} --steps 1 --guidance inf -o {root}/o.wav", "error", ("--guidance", "finite")),
    ("generate x --model {model} --steps 1 --guidance nan -o {root}/o.wav", "error", ("--guidance",)),
    ("generate x --model {model} --steps 10000 -o {root}/o.wav", "error", ("num_inference_steps", "1000")),
    ("generate x --model {model} --steps 1 --seed 1180591620717411303424 -o {root}/o.wav", "error", ("--seed",)),
    ("generate x --model {model} --steps 1 --plot {root}/x.xyz -o {root}/plot_first.wav", "error", ("x.xyz",)),
    ("generate x --model {model} --steps 1 -n 100 -o {root}/o.wav", "error", ("rows", "64")),
    ("generate x --model {pickled} --steps 1 -o {root}/o.wav", "error", ("pickle", "diffusion_pytorch_model.bin")),
    ("generate x --model {absolute} --steps 1 -o {root}/o.wav", "error", ("text_encoder_package", "/tmp/evil")),
    ("generate x --model {root}/wrong_unet --steps 1 -o {root}/o.wav", "error", ("component 'unet'", "conv_in")),
    ("generate x --model {root}/missing --steps 1 -o {root}/o.wav", "error", ("not found",)),
    ("interpolate --prompt a --prompt-b b --model {model} --sampler-steps 1 --steps 100000 -o {root}/path", "error", ("rows",)),
    ("upsample {root}/dull_clip.wav --model {model} --steps 1 -o {root}/up.wav", "ok", ()),
    ("upsample {root}/clip.wav --model {model} --steps 1 -o {root}/up.wav", "error", ("nothing to regenerate",)),
    ("widen {root}/clip.wav --model {model} --steps 1 --width 1 -o {root}/wide.wav", "ok", ()),
    ("data transcode {root}/empty_data --out {root}/transcoded", "error", ("no usable audio",)),
    ("init {root}/a.yaml {root}/new_model", "error", ("cycle",)),
    ("init {root}/syntax.yaml {root}/new_model", "error", ("syntax.yaml", "line 2")),
    ("init configs/tiny.yaml {root}/a_file", "error", ("a_file", "is a file")),
    ("train vocoder --config configs/training/tiny_vocoder.yaml --model {model} --data {root} --output {root}/t --batch-size 100000",
     "error", ("batch_size", "1024")),
]


@pytest.mark.parametrize("argv, expect, words", CASES, ids=[case[0].split(" --")[0][:40] for case in CASES])
def test_survey_cases(tiny_pipe_dir, files, argv, expect, words):
    argv = argv.format(model=tiny_pipe_dir, root=files, pickled=files / "pickled", absolute=files / "absolute_package")
    output = next((Path(word) for word in argv.split() if word.endswith(".wav") and "clip" not in word), None)
    answered(argv.split(), expect, output if expect == "ok" else None, words)
    if "plot_first" in argv:
        assert not (files / "plot_first.wav").exists()  # refused before the audio was written


def test_debug_shows_the_traceback(tmp_path):
    code, stderr = run(["generate", "x", "--model", str(tmp_path / "missing"), "-o", str(tmp_path / "o.wav")])
    assert code == 1 and "Traceback" not in stderr
    with pytest.raises(ValueError, match="Model folder not found"):
        main(["generate", "x", "--model", str(tmp_path / "missing"), "-o", str(tmp_path / "o.wav"), "--debug"])
    with pytest.raises(ValueError, match="Model folder not found"):
        main(["--debug", "generate", "x", "--model", str(tmp_path / "missing"), "-o", str(tmp_path / "o.wav")])
