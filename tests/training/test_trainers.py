"""Each trainer on real one-shots: a short overfit run whose loss falls, and a loadable result."""

import json

import pytest
import torch
from safetensors.torch import load_file

from latentaudio import LatentAudioPipeline
from latentaudio.cli import main
from latentaudio.training import VaeTrainer

from .conftest import TRAINING_CONFIGS, loss_history, mean, train_args


def weights(folder, component):
    return load_file(str(next((folder / component).glob("*.safetensors"))))


def same_weights(a, b) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def tensorboard_tags(folder):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(folder))
    accumulator.Reload()
    return accumulator.Tags()


def test_vae_overfits_and_sets_its_latent_scale(tiny_pipe_dir, gm_data, tmp_path):
    out = tmp_path / "vae"
    assert main(train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml")) == 0
    history = loss_history(out)
    reconstruction = [h["reconstruction"] for h in history]
    assert mean(reconstruction[-3:]) < 0.85 * mean(reconstruction[:3])
    assert "discriminator" not in history[3] and "discriminator" in history[4]  # on after the warm-up (step 4)

    pipe = LatentAudioPipeline.from_pretrained(out)
    assert pipe.vae.config.scaling_factor != 1.0 and 0 < pipe.vae.config.scaling_factor < 100
    assert not same_weights(weights(out, "vae"), weights(tiny_pipe_dir, "vae"))
    assert same_weights(weights(out, "unet"), weights(tiny_pipe_dir, "unet"))  # only the VAE trained
    record = json.loads((out / "training.json").read_text())
    assert record["steps"] == 12 and record["validation"]["reconstruction_l1"] > 0
    assert (out / "loss_curve.png").stat().st_size > 5_000
    tags = tensorboard_tags(out / "logs" / "vae")
    assert {"loss/reconstruction", "lr/vae", "validation/reconstruction_l1"} <= set(tags["scalars"])
    assert "validation/reconstruction" in tags["images"]


def test_a_decoder_fine_tune_keeps_the_encoder_and_the_latent_scale_and_lowers_the_reconstruction(tiny_pipe_dir, gm_data,
                                                                                                    tmp_path):
    out, config = tmp_path / "decoder", tmp_path / "decoder.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_vae.yaml'}\ntrain_encoder: false\ndiscriminator: none\n")
    assert main(train_args("train vae", tiny_pipe_dir, gm_data, out, None, "--config", config)) == 0
    reconstruction = [h["reconstruction"] for h in loss_history(out)]
    assert mean(reconstruction[-3:]) < 0.85 * mean(reconstruction[:3])
    before, after = weights(tiny_pipe_dir, "vae"), weights(out, "vae")
    moved = {name for name in before if not torch.equal(before[name], after[name])}
    assert moved and all(name.startswith(("decoder.", "post_quant_conv.")) for name in moved)  # the encoder is bit for bit
    assert any(name.startswith("decoder.") for name in moved)
    scale = lambda folder: json.loads((folder / "vae" / "config.json").read_text())["scaling_factor"]
    assert scale(out) == scale(tiny_pipe_dir)  # the same latents, so the same scale: a U-Net trained on them still fits


def test_vocoder_overfits(tiny_pipe_dir, gm_data, tmp_path):
    out = tmp_path / "vocoder"
    assert main(train_args("train vocoder", tiny_pipe_dir, gm_data, out, "tiny_vocoder.yaml")) == 0
    mel_l1 = [h["mel_l1"] for h in loss_history(out)]
    assert mean(mel_l1[-3:]) < 0.8 * mean(mel_l1[:3])
    pipe = LatentAudioPipeline.from_pretrained(out)
    assert not pipe.vocoder.config.weight_norm  # saved as the plain release artifact
    assert not same_weights(weights(out, "vocoder"), weights(tiny_pipe_dir, "vocoder"))
    assert "validation/vocoded" in tensorboard_tags(out / "logs" / "vocoder")["audio"]


def test_vocoder_finetunes_on_vae_reconstructions(tiny_pipe_dir, gm_data, tmp_path):
    config = tmp_path / "on_vae.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_vocoder.yaml'}\nfinetune_on_vae: true\n")
    out = tmp_path / "vocoder"
    args = train_args("train vocoder", tiny_pipe_dir, gm_data, out, None, "--config", config, "--max-steps", 2)
    assert main(args) == 0
    assert LatentAudioPipeline.from_pretrained(out).vocoder is not None


