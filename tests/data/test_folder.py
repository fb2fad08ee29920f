"""The audiofolder dataset: clips, crops, splits, batching, caches, and loading through ``datasets``."""

import os
import shutil

import numpy as np
import pytest
import soundfile as sf
import torch
from safetensors import safe_open
from torch.utils.data import DataLoader

from latentaudio.audio_io import read_audio
from latentaudio.data import AudioFolderDataset, collate_audio, load_audiofolder
from latentaudio.data.hf import torchcodec_available
from latentaudio.spectrogram import MelSpectrogram


@pytest.fixture(scope="module")
def spectrogram():
    return MelSpectrogram()


@pytest.fixture
def folder(tmp_path, gm_dataset):
    """A private copy of the small GM dataset, which tests may touch and rewrite."""
    return shutil.copytree(gm_dataset.out_dir, tmp_path / "gm")


def test_items(gm_dataset, spectrogram):
    dataset = AudioFolderDataset(gm_dataset.out_dir, spectrogram, seconds=0.5)
    assert len(dataset) == len(gm_dataset.rows)
    item = dataset[0]
    row = gm_dataset.rows[0]
    assert item["audio"].shape == (8000,) and item["audio"].dtype == torch.float32
    assert item["mel"].shape == (64, 8000 // 160 + 1)
    assert item["text"] == row["text"] and item["file_name"] == row["file_name"] and item["start"] == 0
    for column in ("split", "family", "program", "pitch", "velocity", "instrument", "kit"):
        assert item[column] == row[column]
    # Evaluation clips start at 0: the clip is the file's beginning and its mel is the clip's.
    audio, _ = read_audio(gm_dataset.out_dir / row["file_name"])
    assert torch.equal(item["audio"], audio[:8000])
    assert torch.allclose(item["mel"][:, :-4], spectrogram(audio[:8000][None])[0][:, :-4], atol=1e-4)


def test_random_crops_start_on_hops_and_match_the_full_mel(gm_dataset, spectrogram):
    dataset = AudioFolderDataset(gm_dataset.out_dir, spectrogram, seconds=0.25, random_crop=True)
    torch.manual_seed(0)
    starts = set()
    audio, _ = read_audio(gm_dataset.out_dir / gm_dataset.rows[0]["file_name"])
    full_mel = spectrogram(audio[None])[0]
    for _ in range(8):
        item = dataset[0]
        start = item["start"]
        starts.add(start)
        assert start % 160 == 0 and 0 <= start <= 16000 - 4000
        assert torch.equal(item["audio"], audio[start : start + 4000])
        assert torch.allclose(item["mel"], full_mel[:, start // 160 : start // 160 + 26], atol=1e-5)
    assert len(starts) > 1


def test_short_files_are_zero_padded(gm_dataset, spectrogram):
    dataset = AudioFolderDataset(gm_dataset.out_dir, spectrogram, seconds=1.5, random_crop=True)
    item = dataset[0]
    assert item["start"] == 0 and item["audio"].shape == (24000,)
    assert torch.all(item["audio"][16000:] == 0) and item["mel"].shape == (64, 151)


def test_resampling_to_another_rate(gm_dataset):
    dataset = AudioFolderDataset(gm_dataset.out_dir, sample_rate=22050, num_samples=22050)
    item = dataset[0]
    assert item["audio"].shape == (22050,) and "mel" not in item
    assert item["audio"].abs().max() > 0.01


def test_split_filter(gm_dataset):
    train = AudioFolderDataset(gm_dataset.out_dir, seconds=0.1, split="train")
    held_out = AudioFolderDataset(gm_dataset.out_dir, seconds=0.1, split=["validation", "test"])
    assert len(train) + len(held_out) == len(gm_dataset.rows)
    assert {entry.columns["split"] for entry in train.entries} == {"train"}
    with pytest.raises(ValueError, match="splits present are"):
        AudioFolderDataset(gm_dataset.out_dir, seconds=0.1, split="dev")


def test_split_without_a_split_column(tmp_path, gm_dataset):
    shutil.copy(gm_dataset.out_dir / gm_dataset.rows[0]["file_name"], tmp_path / "a.wav")
    with pytest.raises(ValueError, match="no 'split' column"):
        AudioFolderDataset(tmp_path, seconds=0.1, split="train")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(), "exactly one of seconds"),
        (dict(seconds=1.0, num_samples=100), "exactly one of seconds"),
        (dict(seconds=1.0, sample_rate=8000, spectrogram=MelSpectrogram()), "disagrees"),
        (dict(seconds=1.0, vae=torch.nn.Linear(1, 1)), "needs a spectrogram and a cache_dir"),
    ],
)
def test_bad_arguments(gm_dataset, kwargs, message):
    with pytest.raises(ValueError, match=message):
        AudioFolderDataset(gm_dataset.out_dir, **kwargs)


def test_dataloader_batches(gm_dataset, spectrogram):
    dataset = AudioFolderDataset(gm_dataset.out_dir, spectrogram, seconds=0.5, random_crop=True, split="train")
    batch = next(iter(DataLoader(dataset, batch_size=4, shuffle=True, collate_fn=collate_audio)))
    assert batch["audio"].shape == (4, 8000) and batch["mel"].shape == (4, 64, 51)
    assert len(batch["text"]) == 4 and all(isinstance(text, str) for text in batch["text"])
    assert batch["pitch"].dtype == torch.int64 and batch["pitch"].shape == (4,)
    assert isinstance(batch["kit"], list)


