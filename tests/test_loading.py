"""Saving and loading the Hugging Face way, and clear errors for broken model folders."""

import json
import shutil

import numpy as np
import pytest
import torch
from diffusers import AutoencoderKL, DiffusionPipeline

from latentaudio import LatentAudioPipeline, MelSpectrogram
from latentaudio.loading import ModelFolderError, load_pipeline, place_pipeline
from vocoder import HifiGanGenerator

ARGS = dict(num_inference_steps=2, audio_length_in_s=0.32)


def generate(pipe):
    pipe.set_progress_bar_config(disable=True)
    return pipe("a snare drum hit", generator=torch.manual_seed(0), **ARGS).audios


def test_save_load_round_trip_gives_identical_audio(tiny_pipe, tmp_path):
    tiny_pipe.save_pretrained(tmp_path)
    files = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert "model_index.json" in files and "pipeline.py" in files
    assert not any(name.endswith((".bin", ".pt", ".pkl", ".ckpt")) for name in files)  # no pickle anywhere
    for component in ("vae", "unet", "vocoder", "spectrogram", "text_encoder"):
        assert list((tmp_path / component).glob("*.safetensors")), component
    assert np.array_equal(generate(tiny_pipe), generate(LatentAudioPipeline.from_pretrained(tmp_path)))


def test_components_load_alone(tiny_pipe_dir):
    vae = AutoencoderKL.from_pretrained(tiny_pipe_dir, subfolder="vae")
    vocoder = HifiGanGenerator.from_pretrained(tiny_pipe_dir, subfolder="vocoder")
    spectrogram = MelSpectrogram.from_pretrained(tiny_pipe_dir, subfolder="spectrogram")
    assert vae.config.in_channels == 1 and vocoder.hop_length == spectrogram.hop_length == 160


def test_diffusers_custom_pipeline_route(tiny_pipe_dir, tiny_pipe):
    pipe = DiffusionPipeline.from_pretrained(tiny_pipe_dir, custom_pipeline=str(tiny_pipe_dir), trust_remote_code=True)
    assert isinstance(pipe, LatentAudioPipeline)
    assert np.array_equal(generate(pipe), generate(tiny_pipe))


def copy_model(source, target):
    shutil.copytree(source, target)
    return target


def test_missing_folder_and_component(tiny_pipe_dir, tmp_path):
    with pytest.raises(ModelFolderError, match="Model folder not found"):
        load_pipeline(tmp_path / "nowhere")
    folder = copy_model(tiny_pipe_dir, tmp_path / "model")
    shutil.rmtree(folder / "vocoder")
    with pytest.raises(ModelFolderError, match="lacks the folder of its component 'vocoder'"):
        load_pipeline(folder)
    (folder / "model_index.json").unlink()
    with pytest.raises(ModelFolderError, match="no model_index.json"):
        load_pipeline(folder)


def test_corrupt_weights(tiny_pipe_dir, tmp_path):
    folder = copy_model(tiny_pipe_dir, tmp_path / "model")
    weights = next((folder / "unet").glob("*.safetensors"))
    weights.write_bytes(b"not a safetensors file")
    with pytest.raises(ModelFolderError, match="Cannot load the pipeline"):
        load_pipeline(folder)


def test_mismatched_component_names_both_values(tiny_pipe_dir, tmp_path):
    folder = copy_model(tiny_pipe_dir, tmp_path / "model")
    config_file = folder / "spectrogram" / "config.json"
    config = json.loads(config_file.read_text())
    config["hop_length"] = 256
    config_file.write_text(json.dumps(config))
    with pytest.raises(ModelFolderError, match="hop_length=160, but the spectrogram has 256"):
        load_pipeline(folder)


def test_spectrogram_settings_are_validated():
    with pytest.raises(ValueError, match="n_mels"):
        MelSpectrogram(n_mels=0)
    with pytest.raises(ValueError, match=r"f_min/f_max=\(0.0, 9000.0\)"):
        MelSpectrogram(f_max=9000.0)


