"""The editing verbs end to end on the tiny pipeline: files written with the right lengths, one-line errors."""

import numpy as np
import pytest
import soundfile as sf

from latentaudio.cli import main


@pytest.fixture(scope="module")
def stereo_input(tmp_path_factory):
    """0.5 s of stereo at 22.05 kHz: the verbs convert it to the model's 16 kHz mono."""
    path = tmp_path_factory.mktemp("input") / "hit.wav"
    sf.write(path, 0.3 * np.random.default_rng(0).standard_normal((11025, 2)), 22050)
    return path


def common(model) -> list[str]:
    return ["--model", str(model), "--steps", "2", "--seed", "3"]


@pytest.mark.parametrize(
    "verb, args, files, samples, channels",
    [
        ("transform", ["--prompt", "a snare", "--strength", "0.6"], ["out.wav"], 8000, 1),
        ("vary", ["-n", "3", "--strength", "0.3"], ["takes/hit_0.wav", "takes/hit_1.wav", "takes/hit_2.wav"], 8000, 1),
        ("vary", ["-n", "2", "--loop"], ["takes/hit_0.wav", "takes/hit_1.wav"], 8000, 1),
        ("transform", ["--prompt", "a snare", "--loop"], ["out.wav"], 8000, 1),
        ("inpaint", ["--start", "0.1", "--end", "0.3", "--prompt", "a kick"], ["out.wav"], 8000, 1),
        ("extend", ["--seconds", "0.25", "--loop"], ["out.wav"], 12000, 1),
        ("extend", [], ["out.wav"], 16000, 1),  # as long again as the clip
        ("upsample", ["--cutoff", "3000"], ["out.wav"], 8000, 1),
        ("widen", ["--width", "0.8"], ["out.wav"], 8000, 2),
        ("widen", ["--width", "0.8", "--loop"], ["out.wav"], 8000, 2),
    ],
)
def test_verbs_write_converted_audio(tiny_pipe_dir, stereo_input, tmp_path, capsys, verb, args, files, samples, channels):
    output = tmp_path / ("takes" if verb == "vary" else "out.wav")
    assert main([verb, str(stereo_input), *args, *common(tiny_pipe_dir), "-o", str(output)]) == 0
    for name in files:
        audio, rate = sf.read(tmp_path / name, always_2d=True)
        assert rate == 16000 and audio.shape == (samples, channels)
    assert f"Wrote {tmp_path / files[-1]}" in capsys.readouterr().out


def test_transform_turns_at_strength_0_6_and_vary_at_0_2_unless_told(tiny_pipe_dir, stereo_input, tmp_path, monkeypatch):
    from latentaudio import LatentAudioAudioToAudioPipeline

    strengths, call = [], LatentAudioAudioToAudioPipeline.__call__
    monkeypatch.setattr(LatentAudioAudioToAudioPipeline, "__call__",
                        lambda pipe, *args, **kwargs: strengths.append(kwargs["strength"]) or call(pipe, *args, **kwargs))
    for verb, extra in (("transform", ["--prompt", "a snare"]), ("transform", ["--prompt", "a snare", "--strength", "0.25"]),
                        ("vary", [])):
        output = tmp_path / ("takes" if verb == "vary" else "out.wav")
        assert main([verb, str(stereo_input), *extra, *common(tiny_pipe_dir), "-o", str(output)]) == 0
    assert strengths == [0.6, 0.25, 0.2]


def test_upsample_takes_the_cutoff_from_a_low_rate_file(tiny_pipe_dir, tmp_path):
    path = tmp_path / "phone.wav"
    sf.write(path, 0.3 * np.random.default_rng(1).standard_normal(4000), 8000)
    assert main(["upsample", str(path), *common(tiny_pipe_dir), "-o", str(tmp_path / "full.wav")]) == 0
    assert sf.info(tmp_path / "full.wav").frames == 8000


def test_interpolate_writes_k_sounds(tiny_pipe_dir, tmp_path):
    args = ["interpolate", "--prompt", "a kick", "--prompt-b", "a snare", "--steps", "3", "--seed-b", "1",
            "--sampler-steps", "2", "--seconds", "0.3", "--model", str(tiny_pipe_dir), "-o", str(tmp_path / "morph")]
    assert main(args) == 0
    assert sorted(p.name for p in (tmp_path / "morph").iterdir()) == [f"interpolation_{k}.wav" for k in range(3)]
    assert sf.info(tmp_path / "morph" / "interpolation_2.wav").frames == 4800


