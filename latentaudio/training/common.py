"""The loop every trainer shares: accelerate, data stream, NaN guard, checkpoints, logging, saving.

A trainer subclasses :class:`Trainer` and fills in four hooks: :meth:`~Trainer.setup` (datasets,
modules and their optimizers through :meth:`~Trainer.prepare_trained`), :meth:`~Trainer.training_step` (one
micro-batch: losses, backward, optimizer steps), :meth:`~Trainer.validate` and
:meth:`~Trainer.finished_pipeline`. Everything else is here, so ``accelerate launch`` (several
processes, mixed precision, gradient accumulation) runs the same code as a plain ``python``.

A step is one optimizer update; it consumes ``gradient_accumulation_steps`` micro-batches of
``batch_size`` clips on every process. The output folder receives::

    OUTPUT/model_index.json, unet/, vae/, ...   the finished pipeline (save_pretrained layout)
    OUTPUT/training.json                        what was trained, from what, for how long, final losses
    OUTPUT/loss_curve.png                       every loss against the step
    OUTPUT/logs/<trainer>/                      TensorBoard
    OUTPUT/checkpoints/                         resumable state (see checkpoints.py)
    OUTPUT/cache/                               mel and latent caches (unless cache_dir is set)

The pipeline, ``training.json`` and the loss curve are published together in one atomic folder
swap (:func:`~latentaudio.atomic.atomic_folder`), so a run killed while saving leaves the previous
output, or none, never a partial pipeline. ``output`` may not be, hold or lie inside ``model``.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import time
import warnings
from pathlib import Path
from typing import Optional

import torch
from accelerate import Accelerator
from accelerate.utils import ProjectConfiguration, set_seed
from diffusers.optimization import get_scheduler

from ..atomic import atomic_folder
from ..loading import load_pipeline
from ..model_folder import PipelineFolder
from .batches import split_datasets, stream_loader, to_device
from .checkpoints import CheckpointFolder, TrainerState, changed_settings
from .config import TrainingConfig
from .monitor import Monitor, plot_loss_curves

logger = logging.getLogger(__name__)

TRAINING_RECORD, LOSS_CURVE = "training.json", "loss_curve.png"


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; the run stopped without saving anything after it."""


def check_separate_folders(model: Path, output: Path) -> None:
    """Refuse an ``output`` that is ``model``, lies inside it or holds it: saving would overwrite
    (or, killed, destroy) the pipeline training reads from."""
    model_path, output_path = model.resolve(), output.resolve()
    if model_path == output_path or model_path in output_path.parents or output_path in model_path.parents:
        relation = ("is" if model_path == output_path else
                    "is inside" if model_path in output_path.parents else "holds")
        raise ValueError(f"--output {output} {relation} --model {model}: training would overwrite the model it "
                         "starts from; choose an --output folder outside the model folder.")


