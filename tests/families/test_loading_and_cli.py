"""AudioLDM-family folders through the CLI and ``convert``, and the one-line errors of bad ones."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.cli import main
from latentaudio.loading import ModelFolderError, load_pipeline

FAST = ["--steps", "2", "--seed", "3"]


def test_generate_and_an_edit_verb_take_the_folder(audioldm_dir, tmp_path, capsys):
    assert main(["generate", "a dog barks", "--model", str(audioldm_dir), *FAST, "--seconds", "0.5",
                 "-o", str(tmp_path / "dog.wav")]) == 0
    audio, rate = sf.read(tmp_path / "dog.wav")
    assert rate == 16000 and audio.shape == (8000,) and np.abs(audio).max() > 0
    assert main(["inpaint", str(tmp_path / "dog.wav"), "--start", "0.1", "--end", "0.2", "--model", str(audioldm_dir),
                 *FAST, "-o", str(tmp_path / "patched.wav")]) == 0
    assert sf.info(tmp_path / "patched.wav").frames == 8000


def test_best_of_on_an_audioldm2_folder_writes_the_take_clap_ranks_first(family_dirs, tmp_path):
    model = ["--model", str(family_dirs["audioldm2"]), *FAST, "--seconds", "0.64"]
    assert main(["generate", "a dog barks", *model, "-n", "3", "-o", str(tmp_path / "ranked.wav")]) == 0
    assert main(["generate", "a dog barks", *model, "--best-of", "3", "-o", str(tmp_path / "best.wav")]) == 0
    assert sf.read(tmp_path / "best.wav")[0].tolist() == sf.read(tmp_path / "ranked_0.wav")[0].tolist()
    # AudioLDM has no audio features to rank by: refused in one line.
    assert main(["generate", "a dog barks", "--model", str(family_dirs["audioldm"]), *FAST, "--best-of", "2",
                 "-o", str(tmp_path / "x.wav")]) == 1


@pytest.mark.parametrize("family", ["audioldm", "audioldm2"])
def test_convert_writes_a_safetensors_latentaudio_folder_that_gives_the_same_audio(family, family_dirs, tmp_path, capsys):
    source, output = family_dirs[family], tmp_path / "converted"
    assert main(["convert", str(source), str(output)]) == 0
    assert f"Wrote {output}" in capsys.readouterr().out
    index = json.loads((output / "model_index.json").read_text())
    assert index["_class_name"] == "LatentAudioPipeline" and index["vocoder"][1] == "SpeechT5HifiGanVocoder"
    weights = [p.name for p in output.rglob("*") if p.suffix in (".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".pkl")]
    assert weights and all(name.endswith(".safetensors") for name in weights)
    assert [p.name for p in tmp_path.iterdir()] == ["converted"]  # the partial folder was renamed, not left behind

    run = dict(prompt="a dog barks", num_inference_steps=2, audio_length_in_s=0.32, generator=None, output_type="pt")
    original, converted = LatentAudioPipeline.from_pretrained(source), LatentAudioPipeline.from_pretrained(output)
    assert converted.config.longest_trained_length_in_s == 10.24
    # AudioLDM2 keeps CLAP's audio features, which rank several takes; AudioLDM's folder has none.
    kept = index["feature_extractor"] == ["transformers", "ClapFeatureExtractor"]
    assert converted.ranks_by_clap is kept is (family == "audioldm2")
    expected = original(**{**run, "generator": torch.Generator().manual_seed(0)}).audios
    assert torch.equal(converted(**{**run, "generator": torch.Generator().manual_seed(0)}).audios, expected)
    assert main(["convert", str(source), str(output)]) == 1
    assert "exists already" in capsys.readouterr().err


def broken_copy(source, tmp_path, edit) -> str:
    folder = tmp_path / "broken"
    shutil.copytree(source, folder)
    edit(folder)
    return str(folder)


def set_index_class(folder, name):
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "_class_name": name}))


def set_vocoder_rate(folder):
    config = json.loads((folder / "vocoder" / "config.json").read_text())
    (folder / "vocoder" / "config.json").write_text(json.dumps({**config, "sampling_rate": 22050}))


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda f: set_index_class(f, "StableDiffusionPipeline"),
         "holds a StableDiffusionPipeline, which latentaudio does not run; expected a latentaudio pipeline or one of "
         "AudioLDMPipeline, MusicLDMPipeline, AudioLDM2Pipeline"),
        (lambda f: shutil.rmtree(f / "vocoder"), "lacks the folder of its component 'vocoder' (SpeechT5HifiGan)"),
        (lambda f: (f / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"not safetensors"),
         "Cannot load component 'unet' (diffusers.UNet2DConditionModel)"),
        (set_vocoder_rate, "The vocoder has sample_rate=22050, but the spectrogram has 16000"),
    ],
    ids=["unsupported-class", "missing-component", "corrupt-component", "mel-mismatch"],
)
def test_bad_folders_fail_in_one_line_naming_the_component(audioldm_dir, tmp_path, capsys, edit, message):
    folder = broken_copy(audioldm_dir, tmp_path, edit)
    with pytest.raises(ModelFolderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_pipeline(folder)
    assert main(["generate", "a dog", "--model", folder, "-o", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err  # (besides transformers' loading progress bars)
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith("latentaudio generate: error:") and message in errors[0]
    assert "Traceback" not in err


def test_a_second_encoder_other_than_t5_is_refused_naming_it(family_dirs):
    """AudioLDM2's speech checkpoints hold a VitsModel there; any encoder but T5 is named and refused."""
    pipe = LatentAudioPipeline.from_pretrained(family_dirs["audioldm2"])
    with pytest.raises(ValueError, match=r"text_encoder_2 is a ClapModel \(clap\)"):
        LatentAudioPipeline(**{**pipe.components, "text_encoder_2": pipe.text_encoder})


@pytest.mark.parametrize("keyword", ["dtype", "torch_dtype"])
def test_a_family_folder_loads_in_the_dtype_asked_for(audioldm_dir, keyword):
    """``dtype`` (diffusers' name now) and ``torch_dtype`` (its older one) both load the weights in that dtype."""
    pipe = LatentAudioPipeline.from_pretrained(audioldm_dir, **{keyword: torch.bfloat16})
    assert pipe.unet.dtype == pipe.vae.dtype == pipe.text_encoder.dtype == torch.bfloat16