def test_a_second_run_into_a_folder_keeps_the_first_runs_takes(tiny_pipe_dir, stereo_input, tmp_path):
    takes = tmp_path / "takes"
    vary = ["vary", str(stereo_input), "-n", "2", *common(tiny_pipe_dir), "-o", str(takes)]
    assert main(vary) == 0
    (takes / "hit_1.wav").write_bytes(b"a take the user kept and edited")
    assert main(vary) == 0
    assert sorted(path.name for path in takes.iterdir()) == ["hit-2_0.wav", "hit-2_1.wav", "hit_0.wav", "hit_1.wav"]
    assert (takes / "hit_1.wav").read_bytes() == b"a take the user kept and edited"
    assert (takes / "hit-2_0.wav").read_bytes() == (takes / "hit_0.wav").read_bytes()  # the same call's takes


@pytest.mark.parametrize(
    "argv, message",
    [
        (["transform", "{input}", "--prompt", "x", "--strength", "1.5"], "strength=1.5 is out of range"),
        (["vary", "{input}", "--strength", "-0.5"], "strength=-0.5 is out of range"),
        (["inpaint", "{input}", "--start", "0.4", "--end", "0.9"], "The time range 0.4-0.9 s is empty or outside the clip"),
        (["inpaint", "{input}", "--start", "0.3", "--end", "0.3"], "The time range 0.3-0.3 s is empty"),
        (["widen", "{input}", "--width", "2"], "width=2.0 is out of range"),
        (["transform", "{broken}", "--prompt", "x"], "Cannot read audio file"),
        (["extend", "{missing}", "--seconds", "1"], "Audio file not found"),
        (["upsample", "{input}"], "give the cutoff frequency in Hz (cutoff_hz, or --cutoff)"),
        (["interpolate", "--prompt", "a", "--steps", "1"], "at least 2 sounds"),
    ],
)
def test_bad_input_is_one_clear_line(tiny_pipe_dir, stereo_input, tmp_path, capsys, argv, message):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"not audio at all")
    paths = {"input": stereo_input, "broken": broken, "missing": tmp_path / "missing.wav"}
    argv = [arg.format(**paths) for arg in argv]
    output = tmp_path / ("dir" if argv[0] in ("vary", "interpolate") else "out.wav")
    if argv[0] == "upsample":  # a full-rate input: no rate to take the cutoff from
        sf.write(tmp_path / "full.wav", np.zeros(8000), 16000)
        argv[1] = str(tmp_path / "full.wav")
    assert main([*argv, "--model", str(tiny_pipe_dir), "-o", str(output)]) == 1
    err = capsys.readouterr().err  # may also hold the loading progress bar
    errors = [line for line in err.splitlines() if line.startswith(f"latentaudio {argv[0]}: error: ")]
    assert len(errors) == 1 and message in errors[0] and "Traceback" not in err, err


def test_an_edit_says_what_the_models_prompt_template_reads_its_prompts_as(tiny_pipe_dir, stereo_input, tmp_path, capsys):
    """As ``generate`` does: the words the template gives each prompt of the edit (both of an interpolation's)."""
    import json
    import shutil

    from latentaudio.demo.studio import Studio

    model = shutil.copytree(tiny_pipe_dir, tmp_path / "model")
    index = json.loads((model / "model_index.json").read_text())
    (model / "model_index.json").write_text(json.dumps({**index, "prompt_template": "gm_one_shot"}))
    assert main(["transform", str(stereo_input), "--prompt", "tight snare", *common(model), "-o", str(tmp_path / "t.wav")]) == 0
    assert "'tight snare' is read as 'a moderately loud snare drum hit' (the model's prompt template, gm_one_shot)" in \
        capsys.readouterr().err
    assert main(["interpolate", "--prompt", "kick, deep", "--prompt-b", "tight snare", "--steps", "2", "--sampler-steps", "2",
                 "--model", str(model), "-o", str(tmp_path / "path")]) == 0
    said = capsys.readouterr().err
    assert "'kick, deep' is read as 'a moderately loud kick drum hit'" in said and "'tight snare' is read as" in said
    studio = Studio(str(model), tmp_path / "files")
    assert studio.read_as("tight snare", verb="transform", audio=str(stereo_input)) == \
        "Read as: *a moderately loud snare drum hit* (the model's prompt template, `gm_one_shot`)"
