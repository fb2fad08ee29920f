"""`latentaudio data transcode`: a smaller copy of an audiofolder that trains like the original."""

import json

import pytest
import soundfile as sf
import torch

from latentaudio.audio_io import read_audio
from latentaudio.cli import main
from latentaudio.data.transcode import transcode_folder
from latentaudio.spectrogram import MelSpectrogram


def rows(folder):
    return [json.loads(line) for line in (folder / "metadata.jsonl").read_text().splitlines()]


def folder_bytes(folder, suffix):
    return sum(p.stat().st_size for p in folder.glob(f"*{suffix}"))


def test_ogg_copy_keeps_rows_lengths_and_mels(gm_dataset, tmp_path):
    src, out = gm_dataset.out_dir, tmp_path / "ogg"
    assert main(["data", "transcode", str(src), "--out", str(out)]) == 0
    original, copy = rows(src), rows(out)
    assert [r["file_name"].replace(".wav", ".ogg") for r in original] == [r["file_name"] for r in copy]
    assert [{k: v for k, v in r.items() if k != "file_name"} for r in original] == \
           [{k: v for k, v in r.items() if k != "file_name"} for r in copy]
    assert folder_bytes(out, ".ogg") < 0.5 * folder_bytes(src, ".wav")
    assert "Transcoded from" in (out / "dataset_card.md").read_text()

    mel = MelSpectrogram()
    for row in original[:3]:
        a, _ = read_audio(src / row["file_name"])
        b, _ = read_audio(out / row["file_name"].replace(".wav", ".ogg"))
        assert a.shape == b.shape
        ma, mb = mel(a), mel(b)
        loud = ma > ma.max() - 6  # within 24 dB of the peak (norm_std 4 per natural-log unit)
        assert (ma - mb).abs()[loud].mean() < 0.15


def test_opus_copy_is_smaller_than_vorbis_and_keeps_lengths(gm_dataset, tmp_path):
    src = gm_dataset.out_dir
    transcode_folder(src, tmp_path / "ogg", splits=["train"])
    transcode_folder(src, tmp_path / "opus", format="opus", compression=0.9, splits=["train"])
    copy = rows(tmp_path / "opus")
    assert all(r["file_name"].endswith(".opus") for r in copy)
    assert folder_bytes(tmp_path / "opus", ".opus") < 0.8 * folder_bytes(tmp_path / "ogg", ".ogg")
    mel = MelSpectrogram()
    for row in copy[:3]:
        a, _ = read_audio(src / row["file_name"].replace(".opus", ".wav"))
        b, _ = read_audio(tmp_path / "opus" / row["file_name"])
        assert a.shape == b.shape
        ma, mb = mel(a), mel(b)
        loud = ma > ma.max() - 6
        assert (ma - mb).abs()[loud].mean() < 0.25  # Opus adds ~0.1 to Vorbis's error here


def test_opus_refuses_a_sample_rate_it_cannot_store(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    sf.write(str(src / "a.wav"), torch.rand(22050).numpy() - 0.5, 22050)
    (src / "metadata.jsonl").write_text(json.dumps({"file_name": "a.wav", "text": "noise"}) + "\n")
    with pytest.raises(ValueError, match="a.wav is at 22050 Hz"):
        transcode_folder(src, tmp_path / "opus", format="opus")
    assert not (tmp_path / "opus").exists()


def test_split_filter_and_lossless_flac(gm_dataset, tmp_path):
    src = gm_dataset.out_dir
    result = transcode_folder(src, tmp_path / "flac", format="flac", splits=["train"])
    copy = rows(tmp_path / "flac")
    assert {r["split"] for r in copy} == {"train"} and len(copy) == len(result.rows)
    assert len(copy) == sum(r["split"] == "train" for r in rows(src))
    name = copy[0]["file_name"]
    original, _ = sf.read(str(src / name.replace(".flac", ".wav")), dtype="int16")
    lossless, _ = sf.read(str(tmp_path / "flac" / name), dtype="int16")
    assert torch.equal(torch.from_numpy(original), torch.from_numpy(lossless))


def test_transcode_refuses_bad_settings(gm_dataset, tmp_path, capsys):
    src = gm_dataset.out_dir
    with pytest.raises(ValueError, match="Unknown audio format 'mp4'"):
        transcode_folder(src, tmp_path / "a", format="mp4")
    with pytest.raises(ValueError, match=r"compression must be in \[0, 1\], got 1.5"):
        transcode_folder(src, tmp_path / "a", compression=1.5)
    transcode_folder(src, tmp_path / "b", format="flac", splits=["test"])
    assert main(["data", "transcode", str(src), "--out", str(tmp_path / "b")]) == 1
    assert "already holds a dataset" in capsys.readouterr().err
