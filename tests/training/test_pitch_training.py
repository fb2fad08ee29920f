"""The diffusion trainer's conditioning: it adds the pitch embedding and trains it on the captions' notes, and the
prompt template its output keeps."""

import json
import shutil

import pytest
import torch

from latentaudio import LatentAudioPipeline
from latentaudio.cli import main
from latentaudio.conditioning import has_pitch_embedding

from .conftest import TRAINING_CONFIGS, loss_history, train_args


def stating_music(gm_data, tmp_path):
    """A copy of ``gm_data`` whose captions state a tempo (90, 100, … bpm), a key and a length."""
    data = tmp_path / "loops"
    shutil.copytree(gm_data, data)
    rows = [json.loads(line) for line in (data / "metadata.jsonl").read_text().splitlines()]
    for number, row in enumerate(rows):
        row["text"] = f"{row['text']}, {90 + 10 * number} bpm, in {'CDEFGAB'[number % 7]} minor, 0.5 s"
    (data / "metadata.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return data


def train_tiny(settings: str, steps: int, pipe_dir, data, tmp_path, name: str = "pitched") -> int:
    """`latentaudio train diffusion` of the tiny pipeline with ``settings`` added to the tiny config."""
    config = tmp_path / f"{name}.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\n{settings}")
    return main(train_args("train diffusion", pipe_dir, data, tmp_path / name, None, "--config", config,
                           "--max-steps", steps))


@pytest.mark.slow
def test_the_trainer_adds_the_embedding_and_teaches_it(tiny_pipe_dir, gm_data, tmp_path):
    out = tmp_path / "pitched"
    assert train_tiny("pitch_conditioning: true\npitch_dropout: 0.5\nuse_ema: false\n", 6,
                      tiny_pipe_dir, gm_data, tmp_path) == 0
    trained = LatentAudioPipeline.from_pretrained(out)
    assert trained.config.pitch_conditioning and has_pitch_embedding(trained.unet)
    assert trained.unet.class_embedding.linear_2.weight.abs().sum() > 0  # it learned from the captions' notes
    assert not LatentAudioPipeline.from_pretrained(tiny_pipe_dir).config.get("pitch_conditioning")


@pytest.mark.slow
def test_a_new_embedding_trains_under_lora_at_its_own_rate(tiny_pipe_dir, gm_data, tmp_path):
    """LoRA freezes the U-Net's own weights, but an embedding the run adds starts at zero and must
    train; ``pitch_learning_rate`` gives it a rate of its own beside the adapters'."""
    config = tmp_path / "pitch.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\npitch_conditioning: true\n"
                      "pitch_dropout: 0.0\nuse_ema: false\nlora_rank: 2\nlora_learning_rate: 1.0e-9\n"
                      "pitch_learning_rate: 1.0e-2\nweight_decay: 0.0\n")
    out = tmp_path / "pitched"
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, out, None, "--config", config,
                           "--max-steps", 4)) == 0
    base = LatentAudioPipeline.from_pretrained(tiny_pipe_dir).unet
    trained = LatentAudioPipeline.from_pretrained(out).unet
    # four Adam steps move a weight by about four rates: the embedding by ~1e-2, the fused adapters by ~1e-9
    assert trained.class_embedding.linear_2.weight.abs().max() > 1e-3
    moved = max((trained.state_dict()[name] - weight).abs().max().item() for name, weight in base.state_dict().items())
    assert moved < 1e-5


def test_note_dropout_hides_the_note_from_the_embedding_or_from_the_text():
    from latentaudio.training.diffusion import note_dropout

    captions = ["a soft piano note, C4", "a loud snare drum hit", "airy flute G5, breathy"]
    assert note_dropout(captions, 0.0, 0.0) == (captions, [60, None, 79])
    assert note_dropout(captions, 1.0, 1.0) == (captions, [None, None, None])  # a hidden note stays in the text
    assert note_dropout(captions, 0.0, 1.0) == (["a soft piano note", "a loud snare drum hit", "airy flute, breathy"], [60, None, 79])
    torch.manual_seed(0)
    texts = [note_dropout(["a soft piano note, C4"] * 100, 0.0, 0.3)[0] for _ in range(10)]
    untold = sum(text == "a soft piano note" for batch in texts for text in batch)
    assert 230 < untold < 370  # 30% of 1,000


