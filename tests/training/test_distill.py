"""Distillation, consistency and guidance: the student is an ordinary few-step pipeline, the run resumes
after SIGKILL to the same weights, and the distillation loss falls."""

import json
from pathlib import Path

import pytest
import torch
from diffusers import LCMScheduler
from safetensors.torch import load_file

from latentaudio import LatentAudioPipeline
from latentaudio.cli import main
from latentaudio.training import DistillationConfig, DistillationTrainer
from latentaudio.data.folder import collate_audio
from latentaudio.training.batches import to_device

from .conftest import TRAINING_CONFIGS, run_killed_after_checkpoint, train_args

STEPS, EVERY = 4, 2
STUDENT_STEPS = 2  # the student's sampler steps (--steps), saved as its default


def distill_args(model, data, output, *extra, config="tiny_distill.yaml"):
    return train_args("distill", model, data, output, config, "--max-steps", STEPS,
                      "--checkpoint-every", EVERY, "--steps", STUDENT_STEPS, *extra)


def guidance_args(model, data, output, *extra):
    return distill_args(model, data, output, *extra, config="tiny_distill_guidance.yaml")


def distilled(args, output: Path) -> Path:
    """One uninterrupted tiny distillation run into ``output`` (also the reference of a resume test)."""
    torch.set_num_threads(1)
    assert main(args) == 0
    return output


@pytest.fixture(scope="module")
def student_dir(tiny_pipe_dir, gm_data, tmp_path_factory):
    output = tmp_path_factory.mktemp("student")
    return distilled(distill_args(tiny_pipe_dir, gm_data, output), output)


@pytest.fixture(scope="module")
def guided_student_dir(tiny_pipe_dir, gm_data, tmp_path_factory):
    output = tmp_path_factory.mktemp("guided_student")
    return distilled(guidance_args(tiny_pipe_dir, gm_data, output), output)


def unet_calls(pipe) -> list:
    """The batch size of every U-Net call ``pipe`` makes from now on."""
    calls = []
    pipe.unet.register_forward_hook(lambda module, inputs, output: calls.append(inputs[0].shape[0]))
    return calls


def test_student_generates_exact_lengths_in_one_unet_call_per_step(student_dir):
    pipe = LatentAudioPipeline.from_pretrained(student_dir)
    pipe.set_progress_bar_config(disable=True)
    assert isinstance(pipe.scheduler, LCMScheduler) and pipe.embeds_guidance
    assert (pipe.config.default_inference_steps, pipe.config.default_guidance_scale) == (STUDENT_STEPS, 3.0)
    calls = unet_calls(pipe)
    for seconds in (0.1, 0.3, 0.47):  # below, at and above the U-Net's 0.32 s clip
        calls.clear()
        audio = pipe("a trumpet note", audio_length_in_s=seconds, generator=torch.manual_seed(0)).audios
        assert audio.shape == (1, round(seconds * pipe.sample_rate)) and torch.isfinite(torch.from_numpy(audio)).all()
        windows = 1 if seconds <= 0.32 else 2
        assert calls == [1] * (STUDENT_STEPS * windows)  # its default steps, guidance inside the U-Net: no unconditional half
    # the saved guidance is an input of the U-Net: another scale gives other audio
    latents = [pipe("a trumpet note", guidance_scale=scale, output_type="latent", generator=torch.manual_seed(0)).audios
               for scale in (1.0, 3.0)]
    assert (latents[0] - latents[1]).abs().max() > 1e-4


def test_student_scheduler_and_defaults_round_trip(student_dir, tmp_path):
    pipe = LatentAudioPipeline.from_pretrained(student_dir)
    pipe.set_progress_bar_config(disable=True)
    before = pipe("a piano note", generator=torch.manual_seed(1)).audios
    pipe.save_pretrained(tmp_path / "again")
    again = LatentAudioPipeline.from_pretrained(tmp_path / "again")
    again.set_progress_bar_config(disable=True)
    assert type(again.scheduler) is LCMScheduler and dict(again.scheduler.config) == dict(pipe.scheduler.config)
    assert again.scheduler.config.original_inference_steps == 10  # the tiny run's ODE grid
    assert again.config.default_inference_steps == STUDENT_STEPS
    torch.testing.assert_close(torch.from_numpy(again("a piano note", generator=torch.manual_seed(1)).audios),
                               torch.from_numpy(before))