class Trainer:
    """Shared training loop; see the module docstring.

    Args:
        model (`str` or `Path`): Pipeline folder to start from (e.g. from ``latentaudio init``).
        data (`str` or `Path`): Audiofolder to train on.
        output (`str` or `Path`): Folder for the finished pipeline, checkpoints and logs.
        config (`TrainingConfig`): The trainer's settings.
        resume (`bool`, defaults to `False`): Continue from the newest intact checkpoint in
            ``output/checkpoints`` (start afresh when there is none); damaged newer ones are
            reported and set aside. Without it, existing checkpoints are an error rather than
            silently overwritten.
        allow_changed_settings (`bool`, defaults to `False`): Resume although the model folder or
            the training settings differ from those the checkpoint recorded (the differences are
            still printed). Without it such a resume is refused with the list of differences.
    """

    name = "base"

    def __init__(self, model, data, output, config: TrainingConfig, resume: bool = False,
                 allow_changed_settings: bool = False):
        self.model_dir, self.data_dir, self.output_dir = Path(model), Path(data), Path(output)
        check_separate_folders(self.model_dir, self.output_dir)
        self.config, self.resume, self.allow_changed_settings = config, resume, allow_changed_settings
        self.accelerator = Accelerator(
            gradient_accumulation_steps=config.gradient_accumulation_steps,
            mixed_precision=config.mixed_precision,
            log_with="tensorboard",
            project_config=ProjectConfiguration(project_dir=str(output), logging_dir=str(self.output_dir / "logs")),
            step_scheduler_with_optimizer=False,  # LR schedules count optimizer updates, whatever the layout
        )
        self.device = self.accelerator.device
        if self.device.type == "cpu":
            # Weights and activations decaying towards 0 turn into denormal floats, which make CPU
            # convolutions many times slower (a GAN run slowed 3x in tests); flush them to zero.
            torch.set_flush_denormal(True)
        self.checkpoints = CheckpointFolder(self.output_dir / "checkpoints", config.keep_checkpoints, self.accelerator)
        self._check_output()
        set_seed(config.seed, device_specific=True)  # every process draws different noise
        self.pipe = load_pipeline(self.model_dir, runtime="torch", **self.pipeline_overrides())
        self.pipe.set_progress_bar_config(disable=True)
        # Datasets compute mels on the CPU (in DataLoader workers too); losses on the training device.
        self.data_spectrogram = copy.deepcopy(self.pipe.spectrogram).cpu()
        self.spectrogram = self.pipe.spectrogram.to(self.device)
        self.modules: list[torch.nn.Module] = []  # prepared, trained modules (gradient accumulation)
        self.lr_schedulers: dict[str, object] = {}
        self.validation: dict[str, float] = {}

    # ------------------------------------------------------------------ hooks
    needs_text_encoder = True

    def pipeline_overrides(self) -> dict:
        """Components given to ``from_pretrained`` instead of loaded: a packaged text encoder
        (``text_encoder_package``) that this trainer does not need is left out. The saved pipeline
        still names its package, so it loads with the encoder again; an encoder saved in the
        folder itself is always loaded, so that the output keeps it."""
        if self.needs_text_encoder:
            return {}
        folder = PipelineFolder.find(self.model_dir)
        return {} if folder is None else folder.without_packaged_encoder()

    def setup(self) -> None:
        """Build the datasets (``self.train_data``) and the trained modules (:meth:`prepare_trained`)."""
        raise NotImplementedError

    def training_step(self, batch: dict, step: int) -> dict[str, torch.Tensor]:
        """One micro-batch: compute the losses, backward, step the optimizers; return the losses."""
        raise NotImplementedError

    def validate(self, monitor: Monitor) -> dict[str, float]:
        """Main process only: validation metrics (also logged), audio and images."""
        return {}

    def after_step(self) -> None:
        """After every optimizer update (e.g. the EMA)."""

    def save_extra(self, folder: Path, state: TrainerState) -> None:
        """Write trainer extras into a checkpoint folder, counters into ``state.extra`` (main process)."""

    def load_extra(self, folder: Path, state: TrainerState) -> None:
        """Read what :meth:`save_extra` wrote."""

    def finished_pipeline(self):
        """The pipeline with the trained component in place, unwrapped (main process)."""
        raise NotImplementedError

    # -------------------------------------------------------------- helpers
    @property
    def clip_samples(self) -> int:
        """Samples per training clip: ``clip_seconds`` or the U-Net's native clip."""
        seconds = self.config.clip_seconds or self.pipe.default_audio_length_in_s
        return round(seconds * self.pipe.sample_rate)

    @property
    def cache_dir(self) -> Path:
        return Path(self.config.cache_dir) if self.config.cache_dir else self.output_dir / "cache"

    def datasets(self, validation: bool = True, fill_cache: bool = False, **kwargs):
        """Training and validation clips of ``--data`` (see :func:`~.batches.split_datasets`).

        Args:
            fill_cache: Read every training clip once on the main process first, so the caches
                (latents above all) are complete before any process trains.
        """
        kwargs.setdefault("num_samples", self.clip_samples)
        with self.accelerator.main_process_first():
            train, validation = split_datasets(self.data_dir, self.config, validation, spectrogram=self.data_spectrogram,
                                               cache_dir=self.cache_dir, **kwargs)
            if fill_cache and self.accelerator.is_main_process:
                for row in dict.fromkeys(train.indices):  # a repeated row (config.repeats) is encoded once
                    train.dataset[row]
        return train, validation

    def vae_frames(self, mel: torch.Tensor) -> torch.Tensor:
        """Crop or pad (with silence) a clip's mel (B, n_mels, T) to the frames the pipeline encodes.

        Same rule as :meth:`LatentAudioPipelineBase.encode_audio`: enough latent frames for the
        clip, rounded up to what the U-Net can downsample, times the VAE's compression.
        """
        return self.pipe.codec.fit_frames(mel, self.clip_samples)

    def prepare_trained(self, name: str, module: torch.nn.Module, parameters=None, learning_rate: Optional[float] = None):
        """Give a trained module its AdamW and LR schedule, ``accelerator.prepare`` all three, and
        remember module and schedule (logged as ``lr/<name>``); returns (module, optimizer).

        Checkpoints hold the modules in the order they were prepared here.
        """
        c = self.config
        parameters = list(module.parameters() if parameters is None else parameters)  # tensors, or AdamW groups
        optimizer = torch.optim.AdamW(parameters, lr=learning_rate or c.learning_rate,
                                      betas=(c.adam_beta1, c.adam_beta2), weight_decay=c.weight_decay)
        schedule = get_scheduler(c.lr_schedule, optimizer, num_warmup_steps=c.lr_warmup_steps,
                                 num_training_steps=c.max_steps)
        module, optimizer, schedule = self.accelerator.prepare(module, optimizer, schedule)
        self.modules.append(module)
        self.lr_schedulers[name] = schedule
        return module, optimizer

    def optimize(self, loss: torch.Tensor, optimizer, parameters, inputs=None) -> None:
        """Backward (only into ``inputs`` when given), clip, step and zero the gradients.

        Under gradient accumulation the prepared optimizer steps only on the last micro-batch.
        """
        parameters = list(parameters)
        self.accelerator.backward(loss, **({"inputs": inputs} if inputs is not None else {}))
        if self.accelerator.sync_gradients and self.config.max_grad_norm > 0:
            self.accelerator.clip_grad_norm_(parameters, self.config.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    # ------------------------------------------------------------------ loop
    def run(self) -> Path:
        """Train to ``max_steps`` (or for ``max_minutes``) and save the finished pipeline in ``output``; returns it."""
        config, accelerator = self.config, self.accelerator
        started = time.monotonic()
        self.setup()
        state = self._start_state()
        loader = stream_loader(self.train_data, config.batch_size, config.seed, state.position,
                               accelerator.num_processes, accelerator.process_index, config.num_workers)
        batches = iter(loader)
        examples_per_step = config.batch_size * accelerator.num_processes * config.gradient_accumulation_steps
        monitor = Monitor(accelerator, self.name, config, state, config.max_steps, examples_per_step, config.log_every)
        try:
            while state.step < config.max_steps:
                losses = self._step(batches, state)
                monitor.step(losses, {name: s.get_last_lr()[0] for name, s in self.lr_schedulers.items()})
                if config.validation_every and state.step % config.validation_every == 0:
                    self._validate(monitor)
                out_of_time = self._out_of_time(started)
                if state.step % config.checkpoint_every == 0 or state.step == config.max_steps or out_of_time:
                    monitor.flush()
                    self.checkpoints.save(state, self.save_extra)
                if out_of_time:
                    if accelerator.is_main_process:
                        print(f"Stopping {self.name} training at step {state.step}: max_minutes={config.max_minutes} reached.")
                    break
            monitor.flush()
            self._validate(monitor)
            if accelerator.is_main_process:
                self._save_output(state)
            accelerator.wait_for_everyone()
        finally:
            monitor.close()
        return self.output_dir

    def _out_of_time(self, started: float) -> bool:
        """Whether this run's ``max_minutes`` (counted from setup) are spent; every process agrees."""
        if self.config.max_minutes is None:
            return False
        spent = torch.tensor(float(time.monotonic() - started >= 60 * self.config.max_minutes), device=self.device)
        return bool(self.accelerator.reduce(spent, "max").item())

    def _step(self, batches, state: TrainerState) -> dict[str, float]:
        """One optimizer update over ``gradient_accumulation_steps`` micro-batches; returns the mean losses."""
        config, accelerator = self.config, self.accelerator
        totals: dict[str, torch.Tensor] = {}
        for _ in range(config.gradient_accumulation_steps):
            batch = to_device(next(batches), self.device)
            with accelerator.accumulate(*self.modules):
                losses = self.training_step(batch, state.step)
            for name, value in losses.items():
                totals[name] = totals.get(name, 0.0) + value.detach().float() / config.gradient_accumulation_steps
            state.position += config.batch_size * accelerator.num_processes
        losses = self._finite_means(totals, state.step + 1)
        with warnings.catch_warnings():  # the VAE's discriminator schedule starts before its optimizer does
            warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler.step\(\)`")
            for schedule in self.lr_schedulers.values():
                schedule.step()
        self.after_step()
        state.step += 1
        return losses

    def _check_output(self) -> None:
        newest = self.checkpoints.newest()
        if newest is not None and not self.resume:
            raise ValueError(
                f"{self.checkpoints.folder} already holds {newest.name}; pass --resume to continue that run, "
                "or choose an empty --output."
            )

    def _start_state(self) -> TrainerState:
        self.checkpoints.remove_partial()
        settings = self.resume_settings()
        newest, state = self.checkpoints.newest_intact(self.name) if self.resume else (None, None)
        if newest is None:
            if self.resume:
                logger.warning("No complete checkpoint in %s: starting from step 0.", self.checkpoints.folder)
            return TrainerState(self.name, settings=settings)
        self._check_settings(newest, state.settings, settings)
        self.checkpoints.load(newest, state)
        state.settings = settings  # later checkpoints record what this run trains with
        self.load_extra(newest, state)
        if self.accelerator.is_main_process:
            print(f"Resuming {self.name} training from {newest} (step {state.step})")
        return state

    def resume_settings(self) -> dict:
        """What a checkpoint records and a resume compares: the model folder's digest and the
        settings that change what is learned (JSON values, as read back from the checkpoint)."""
        folder = PipelineFolder.find(self.model_dir)
        model = folder.digest() if folder is not None else str(self.model_dir)
        return json.loads(json.dumps({"model": model, **self.config.resume_settings()}))

    def _check_settings(self, checkpoint: Path, recorded: dict, current: dict) -> None:
        """Refuse (or, when allowed, announce) a resume whose settings differ from the checkpoint's."""
        if not recorded:
            logger.warning("%s records no settings (written by an older version); they are not compared.", checkpoint)
            return
        changes = changed_settings(recorded, current)
        if not changes:
            return
        listed = "; ".join(changes)
        if not self.allow_changed_settings:
            raise ValueError(
                f"Cannot resume from {checkpoint}: this run differs from it in {listed} "
                "(model: the digest of the --model pipeline). Give the same model and settings, or pass "
                "--allow-changed-settings to continue with the new ones."
            )
        if self.accelerator.is_main_process:
            print(f"Resuming with changed settings: {listed}")

    def _finite_means(self, totals: dict[str, torch.Tensor], step: int) -> dict[str, float]:
        """Losses averaged over processes; stops the run on NaN or inf (every process sees it)."""
        names = list(totals)
        values = self.accelerator.reduce(torch.stack([totals[n] for n in names]).to(self.device), "mean").tolist()
        for name, value in zip(names, values):
            if not math.isfinite(value):
                newest = self.checkpoints.newest()
                kept = f"The last good checkpoint, {newest}, is intact" if newest else "No checkpoint had been written yet"
                raise NonFiniteLossError(
                    f"The {name} loss became {value} at step {step}; training stopped and saved nothing after it. "
                    f"{kept}. Lower learning_rate (or check the data) and run again"
                    f"{' with --resume' if newest else ''}."
                )
        return dict(zip(names, values))

    def _validate(self, monitor: Monitor) -> None:
        if self.accelerator.is_main_process:
            with torch.random.fork_rng(devices=[]), torch.no_grad():  # the training RNG stays untouched
                metrics = self.validate(monitor)
            if metrics:
                self.validation = metrics
                monitor.metrics(metrics)
        self.accelerator.wait_for_everyone()

    def _save_output(self, state: TrainerState) -> None:
        """Publish the pipeline, ``training.json`` and the loss curve in one atomic folder swap:
        a kill at any point leaves the previous output (or none) loadable, never a partial one.
        Checkpoints, logs, caches and anything else in ``output`` are carried over."""
        pipe = self.finished_pipeline()
        from .. import __version__

        record = {
            "trainer": self.name, "latentaudio_version": __version__, "model": str(self.model_dir),
            "data": str(self.data_dir), "steps": state.step, "processes": self.accelerator.num_processes,
            "final_losses": state.history[-1][1] if state.history else {}, "validation": self.validation,
            "config": self.config.to_dict(),
        }
        replaced = PipelineFolder.entries_at(self.output_dir) | {TRAINING_RECORD, LOSS_CURVE}
        with atomic_folder(self.output_dir, keep=lambda name: name not in replaced) as staged:
            pipe.save_pretrained(staged)
            (staged / TRAINING_RECORD).write_text(json.dumps(record, indent=1))
            plot_loss_curves(state.history, staged / LOSS_CURVE)
        print(f"Wrote the trained pipeline to {self.output_dir} (step {state.step})")