def test_caption_note_dropout_reads_untold_wordings_from_a_caption_states_file(tiny_pipe_dir, gm_data, tmp_path, capsys):
    """With ``embed-captions --untold`` the states file holds the captions with their note taken out, so a machine
    without the text encoder trains exactly as the encoder would; without them, one line says what to run."""
    states = {name: tmp_path / f"{name}.safetensors" for name in ("plain", "untold")}
    for name, extra in (("plain", []), ("untold", ["--untold"])):
        assert main(["data", "embed-captions", str(gm_data), "--model", str(tiny_pipe_dir), "--output", str(states[name]),
                     *extra]) == 0
    pitch = f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\npitch_conditioning: true\ncaption_note_dropout: 0.5\n"
    configs = {"encoder": pitch, **{name: pitch + f"text_states_file: {path}\n" for name, path in states.items()}}
    losses = {}
    for name, text in configs.items():
        (tmp_path / f"{name}.yaml").write_text(text)
        code = main(train_args("train diffusion", tiny_pipe_dir, gm_data, tmp_path / name, None,
                               "--config", tmp_path / f"{name}.yaml", "--max-steps", 3))
        if name == "plain":
            assert code == 1
            err = capsys.readouterr().err
            last = err.strip().splitlines()[-1]
            assert "wordings are not in text_states_file" in last and "embed-captions --untold" in last
            assert "Traceback" not in err
        else:
            assert code == 0
            losses[name] = [h["loss"] for h in loss_history(tmp_path / name)]
    assert losses["untold"] == pytest.approx(losses["encoder"], rel=1e-4)


def test_instrument_dropout_hides_the_instrument_from_the_embedding_or_from_the_text():
    from latentaudio.note_features import Instrument
    from latentaudio.training.diffusion import instrument_dropout

    captions = ["a soft acoustic grand piano note, C4", "a loud snare drum hit", "a soft note, G5"]
    piano, snare = Instrument("Piano", 0), Instrument("Drums", None, 38)
    assert instrument_dropout(captions, 0.0, 0.0) == (captions, [piano, snare, None])
    assert instrument_dropout(captions, 1.0, 1.0) == (captions, [None, None, None])  # a hidden instrument stays in the text
    assert instrument_dropout(captions, 0.0, 1.0) == (["a soft note, C4", "a loud hit", "a soft note, G5"], [piano, snare, None])
    torch.manual_seed(0)
    texts = [instrument_dropout(["a loud snare drum hit"] * 100, 0.0, 0.3)[0] for _ in range(10)]
    untold = sum(text == "a loud hit" for batch in texts for text in batch)
    assert 230 < untold < 370  # 30% of 1,000