def test_killed_and_resumed_distillation_equals_uninterrupted(student_dir, tiny_pipe_dir, gm_data, tmp_path):
    killed = tmp_path / "killed"
    run_killed_after_checkpoint(distill_args(tiny_pipe_dir, gm_data, killed), killed, EVERY)
    assert main(distill_args(tiny_pipe_dir, gm_data, killed, "--resume")) == 0
    last = f"checkpoints/checkpoint-{STEPS:08d}"
    for name in ("unet/diffusion_pytorch_model.safetensors", f"{last}/model.safetensors", f"{last}/target.safetensors"):
        whole, resumed = load_file(str(student_dir / name)), load_file(str(killed / name))
        assert whole.keys() == resumed.keys() and len(whole) > 20
        for key in whole:
            torch.testing.assert_close(resumed[key], whole[key], rtol=1e-5, atol=1e-6, msg=f"{name}: {key}")
    states = [json.loads((out / last / "trainer_state.json").read_text()) for out in (killed, student_dir)]
    torch.testing.assert_close([v["loss"] for _, v in states[0]["history"]], [v["loss"] for _, v in states[1]["history"]])


def fixed_batch_losses(model, data, output, config: str, steps: int, **settings) -> list[float]:
    """The losses of ``steps`` updates on the same clips, noise, timesteps and guidance scales."""
    config = DistillationConfig.from_yaml(TRAINING_CONFIGS / config, **settings)
    trainer = DistillationTrainer(model, data, output, config)
    trainer.setup()
    batch = to_device(collate_audio([trainer.train_data[i] for i in range(4)]), trainer.device)
    losses = []
    for step in range(steps):
        torch.manual_seed(0)
        losses.append(trainer.training_step(batch, step)["loss"].item())
    return losses


def test_consistency_loss_falls_on_a_fixed_batch(tiny_pipe_dir, gm_data, tmp_path):
    """The same clips, noise, timesteps and guidance at every step: the student must close the gap to its target."""
    losses = fixed_batch_losses(tiny_pipe_dir, gm_data, tmp_path / "out", "tiny_distill.yaml", 16)
    assert losses[-1] < 0.6 * losses[0] and losses[-1] < 0.4 * max(losses), losses


def test_a_student_cannot_be_distilled_again(student_dir, gm_data, tmp_path, capsys):
    assert main(train_args("distill", student_dir, gm_data, tmp_path / "again", "tiny_distill.yaml")) == 1
    assert "already a guidance-distilled student" in capsys.readouterr().err


# ------------------------------------------------------------------ guidance distillation
def test_guidance_student_keeps_its_teachers_sampler_with_one_unet_call_per_step(guided_student_dir, tiny_pipe_dir):
    teacher = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    pipe = LatentAudioPipeline.from_pretrained(guided_student_dir)
    pipe.set_progress_bar_config(disable=True)
    assert type(pipe.scheduler) is type(teacher.scheduler) and not isinstance(pipe.scheduler, LCMScheduler)
    assert dict(pipe.scheduler.config) == dict(teacher.scheduler.config)
    assert pipe.embeds_guidance and (pipe.config.default_inference_steps, pipe.config.default_guidance_scale) == (STUDENT_STEPS, 3.0)
    calls = unet_calls(pipe)
    audio = pipe("a trumpet note", audio_length_in_s=0.3, generator=torch.manual_seed(0)).audios
    assert audio.shape == (1, round(0.3 * pipe.sample_rate)) and calls == [1] * STUDENT_STEPS


def test_guidance_student_saves_its_moving_average_and_resumes_to_the_same_weights(guided_student_dir, tiny_pipe_dir,
                                                                                 gm_data, tmp_path):
    last = f"checkpoints/checkpoint-{STEPS:08d}"
    saved = load_file(str(guided_student_dir / "unet/diffusion_pytorch_model.safetensors"))
    average, online = (load_file(str(guided_student_dir / last / name)) for name in ("target.safetensors", "model.safetensors"))
    key = "time_embedding.cond_proj.weight"  # zero in the teacher: trained, and averaged at decay 0.5
    assert torch.equal(saved[key], average[key]) and saved[key].abs().max() > 0
    assert not torch.equal(saved[key], next(v for k, v in online.items() if k.endswith(key)))
    killed = tmp_path / "killed"
    run_killed_after_checkpoint(guidance_args(tiny_pipe_dir, gm_data, killed), killed, EVERY)
    assert main(guidance_args(tiny_pipe_dir, gm_data, killed, "--resume")) == 0
    resumed = load_file(str(killed / "unet/diffusion_pytorch_model.safetensors"))
    assert resumed.keys() == saved.keys()
    for name in saved:
        torch.testing.assert_close(resumed[name], saved[name], rtol=1e-5, atol=1e-6, msg=name)


