"""Long recordings cut into captioned clips, quiet windows skipped."""

import json

import numpy as np
import pytest
import soundfile as sf

from latentaudio.data import NoUsableAudioError, clip_long_folder


def long_recording(gm_dataset, *names_and_silences):
    """Real one-second clips and stretches of silence (in seconds), end to end."""
    parts = []
    for part in names_and_silences:
        if isinstance(part, str):
            parts.append(sf.read(gm_dataset.out_dir / part, dtype="float32")[0])
        else:
            parts.append(np.zeros(int(part * 16000), np.float32))
    return np.concatenate(parts)


@pytest.fixture
def recordings(tmp_path, gm_dataset):
    names = [row["file_name"] for row in gm_dataset.rows if row["velocity"] == 112]
    src = tmp_path / "src"
    (src / "solo_piano").mkdir(parents=True)
    # 1 s note, 2 s silence, 1 s note, 0.5 s tail: windows 0 and 3 are kept.
    sf.write(src / "solo_piano" / "take1.wav", long_recording(gm_dataset, names[0], 2.0, names[1], 0.5), 16000)
    # Stereo at 44.1 kHz, shorter than one clip: padded to one clip.
    short = long_recording(gm_dataset, names[2])[:8000]
    sf.write(src / "solo_piano" / "take2.wav", np.stack([short, short], axis=1), 44100)
    return src


def test_clips_from_folder_captions(recordings, tmp_path):
    out = tmp_path / "out"
    result = clip_long_folder(recordings, out, seconds=1.0)
    rows = [json.loads(line) for line in open(out / "metadata.jsonl")]
    assert rows == result.rows
    assert [(row["source_file"], row["clip"], row["start_seconds"]) for row in rows] == [
        ("solo_piano/take1.wav", 0, 0.0), ("solo_piano/take1.wav", 1, 3.0), ("solo_piano/take2.wav", 0, 0.0)
    ]
    assert {row["text"] for row in rows} == {"solo piano"}
    assert {row["split"] for row in rows} == {"train"}  # two recordings: too few to hold one out
    for row in rows:
        audio, rate = sf.read(out / row["file_name"], dtype="float32")
        assert audio.shape == (16000,) and rate == 16000
    assert "Clips of src" in (out / "dataset_card.md").read_text()


def test_metadata_captions_and_columns_are_kept(recordings, tmp_path):
    with open(recordings / "metadata.jsonl", "w") as handle:
        handle.write(json.dumps({"file_name": "solo_piano/take1.wav", "text": "a calm piano take", "split": "test", "room": "hall"}) + "\n")
        handle.write(json.dumps({"file_name": "gone.wav", "text": "missing"}) + "\n")
    result = clip_long_folder(recordings, tmp_path / "out", seconds=1.0)
    assert {(row["text"], row["split"], row["room"]) for row in result.rows} == {("a calm piano take", "test", "hall")}
    assert result.skipped["missing"] == ["gone.wav"] and result.skipped["unlisted"] == ["solo_piano/take2.wav"]


def test_refusals(recordings, tmp_path):
    with pytest.raises(ValueError, match="must not be the source folder"):
        clip_long_folder(recordings, recordings / "clips")
    silent = tmp_path / "silent"
    silent.mkdir()
    sf.write(silent / "hum.wav", np.full(32000, 1e-3, np.float32), 16000)  # -60 dBFS: under the window threshold
    with pytest.raises(NoUsableAudioError, match="No window"):
        clip_long_folder(silent, tmp_path / "out", seconds=1.0)