@pytest.mark.slow
def test_instrument_conditioning_widens_a_trained_embedding_and_teaches_the_new_columns(tiny_pipe_dir, gm_data, tmp_path):
    from latentaudio.conditioning import FEATURE_WIDTHS, PITCH_FEATURES, has_instrument_embedding

    base = f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\nuse_ema: false\npitch_dropout: 0.0\n"
    (tmp_path / "pitch.yaml").write_text(base + "pitch_conditioning: true\n")
    (tmp_path / "instrument.yaml").write_text(base + "instrument_conditioning: true\ninstrument_dropout: 0.0\n"
                                              "caption_instrument_dropout: 0.5\n")
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, tmp_path / "pitched", None,
                           "--config", tmp_path / "pitch.yaml", "--max-steps", 3)) == 0
    pitched = LatentAudioPipeline.from_pretrained(tmp_path / "pitched")
    assert not has_instrument_embedding(pitched.unet)
    assert main(train_args("train diffusion", tmp_path / "pitched", gm_data, tmp_path / "wide", None,
                           "--config", tmp_path / "instrument.yaml", "--max-steps", 3)) == 0
    wide = LatentAudioPipeline.from_pretrained(tmp_path / "wide")
    assert wide.config.pitch_conditioning and has_instrument_embedding(wide.unet)
    weight = wide.unet.class_embedding.linear_1.weight
    assert weight.shape[1] == FEATURE_WIDTHS[1] and weight[:, PITCH_FEATURES:].abs().sum() > 0  # the new columns learned
    # a later run keeps the wide embedding without asking for it again
    assert main(train_args("train diffusion", tmp_path / "wide", gm_data, tmp_path / "again", None,
                           "--config", tmp_path / "pitch.yaml", "--max-steps", 1)) == 0
    assert has_instrument_embedding(LatentAudioPipeline.from_pretrained(tmp_path / "again").unet)


def test_caption_instrument_dropout_needs_its_wordings_in_a_caption_states_file(tiny_pipe_dir, gm_data, tmp_path, capsys):
    states = {name: tmp_path / f"{name}.safetensors" for name in ("note", "both")}
    for name, extra in (("note", ["--untold"]), ("both", ["--untold", "--untold-instrument"])):
        assert main(["data", "embed-captions", str(gm_data), "--model", str(tiny_pipe_dir), "--output", str(states[name]),
                     *extra]) == 0
    base = (f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\ninstrument_conditioning: true\ncaption_note_dropout: 0.5\n"
            "caption_instrument_dropout: 0.5\n")
    for name, path in states.items():
        (tmp_path / f"{name}.yaml").write_text(base + f"text_states_file: {path}\n")
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, tmp_path / "note", None,
                           "--config", tmp_path / "note.yaml", "--max-steps", 2)) == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert "caption_note_dropout and caption_instrument_dropout" in last and "--untold --untold-instrument" in last
    assert "Traceback" not in err
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, tmp_path / "both", None,
                           "--config", tmp_path / "both.yaml", "--max-steps", 2)) == 0


@pytest.mark.slow
def test_train_unet_false_teaches_the_embedding_alone(tiny_pipe_dir, gm_data, tmp_path, capsys):
    """New conditioning learnt without moving what the U-Net makes: every weight outside the class
    embedding stays bit for bit, the embedding's zero output layer does not."""
    out = tmp_path / "frozen"
    assert train_tiny("pitch_conditioning: true\npitch_dropout: 0.0\nuse_ema: false\ntrain_unet: false\n"
                      "train_text_projection: false\n", 3, tiny_pipe_dir, gm_data, tmp_path, "frozen") == 0
    base = LatentAudioPipeline.from_pretrained(tiny_pipe_dir).unet.state_dict()
    trained = LatentAudioPipeline.from_pretrained(out).unet.state_dict()
    assert set(trained) - set(base) == {name for name in trained if name.startswith("class_embedding.")}
    assert all(torch.equal(base[name], trained[name]) for name in base)
    assert trained["class_embedding.linear_2.weight"].abs().sum() > 0

    # without an embedding to train, or beside LoRA, it says why
    for extra, expected in (("", "has none"), ("pitch_conditioning: true\nlora_rank: 2\n", "lora_rank=2")):
        assert train_tiny(f"train_unet: false\n{extra}", 1, tiny_pipe_dir, gm_data, tmp_path, "refused") == 1
        assert expected in capsys.readouterr().err


