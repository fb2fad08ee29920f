"""Fuzzing dataset folders: metadata rows (names, types, duplicates, paths out of the folder),
file kinds (good, silent, empty, corrupt, NaN) and links (inside and out of the folder).

``scan_folder`` must list exactly the usable files a row names (or that sit in the folder when
there is no metadata) and report every other one; ``transcode_folder`` must either refuse with a
named error or write every clip it lists, whole (no partial file)."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import soundfile as sf
from hypothesis import given, settings
from hypothesis import strategies as st

from latentaudio.data.report import scan_folder
from latentaudio.data.transcode import transcode_folder

from .conftest import answer, examples

AREA = "datasets"
KINDS = ["good", "silent", "empty", "corrupt", "nan", "link_in", "link_out", "absent"]
USABLE = {"good", "link_in"}


def write_file(path, kind: str, outside) -> None:
    rng = np.random.default_rng(len(str(path)))
    if kind in ("good", "link_in", "link_out"):
        target = path if kind == "good" else (outside if kind == "link_out" else path.with_name("_target.wav"))
        if not target.exists():
            sf.write(target, 0.3 * rng.standard_normal(1600), 16000)
        if kind != "good":
            os.symlink(target, path)
    elif kind == "silent":
        sf.write(path, np.zeros(1600), 16000)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "corrupt":
        path.write_bytes(b"RIFF" + rng.bytes(60))
    elif kind == "nan":
        audio = 0.3 * rng.standard_normal(1600)
        audio[5] = math.nan
        sf.write(path, audio, 16000, subtype="FLOAT")


ROW_NAMES = st.one_of(
    st.integers(0, 5).map(lambda i: f"clip{i}.wav"),
    st.sampled_from(["../outside.wav", "/etc/hosts", "sub/../../x.wav", "C:\\\\x.wav", "", " ", None, 3, ["a"]]),
)


@settings(max_examples=examples(15))
@given(
    kinds=st.lists(st.sampled_from(KINDS), min_size=1, max_size=5),
    rows=st.one_of(st.none(), st.lists(ROW_NAMES, max_size=6)),
    junk_line=st.booleans(),
)
def test_folders_list_what_is_usable_and_report_the_rest(tmp_path_factory, kinds, rows, junk_line):
    base = tmp_path_factory.mktemp("dataset")
    root, outside = base / "data", base / "outside.wav"
    root.mkdir()
    files = {}
    for i, kind in enumerate(kinds):
        name = f"clip{i}.wav"
        files[name] = kind
        if kind != "absent":
            write_file(root / name, kind, outside)
    if (root / "_target.wav").exists():  # the inside link's target: a usable file of its own
        files["_target.wav"] = "good"
    if rows is not None:
        lines = [json.dumps({"file_name": name, "text": "a sound"}) for name in rows]
        if junk_line:
            lines.append("{not json")
        (root / "metadata.jsonl").write_text("\n".join(lines) + "\n")
        named, expected = set(), set()
        for name in rows:
            if isinstance(name, str) and name in files and name not in named:
                named.add(name)
                if files[name] in USABLE:
                    expected.add(name)
    else:
        expected = {name for name, kind in files.items() if kind in USABLE}

    def check(result):
        entries, report = result
        listed = {entry.file_name for entry in entries}
        if listed != expected:
            return f"usable files {sorted(listed)}, expected {sorted(expected)} (kinds {files}, rows {rows})"
        for entry in entries:
            if not entry.path.resolve().is_relative_to(root.resolve()):
                return f"{entry.file_name} leaves the folder"
        return None

    answer(AREA, lambda: scan_folder(root), None, check)

    out = base / "out"

    def transcoded(result):
        for row in result.rows:
            audio, _ = sf.read(out / row["file_name"])
            if audio.size == 0 or not np.isfinite(audio).all():
                return f"{row['file_name']} is partial or broken"
        if len(result.rows) != len(expected):
            return f"{len(result.rows)} clips written, {len(expected)} usable"
        return None

    answer(AREA, lambda: transcode_folder(root, out, format="flac"), None if expected else "nothing usable", transcoded)


@given(content=st.sampled_from([b"", b"not safetensors", b"\x08\x00\x00\x00\x00\x00\x00\x00{}garbage", b"\xff" * 64]))
def test_caption_states_files_that_are_not_safetensors_are_named(tmp_path_factory, content):
    from latentaudio.training.text_states import CaptionStateTable

    path = tmp_path_factory.mktemp("states") / "states.safetensors"
    path.write_bytes(content)
    answer(AREA, lambda: CaptionStateTable(path), "not a safetensors file", names=str(path))
