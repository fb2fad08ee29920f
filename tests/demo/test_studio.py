"""The web studio end to end: the real ``latentaudio demo`` on a tiny model, driven in headless Chromium.

One server and one browser serve the whole module. Every page is watched: a request for any
address but the server's is recorded and refused, and each test asserts there was none.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playwright import sync_api

from ..conftest import REPO
from ..helpers import SF_LOOP_FORWARD, libsndfile_reads

RATE = 16000  # the tiny model's sample rate
TIMEOUT_MS = 120_000  # a run on a busy 2-core machine
# The length of a WAV as Chromium's own media player reads it (fails unless the browser can play it).
PLAYED_SECONDS = """async src => {
    const audio = new Audio(src);
    await new Promise((loaded, failed) => { audio.onloadedmetadata = loaded; audio.onerror = () => failed(new Error("unplayable: " + src)); });
    return audio.duration;
}"""


def chromium() -> str:
    """The Debian Chromium binary (Playwright's own browser download is not needed)."""
    for candidate in ("/usr/lib/chromium/chromium", shutil.which("chromium") or "", shutil.which("chromium-browser") or ""):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("no Chromium found: install Debian's chromium (apt-get install chromium), as the README's test command does")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def studio_model(tiny_pipe_dir, tmp_path_factory) -> Path:
    """The tiny pipeline, rewriting prompts into the GM one-shot captions and cutting short requests from a
    whole clip as the default model does."""
    folder = tmp_path_factory.mktemp("studio_model") / "pipe"
    shutil.copytree(tiny_pipe_dir, folder)
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "prompt_template": "gm_one_shot", "shortest_pass_length_in_s": 0.32}))
    return folder


@pytest.fixture(scope="module")
def server(studio_model, tmp_path_factory):
    """``latentaudio demo`` in its own process; after the module, stopped with SIGTERM and its folder checked gone."""
    port, cwd = free_port(), tmp_path_factory.mktemp("studio_cwd")
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "latentaudio", "demo", "--model", str(studio_model), "--port", str(port)],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    folder, lines = None, []
    for line in process.stdout:
        lines.append(line)
        if match := re.search(r"Studio files go to (\S+) ", line):
            folder = Path(match.group(1))
        if "Running on local URL" in line:
            break
    assert folder is not None and process.poll() is None, "the studio did not start:\n" + "".join(lines)
    yield f"http://127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    finally:
        process.kill()
    assert not folder.exists(), f"the studio left its folder {folder}"
    assert not list(cwd.iterdir()), "the studio wrote into its working directory"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield browser
        browser.close()