def test_packaged_text_encoder_is_not_saved_and_comes_back_from_its_package(tiny_config, tmp_path):
    from latentaudio.builder import build_pipeline, merge

    config = merge(tiny_config, {"unet": {"cross_attention_dim": 16}})
    config["text_encoder"] = {"pretrained": "minilm", "pooling": "mean", "normalize": True}
    pipe = build_pipeline(config, seed=0)
    assert pipe.config.text_encoder_package == "minilm"
    pipe.save_pretrained(tmp_path)
    assert not (tmp_path / "text_encoder").exists() and not (tmp_path / "tokenizer").exists()
    size = sum(p.stat().st_size for p in tmp_path.rglob("*") if p.is_file())
    assert size < 2_000_000  # the 90 MB encoder stays in its package
    reloaded = load_pipeline(tmp_path)
    assert type(reloaded.text_encoder).__name__ == "BertModel"
    assert np.array_equal(generate(pipe), generate(reloaded))

    # plain diffusers loads it too: the index names loaders that take the encoder from its package
    plain = DiffusionPipeline.from_pretrained(tmp_path, custom_pipeline=str(tmp_path), trust_remote_code=True)
    assert isinstance(plain, LatentAudioPipeline) and type(plain.tokenizer).__name__ == "BertTokenizer"
    assert np.array_equal(generate(plain), generate(pipe))

    # a folder saved before, whose index names the encoder's own transformers classes, still loads
    index = json.loads((tmp_path / "model_index.json").read_text())
    index.update(text_encoder=["transformers", "BertModel"], tokenizer=["transformers", "BertTokenizer"])
    (tmp_path / "model_index.json").write_text(json.dumps(index))
    assert np.array_equal(generate(load_pipeline(tmp_path)), generate(pipe))


