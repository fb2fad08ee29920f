"""The pipeline-folder reader: clear errors, and which components a folder holds or leaves to a package."""

import json

import pytest

from latentaudio.model_folder import ModelFolderError, PipelineFolder

INDEX = {
    "_class_name": "LatentAudioPipeline",
    "text_encoder_package": "minilm",
    "unet": ["diffusers", "UNet2DConditionModel"],
    "vae": ["diffusers", "AutoencoderKL"],
    "text_encoder": ["transformers", "BertModel"],
    "tokenizer": ["transformers", "BertTokenizerFast"],
    "text_projection": [None, None],
}


def write(folder, index) -> None:
    folder.mkdir(exist_ok=True)
    (folder / "model_index.json").write_text(index if isinstance(index, str) else json.dumps(index))


def test_errors_name_what_is_wrong(tmp_path):
    with pytest.raises(ModelFolderError, match="Model folder not found"):
        PipelineFolder.read(tmp_path / "nowhere")
    with pytest.raises(ModelFolderError, match="has no model_index.json"):
        PipelineFolder.read(tmp_path)
    write(tmp_path, "{not json")
    with pytest.raises(ModelFolderError, match="model_index.json is not valid JSON"):
        PipelineFolder.read(tmp_path)
    write(tmp_path, "[1, 2]")
    with pytest.raises(ModelFolderError, match="must hold a JSON object, got list"):
        PipelineFolder.read(tmp_path)


def test_components_present_missing_and_packaged(tmp_path):
    write(tmp_path, INDEX)
    (tmp_path / "unet").mkdir()
    folder = PipelineFolder.read(tmp_path)
    assert folder.text_encoder_package == "minilm"
    assert set(folder.components) == {"unet", "vae", "text_encoder", "tokenizer"}  # null ones are absent
    assert folder.packaged == {"text_encoder", "tokenizer"}
    assert folder.missing() == {"vae": "AutoencoderKL"}  # packaged components are not looked for
    assert folder.missing(given={"vae": object()}) == {}
    assert folder.without_packaged_encoder() == {"text_encoder": None, "tokenizer": None}
    assert folder.component_class("unet").__name__ == "UNet2DConditionModel"


def test_a_folder_with_its_own_encoder_keeps_it(tmp_path):
    write(tmp_path, {key: value for key, value in INDEX.items() if key != "text_encoder_package"})
    folder = PipelineFolder.read(tmp_path)
    assert folder.text_encoder_package is None and folder.packaged == frozenset()
    assert folder.without_packaged_encoder() == {}
    assert set(folder.missing()) == {"unet", "vae", "text_encoder", "tokenizer"}


def test_find_returns_none_where_there_is_no_index(tmp_path):
    assert PipelineFolder.find(tmp_path) is None and PipelineFolder.find("some-user/some-model") is None
    write(tmp_path, INDEX)
    assert PipelineFolder.find(tmp_path).index == INDEX