class Page:
    """A fresh browser session on the studio that refuses and records every request leaving the server."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.outside: list[str] = []
        self.context.route("**/*", self.only_local)
        self.page = self.context.new_page()
        self.url = url
        self.page.goto(url, wait_until="networkidle", timeout=TIMEOUT_MS)

    def only_local(self, route):
        if route.request.url.startswith(self.url) or route.request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def fill(self, panel: str, dest: str, value) -> None:
        self.page.locator(f"#{panel}-{dest} textarea, #{panel}-{dest} input").first.fill(str(value))

    def upload(self, panel: str, path: Path) -> None:
        self.page.locator(f"#{panel}-input input[type=file]").set_input_files(str(path))
        self.page.wait_for_selector(f"#{panel}-input audio, #{panel}-input .waveform-container, #{panel}-input [data-testid=waveform-{panel}]",
                                    state="attached", timeout=TIMEOUT_MS)

    def tab(self, title: str) -> None:
        """Open the tab ``title`` and wait until it shows as selected (Gradio mounts a tab's panel when it is first
        opened: a control filled before that may be mounted again, empty)."""
        self.page.get_by_role("tab", name=title, exact=True).click()
        self.page.get_by_role("tab", name=title, exact=True, selected=True).wait_for(timeout=TIMEOUT_MS)

    def run(self, panel: str) -> None:
        self.page.click(f"#{panel}-run")

    def take(self, panel: str, index: int = 0) -> tuple[np.ndarray, int]:
        """Wait for take ``index`` of ``panel``, check the browser plays its WAV, and fetch it: (samples (L, C), rate)."""
        link = self.page.locator(f"#{panel}-take-{index} a[data-testid=download-link][href]")
        link.wait_for(state="attached", timeout=TIMEOUT_MS)
        src = link.get_attribute("href")
        response = self.context.request.get(src)
        assert response.ok, src
        self.wav = response.body()  # the file as downloaded
        audio, rate = sf.read(io.BytesIO(self.wav), always_2d=True)
        duration = self.page.evaluate(PLAYED_SECONDS, src)
        assert duration == pytest.approx(len(audio) / rate, abs=0.01)  # Chromium decodes the same length
        return audio, rate

    def fill_in(self, panel: str, **values) -> None:
        """Fill each of ``panel``'s controls named (by option) with its value."""
        for name, value in values.items():
            self.fill(panel, name, value)

    def zip(self, panel: str):
        """The .zip among ``panel``'s files, fetched as the browser downloads it."""
        import zipfile

        link = self.page.locator(f"#{panel}-files a[href*='.zip']").first
        link.wait_for(state="attached", timeout=TIMEOUT_MS)
        response = self.context.request.get(link.get_attribute("href"))
        assert response.ok
        return zipfile.ZipFile(io.BytesIO(response.body()))

    def error(self) -> str:
        """The text of the error shown on the page."""
        toast = self.page.locator(".toast-body").last
        toast.wait_for(timeout=TIMEOUT_MS)
        return toast.inner_text()

    def close(self) -> None:
        assert not self.outside, f"requests left 127.0.0.1: {self.outside}"
        self.context.close()


@pytest.fixture
def page(server, browser):
    page = Page(browser, server)
    yield page
    page.close()


def test_generate_shows_a_playable_wav_of_the_requested_length_and_its_spectrogram(page, studio_model):
    from latentaudio import LatentAudioPipeline

    for box in ("steps", "guidance"):  # empty: the sampling of the model a run goes to
        assert page.page.locator(f"#generate-{box} textarea, #generate-{box} input").first.input_value() == ""
    page.fill("generate", "prompt", "kick, deep and boomy")
    page.fill("generate", "seconds", 0.64)
    page.fill("generate", "steps", 2)
    page.page.locator("#generate-random-seed input").check()
    page.run("generate")
    audio, rate = page.take("generate")
    assert rate == RATE and audio.shape == (round(0.64 * RATE), 1)
    assert np.abs(audio).max() > 0
    seed = page.page.locator("#generate-seed input").input_value()
    assert seed.isdigit()  # the random seed drawn is shown
    read_as = page.page.locator("#generate-read-as").inner_text()  # what the model's prompt template made of the words
    assert "Read as: a moderately loud kick drum hit" in read_as and "gm_one_shot" in read_as
    guidance = LatentAudioPipeline.from_pretrained(studio_model).sampling_settings(None, None)[1]
    assert read_as.endswith(f"Sampled in 2 steps at guidance {guidance:g} (guidance: the model's own).")
    page.page.wait_for_selector("#generate-image-0 img", timeout=TIMEOUT_MS)
    page.page.wait_for_function("() => !document.querySelector('.progress-text')", timeout=TIMEOUT_MS)
    shot = page.page.screenshot()
    assert len(shot) < 150_000


def test_generate_with_the_length_left_empty_makes_the_models_clip(page, studio_model):
    """An option with no default starts as an empty box (an untouched number box would send 0, a value): the length is
    then the prompt's own; so does interpolation's seed of B, which is then A's, as on the command line."""
    from latentaudio import LatentAudioPipeline

    def box(panel: str, dest: str) -> str:
        return page.page.locator(f"#{panel}-{dest} input, #{panel}-{dest} textarea").first.input_value()

    assert box("generate", "seconds") == ""
    page.fill("generate", "prompt", "kick, deep and boomy")
    page.fill("generate", "steps", 2)
    page.run("generate")
    audio, rate = page.take("generate")
    clip = LatentAudioPipeline.from_pretrained(studio_model).default_audio_length_in_s
    assert rate == RATE and audio.shape == (round(clip * RATE), 1)
    for tab, panel, dest in (("Interpolate", "interpolate", "seed_b"), ("Upsample", "upsample", "cutoff")):
        page.tab(tab)
        assert box(panel, dest) == "", dest