def test_spectrogram_frames_and_too_short_audio():
    spectrogram = MelSpectrogram()
    assert spectrogram(torch.zeros(513)).shape == (64, 513 // 160 + 1)  # the shortest it takes
    assert spectrogram(torch.zeros(2, 16000)).shape == (2, 64, spectrogram.num_frames(16000))
    with pytest.raises(ValueError, match="waveform has 512 samples; the spectrogram needs at least 513"):
        spectrogram(torch.zeros(512))


def test_placing_on_the_cpu_keeps_the_audio(tiny_pipe):
    before = tiny_pipe("a kick", num_inference_steps=2, generator=torch.manual_seed(0)).audios
    placed = place_pipeline(tiny_pipe, "cpu", "float32")
    conv = placed.unet.conv_in.weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    after = placed("a kick", num_inference_steps=2, generator=torch.manual_seed(0)).audios
    torch.testing.assert_close(torch.from_numpy(after), torch.from_numpy(before), rtol=1e-4, atol=1e-5)


def test_the_dtype_reaches_every_model_and_audio_stays_float32(tiny_pipe):
    placed = place_pipeline(tiny_pipe, "cpu", "bfloat16")
    assert placed.unet.dtype == placed.vae.dtype == placed.text_encoder.dtype == torch.bfloat16
    audio = placed("a kick", num_inference_steps=2, audio_length_in_s=0.32, output_type="pt", generator=torch.manual_seed(0)).audios
    assert audio.dtype == torch.float32 and audio.shape == (1, round(0.32 * placed.sample_rate)) and audio.abs().max() > 0



def test_in_half_precision_takes_are_ranked_and_clips_edited_from_a_float32_log_mel(scored_pipe_dir, diffusers_messages):
    """A pipeline cast to bfloat16 keeps its spectrogram's window and filterbank in float32, so what reads audio
    (the scorer ranking takes, every edit) works; the cast says nothing about modules "to keep in float32"."""
    from latentaudio import LatentAudioAudioToAudioPipeline

    loaded = LatentAudioPipeline.from_pretrained(scored_pipe_dir)
    diffusers_messages.clear()
    placed = place_pipeline(loaded, "cpu", "bfloat16")
    assert not [message for message in diffusers_messages if "float32" in message]
    assert placed.unet.dtype == placed.scorer.dtype == torch.bfloat16
    assert {buffer.dtype for buffer in placed.spectrogram.buffers()} == {torch.float32}
    placed.set_progress_bar_config(disable=True)
    takes = placed("a kick", num_waveforms_per_prompt=2, generator=torch.manual_seed(0), **ARGS).audios
    edit = LatentAudioAudioToAudioPipeline.from_pipe(placed)
    edited = edit(takes[0], "a snare drum hit", strength=0.5, num_inference_steps=2, generator=torch.manual_seed(0)).audios
    assert edited.shape == (1, takes.shape[-1]) and np.isfinite(edited).all() and np.abs(edited).max() > 0

def test_unknown_device_and_dtype_are_one_line_errors(tiny_pipe):
    with pytest.raises(ValueError, match=r"^Unknown dtype 'float8'; choose one of \['bfloat16', 'float16', 'float32'\]\.$"):
        place_pipeline(tiny_pipe, "cpu", "float8")
    with pytest.raises(ValueError, match=r"^Unknown device 'tpu'; choose cpu, cuda, cuda:N or mps\.$"):
        place_pipeline(tiny_pipe, "tpu", "float32")


@pytest.mark.parametrize("key, value", [("f_max", 7000.0), ("log_floor", 1e-4), ("norm_std", 2.5)])
def test_a_spectrogram_unlike_the_trained_one_is_refused_by_name(tiny_pipe, tmp_path, key, value):
    tiny_pipe.save_pretrained(tmp_path)
    trained = json.loads((tmp_path / "model_index.json").read_text())["trained_mel"]
    assert trained[key] != value and trained == tiny_pipe.config.trained_mel
    # A spectrogram passed at load time...
    settings = {**{k: v for k, v in tiny_pipe.spectrogram.config.items() if not k.startswith("_")}, key: value}
    with pytest.raises(ValueError, match=f"spectrogram has {key}={value}, but .* trained on {key}={trained[key]}"):
        LatentAudioPipeline.from_pretrained(tmp_path, spectrogram=MelSpectrogram(**settings))
    # ...or an edited spectrogram/config.json.
    config = tmp_path / "spectrogram" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()), key: value}))
    with pytest.raises(ModelFolderError, match=f"spectrogram has {key}={value}.*trained_mel"):
        load_pipeline(tmp_path)


def test_a_folder_without_a_trained_mel_record_takes_its_spectrogram_s(tiny_pipe, tmp_path):
    tiny_pipe.save_pretrained(tmp_path)
    index = tmp_path / "model_index.json"
    index.write_text(json.dumps({k: v for k, v in json.loads(index.read_text()).items() if k != "trained_mel"}))
    pipe = LatentAudioPipeline.from_pretrained(tmp_path)
    assert pipe.config.trained_mel == tiny_pipe.config.trained_mel
    assert pipe.config.trained_mel["f_max"] == pipe.spectrogram.mel_config.f_max


def test_an_embedded_models_name_loads_it_unless_a_folder_has_that_name(tmp_path, monkeypatch, tiny_pipe_dir):
    """``from_pretrained("music")`` is the embedded music model, as ``--model music`` is; a folder named so wins."""
    import latentaudio

    music = LatentAudioPipeline.from_pretrained("music")
    assert music.config.longest_trained_length_in_s == LatentAudioPipeline.from_pretrained(
        latentaudio.MUSIC_MODEL).config.longest_trained_length_in_s == 10.24
    shutil.copytree(tiny_pipe_dir, tmp_path / "music")
    monkeypatch.chdir(tmp_path)
    assert LatentAudioPipeline.from_pretrained("music").unet.config.cross_attention_dim != music.unet.config.cross_attention_dim