def test_vocos_trains_on_spectral_losses_alone(tiny_pipe_dir, gm_data, tmp_path):
    """adversarial_weight 0: no discriminators, mel L1 + MR-STFT fall, validation scores both."""
    from vocoder import VocosGenerator

    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    torch.manual_seed(0)
    pipe.vocoder = VocosGenerator(num_mels=pipe.spectrogram.n_mels, hop_length=160, n_fft=640, dim=16,
                                  intermediate_dim=32, num_layers=2)
    start = tmp_path / "vocos_pipe"
    pipe.save_pretrained(start)
    config = tmp_path / "vocos.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_vocoder.yaml'}\nadversarial_weight: 0\nmrstft_weight: 1\n"
                      "max_steps: 32\nvalidation_every: 32\n")
    out = tmp_path / "vocoder"
    assert main(train_args("train vocoder", start, gm_data, out, None, "--config", config)) == 0
    history = loss_history(out)
    assert all("discriminator" not in h and "adversarial" not in h for h in history)
    for key in ("mel_l1", "mrstft"):
        values = [h[key] for h in history]
        assert mean(values[-3:]) < 0.8 * mean(values[:3]), (key, values)
    record = json.loads((out / "training.json").read_text())
    assert set(record["validation"]) >= {"mel_l1", "mrstft"} and record["validation"]["mrstft"] > 0
    trained = LatentAudioPipeline.from_pretrained(out).vocoder
    assert isinstance(trained, VocosGenerator)
    assert not same_weights(weights(out, "vocoder"), weights(start, "vocoder"))


def test_diffusion_overfits_with_ema_and_validation_audio(tiny_pipe_dir, gm_data, tmp_path):
    out = tmp_path / "diffusion"
    assert main(train_args("train diffusion", tiny_pipe_dir, gm_data, out, "tiny_diffusion.yaml")) == 0
    loss = [h["loss"] for h in loss_history(out)]
    assert mean(loss[-4:]) < 0.8 * mean(loss[:2])
    saved = weights(out, "unet")
    live = load_file(str(out / "checkpoints" / "checkpoint-00000012" / "model.safetensors"))
    ema_of = {k.removeprefix("unet."): v for k, v in live.items() if k.startswith("unet.")}
    assert not same_weights(saved, ema_of)  # the pipeline holds the EMA weights, the checkpoint the live ones
    assert not same_weights(saved, weights(tiny_pipe_dir, "unet"))
    assert same_weights(weights(out, "vae"), weights(tiny_pipe_dir, "vae"))  # frozen
    assert (out / "cache" / "latent").is_dir()  # cache_latents: true
    assert "validation/audio_0" in set(tensorboard_tags(out / "logs" / "diffusion")["audio"])
    pipe = LatentAudioPipeline.from_pretrained(out)
    audio = pipe("a trumpet note", num_inference_steps=2, generator=torch.manual_seed(0)).audios
    assert audio.shape == (1, 5120) and torch.isfinite(torch.as_tensor(audio)).all()


def test_nan_loss_stops_with_the_last_checkpoint_intact(tiny_pipe_dir, gm_data, tmp_path, monkeypatch, capsys):
    out = tmp_path / "vae"
    args = train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml", "--max-steps", 4, "--checkpoint-every", 1)
    honest_step = VaeTrainer.training_step

    def poisoned_step(self, batch, step):
        if step == 2:  # the third step sees a NaN in its data
            batch["mel"][0, 0, 0] = float("nan")
        return honest_step(self, batch, step)

    monkeypatch.setattr(VaeTrainer, "training_step", poisoned_step)
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "The reconstruction loss became nan at step 3" in err
    assert "checkpoint-00000002, is intact" in err and "with --resume" in err and "Traceback" not in err
    assert [p.name for p in sorted((out / "checkpoints").iterdir())] == ["checkpoint-00000001", "checkpoint-00000002"]
    assert not (out / "model_index.json").exists()

    monkeypatch.setattr(VaeTrainer, "training_step", honest_step)
    assert main(args + ["--resume"]) == 0  # the kept checkpoint is whole and resumes
    assert LatentAudioPipeline.from_pretrained(out).vae is not None


def test_existing_checkpoints_need_resume(tiny_pipe_dir, gm_data, tmp_path, capsys):
    out = tmp_path / "vae"
    args = train_args("train vae", tiny_pipe_dir, gm_data, out, "tiny_vae.yaml", "--max-steps", 1)
    assert main(args) == 0
    assert main(args) == 1
    assert "already holds checkpoint-00000001; pass --resume" in capsys.readouterr().err


@pytest.mark.parametrize("saved, setting, expected", [
    ("v_prediction", None, "v_prediction"),  # a v pipeline keeps training (and sampling) v
    ("epsilon", None, "epsilon"),
    ("epsilon", "v_prediction", "v_prediction"),  # the setting switches it, and the saved scheduler follows
    ("sample", None, None),  # a target the trainer cannot train is refused by name
])
def test_diffusion_target_follows_the_pipeline_unless_set(tiny_pipe_dir, gm_data, tmp_path, capsys, saved, setting, expected):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_pipe_dir, model)
    scheduler_file = model / "scheduler" / "scheduler_config.json"
    scheduler_file.write_text(json.dumps({**json.loads(scheduler_file.read_text()), "prediction_type": saved}))
    config = tmp_path / "config.yaml"
    config.write_text(f"base: {TRAINING_CONFIGS / 'tiny_diffusion.yaml'}\n"
                      + (f"prediction_type: {setting}\n" if setting else ""))
    out = tmp_path / "out"
    code = main(train_args("train diffusion", model, gm_data, out, None, "--config", config, "--max-steps", 1))
    if expected is None:
        assert code == 1 and "'sample'" in capsys.readouterr().err
        return
    assert code == 0
    assert LatentAudioPipeline.from_pretrained(out).scheduler.config.prediction_type == expected