def test_the_trained_pipeline_reads_prompts_as_its_training_config_says(tiny_pipe_dir, gm_data, tmp_path):
    """``prompt_template`` belongs to the captions a run trains on: set, the output rewrites prompts into
    it; a later run on other captions that does not set it gives a pipeline that reads them as written."""
    assert train_tiny("prompt_template: gm_one_shot\nuse_ema: false\n", 1, tiny_pipe_dir, gm_data, tmp_path, "templated") == 0
    templated = LatentAudioPipeline.from_pretrained(tmp_path / "templated")
    assert templated.config.prompt_template == "gm_one_shot"
    assert train_tiny("use_ema: false\n", 1, tmp_path / "templated", gm_data, tmp_path, "own_captions") == 0
    assert LatentAudioPipeline.from_pretrained(tmp_path / "own_captions").config.prompt_template is None


def test_music_dropout_hides_each_stated_tempo_key_and_length_on_its_own():
    from latentaudio.conditioning import Music
    from latentaudio.training.diffusion import music_dropout

    captions = ["a 124 bpm house drum loop, 7.74 s", "a sad piano melody in A minor, 70 bpm", "a loud snare drum hit"]
    assert music_dropout(captions, 0.0) == [Music(124.0, None, 7.74), Music(70.0, (9, "minor"), None), None]
    assert music_dropout(captions, 1.0) == [None, None, None]
    torch.manual_seed(0)
    rows = [row for _ in range(10) for row in music_dropout(["a 96 bpm groove in D minor, 4.0 s"] * 100, 0.3)]
    for field in Music._fields:
        hidden = sum(row is None or getattr(row, field) is None for row in rows)
        assert 230 < hidden < 370  # 30 % of 1,000, each field on its own
    assert 0 < sum(row is None for row in rows) < 60  # all three at once: about 2.7 %


@pytest.mark.slow
def test_music_conditioning_widens_the_instrument_embedding_and_teaches_the_new_columns(tiny_pipe_dir, gm_data, tmp_path):
    """Captions that state a tempo, a key and a length teach the music columns; a later run keeps them."""
    from latentaudio.conditioning import FEATURE_WIDTHS, has_music_embedding

    data = stating_music(gm_data, tmp_path)
    settings = "use_ema: false\npitch_dropout: 0.0\ninstrument_dropout: 0.0\nmusic_dropout: 0.0\n"
    assert train_tiny(settings + "instrument_conditioning: true\n", 2, tiny_pipe_dir, data, tmp_path, "wide") == 0
    assert not has_music_embedding(LatentAudioPipeline.from_pretrained(tmp_path / "wide").unet)
    assert train_tiny(settings + "music_conditioning: true\n", 3, tmp_path / "wide", data, tmp_path, "music") == 0
    music = LatentAudioPipeline.from_pretrained(tmp_path / "music")
    assert music.config.pitch_conditioning and has_music_embedding(music.unet)
    weight = music.unet.class_embedding.linear_1.weight
    assert weight.shape[1] == FEATURE_WIDTHS[2] and weight[:, FEATURE_WIDTHS[1]:].abs().sum() > 0  # the new columns learned
    audio = music("a 120 bpm drum loop in C minor, 0.5 s", num_inference_steps=2, audio_length_in_s=0.5,
                  generator=torch.Generator().manual_seed(0)).audios
    assert audio.shape[-1] == round(0.5 * music.sample_rate)
    assert train_tiny(settings, 1, tmp_path / "music", data, tmp_path, "again") == 0  # kept without asking again
    assert has_music_embedding(LatentAudioPipeline.from_pretrained(tmp_path / "again").unet)


def learns_new_input_channels(settings: str, adding: str, has_them, before: int, count: int, pipe_dir, data, tmp_path,
                              name: str):
    """Train the tiny pipeline with ``adding``: its U-Net takes ``count`` new input channels after ``before`` others
    beside the latent (``has_them``), they learn from the captions, a take is as long as asked, and a later run
    without the setting keeps them. Returns the trained pipeline."""
    assert train_tiny(settings + adding, 3, pipe_dir, data, tmp_path, name) == 0
    pipe = LatentAudioPipeline.from_pretrained(tmp_path / name)
    first = pipe.unet.config.out_channels + before
    assert has_them(pipe.unet) and pipe.unet.config.in_channels == first + count
    assert pipe.unet.conv_in.weight[:, first:].abs().sum() > 0  # the new channels learned from the stated tempos or keys
    audio = pipe("a 120 bpm piano loop in C minor, 0.5 s", num_inference_steps=2, audio_length_in_s=0.5,
                 generator=torch.Generator().manual_seed(0)).audios
    assert audio.shape[-1] == round(0.5 * pipe.sample_rate)
    assert train_tiny(settings, 1, tmp_path / name, data, tmp_path, f"{name}-again") == 0  # kept without asking again
    assert has_them(LatentAudioPipeline.from_pretrained(tmp_path / f"{name}-again").unet)
    return pipe


