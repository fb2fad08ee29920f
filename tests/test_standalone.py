"""The standalone export: one ONNX graph of the text-to-audio call that runs without PyTorch and gives the
pipeline's audio for the same seed, taken by `generate` by itself, never stale, refused where it cannot hold a model."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf
import torch
from diffusers import LCMScheduler

from latentaudio import LatentAudioPipeline
from latentaudio.builder import build_pipeline, merge
from latentaudio.cli import main
from latentaudio.conditioning import with_guidance_embedding
from latentaudio.export import export_standalone
from latentaudio.seeded_noise import TorchNormalStream
from latentaudio.standalone import FOLDER, StandaloneGenerator, StandaloneUnavailable, read_config

FAST = {"pipeline": {"default_inference_steps": 2}}  # the model's own sampling: 2 guided DPM-Solver++ steps


def pipeline_audio(folder, prompt, seconds, takes, seed, **kwargs):
    pipe = LatentAudioPipeline.from_pretrained(folder, runtime="torch")
    pipe.set_progress_bar_config(disable=True)
    return pipe(prompt, audio_length_in_s=seconds, num_waveforms_per_prompt=takes,
                generator=torch.Generator().manual_seed(seed), **kwargs).audios


@pytest.fixture(scope="module")
def standalone_dir(tiny_config, tmp_path_factory):
    folder = tmp_path_factory.mktemp("standalone") / "pipe"
    build_pipeline(merge(tiny_config, FAST), seed=0).save_pretrained(folder)
    assert export_standalone(folder) == folder / FOLDER
    return folder


@pytest.mark.parametrize("seed", [0, 1, 2**40 + 3, 2**64 - 1])
def test_the_numpy_noise_is_torchs_for_every_seed_draw_after_draw(seed):
    generator, stream = torch.Generator().manual_seed(seed), TorchNormalStream(seed)
    for shape in [(1, 4, 16, 32), (3, 8, 13, 16), (17,), (2, 5, 3), (16,)]:
        np.testing.assert_allclose(stream.randn(shape), torch.randn(shape, generator=generator).numpy(), rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="fewer than 16"):
        stream.randn((3, 5))
    with pytest.raises(ValueError, match="seed=-1 is not a seed"):
        TorchNormalStream(-1)


def test_the_generator_gives_the_pipelines_audio_at_every_length_take_and_prompt(standalone_dir):
    generator = StandaloneGenerator.from_pretrained(standalone_dir)
    clip = generator.default_audio_length_in_s
    assert generator.max_audio_length_in_s == pytest.approx(clip)  # the tiny U-Net's one pass is its clip
    for prompt, seconds, takes, seed in [("a soft piano note, C4", None, 1, 0), ("a loud snare drum hit", 0.25, 3, 11),
                                         ("", 0.1, 2, 5)]:
        got = generator(prompt, seconds, takes, seed)
        expected = pipeline_audio(standalone_dir, prompt, seconds, takes, seed)
        assert got.shape == expected.shape == (takes, round((seconds or clip) * generator.sample_rate))
        assert np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()
    with pytest.raises(ValueError, match=r"audio_length_in_s=0.5 is out of range: expected .* to 0.32 \(the longest length"):
        generator("a kick", 0.5)
    config = json.loads((standalone_dir / FOLDER / "config.json").read_text())
    assert (config["num_inference_steps"], config["guidance_scale"], config["negative_prompt"], config["noise_draws"]) == (2, 3.0, True, 1)


def test_generate_runs_it_without_importing_torch_and_writes_the_pipelines_audio(standalone_dir, tmp_path):
    out = tmp_path / "kick.wav"
    script = ("import sys; from latentaudio.cli import main; "
              f"code = main(['generate', 'a kick', 'a snare', '-n', '2', '--seconds', '0.2', '--seed', '3', '--model', {str(standalone_dir)!r}, "
              f"'-o', {str(out)!r}, '--local']); assert code == 0; assert 'torch' not in sys.modules, 'torch was imported'")
    subprocess.run([sys.executable, "-c", script], check=True)
    for index, prompt in enumerate(["a kick", "a snare"]):
        expected = pipeline_audio(standalone_dir, prompt, 0.2, 2, 3)
        for take in range(2):
            audio, rate = sf.read(tmp_path / f"kick_{2 * index + take}.wav", dtype="float32")
            assert rate == 16000 and audio.shape == (3200,)
            assert np.abs(audio - expected[take]).max() <= 2**-14  # 16-bit PCM rounding


def test_calls_it_cannot_run_go_to_the_pipeline(standalone_dir, tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("the standalone generator ran a call it cannot run")

    monkeypatch.setattr(StandaloneGenerator, "__call__", refuse)
    for flags in (["--steps", "3"], ["--guidance", "2"], ["--seconds", "0.5"], ["--negative-prompt", "noise"],
                  ["--runtime", "torch"], ["--scheduler", "ddim"], ["--plot", str(tmp_path / "x.png")]):
        assert main(["generate", "a kick", "--model", str(standalone_dir), "-o", str(tmp_path / "x.wav"), *flags]) == 0, flags
    assert sf.info(tmp_path / "x.wav").frames == 5120  # the last call's: the clip, 0.32 s
    assert main(["generate", "a kick", "--model", str(standalone_dir), "--seconds", "20"]) == 1  # the pipeline's own limit
    assert capsys.readouterr().err.strip().endswith("to 10.24 (max_audio_length_in_s).")


def test_an_export_never_outlives_its_weights(standalone_dir, tmp_path, capsys):
    folder = tmp_path / "pipe"
    shutil.copytree(standalone_dir, folder)
    read_config(folder)  # a copy is as current as its original
    pipe = LatentAudioPipeline.from_pretrained(folder, runtime="torch")
    with torch.no_grad():
        pipe.vocoder.conv_pre.bias.add_(0.1)
    pipe.vocoder.save_pretrained(folder / "vocoder")
    with pytest.raises(StandaloneUnavailable, match=r"vocoder/diffusion_pytorch_model.safetensors changed since .* was exported"):
        StandaloneGenerator.from_pretrained(folder)
    assert main(["generate", "a kick", "--model", str(folder), "--seconds", "0.1", "-o", str(tmp_path / "k.wav")]) == 0
    err = capsys.readouterr().err
    assert "changed since" in err and "Running the pipeline instead." in err
    audio = sf.read(tmp_path / "k.wav", dtype="float32")[0]
    assert np.abs(audio - pipeline_audio(folder, "a kick", 0.1, 1, 0)[0]).max() <= 2**-14  # the new weights' sound
    assert main(["export", str(folder), "--standalone"]) == 0
    read_config(folder)
    shutil.rmtree(folder / FOLDER / "model.onnx", ignore_errors=True)
    (folder / FOLDER / "config.json").write_text("{}")
    with pytest.raises(StandaloneUnavailable, match="was written in format None"):
        read_config(folder)


def test_a_prompt_template_is_applied_in_the_graph_path_and_its_change_makes_the_export_stale(tiny_config, tmp_path, capsys):
    folder = tmp_path / "templated"
    build_pipeline(merge(tiny_config, {"pipeline": {"default_inference_steps": 2, "prompt_template": "gm_one_shot"}}),
                   seed=0).save_pretrained(folder)
    export_standalone(folder)
    assert read_config(folder)["prompt_template"] == "gm_one_shot"
    generator = StandaloneGenerator.from_pretrained(folder)
    heard = generator("kick, deep and boomy", 0.2, 1, seed=1)
    assert np.array_equal(heard, generator("a moderately loud kick drum hit", 0.2, 1, seed=1))  # read as its template caption
    expected = pipeline_audio(folder, "kick, deep and boomy", 0.2, 1, 1)
    assert np.abs(heard - expected).max() <= 1e-4 * np.abs(expected).max()
    assert main(["generate", "kick, deep and boomy", "--model", str(folder), "--seconds", "0.2", "-o", str(tmp_path / "k.wav")]) == 0
    assert "'kick, deep and boomy' is read as 'a moderately loud kick drum hit'" in capsys.readouterr().err
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "prompt_template": None}))
    with pytest.raises(StandaloneUnavailable, match=r"model_index.json changed since"):
        StandaloneGenerator.from_pretrained(folder)


def test_a_distilled_student_with_vocos_exports_its_sampler_draws(tiny_config, tmp_path):
    config = {**merge(tiny_config, {"pipeline": {"default_inference_steps": 3, "default_guidance_scale": 4.0}}),
              "vocoder": {"type": "vocos", "dim": 8, "intermediate_dim": 16, "num_layers": 1, "magnitude_prior": True}}
    pipe = build_pipeline(config, seed=0)
    pipe.register_modules(unet=with_guidance_embedding(pipe.unet), scheduler=LCMScheduler.from_config(pipe.scheduler.config))
    with torch.no_grad():  # the guidance embedding starts at zero; make it matter
        for parameter in pipe.unet.time_embedding.cond_proj.parameters():
            parameter.copy_(torch.randn_like(parameter))
    pipe.save_pretrained(tmp_path / "student")
    export_standalone(tmp_path / "student")
    config = read_config(tmp_path / "student")
    # LCM draws fresh noise after every step but the last: the starting latent and 2 more
    assert (config["num_inference_steps"], config["guidance_scale"], config["negative_prompt"], config["noise_draws"]) == (3, 4.0, False, 3)
    got = StandaloneGenerator.from_pretrained(tmp_path / "student")("a bell", 0.3, 2, seed=9)
    expected = pipeline_audio(tmp_path / "student", "a bell", 0.3, 2, 9)
    assert got.shape == expected.shape == (2, 4800) and np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()


def test_a_u_net_trained_beyond_its_clip_runs_its_whole_one_pass_in_the_graph(tiny_config, tmp_path):
    # A model trained on variable lengths (longest_trained_length_in_s) denoises up to that length in one
    # pass; the graph, traced at the clip, takes it whole and gives the pipeline's audio there.
    build_pipeline(merge(tiny_config, {"pipeline": {"default_inference_steps": 2, "longest_trained_length_in_s": 0.64}}),
                   seed=0).save_pretrained(tmp_path / "long")
    export_standalone(tmp_path / "long")
    generator = StandaloneGenerator.from_pretrained(tmp_path / "long")
    assert generator.default_audio_length_in_s == pytest.approx(0.32) and generator.max_audio_length_in_s == pytest.approx(0.64)
    got = generator("a soft organ note, C3", 0.64, 1, seed=4)
    expected = pipeline_audio(tmp_path / "long", "a soft organ note, C3", 0.64, 1, 4)
    assert got.shape == expected.shape == (1, 10240) and np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()
    with pytest.raises(ValueError, match="audio_length_in_s=0.7 is out of range"):
        generator("a kick", 0.7)


def test_a_short_request_is_cut_from_the_shortest_pass_in_the_graph_as_in_the_pipeline(tiny_config, tmp_path):
    build_pipeline(merge(tiny_config, {"pipeline": {"default_inference_steps": 2, "shortest_pass_length_in_s": 0.32}}),
                   seed=0).save_pretrained(tmp_path / "whole")
    export_standalone(tmp_path / "whole")
    assert read_config(tmp_path / "whole")["shortest_pass_frames"] == 16
    generator = StandaloneGenerator.from_pretrained(tmp_path / "whole")
    for seconds in (0.1, 0.32):
        got = generator("a soft organ note, C3", seconds, 2, seed=4)
        expected = pipeline_audio(tmp_path / "whole", "a soft organ note, C3", seconds, 2, 4)
        assert got.shape == expected.shape and np.abs(got - expected).max() <= 1e-4 * np.abs(expected).max()
    cut, whole = generator("a soft organ note, C3", 0.1, 1, seed=4)[0], generator("a soft organ note, C3", 0.32, 1, seed=4)[0]
    np.testing.assert_array_equal(cut[:1440], whole[:1440])  # the start of the whole take, its last 10 ms faded
    assert cut[-1] == 0 and whole[1599] != 0


# the note; and the instrument; and the tempo, key and length; and beat-phase channels of the tempo and key channels
@pytest.mark.parametrize("features", [0, 1, 2, 3])
def test_a_pitch_conditioned_model_reads_the_note_into_the_graph(tiny_config, tmp_path, features):
    from latentaudio.conditioning import FEATURE_WIDTHS, with_beat_channels, with_key_channels, with_pitch_embedding

    config = {**merge(tiny_config, {"pipeline": {"default_inference_steps": 2, "pitch_conditioning": True}}),
              "vocoder": {"type": "vocos", "dim": 8, "intermediate_dim": 16, "num_layers": 1, "magnitude_prior": True}}
    pipe = build_pipeline(config, seed=0)
    if features:  # the embedding also reads the named instrument (and the music): the graph must compute those columns too
        pipe.unet = with_pitch_embedding(pipe.unet, instruments=True, music=features >= 2)
        torch.nn.init.normal_(pipe.unet.class_embedding.linear_1.weight, std=0.5)
    if features == 3:  # the graph computes the channels from the tempo and the key it reads, at every frame of the take
        pipe.unet = with_key_channels(with_beat_channels(pipe.unet))
        torch.nn.init.normal_(pipe.unet.conv_in.weight, std=0.3)
    torch.nn.init.normal_(pipe.unet.class_embedding.linear_2.weight, std=0.5)  # it starts at zero; make it matter
    if features >= 2:  # a music model's template: a loop's prompt is read stating the take's length, in words and columns
        pipe.register_to_config(prompt_template="gm_music")
    pipe.save_pretrained(tmp_path / "pitch")
    export_standalone(tmp_path / "pitch")
    assert read_config(tmp_path / "pitch")["pitch_conditioning"]
    assert read_config(tmp_path / "pitch")["pitch_features"] == FEATURE_WIDTHS[min(features, 2)]
    generator = StandaloneGenerator.from_pretrained(tmp_path / "pitch")
    prompts = ["a soft piano note, middle C", "a soft piano note, G5", "a soft piano note"]
    if features >= 2:  # the same words but the tempo (a loop's captions are read as written: the text states differ by
        prompts += ["a piano loop in C major, 90 bpm", "a piano loop in C major, 150 bpm"]  # two tokens only)
    takes = {}
    for prompt in prompts:
        takes[prompt] = generator(prompt, None, 1, seed=3)
        expected = pipeline_audio(tmp_path / "pitch", prompt, None, 1, 3)
        assert np.abs(takes[prompt] - expected).max() <= 1e-4 * np.abs(expected).max()
    # the same text states but another note (and no note) give other audio: the note reached the graph
    c4, g5, none = list(takes.values())[:3]
    assert np.abs(c4 - g5).max() > 1e-2 * np.abs(c4).max() and np.abs(c4 - none).max() > 1e-2 * np.abs(c4).max()
    if features >= 2:
        stated = f"a piano loop in C major, 90 bpm, {generator.default_audio_length_in_s:.2f} s"
        assert np.array_equal(takes["a piano loop in C major, 90 bpm"], generator(stated, None, 1, seed=3))


def test_what_one_graph_cannot_hold_is_refused_in_one_line(tiny_config, tmp_path, capsys):
    build_pipeline(merge(tiny_config, {"text_encoder": None}), seed=0).save_pretrained(tmp_path / "unconditional")
    with pytest.raises(ValueError, match="holds text conditioning by a transformers encoder; this pipeline's conditioning is"):
        export_standalone(tmp_path / "unconditional")
    build_pipeline({**tiny_config, "vocoder": {"type": "griffin_lim"}}, seed=0).save_pretrained(tmp_path / "gl")
    assert main(["export", str(tmp_path / "gl"), "--standalone"]) == 1
    assert capsys.readouterr().err.strip().splitlines()[-1].endswith("holds a HiFi-GAN or Vocos vocoder, not GriffinLimVocoder.")
    assert not (tmp_path / "gl" / FOLDER).exists() and not list((tmp_path / "gl").glob(f".{FOLDER}-*"))


def test_an_embedded_model_exports_into_the_users_cache_and_generate_finds_it(standalone_dir, tmp_path, monkeypatch, capsys):
    import latentaudio

    embedded = tmp_path / "package" / "tiny_model"  # stands for a folder of the installed package
    shutil.copytree(standalone_dir, embedded, ignore=shutil.ignore_patterns(FOLDER))
    monkeypatch.setitem(latentaudio.EMBEDDED_MODELS, "tiny", str(embedded))
    monkeypatch.setenv("LATENTAUDIO_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert main(["export", "tiny"]) == 1
    assert "is exported with --standalone only (into your cache)" in capsys.readouterr().err
    assert main(["export", "tiny", "--standalone"]) == 0
    cached = tmp_path / "cache" / FOLDER / "tiny_model"
    assert (cached / "config.json").is_file() and not (embedded / FOLDER).exists()
    assert not list(embedded.rglob("*.onnx"))  # nothing written into the package
    calls = []
    original = StandaloneGenerator.__call__
    monkeypatch.setattr(StandaloneGenerator, "__call__", lambda self, *a, **k: calls.append(a) or original(self, *a, **k))
    assert main(["generate", "a kick", "--model", "tiny", "--seconds", "0.1", "-o", str(tmp_path / "k.wav")]) == 0
    assert len(calls) == 1 and sf.info(tmp_path / "k.wav").frames == 1600