def test_generate_with_loop_ticked_plays_the_loop_the_pipeline_makes(page, studio_model, tmp_path):
    import torch

    from latentaudio import LatentAudioPipeline

    page.fill("generate", "prompt", "kick, deep and boomy")
    page.fill("generate", "seconds", 0.4861)  # not whole latent frames: the loop is stretched to it
    page.fill("generate", "steps", 2)
    page.fill("generate", "seed", 7)
    page.page.locator("#generate-loop input").check()
    page.run("generate")
    audio, rate = page.take("generate")
    pipe = LatentAudioPipeline.from_pretrained(studio_model)
    pipe.set_progress_bar_config(disable=True)
    loop = pipe("kick, deep and boomy", audio_length_in_s=0.4861, loop=True, num_inference_steps=2,
                generator=torch.Generator().manual_seed(7)).audios[0]
    assert audio.shape == (len(loop), 1) == (7778, 1)
    np.testing.assert_allclose(audio[:, 0], loop, atol=1e-4)  # as written to a 16-bit WAV
    (tmp_path / "loop.wav").write_bytes(page.wav)  # the download states its loop to a sampler, as the CLI's does
    assert libsndfile_reads(tmp_path / "loop.wav")["loops"] == [(SF_LOOP_FORWARD, 0, 7778)]


def test_model_panel_describes_the_model(page, studio_model):
    page.tab("Model")
    card = page.page.locator("#model-card").inner_text()
    assert str(studio_model) in card and f"{RATE} Hz" in card and "0.32 s" in card and "BertModel" in card
    assert "prompts: rewritten into its training captions (gm_one_shot)" in card
    assert "a shorter request is the start of a 0.32 s take, cut and faded" in card


