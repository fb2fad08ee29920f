"""Scheduler names for configs and the CLI, mapped to diffusers classes; and what a U-Net prediction implies."""

from __future__ import annotations

# Short name -> (diffusers class name, settings that make it the named sampler). Class names
# rather than classes, so the command line can list the choices without importing diffusers.
SCHEDULERS = {
    "ddim": ("DDIMScheduler", {}),
    "ddpm": ("DDPMScheduler", {}),
    "dpm++": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++"}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler-a": ("EulerAncestralDiscreteScheduler", {}),
    "heun": ("HeunDiscreteScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),
    "unipc": ("UniPCMultistepScheduler", {}),
}


def scheduler_from_name(name: str, config=None, **kwargs):
    """A scheduler by its short name, optionally taking the noise schedule of ``config``.

    Args:
        name: One of :data:`SCHEDULERS`.
        config: Another scheduler's config (``pipe.scheduler.config``) whose schedule is kept.
        kwargs: Further scheduler settings (``num_train_timesteps``, ``beta_schedule``, ...).
    """
    import diffusers

    if name not in SCHEDULERS:
        raise ValueError(f"Unknown scheduler {name!r}; choose one of {sorted(SCHEDULERS)}.")
    class_name, defaults = SCHEDULERS[name]
    cls = getattr(diffusers, class_name)
    settings = {**defaults, **kwargs}
    if config is not None:
        return cls.from_config(config, **settings)
    return cls(**settings)


def clean_and_noise(prediction, noisy, alpha, sigma, prediction_type: str):
    """The clean latent x̂₀ and the noise ε̂ that a U-Net ``prediction`` (ε, or v with ``"v_prediction"``) implies for
    ``noisy`` = α x₀ + σ ε, where ``alpha`` = √ᾱ_t and ``sigma`` = √(1 - ᾱ_t) (numbers, or tensors that broadcast)."""
    if prediction_type == "epsilon":
        return (noisy - sigma * prediction) / alpha, prediction
    return alpha * noisy - sigma * prediction, alpha * prediction + sigma * noisy  # Salimans & Ho 2022, eq. 6