def test_guidance_student_learns_the_guided_prediction_in_one_call(tiny_pipe_dir, gm_data, tmp_path):
    """On a fixed batch the loss starts at the distance of the conditional prediction from the guided one
    (the guidance embedding starts at zero) and must fall well below it."""
    losses = fixed_batch_losses(tiny_pipe_dir, gm_data, tmp_path / "out", "tiny_distill_guidance.yaml", 24,
                                learning_rate=1e-4)
    assert losses[0] > 0 and losses[-1] < 0.25 * losses[0], losses


def test_guidance_embedding_is_made_where_its_scales_are():
    """Training draws the scales on the accelerator; their embedding must be computed there too. The
    meta device stands in for one on a machine without: a CPU tensor in the sum would raise."""
    from latentaudio.conditioning.guidance import guidance_embedding

    scales = torch.full((3,), 2.0, device="meta")
    embedding = guidance_embedding(scales, 3, 16, device=scales.device)
    assert embedding.device.type == "meta" and embedding.shape == (3, 16)
    on_cpu = guidance_embedding(torch.tensor([1.0, 3.0]), 2, 16)
    assert torch.equal(on_cpu[0], torch.cat([torch.zeros(8), torch.ones(8)]))  # w = 0: sin 0, cos 0


def test_a_student_is_not_fine_tuned_as_a_diffusion_model(guided_student_dir, gm_data, tmp_path, capsys):
    """Diffusion training ignores the guidance input: the student would unlearn the guided prediction it was
    distilled to give. The error names its teacher as what to fine-tune."""
    assert main(train_args("train diffusion", guided_student_dir, gm_data, tmp_path / "tuned", "tiny_diffusion.yaml")) == 1
    error = capsys.readouterr().err
    last = error.strip().splitlines()[-1]  # (the loading progress bars come before it)
    assert last.startswith("latentaudio train: error:") and "Traceback" not in error
    assert "guidance-distilled student" in last and "default-teacher" in last
    assert not (tmp_path / "tuned").exists()


def test_distillation_goes_on_from_an_earlier_student(guided_student_dir, tiny_pipe_dir, gm_data, tmp_path):
    """``student_from`` starts the student (and its moving average) as an earlier student of the same teacher,
    not as the teacher: a distillation that ran on another machine goes on where it stopped."""
    earlier = load_file(str(guided_student_dir / "unet/diffusion_pytorch_model.safetensors"))
    config = DistillationConfig.from_yaml(TRAINING_CONFIGS / "tiny_distill_guidance.yaml", student_from=str(guided_student_dir))
    trainer = DistillationTrainer(tiny_pipe_dir, gm_data, tmp_path / "on", config)
    trainer.setup()
    assert trainer.trained.keys() == earlier.keys()
    for name, parameter in trainer.trained.items():
        assert torch.equal(parameter.detach(), earlier[name].float()), name
    assert earlier["time_embedding.cond_proj.weight"].abs().max() > 0  # not the teacher's zero embedding
    assert torch.equal(trainer.target.time_embedding.cond_proj.weight, earlier["time_embedding.cond_proj.weight"].float())
    # the teacher itself will not do
    config = DistillationConfig.from_yaml(TRAINING_CONFIGS / "tiny_distill_guidance.yaml", student_from=str(tiny_pipe_dir))
    with pytest.raises(ValueError, match="no guidance embedding"):
        DistillationTrainer(tiny_pipe_dir, gm_data, tmp_path / "wrong", config).setup()


def test_an_earlier_student_of_another_shape_is_refused(tiny_pipe_dir, gm_data, tmp_path):
    from latentaudio.conditioning.guidance import GUIDANCE_EMBEDDING_DIM, extend_unet

    other = tmp_path / "other"  # the same teacher with a wider guidance embedding: not this distillation's student
    pipe = LatentAudioPipeline.from_pretrained(tiny_pipe_dir)
    pipe.unet = extend_unet(pipe.unet, "time_embedding.cond_proj.", time_cond_proj_dim=2 * GUIDANCE_EMBEDDING_DIM)
    pipe.save_pretrained(other)
    config = DistillationConfig.from_yaml(TRAINING_CONFIGS / "tiny_distill_guidance.yaml", student_from=str(other))
    with pytest.raises(ValueError, match="is not a student of"):
        DistillationTrainer(tiny_pipe_dir, gm_data, tmp_path / "wrong", config).setup()
