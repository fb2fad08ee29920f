"""Distillation: a trained pipeline → a few-step, guidance-conditioned student.

Two methods (``DistillationConfig.method``); in both the student is the teacher's U-Net plus a
guidance-scale embedding, so each sampler step is one U-Net call where the teacher makes a guided pair.

**consistency** (the default). Latent consistency distillation, Luo et al. 2023, "Latent Consistency
Models" (Alg. 1, LCD with skipping step k and guidance folded in, Sec. 4.2-4.3). Per micro-batch: latents z₀ of the clips, a point t_{n+k} of the teacher's ODE
grid (``num_ddim_timesteps`` points t = k i - 1, as diffusers' ``LCMScheduler`` samples them), a
guidance scale s ~ U[``guidance_scale_min``, ``guidance_scale_max``] per clip, and

    z_{n+k} = √ᾱ z₀ + √(1-ᾱ) ε                                    (the pipeline's noise schedule)
    ẑ₀, ε̂  = cond + (s-1)(cond - uncond)  of the frozen teacher      (classifier-free guidance)
    z_n     = √ᾱ_n ẑ₀ + √(1-ᾱ_n) ε̂                                   (one DDIM step back to t_n = t_{n+k} - k)
    f(z, t) = c_skip(t) z + c_out(t) x̂₀(student(z, t, s))             (the boundary condition, eq. 9)
    L       = d(f_θ(z_{n+k}, t_{n+k}), f_θ⁻(z_n, t_n))                (pseudo-Huber d, θ⁻ an EMA of θ)

The guidance-scale embedding is zero-initialised, so the student starts as the teacher
(:mod:`..conditioning.guidance`); the target network θ⁻ is the moving average ``target_ema_decay``
of the student, saved in every checkpoint. The finished folder samples with a diffusers
``LCMScheduler`` (or ``TCDScheduler``) on the teacher's noise schedule.

**guidance**. Guidance distillation, Meng et al. 2023 ("On Distillation of Guided Diffusion Models",
stage one): at any noise level of the training schedule the student learns, in one call, what the
teacher predicts with classifier-free guidance,

    z_t = √ᾱ_t z₀ + √(1-ᾱ_t) ε,   t ~ U{0, …, T-1}
    L   = ‖student(z_t, t, s) - (uncond + s (cond - uncond))‖²        (the teacher's ε or v, as the pipeline guides)

so the student keeps the teacher's own multistep sampler (DPM-Solver++ for the default model) and
halves the U-Net work of every step; fewer steps come from the sampler. With ``student_ema_decay`` the
saved student is a moving average of its weights (kept, and checkpointed, where the target network is).

Either way the finished folder is the teacher's pipeline with the student U-Net, its sampler and the
student's steps and guidance saved as the pipeline's defaults, so every verb samples it in
``student_steps`` U-Net calls with no new option. VAE, vocoder, text encoder and projection stay
frozen: the teacher's.
"""

from __future__ import annotations

import copy
import inspect
from pathlib import Path

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, LCMScheduler, TCDScheduler
from safetensors.torch import load_file, save_file

from ..conditioning import embeds_guidance, guidance_embedding, structured_features, unet_input, with_guidance_embedding
from ..schedulers import clean_and_noise
from .checkpoints import TrainerState
from .config import TRAINABLE_PREDICTION_TYPES, DistillationConfig
from .diffusion import ConditionedUNet, DiffusionTrainer

STUDENT_SCHEDULERS = {"lcm": LCMScheduler, "tcd": TCDScheduler}


def earlier_student(location: str, fresh, teacher_name: str = "the teacher"):
    """The U-Net of the student pipeline at ``location`` (a folder or an embedded model's name), checked to be
    ``fresh`` (the teacher's U-Net with a guidance embedding, :func:`with_guidance_embedding`) in every weight's
    name and shape, in ``fresh``'s dtype: a distillation cut short, or one that ran on another machine, goes on
    from it (``DistillationConfig.student_from``). A ValueError names what does not fit."""
    from ..model_folder import model_location

    unet = type(fresh).from_pretrained(Path(model_location(location)), subfolder="unet")
    if not embeds_guidance(unet):
        raise ValueError(f"student_from={location} has no guidance embedding: expected a student from `latentaudio distill`.")
    mine, theirs = fresh.state_dict(), unet.state_dict()
    mismatched = sorted(key for key in mine.keys() | theirs.keys()
                        if key not in mine or key not in theirs or mine[key].shape != theirs[key].shape)
    if mismatched:
        raise ValueError(f"student_from={location} is not a student of {teacher_name}: its U-Net differs at "
                         f"{', '.join(mismatched[:3])}{' ...' if len(mismatched) > 3 else ''}.")
    return unet.to(next(fresh.parameters()).dtype)