@pytest.mark.slow
def test_beat_channels_widen_the_input_layer_learn_from_the_stated_tempo_and_reach_the_student(tiny_pipe_dir, gm_data,
                                                                                                 tmp_path, capsys):
    """beat_channels needs the music embedding; it adds input channels at zero, the captions' tempos teach them, a later
    run keeps them, and a student distilled from the result takes them too."""
    from latentaudio.conditioning import BEAT_CHANNELS, has_beat_channels

    from .conftest import train_args

    data = stating_music(gm_data, tmp_path)
    settings = "use_ema: false\npitch_dropout: 0.0\ninstrument_dropout: 0.0\nmusic_dropout: 0.0\n"
    assert train_tiny(settings + "beat_channels: true\n", 1, tiny_pipe_dir, data, tmp_path, "refused") == 1
    assert "beat_channels=true follows the tempo of the music embedding" in capsys.readouterr().err
    beat = learns_new_input_channels(settings, "music_conditioning: true\nbeat_channels: true\n", has_beat_channels, 0,
                                     BEAT_CHANNELS, tiny_pipe_dir, data, tmp_path, "beat")
    # train_unet: false trains the embedding and the input layer that reads the channels; the rest stays bit for bit
    assert train_tiny(settings + "train_unet: false\n", 2, tmp_path / "beat", data, tmp_path, "frozen") == 0
    before, after = beat.unet.state_dict(), LatentAudioPipeline.from_pretrained(tmp_path / "frozen").unet.state_dict()
    moved = {name for name, value in before.items() if not torch.equal(value, after[name])}
    assert "conv_in.weight" in moved and moved <= {"conv_in.weight", "conv_in.bias"} | {n for n in before if n.startswith("class_embedding.")}
    assert main(train_args("distill", tmp_path / "beat", data, tmp_path / "student", "tiny_distill_guidance.yaml",
                           "--max-steps", 2, "--steps", 2)) == 0
    student = LatentAudioPipeline.from_pretrained(tmp_path / "student")
    assert has_beat_channels(student.unet)
    assert student("a 120 bpm drum loop, 0.5 s", audio_length_in_s=0.5).audios.shape[-1] == round(0.5 * student.sample_rate)


@pytest.mark.slow
def test_key_channels_follow_the_beat_channels_and_learn_from_the_stated_key(tiny_pipe_dir, gm_data, tmp_path, capsys):
    """key_channels needs the beat-phase channels; it adds input channels at zero after them, the captions' keys
    teach them, and a later run keeps them."""
    from latentaudio.conditioning import BEAT_CHANNELS, KEY_CHANNELS, has_key_channels

    data = stating_music(gm_data, tmp_path)
    settings = "use_ema: false\npitch_dropout: 0.0\ninstrument_dropout: 0.0\nmusic_dropout: 0.0\nmusic_conditioning: true\n"
    assert train_tiny(settings + "key_channels: true\n", 1, tiny_pipe_dir, data, tmp_path, "refused") == 1
    assert "key_channels=true adds key channels after the beat-phase channels" in capsys.readouterr().err
    learns_new_input_channels(settings, "beat_channels: true\nkey_channels: true\n", has_key_channels, BEAT_CHANNELS,
                              KEY_CHANNELS, tiny_pipe_dir, data, tmp_path, "key")