def test_inpaint_from_an_upload_and_widen_from_send_to(page, tmp_path):
    # An 8-channel 96 kHz upload: converted to the model's rate and mono, not rejected.
    upload = tmp_path / "eight.wav"
    t = np.arange(int(0.5 * 96000)) / 96000
    sf.write(upload, np.stack([0.3 * np.sin(2 * np.pi * (220 + 20 * c) * t) for c in range(8)], axis=1), 96000)
    page.tab("Inpaint")
    page.upload("inpaint", upload)
    page.fill("inpaint", "start", 0.1)
    page.fill("inpaint", "end", 0.3)
    page.fill("inpaint", "steps", 2)
    page.run("inpaint")
    audio, rate = page.take("inpaint")
    assert rate == RATE and audio.shape == (RATE // 2, 1)

    page.page.click("#inpaint-send-widen")
    page.page.wait_for_selector("#widen-input audio, #widen-input .waveform-container", state="attached", timeout=TIMEOUT_MS)
    page.fill("widen", "steps", 2)
    page.run("widen")
    wide, rate = page.take("widen")
    assert rate == RATE and wide.shape == (RATE // 2, 2)


def wav(samples: int, rate: int = RATE) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, 0.1 * np.ones(samples), rate, format="WAV")
    return buffer.getvalue()


@pytest.mark.parametrize("panel, tab, content, fills, message", [
    ("transform", "Transform / Vary", b"RIFF\x00\x00\x00\x00WAVEnot audio at all", {"prompt": "a snare"},
     "Cannot read audio file broken.wav"),
    ("transform", "Transform / Vary", b"", {"prompt": "a snare"}, "Cannot read audio file broken.wav"),
    ("transform", "Transform / Vary", wav(1), {"prompt": "a snare"}, "The input audio is 6.25e-05 s long"),
    ("inpaint", "Inpaint", wav(RATE // 2), {"start": 0.2, "end": 0.9}, "outside the clip"),
    ("upsample", "Upsample", None, {}, "No input audio"),
    ("generate", "Generate", None, {"prompt": "a kick", "steps": 2, "best_of": 2},
     "--best-of needs a model with a scorer to rank its takes"),
    ("transform", "Transform / Vary", wav(RATE // 2), {"prompt": "a snare", "steps": 2, "best_of": 2},
     "--best-of needs a model with a scorer to rank its takes"),
])
def test_bad_input_shows_a_readable_message_and_the_studio_keeps_serving(page, tmp_path, panel, tab, content, fills, message):
    page.tab(tab)
    if content is not None:
        broken = tmp_path / "broken.wav"
        broken.write_bytes(content)
        page.page.locator(f"#{panel}-input input[type=file]").set_input_files(str(broken))
        page.page.wait_for_timeout(500)
    for dest, value in fills.items():
        page.fill(panel, dest, value)
    page.run(panel)
    assert message in page.error()


def test_an_empty_prompt_where_one_is_required_is_named(page):
    page.run("generate")
    assert "prompt is required" in page.error()


def test_two_generations_at_once_both_finish(server, browser):
    pages = [Page(browser, server) for _ in range(2)]
    for page, seconds in zip(pages, (0.32, 0.48)):
        page.fill("generate", "prompt", "a snare drum hit")
        page.fill("generate", "seconds", seconds)
        page.fill("generate", "steps", 2)
    for page in pages:
        page.run("generate")
    lengths = [page.take("generate")[0].shape[0] for page in pages]
    assert lengths == [round(0.32 * RATE), round(0.48 * RATE)]
    for page in pages:
        page.close()


def test_a_long_run_shows_the_sampler_steps_and_stops(page):
    page.fill("generate", "prompt", "a snare drum hit")
    page.fill("generate", "seconds", 0.32)
    page.fill("generate", "steps", 1000)
    page.run("generate")
    page.page.get_by_text(re.compile(r"\d+/1000 steps")).first.wait_for(timeout=TIMEOUT_MS)  # the sampler's progress
    page.page.click("#generate-stop")
    page.page.wait_for_function("() => !document.body.innerText.match(/\\/1000 steps/)", timeout=TIMEOUT_MS)
    assert page.page.locator("#generate-take-0 a[data-testid=download-link][href]").count() == 0  # no take came
    page.fill("generate", "steps", 2)  # the model is free again
    page.run("generate")
    assert page.take("generate")[0].shape == (round(0.32 * RATE), 1)


def test_extend_says_the_tempo_it_gave_the_continuation(tiny_pipe, tmp_path, monkeypatch):
    """In-process: the Extend panel's "read as" line for a model with beat-phase channels and a clip with a beat; the
    run and its line hear the clip once."""
    from latentaudio.conditioning import with_beat_channels, with_pitch_embedding
    from latentaudio.demo.studio import Studio
    from latentaudio.pipelines.editing import LatentAudioEditPipelineBase

    hearings, hear = [], LatentAudioEditPipelineBase.prompts_at_clip_tempo

    def heard(pipe, clips, prompts, match_tempo=True):  # the real method, its prompts recorded
        hearings.append(list(prompts))
        return hear(pipe, clips, prompts, match_tempo)

    monkeypatch.setattr(LatentAudioEditPipelineBase, "prompts_at_clip_tempo", heard)

    tiny_pipe.unet = with_beat_channels(with_pitch_embedding(tiny_pipe.unet, music=True))
    tiny_pipe.register_to_config(pitch_conditioning=True)
    tiny_pipe.save_pretrained(tmp_path / "model")
    clicks = np.zeros(3 * 16000, np.float32)
    for start in range(0, len(clicks), 8000):  # 120 bpm
        clicks[start : start + 400] = np.random.default_rng(start).standard_normal(400) * np.exp(-np.arange(400) / 80)
    sf.write(tmp_path / "clicks.wav", 0.5 * clicks / np.abs(clicks).max(), 16000)
    studio = Studio(str(tmp_path / "model"), tmp_path / "files")
    audio = str(tmp_path / "clicks.wav")
    assert len(studio.run("extend", {"seconds": 0.5, "steps": 1}, audio=audio)) == 1
    read = studio.read_as("", 0.5, verb="extend", audio=audio)
    assert re.fullmatch(r"Read as: \*1(19|20|21) bpm\*: the clip's tempo, as the beat tracker hears it .*", read), read
    # heard once, for the prompt as given; the pipeline was handed the words read, which state the tempo already
    assert hearings[0] == [""] and all(re.fullmatch(r"1(19|20|21) bpm", p) for heard in hearings[1:] for p in heard)
    assert studio.read_as("house at 128 bpm", 0.5, verb="extend", audio=audio) == ""  # a stated tempo is kept
    assert studio.read_as("", 0.5, verb="transform", audio=audio) == ""  # other verbs read the prompt as written
    played = studio.run("extend", {"steps": 1}, audio=audio)  # no length given: as long again as the clip
    assert sf.info(str(played[0])).frames == 2 * len(clicks)


def test_a_run_the_studio_gives_the_music_model_samples_as_that_model_saved_unless_told(tmp_path):
    """Steps and guidance left empty: a loop goes to the music model at its own 20 steps and guidance 3, a one-shot to
    the default model at its 4 and 2 (not the studio model's settings for both); the page says how each sampled."""
    from latentaudio.demo.studio import Studio

    studio = Studio(None, tmp_path / "files")
    runs = [("a house drum loop, 0.5 s", {}, 20, "Sampled in 20 steps at guidance 3, the music model's own."),
            ("a tight snare hit", {}, 4, "Sampled in 4 steps at guidance 2, the model's own."),
            ("a house drum loop, 0.5 s", {"steps": "2"}, 2, "Sampled in 2 steps at guidance 3 (guidance: the music "
                                                             "model's own)."),
            ("a tight snare hit", {"steps": "3", "guidance": "1.5"}, 3, "Sampled in 3 steps at guidance 1.5.")]
    for prompt, given, steps, said in runs:
        totals = []
        values = {"prompt": prompt, "steps": "", "guidance": "", **given}
        assert len(studio.run("generate", values, on_step=lambda step, total: totals.append(total))) == 1
        assert set(totals) == {steps}, prompt
        assert studio.sampled("generate", prompt, steps=int(given["steps"]) if "steps" in given else None,
                              guidance=float(given["guidance"]) if "guidance" in given else None) == said


def test_a_prompt_for_the_music_model_shows_the_words_it_reads(tmp_path):
    """Without a named model the studio gives a phrase to the music model, and says what that model reads: the tempo
    and length filled in, as ``generate --dry-run`` says them."""
    from latentaudio.cli.generate import prompt_reading
    from latentaudio.demo.studio import Studio

    studio = Studio(None, tmp_path / "files")
    reason = "the prompt asks for more than one sound (a loop, a phrase or an effect)"
    assert studio.read_as("a sad piano melody") == (f"Made by the music model: {reason}\n\nRead as: *a sad piano melody, "
                                                    "105 bpm, 9.14 s* (the music model's prompt template, `gm_music`)")
    assert "*a sad piano melody, 105 bpm, 4.00 s*" in studio.read_as("a sad piano melody", 4.0)  # the panel's length
    assert "read as 'a sad piano melody, 105 bpm, 9.14 s'" in prompt_reading("a sad piano melody", None)
    assert studio.read_as("light rain, 3 s") == f"Made by the music model: {reason}"  # read as written
    # what the model never learnt is said, as the dry run says it
    assert studio.read_as("a dembow loop").endswith("\n\nIt names no drum style, drum, kind of phrase or sound effect "
                                                    "the music model learnt.")
    assert studio.read_as("a gong") == "It names no instrument, drum or family the model learnt."
    assert studio.read_as("a tight snare hit") == "Read as: *a moderately loud snare drum hit* (the model's prompt template, `gm_one_shot`)"
    # best of K for a prompt the loaded model's scorer knows nothing of: the page says only the takes shown were drawn
    assert studio.read_as("something dark", best_of=4).endswith(
        "\n\nBest of 4: the model's scorer knows nothing it names (a drum, an instrument, a drum loop's style, an effect), "
        "so best of 4 draws only the 1 take to write.")
    assert studio.read_as("a tight snare hit", best_of=4) == studio.read_as("a tight snare hit")  # ranked by its drum
    assert studio.read_as("something dark", best_of=3, num_waveforms=3) == studio.read_as("something dark")
    # and for the edits that rank their takes: variations without a prompt have nothing to rank by
    hit = tmp_path / "hit.wav"
    sf.write(hit, 0.5 * np.random.default_rng(0).standard_normal(8000) * np.exp(-np.arange(8000) / 800), 16000)
    assert studio.read_as("", verb="vary", audio=str(hit), best_of=4, num_waveforms=2) == (
        "Best of 4: no prompt to rank the takes by, so best of 4 draws only the 2 takes to write.")
    assert studio.read_as("something dark", verb="transform", audio=str(hit), best_of=4) == (
        "Best of 4: the model's scorer knows nothing it names (a drum, an instrument, a drum loop's style, an effect), "
        "so best of 4 draws only the 1 take to write.")
    assert studio.read_as("a tight snare hit", verb="transform", audio=str(hit), best_of=4) == (  # ranked by its drum
        "Read as: *a moderately loud snare drum hit* (the model's prompt template, `gm_one_shot`)")



def test_the_instrument_panel_makes_the_instrument_the_command_line_makes(page, studio_model, tmp_path):
    """In the browser: the Instrument tab plays samples from low to high and offers the zip of the .sfz and its
    samples, the same files `latentaudio instrument` writes; the line under the prompt says what each sample reads."""
    from latentaudio.cli import main

    page.tab("Instrument / MIDI")  # its first sub-tab, Instrument, shown
    page.fill_in("instrument", prompt="airy flute", notes="C4-C5", every=4, tries=2, seconds=0.32, steps=1)
    page.run("instrument")
    low, rate = page.take("instrument", 0)
    high, _ = page.take("instrument", 3)
    assert rate == RATE and low.shape == high.shape == (round(0.32 * RATE), 1)
    read_as = page.page.locator("#instrument-read-as").inner_text()
    assert "Each sample has its own prompt: airy flute, C4 for C4, read as a moderately loud flute note, C4" in read_as
    archive = page.zip("instrument")
    assert main(["instrument", "airy flute", "--notes", "C4-C5", "--every", "4", "--tries", "2", "--seconds", "0.32",
                 "--steps", "1", "--model", str(studio_model), "-o", str(tmp_path)]) == 0  # the panel's
    written = sorted(str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file())
    assert sorted(name for name in archive.namelist() if not name.endswith("/")) == written == [
        "airy_flute.sfz", "airy_flute/airy_flute_060_C4.wav", "airy_flute/airy_flute_064_E4.wav",
        "airy_flute/airy_flute_068_Gs4.wav", "airy_flute/airy_flute_072_C5.wav"]
    for name in written[1:]:
        assert archive.read(name) == (tmp_path / name).read_bytes()
    assert archive.read("airy_flute.sfz").decode() == (tmp_path / "airy_flute.sfz").read_text()
    # the players are the four samples, low to high
    assert np.allclose(low[:, 0], sf.read(tmp_path / written[1])[0], atol=1e-4)
    assert np.allclose(high[:, 0], sf.read(tmp_path / written[4])[0], atol=1e-4)


def test_an_instrument_run_hears_five_samples_spread_from_low_to_high_and_refuses_in_one_line(studio_model, tmp_path):
    """In-process: of a larger instrument the studio returns the zip and five samples of its loudest layer, from the
    lowest note to the highest; a bad value is the command line's error."""
    from latentaudio.demo.studio import Studio

    studio = Studio(str(studio_model), tmp_path / "files")
    paths = studio.run("instrument", {"prompt": "a cello", "notes": "C3-C5", "every": 3, "dynamics": "loud,soft",
                                      "tries": 1, "seconds": 0.32, "steps": 1})
    assert paths[0].suffix == ".zip" and [path.name for path in paths[1:]] == [
        f"a_cello_loud_{note:03d}_{name}.wav" for note, name in ((48, "C3"), (54, "Fs3"), (60, "C4"), (66, "Fs4"), (72, "C5"))]
    assert "for C3, read as *a soft cello note, C3" in studio.instrument_read_as({"prompt": "a cello", "notes": "C3-C5",
                                                                                   "dynamics": "loud,soft"})
    with pytest.raises(ValueError, match="states a note"):
        studio.run("instrument", {"prompt": "a cello, C4"})


def test_stop_ends_an_instrument_run_before_its_file_is_written(studio_model, tmp_path):
    """In-process: Stop during an instrument (after its first sample) ends the run at the next sampler step, and no
    .sfz file points at the samples it did not make."""
    from latentaudio.demo.studio import Cancelled, Studio

    studio = Studio(str(studio_model), tmp_path / "files")
    made = []

    def on_step(done: int, total: int) -> None:
        made.append(done)
        studio.stop("me")

    with pytest.raises(Cancelled):
        studio.run("instrument", {"prompt": "a cello", "notes": "C3-C5", "every": 6, "tries": 1, "seconds": 0.32,
                                  "steps": 2}, session="me", on_step=on_step)
    assert made == [1] and not list((tmp_path / "files").rglob("*.sfz")) and not list((tmp_path / "files").rglob("*.zip"))
    assert len(studio.run("instrument", {"prompt": "a cello", "notes": "C3-C4", "every": 12, "tries": 1, "seconds": 0.32,
                                         "steps": 1}, session="me")) == 3  # the studio goes on: a zip and two samples


def test_the_sample_pack_panel_makes_the_pack_the_command_line_makes(page, studio_model, tmp_path):
    """In the browser: the Sample pack tab plays the first take of its loops and phrases and offers the zip of the pack's
    folder, the same files `latentaudio pack` writes; the line under the controls says each sound's prompt."""
    from latentaudio.cli import main

    page.tab("Sample pack")
    page.fill_in("pack", style="house", bpm=240, bars=1, num_waveforms=1, steps=1)
    page.run("pack")
    loop, rate = page.take("pack", 0)
    assert rate == RATE and loop.shape == (RATE, 1)  # a bar at 240 bpm
    read_as = page.page.locator("#pack-read-as").inner_text()
    assert "A house pack at 240 bpm in A minor" in read_as and "loops: a 1-bar 240 bpm house drum loop" in read_as
    archive = page.zip("pack")
    assert main(["pack", "house", "--bpm", "240", "--bars", "1", "-n", "1", "--steps", "1",
                 "--model", str(studio_model), "-o", str(tmp_path)]) == 0  # the panel's
    written = sorted(path.relative_to(tmp_path).as_posix() for path in tmp_path.rglob("*") if path.is_file())
    assert sorted(name for name in archive.namelist() if not name.endswith("/")) == written
    assert "house_240bpm_A_minor/loops/house_drum_loop_240bpm_01.wav" in written
    for name in written:
        assert archive.read(name) == (tmp_path / name).read_bytes(), name
    heard = sf.read(tmp_path / "house_240bpm_A_minor/loops/house_drum_loop_240bpm_01.wav")[0]
    assert np.allclose(loop[:, 0], heard, atol=1e-4)  # the first player is the drum loop


def test_stop_ends_a_pack_run_with_nothing_written_and_the_dry_run_box_is_not_shown(studio_model, tmp_path):
    """In-process: Stop during a pack (after its first sound) ends the run at the next sampler step with no pack folder
    or zip left, and the studio goes on; the generate panel has no dry-run box (it would generate anyway)."""
    from latentaudio.demo.studio import Cancelled, Studio, shown_options

    studio = Studio(str(studio_model), tmp_path / "files")
    made = []

    def on_step(done: int, total: int) -> None:
        made.append(done)
        studio.stop("me")

    values = {"style": "techno", "bpm": 240, "bars": 1, "num_waveforms": 1, "steps": 2}
    with pytest.raises(Cancelled):
        studio.run("pack", values, session="me", on_step=on_step)
    assert made == [1] and not list((tmp_path / "files").rglob("*.wav")) and not list((tmp_path / "files").rglob("*.zip"))
    paths = studio.run("pack", {**values, "steps": 1}, session="me")
    assert paths[0].suffix == ".zip" and [path.parent.name for path in paths[1:]] == ["loops", "bass", "chords", "melody",
                                                                                      "drums"]
    with pytest.raises(ValueError, match="No drum style in 'polka'"):
        studio.run("pack", {"style": "polka"})
    assert "dry_run" not in {action.dest for action in shown_options(studio.parsers["generate"])}


def test_the_midi_panel_plays_an_uploaded_midi_file_as_the_command_line_renders_it(page, studio_model, tmp_path):
    """In the browser: a MIDI file uploaded to the MIDI tab comes back played on the prompt's instrument, the same audio
    `latentaudio render` writes; the line under the prompt says what each sample reads; no upload is a message."""
    from latentaudio.cli import main

    from ..helpers import midi_file

    page.tab("Instrument / MIDI")
    page.tab("MIDI file")
    page.page.locator("#render-prompt textarea, #render-prompt input").first.wait_for(state="visible", timeout=TIMEOUT_MS)
    page.fill_in("render", prompt="airy flute", every=12, tries=1, seconds=0.32, steps=1)
    page.run("render")
    assert "No MIDI file" in page.error()
    song = midi_file(tmp_path / "song.mid", [(0, 0.5, 60, 100, 1), (0.5, 1, 67, 100, 1), (1, 1.5, 64, 60, 1)])
    page.page.locator("#render-input input[type=file]").set_input_files(str(song))
    page.page.wait_for_selector("#render-input :text('song.mid')", timeout=TIMEOUT_MS)
    sync_api.expect(page.page.locator("#render-prompt textarea, #render-prompt input").first).to_have_value("airy flute")
    page.run("render")
    played, rate = page.take("render", 0)
    assert main(["render", str(song), "airy flute", "--every", "12", "--tries", "1", "--seconds", "0.32", "--steps", "1",
                 "--model", str(studio_model), "-o", str(tmp_path / "song.wav")]) == 0  # the panel's
    rendered, _ = sf.read(tmp_path / "song.wav")
    assert rate == RATE and played.shape == (len(rendered), 1) == (round(0.75 * RATE + 0.3 * RATE), 1)
    np.testing.assert_allclose(played[:, 0], rendered, atol=1e-4)
    read_as = page.page.locator("#render-read-as")  # the panel's line, once the run's update has reached it
    sync_api.expect(read_as).to_contain_text("Each sample has its own prompt: airy flute, C4 for C4, read as a moderately "
                                             "loud flute note, C4", timeout=TIMEOUT_MS)


def test_a_render_with_keep_instruments_offers_their_zip_and_refuses_an_sfz_path(studio_model, tmp_path):
    """In-process: a MIDI file rendered with *keep instruments* gives its WAV and a zip of each instrument made (its .sfz
    file and samples); an .sfz path, which would read the server's files, is refused in one line."""
    import zipfile

    from latentaudio.demo.studio import Studio

    from ..helpers import midi_file

    studio = Studio(str(studio_model), tmp_path / "files")
    song = midi_file(tmp_path / "song.mid", [(0, 1, 60, 100, 1), (0, 1, 36, 100, 10)])
    values = {"prompt": "airy flute", "every": 12, "tries": 1, "seconds": 0.32, "steps": 1, "keep_instruments": True}
    paths = studio.run("render", values, str(song))
    assert [path.suffix for path in paths] == [".wav", ".zip"]
    names = sorted(zipfile.ZipFile(paths[1]).namelist())
    assert "song_instruments/airy_flute.sfz" in names and "song_instruments/standard_kit.sfz" in names
    assert "song_instruments/airy_flute/airy_flute_060_C4.wav" in names
    with pytest.raises(ValueError, match="an .sfz file is for `latentaudio render` in a shell"):
        studio.run("render", {**values, "prompt": "/etc/flute.sfz"}, str(song))