def test_collate_refuses_ragged_tensors():
    with pytest.raises(ValueError, match="shapes"):
        collate_audio([{"audio": torch.zeros(3)}, {"audio": torch.zeros(4)}])


def test_mel_cache_round_trip_is_exact(folder, tmp_path, spectrogram):
    cache = tmp_path / "cache"
    uncached = AudioFolderDataset(folder, spectrogram, seconds=0.5)
    writing = AudioFolderDataset(folder, spectrogram, seconds=0.5, cache_dir=cache)
    first = [writing[i]["mel"] for i in range(len(writing))]
    files = sorted((cache / "mel").glob("*.safetensors"))
    assert len(files) == len(writing)
    with safe_open(str(files[0]), framework="pt") as handle:
        assert handle.metadata()["format"] == "latentaudio-cache/1"
    reading = AudioFolderDataset(folder, spectrogram, seconds=0.5, cache_dir=cache, return_audio=False)
    for index, mel in enumerate(first):
        item = reading[index]
        assert "audio" not in item
        assert torch.equal(item["mel"], mel)
        assert torch.equal(uncached[index]["mel"], mel)
    assert sorted((cache / "mel").glob("*")) == files  # read, not rewritten


def test_mel_cache_invalidated_by_a_changed_config_or_file(folder, tmp_path):
    cache = tmp_path / "cache"
    name = AudioFolderDataset(folder, seconds=0.5).entries[0].file_name
    before = AudioFolderDataset(folder, MelSpectrogram(), seconds=0.5, cache_dir=cache)[0]["mel"]
    # Another spectrogram config: the entry is recomputed, never reused.
    other = AudioFolderDataset(folder, MelSpectrogram(n_mels=32), seconds=0.5, cache_dir=cache)[0]["mel"]
    assert other.shape == (32, 51)
    # A rewritten file: same name, new content and modification time.
    audio, rate = sf.read(folder / name, dtype="float32")
    sf.write(folder / name, audio * 0.5, rate)
    os.utime(folder / name, ns=(1_000_000_000, 1_000_000_000))
    after = AudioFolderDataset(folder, MelSpectrogram(), seconds=0.5, cache_dir=cache)[0]["mel"]
    fresh = AudioFolderDataset(folder, MelSpectrogram(), seconds=0.5)[0]["mel"]
    assert not torch.equal(after, before) and torch.equal(after, fresh)


def test_latent_cache(folder, tmp_path, spectrogram):
    from latentaudio.vae import build_vae

    torch.manual_seed(0)
    vae = build_vae(block_out_channels=(4, 8), latent_channels=2, layers_per_block=1, norm_num_groups=2).eval()
    cache = tmp_path / "cache"
    dataset = AudioFolderDataset(folder, spectrogram, seconds=0.5, cache_dir=cache, vae=vae)
    item = dataset[0]
    # 51 mel frames are padded with silence to 52, a multiple of the compression factor 2.
    assert item["latent_mean"].shape == (2, 26, 32) and item["latent_std"].shape == (2, 26, 32)
    assert torch.all(item["latent_std"] > 0)
    assert len(list((cache / "latent").glob("*.safetensors"))) == 1
    again = AudioFolderDataset(folder, spectrogram, seconds=0.5, cache_dir=cache, vae=vae, return_audio=False)[0]
    assert torch.equal(again["latent_mean"], item["latent_mean"]) and torch.equal(again["latent_std"], item["latent_std"])
    # Other weights give other latents, never the stale ones.
    with torch.no_grad():
        vae.encoder.conv_in.weight.mul_(2)
    changed = AudioFolderDataset(folder, spectrogram, seconds=0.5, cache_dir=cache, vae=vae)[0]
    assert not torch.equal(changed["latent_mean"], item["latent_mean"])
    with pytest.raises(ValueError, match="random_crop=False"):
        AudioFolderDataset(folder, spectrogram, seconds=0.5, cache_dir=cache, vae=vae, random_crop=True)


def test_loads_through_datasets_audiofolder(gm_dataset, tmp_path):
    ours = AudioFolderDataset(gm_dataset.out_dir, seconds=0.1)
    theirs = load_audiofolder(gm_dataset.out_dir, decode_audio=False, split="train", cache_dir=str(tmp_path))
    assert len(theirs) == len(ours)
    assert theirs["file_name"] == [entry.file_name for entry in ours.entries]
    assert theirs["text"] == [entry.text for entry in ours.entries]
    assert theirs["pitch"] == [entry.columns["pitch"] for entry in ours.entries]


def test_loads_through_datasets_with_audio(gm_dataset, tmp_path):
    theirs = load_audiofolder(gm_dataset.out_dir, split="train", cache_dir=str(tmp_path))
    first = AudioFolderDataset(gm_dataset.out_dir, seconds=0.1).entries[0]
    audio = theirs[0]["audio"]
    samples = audio["array"] if isinstance(audio, dict) else audio.get_all_samples().data.numpy()
    expected, _ = sf.read(gm_dataset.out_dir / first.file_name, dtype="float32")
    assert np.allclose(np.asarray(samples).reshape(-1), expected, atol=1e-4)