class DistillationTrainer(DiffusionTrainer):
    name = "distill"
    config: DistillationConfig

    def setup(self) -> None:
        c, pipe = self.config, self.pipe
        if embeds_guidance(pipe.unet):
            raise ValueError(f"{self.model_dir} is already a guidance-distilled student; distil its teacher instead.")
        # 1. frozen parts: everything the teacher's pipeline has, the teacher U-Net included
        for frozen in (pipe.vae, pipe.vocoder, pipe.text_encoder, pipe.text_projection, pipe.unet):
            if frozen is not None:
                frozen.eval().requires_grad_(False)
        pipe.vae.to(self.device)
        self.train_data, _ = self.datasets(
            validation=False, return_audio=False, fill_cache=c.cache_latents,
            **({"vae": pipe.vae} if c.cache_latents else {}),
        )
        pipe.to(self.device)
        self.captions = self.caption_states()
        self.pitch = bool(pipe.config.get("pitch_conditioning"))
        # 2. the teacher's noise schedule, and for consistency its ODE grid t = k i - 1 (LCMScheduler's
        #    original_inference_steps)
        self.prediction_type = pipe.scheduler.config.get("prediction_type", "epsilon")
        if self.prediction_type not in TRAINABLE_PREDICTION_TYPES:
            raise ValueError(f"The teacher's scheduler predicts {self.prediction_type!r}; distillation supports "
                             f"{' and '.join(map(repr, TRAINABLE_PREDICTION_TYPES))}.")
        noise = DDPMScheduler.from_config(pipe.scheduler.config)
        self.alphas_cumprod = noise.alphas_cumprod.to(self.device)
        self.noise_scheduler = noise
        if c.method == "guidance":  # the teacher's own sampler, with its settings
            self.student_scheduler = pipe.scheduler.__class__.from_config(pipe.scheduler.config)
        else:
            total = noise.config.num_train_timesteps
            if total % c.num_ddim_timesteps:
                raise ValueError(f"num_ddim_timesteps={c.num_ddim_timesteps} must divide the teacher's "
                                 f"num_train_timesteps={total}.")
            self.skip = total // c.num_ddim_timesteps
            self.grid = (torch.arange(1, c.num_ddim_timesteps + 1) * self.skip - 1).to(self.device)
            student_class = STUDENT_SCHEDULERS[c.scheduler]
            accepted = inspect.signature(student_class.__init__).parameters  # the teacher's sampler settings stay behind
            schedule = {key: value for key, value in pipe.scheduler.config.items() if key in accepted}
            self.student_scheduler = student_class.from_config(
                schedule, prediction_type=self.prediction_type, original_inference_steps=c.num_ddim_timesteps)
        # 3. the student (trained) and its moving average (LCM's target network, or the saved EMA), both
        #    starting as the teacher, or as an earlier student of it (student_from)
        self.teacher = pipe.unet
        # (the guidance embedding is made on the CPU: the student, and so its copies, go to the teacher's device)
        student = with_guidance_embedding(copy.deepcopy(self.teacher))
        if c.student_from is not None:
            student = earlier_student(c.student_from, student, teacher_name=str(self.model_dir))
        student = student.to(self.device).train().requires_grad_(True)
        averaged = c.method == "consistency" or c.student_ema_decay is not None
        self.target = copy.deepcopy(student).eval().requires_grad_(False) if averaged else None
        self.guidance_dim = student.config.time_cond_proj_dim
        self.trained = dict(student.named_parameters())
        self.ema = None  # the target network is this trainer's moving average
        self.model, self.unet_optimizer = self.prepare_trained("unet", ConditionedUNet(student, frame_seconds=pipe.latent_frame_in_s),
                                                               self.trained.values())

    # ------------------------------------------------------------ the maths
    def _coefficients(self, timesteps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(√ᾱ_t, √(1-ᾱ_t)), shaped (B, 1, 1, 1)."""
        alpha_bar = self.alphas_cumprod[timesteps].float()[:, None, None, None]
        return alpha_bar.sqrt(), (1 - alpha_bar).sqrt()

    def _clean_and_noise(self, prediction, timesteps, noisy) -> tuple[torch.Tensor, torch.Tensor]:
        """The clean latent x̂₀ and the noise ε̂ a prediction (ε or v) implies at ``timesteps``."""
        alpha, sigma = self._coefficients(timesteps)
        return clean_and_noise(prediction, noisy, alpha, sigma, self.prediction_type)

    def _consistency(self, prediction, timesteps, noisy) -> torch.Tensor:
        """f(z, t) = c_skip(t) z + c_out(t) x̂₀: the student's sampler applies the same boundary condition."""
        c_skip, c_out = self.student_scheduler.get_scalings_for_boundary_condition_discrete(timesteps.float())
        clean, _ = self._clean_and_noise(prediction, timesteps, noisy)
        return c_skip[:, None, None, None] * noisy + c_out[:, None, None, None] * clean

    def _conditions(self, captions: list[str], device) -> dict:
        """The U-Net's keyword arguments for ``captions`` through the frozen encoder and projection."""
        states, mask = self.captions(captions, device)
        if states is not None and self.pipe.text_projection is not None:
            states, mask = self.pipe.text_projection(states, mask)
        kwargs = {"encoder_hidden_states": states, "encoder_attention_mask": mask}
        if self.pitch:
            kwargs["class_labels"] = structured_features(captions, self.pipe.unet.config.projection_class_embeddings_input_dim).to(device)
        return kwargs

    def _guidance_and_conditions(self, batch: dict, batch_size: int, device) -> tuple:
        """Per clip a guidance scale s ~ U[min, max] and its embedding, and the U-Net's keyword arguments
        for the batch's captions and for the empty prompt: ``(scales, w_embedding, cond, uncond)``."""
        c = self.config
        scales = c.guidance_scale_min + (c.guidance_scale_max - c.guidance_scale_min) * torch.rand(batch_size, device=device)
        w_embedding = guidance_embedding(scales, batch_size, self.guidance_dim, device)
        with torch.no_grad():
            cond = self._conditions(list(batch["text"]), device)
            uncond = self._conditions([""] * batch_size, device)
        return scales, w_embedding, cond, uncond

    def _distance(self, prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The loss: mean squared error, or pseudo-Huber (Song & Dhariwal 2023), as LCM's training script."""
        c = self.config
        if c.loss_type == "l2":
            return F.mse_loss(prediction, target)
        return (torch.sqrt((prediction - target) ** 2 + c.huber_c**2) - c.huber_c).mean()

    def _predict(self, unet, noisy, timesteps, **kwargs) -> torch.Tensor:
        """``unet``'s prediction, with the beat-phase channels of ``kwargs``' class labels beside ``noisy`` where it takes them."""
        sample = unet_input(unet, noisy, kwargs.get("class_labels"), self.pipe.latent_frame_in_s, spectrogram=self.pipe.spectrogram)
        return unet(sample, timesteps, **kwargs).sample

    def _guided_teacher(self, noisy, timesteps, cond: dict, uncond: dict, scales) -> torch.Tensor:
        """The teacher's classifier-free-guided prediction (its ε or v), one scale per clip."""
        with torch.no_grad():
            conditioned = self._predict(self.teacher, noisy, timesteps, **cond).float()
            unconditioned = self._predict(self.teacher, noisy, timesteps, **uncond).float()
        return unconditioned + scales[:, None, None, None] * (conditioned - unconditioned)  # as the pipeline guides

    def training_step(self, batch: dict, step: int) -> dict[str, torch.Tensor]:
        if self.config.method == "guidance":
            return self.guidance_step(batch, step)
        latents = self.crop_length(self.latents(batch), step)
        batch_size, device = latents.shape[0], latents.device
        noise = torch.randn_like(latents)
        index = torch.randint(0, len(self.grid), (batch_size,), device=device)
        start = self.grid[index]  # t_{n+k}
        previous = (start - self.skip).clamp(min=0)  # t_n
        noisy = self.noise_scheduler.add_noise(latents, noise, start)
        scales, w_embedding, cond, uncond = self._guidance_and_conditions(batch, batch_size, device)
        # 1. the student at t_{n+k}
        prediction = self.model(noisy, start, cond["encoder_hidden_states"], cond["encoder_attention_mask"],
                                cond.get("class_labels"), timestep_cond=w_embedding)
        student = self._consistency(prediction.float(), start, noisy)
        with torch.no_grad():
            # 2. the guided teacher, one DDIM step back to t_n (x̂₀ and ε̂ are linear in the prediction, so
            #    guiding the prediction guides both)
            clean, eps = self._clean_and_noise(self._guided_teacher(noisy, start, cond, uncond, scales), start, noisy)
            alpha, sigma = self._coefficients(previous)
            back = (alpha * clean + sigma * eps).to(noisy.dtype)
            # 3. the target network at t_n
            target = self._consistency(self._predict(self.target, back, previous, timestep_cond=w_embedding, **cond).float(),
                                       previous, back)
        loss = self._distance(student, target)
        self.optimize(loss, self.unet_optimizer, self.trained.values())
        return {"loss": loss}

    def guidance_step(self, batch: dict, step: int) -> dict[str, torch.Tensor]:
        """Guidance distillation: the student's one call against the guided teacher pair, at any noise level."""
        latents = self.crop_length(self.latents(batch), step)
        batch_size, device = latents.shape[0], latents.device
        timesteps = torch.randint(0, self.noise_scheduler.config.num_train_timesteps, (batch_size,), device=device)
        noisy = self.noise_scheduler.add_noise(latents, torch.randn_like(latents), timesteps)
        scales, w_embedding, cond, uncond = self._guidance_and_conditions(batch, batch_size, device)
        target = self._guided_teacher(noisy, timesteps, cond, uncond, scales)
        prediction = self.model(noisy, timesteps, cond["encoder_hidden_states"], cond["encoder_attention_mask"],
                                cond.get("class_labels"), timestep_cond=w_embedding).float()
        loss = self._distance(prediction, target)
        self.optimize(loss, self.unet_optimizer, self.trained.values())
        return {"loss": loss}

    # ------------------------------------------- target network / moving average
    def after_step(self) -> None:
        if self.target is None:
            return
        c = self.config
        decay = c.target_ema_decay if c.method == "consistency" else c.student_ema_decay
        with torch.no_grad():
            for target, online in zip(self.target.parameters(), self.trained.values()):
                target.lerp_(online.detach(), 1 - decay)

    def save_extra(self, folder: Path, state: TrainerState) -> None:
        if self.target is not None:
            save_file({n: t.detach().cpu().contiguous() for n, t in self.target.state_dict().items()},
                      str(folder / "target.safetensors"))

    def load_extra(self, folder: Path, state: TrainerState) -> None:
        if self.target is not None:
            self.target.load_state_dict(load_file(str(folder / "target.safetensors"), device=str(self.device)))

    # ------------------------------------------------------------- outputs
    def student_pipeline(self):
        """The teacher's pipeline with the student U-Net, its sampler and its defaults."""
        pipe, c = self.pipe, self.config
        if c.method == "guidance" and self.target is not None:
            pipe.unet = self.target  # the moving average is the student
        else:
            pipe.unet = self.accelerator.unwrap_model(self.model).unet.eval()
        pipe.scheduler = self.student_scheduler
        pipe.register_to_config(default_inference_steps=c.student_steps, default_guidance_scale=c.student_guidance_scale)
        return pipe

    def validate(self, monitor) -> dict[str, float]:
        """Generate the validation prompts with the student at its steps and guidance; log audio and mels."""
        pipe = self.student_pipeline()
        try:
            prompts = self.config.validation_prompts if pipe.text_encoder is not None or self.captions.table is not None else [None]
            for i, prompt in enumerate(prompts):
                inputs = self.prompt_inputs(prompt)
                if inputs is None:
                    continue
                mel = pipe(**inputs, output_type="mel", generator=torch.Generator(self.device).manual_seed(self.config.seed)).audios[0]
                monitor.mel(f"validation/mel_{i}", mel)
                monitor.audio(f"validation/audio_{i}", pipe.codec.vocode(mel[None])[0], pipe.sample_rate)
        finally:
            self.model.train()
        return {}

    def finished_pipeline(self):
        return self.student_pipeline()


def distill(model, data, output, config: DistillationConfig, resume: bool = False,
            allow_changed_settings: bool = False):
    """Distil the pipeline in ``model`` into a few-step student in ``output``, trained on the clips of ``data``.

    ``allow_changed_settings`` resumes although the teacher or the settings differ from the checkpoint's.
    """
    return DistillationTrainer(model, data, output, config, resume, allow_changed_settings).run()
