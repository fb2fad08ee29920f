"""ONNX export: the graphs give PyTorch's audio at every batch and length, load transparently, never
outlive their weights, and refuse what they cannot do with one-line errors."""

import shutil

import pytest
import soundfile as sf
import torch
from diffusers import UNet2DConditionModel

from latentaudio import LatentAudioPipeline, LatentAudioAudioToAudioPipeline
from latentaudio.builder import build_pipeline, merge
from latentaudio.cli import main
from latentaudio.conditioning import with_guidance_embedding
from latentaudio.export import check_export, export_onnx
from latentaudio.runtime import ONNX_FILES, OnnxDecoder, OnnxUNet, uses_onnx

PROMPTS = ["a soft piano note, C4", "a loud snare drum hit"]


def generate(pipe, prompts=PROMPTS, output_type="mel", **kwargs):
    kwargs = {"num_inference_steps": 3, "output_type": output_type, **kwargs}
    return pipe(prompts, generator=torch.Generator().manual_seed(0), **kwargs).audios


@pytest.fixture(scope="module")
def exported_dir(tiny_pipe_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("exported") / "pipe"
    shutil.copytree(tiny_pipe_dir, folder)
    written = export_onnx(folder)
    assert written == {name: folder / name / file for name, file in ONNX_FILES.items()}
    return folder


def load(folder, runtime="auto"):
    pipe = LatentAudioPipeline.from_pretrained(folder, runtime=runtime)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def test_an_exported_folder_runs_in_onnx_runtime_with_pytorchs_output_at_every_batch_and_length(exported_dir):
    onnx, eager = load(exported_dir), load(exported_dir, runtime="torch")
    assert isinstance(onnx.unet, OnnxUNet) and isinstance(onnx.vae.decoder, OnnxDecoder) and uses_onnx(onnx)
    assert not uses_onnx(eager) and isinstance(eager.unet, UNet2DConditionModel)
    clip = onnx.default_audio_length_in_s
    cases = [  # guided pairs (batch 4), unguided (batch 2), several takes (batch 6); shorter, equal and windowed lengths
        {"guidance_scale": 3.0},
        {"guidance_scale": 1.0, "audio_length_in_s": clip / 2},
        {"guidance_scale": 2.0, "num_waveforms_per_prompt": 3, "audio_length_in_s": 2.5 * clip},
    ]
    for case in cases:
        got, expected = generate(onnx, **case), generate(eager, **case)
        assert got.shape == expected.shape
        assert (got - expected).abs().max() <= 1e-4 * expected.abs().max(), case
    audio = generate(onnx, output_type="np", audio_length_in_s=0.5)
    assert audio.shape == (2, round(0.5 * onnx.sample_rate))


def test_pitch_and_embedded_guidance_reach_the_graph(tiny_config, tmp_path):
    pipe = build_pipeline(merge(tiny_config, {"pipeline": {"pitch_conditioning": True}}), seed=0)
    pipe.register_modules(unet=with_guidance_embedding(pipe.unet))
    with torch.no_grad():  # the new embeddings start at zero; make them matter
        for parameter in [*pipe.unet.class_embedding.parameters(), *pipe.unet.time_embedding.cond_proj.parameters()]:
            parameter.copy_(torch.randn_like(parameter))
    pipe.save_pretrained(tmp_path / "pipe")
    export_onnx(tmp_path / "pipe")
    onnx, eager = load(tmp_path / "pipe"), load(tmp_path / "pipe", runtime="torch")
    assert {"encoder_hidden_states", "class_labels", "timestep_cond"} <= set(onnx.unet.conditions)
    notes = ["a soft piano note, C4", "a soft piano note, G5"]
    for guidance in (1.0, 4.0):
        got, expected = generate(onnx, notes, guidance_scale=guidance), generate(eager, notes, guidance_scale=guidance)
        assert (got - expected).abs().max() <= 1e-4 * expected.abs().max()
    assert not torch.allclose(*generate(onnx, notes).unbind(0))  # the note still changes the sound


def test_beat_and_key_channels_reach_the_graph_as_the_pipeline_computes_them(tiny_config, tmp_path):
    from latentaudio.conditioning import with_beat_channels, with_key_channels, with_pitch_embedding

    pipe = build_pipeline(merge(tiny_config, {"pipeline": {"pitch_conditioning": True}}), seed=0)
    pipe.register_modules(unet=with_key_channels(with_beat_channels(with_pitch_embedding(pipe.unet, music=True))))
    torch.nn.init.normal_(pipe.unet.conv_in.weight, std=0.3)  # the new channels start at zero; make them matter
    pipe.save_pretrained(tmp_path / "pipe")
    export_onnx(tmp_path / "pipe")
    onnx, eager = load(tmp_path / "pipe"), load(tmp_path / "pipe", runtime="torch")
    loops = ["a 90 bpm piano loop in D minor", "a 150 bpm drum loop"]
    for seconds in (0.32, 1.0):  # one pass, and windows placed in the take
        got, expected = generate(onnx, loops, audio_length_in_s=seconds), generate(eager, loops, audio_length_in_s=seconds)
        assert (got - expected).abs().max() <= 1e-4 * expected.abs().max()
    assert not torch.allclose(*generate(onnx, loops).unbind(0))


def test_editing_pipelines_share_the_graphs(exported_dir):
    pipe = LatentAudioAudioToAudioPipeline.from_pipe(load(exported_dir))
    eager = LatentAudioAudioToAudioPipeline.from_pipe(load(exported_dir, runtime="torch"))
    audio = torch.randn(1, round(0.5 * pipe.sample_rate), generator=torch.Generator().manual_seed(1)) * 0.1
    got, expected = (p(audio, PROMPTS[0], strength=0.5, num_inference_steps=4, sample_rate=p.sample_rate, output_type="pt",
                       generator=torch.Generator().manual_seed(0)).audios for p in (pipe, eager))
    assert uses_onnx(pipe) and got.shape == expected.shape == (1, audio.shape[-1])
    assert (got - expected).abs().max() <= 1e-3 * expected.abs().max()


def test_check_export_compares_with_pytorch_on_untraced_shapes(exported_dir):
    differences = check_export(load(exported_dir, runtime="torch"), exported_dir)
    assert set(differences) == {"unet", "vae"} and max(differences.values()) < 1e-4


def test_stale_exports_are_never_run(exported_dir, tmp_path):
    folder = tmp_path / "pipe"
    shutil.copytree(exported_dir, folder)
    pipe = load(folder, runtime="torch")
    with torch.no_grad():
        pipe.unet.conv_in.bias.add_(1.0)
    pipe.unet.save_pretrained(folder / "unet")  # new weights beside the old graph
    with pytest.warns(UserWarning, match="exported from other weights"):
        assert not isinstance(load(folder).unet, OnnxUNet)
    with pytest.raises(ValueError, match="runtime='onnx': .*exported from other weights"):
        load(folder, runtime="onnx")
    load(folder, runtime="torch").save_pretrained(folder)  # re-saving the pipeline replaces its component folders
    assert not (folder / "unet" / ONNX_FILES["unet"]).exists() and not (folder / "vae" / ONNX_FILES["vae"]).exists()


def test_what_onnx_runtime_cannot_do_is_refused(exported_dir, tiny_pipe_dir, tmp_path):
    with pytest.raises(ValueError, match=r"runtime='onnx' needs \['unet', 'vae'\] exported in .*latentaudio export"):
        load(tiny_pipe_dir, runtime="onnx")
    with pytest.raises(ValueError, match="runtime='fast' is not one of"):
        load(tiny_pipe_dir, runtime="fast")
    pipe = load(exported_dir)
    with pytest.raises(ValueError, match="ONNX Runtime, which cannot be saved"):
        pipe.save_pretrained(tmp_path / "copy")
    assert not (tmp_path / "copy").exists()
    with pytest.raises(ValueError, match="runs in ONNX Runtime on the CPU in float32"):
        pipe.to("cpu", torch.bfloat16)
    with pytest.raises(ValueError, match="VAE decoder runs in ONNX Runtime"):
        pipe.vae.to(torch.float16)
    with pytest.raises(ValueError, match=r"takes \['encoder_hidden_states', 'encoder_attention_mask'\]; got \['class_labels'\] it does not take$"):
        pipe.unet(torch.zeros(1, 4, 8, 32), 10, encoder_hidden_states=torch.zeros(1, 1, 32),
                  encoder_attention_mask=torch.ones(1, 1), class_labels=torch.zeros(1, 3))


def test_cli_export_then_generate_with_each_runtime(tiny_pipe_dir, tmp_path, capsys):
    folder = tmp_path / "pipe"
    shutil.copytree(tiny_pipe_dir, folder)
    fast = ["--steps", "2", "--seconds", "0.5"]
    assert main(["generate", "a kick", "--model", str(folder), *fast, "--runtime", "onnx", "-o", str(tmp_path / "x.wav")]) == 1
    assert "runtime='onnx' needs ['unet', 'vae'] exported" in capsys.readouterr().err
    assert main(["export", str(folder)]) == 0
    assert "unet/model.onnx" in capsys.readouterr().out
    for runtime in ("onnx", "torch"):
        assert main(["generate", "a kick", "--model", str(folder), *fast, "--runtime", runtime, "-o", str(tmp_path / f"{runtime}.wav")]) == 0
    onnx, eager = (sf.read(tmp_path / f"{runtime}.wav")[0] for runtime in ("onnx", "torch"))
    assert onnx.shape == eager.shape == (8000,) and abs(onnx - eager).max() <= 1e-3 * abs(eager).max()
    # off the CPU's float32 the PyTorch modules load
    assert main(["generate", "a kick", "--model", str(folder), *fast, "--dtype", "bfloat16", "-o", str(tmp_path / "b.wav")]) == 0
    assert main(["generate", "a kick", "--model", str(folder), *fast, "--dtype", "bfloat16", "--runtime", "onnx"]) == 1
    assert capsys.readouterr().err.strip().endswith("--runtime onnx runs on the CPU in float32; got --device cpu --dtype bfloat16.")
    assert main(["export", str(tmp_path / "missing")]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
