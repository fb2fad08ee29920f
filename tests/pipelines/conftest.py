"""Fixtures for the editing pipelines: real clips, and a tiny pipeline whose components know them.

The tiny random pipeline (``tiny_pipe``) is right for exact properties (strength 0, kept regions,
endpoints, errors) but its random VAE, U-Net and vocoder turn any audio into noise, so effects
measured on its output would mean nothing. ``trained_pipe`` is the tiny configuration with
components that model real sound:

- **VAE**: the tiny mel VAE trained for 200 steps (a few seconds) on ten FluidR3_GM notes, so
  decoding its latents reconstructs a mel to about 3 dB;
- **denoiser**: :class:`GaussianDenoiser`, the exact noise predictor for a Gaussian model of
  those notes' latents (per-frame covariance fitted to them, AR(1) correlation in time). It
  stands in for a trained U-Net: the pipelines only ever ask the U-Net for noise predictions,
  and an exact denoiser of a known model makes what they do with them measurable in seconds,
  where a tiny U-Net trained that briefly samples noise-like mels;
- **vocoder**: Griffin-Lim, which inverts the spectrogram exactly up to phase.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.modeling_utils import ModelMixin
from diffusers.models.unets.unet_2d_condition import UNet2DConditionOutput

SAMPLE_RATE = 16000
# (program, pitch) of the training notes: piano, organ, strings, flute, trumpet, bass, guitar,
# clarinet, cello, sax. The test notes are other pitches of some of these instruments.
TRAIN_NOTES = [(0, 60), (0, 67), (19, 55), (48, 64), (73, 72), (56, 62), (33, 40), (24, 57), (71, 58), (42, 48)]
TEST_NOTES = {"piano": (0, 64), "organ": (19, 60), "strings": (48, 57), "trumpet": (56, 67), "bass": (33, 45)}


@contextlib.contextmanager
def single_thread():
    """Run on one thread: these tensors are too small to gain from a second, and when the machine's
    cores are shared, OpenMP threads waiting on each other made VAE training 20 times slower
    (2.6 s with one thread against 52 s with two, same 50 steps, measured side by side)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    with single_thread():
        yield


def edit(pipeline_class, pipe):
    """``pipeline_class.from_pipe(pipe)``: the same components (passing the U-Net, which may be a stand-in)."""
    edited = pipeline_class.from_pipe(pipe, unet=pipe.unet)
    edited.set_progress_bar_config(disable=True)
    return edited


def unet_calls(pipe, call) -> list[tuple[int, int]]:
    """(batch, latent frames) of every U-Net call that ``call(pipe)`` makes."""
    calls = []
    hook = pipe.unet.register_forward_hook(lambda module, inputs, output: calls.append(tuple(inputs[0].shape[:3:2])))
    try:
        call(pipe)
    finally:
        hook.remove()
    return calls


@pytest.fixture(scope="session")
def clips() -> dict:
    """Real notes at 16 kHz, 1 s each (held 0.75 s): ``train`` (10, L) and one (L,) per test note."""
    import fluidsynth  # noqa: F401  (pyfluidsynth: installed with the package)
    from pathlib import Path

    from latentaudio.data.synth import DEFAULT_SOUNDFONT, FluidSynthRenderer

    if not Path(DEFAULT_SOUNDFONT).is_file():
        pytest.fail(f"{DEFAULT_SOUNDFONT} is not installed (Debian package fluid-soundfont-gm)")
    rendered = {}
    with FluidSynthRenderer(DEFAULT_SOUNDFONT, SAMPLE_RATE) as synth:
        for name, (program, pitch) in [*enumerate(TRAIN_NOTES), *TEST_NOTES.items()]:
            synth.select(0, 0, program)
            audio = synth.one_shot(0, pitch, 100, SAMPLE_RATE, SAMPLE_RATE * 3 // 4)
            rendered[name] = torch.from_numpy(0.8 * audio / np.abs(audio).max())
    return {"train": torch.stack([rendered.pop(i) for i in range(len(TRAIN_NOTES))]), **rendered}


@pytest.fixture(scope="session")
def trained_pipe(clips, tiny_config):
    """The tiny unconditional pipeline with a trained VAE, a Gaussian denoiser and Griffin-Lim; see the module docstring."""
    from latentaudio import LatentAudioPipeline
    from latentaudio.builder import build_pipeline, griffin_lim_for, merge

    pipe = build_pipeline(merge(tiny_config, {"text_encoder": None}), seed=0)
    with single_thread():  # session fixtures are set up before the module's one_thread
        train_vae(pipe, clips["train"])
    with torch.no_grad():
        latents = pipe.encode_audio(clips["train"], clips["train"].shape[-1])
    denoiser = GaussianDenoiser.like(pipe.unet).fit(latents, pipe.scheduler.alphas_cumprod)
    pipe = LatentAudioPipeline(
        vae=pipe.vae, unet=denoiser, scheduler=pipe.scheduler, vocoder=griffin_lim_for(pipe.spectrogram, n_iter=16),
        spectrogram=pipe.spectrogram, max_audio_length_in_s=pipe.config.max_audio_length_in_s,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe


def train_vae(pipe, audio: torch.Tensor, steps: int = 200, crop: int = 32, batch: int = 8) -> None:
    """Fit ``pipe.vae`` to random crops of the clips' mels (L1 plus a small KL), then set its scaling factor."""
    from latentaudio.vae import encode_mel, image_to_mel, mel_to_image

    generator = torch.Generator().manual_seed(0)
    mel = pipe.spectrogram(audio)  # (N, n_mels, T)
    vae = pipe.vae.train()
    optimizer = torch.optim.Adam(vae.parameters(), lr=3e-3)
    for _ in range(steps):
        clip = torch.randint(0, len(mel), (batch,), generator=generator)
        start = torch.randint(0, mel.shape[-1] - crop + 1, (batch,), generator=generator)
        target = torch.stack([mel[c, :, s : s + crop] for c, s in zip(clip, start)])
        posterior = vae.encode(mel_to_image(target)).latent_dist
        loss = (image_to_mel(vae.decode(posterior.sample(generator)).sample) - target).abs().mean()
        loss = loss + 1e-6 * posterior.kl().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    vae.eval().requires_grad_(False)
    with torch.no_grad():
        spread = encode_mel(vae, mel[..., : mel.shape[-1] // 2 * 2], sample=False).std().item()
    vae.register_to_config(scaling_factor=1.0 / spread)


class GaussianDenoiser(ModelMixin, ConfigMixin):
    r"""The exact noise prediction for latents drawn from a Gaussian, in place of a U-Net.

    The model: frames of the latent (B, C, T, M), flattened to D = C M features, are Gaussian
    with mean ``mean``, feature covariance :math:`\Sigma` and correlation ``rho ** |i - j|``
    between frames i and j (covariance :math:`K_T \otimes \Sigma`). For
    :math:`x_t = \sqrt{\bar\alpha} x_0 + \sqrt{1 - \bar\alpha}\,\epsilon`,

    .. math:: E[\epsilon \mid x_t] = \sqrt{1 - \bar\alpha}\,(\bar\alpha K_T \otimes \Sigma + (1 - \bar\alpha) I)^{-1} (x_t - \sqrt{\bar\alpha}\,\mu),

    computed in the eigenbases of :math:`K_T` and :math:`\Sigma`. The config mirrors the U-Net
    settings the pipelines read (channels, ``sample_size``, levels, ``cross_attention_dim``).
    """

    @register_to_config
    def __init__(self, in_channels: int = 4, out_channels: int = 4, sample_size=(16, 32),
                 down_block_types=("DownBlock2D", "DownBlock2D"), cross_attention_dim: int = 32,
                 rho: float = 0.9, num_train_timesteps: int = 1000):
        super().__init__()
        features = in_channels * sample_size[1]
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("basis", torch.eye(features))  # eigenvectors of Σ, (D, D)
        self.register_buffer("variance", torch.ones(features))  # its eigenvalues
        self.register_buffer("alphas_cumprod", torch.ones(num_train_timesteps))

    @classmethod
    def like(cls, unet) -> "GaussianDenoiser":
        c = unet.config
        return cls(c.in_channels, c.out_channels, tuple(c.sample_size), tuple(c.down_block_types), c.cross_attention_dim)

    @torch.no_grad()
    def fit(self, latents: torch.Tensor, alphas_cumprod: torch.Tensor, shrinkage: float = 0.05) -> "GaussianDenoiser":
        """Fit mean, covariance (shrunk toward its mean variance) and lag-1 correlation to latents (B, C, T, M)."""
        frames = _frames(latents)  # (B, T, D)
        centred = frames - frames.mean((0, 1))
        rho = ((centred[:, 1:] * centred[:, :-1]).sum() / (centred[:, :-1] ** 2).sum()).item()
        covariance = torch.einsum("btd,bte->de", centred, centred).double() / (frames.shape[0] * frames.shape[1])
        covariance = (1 - shrinkage) * covariance + shrinkage * covariance.diagonal().mean() * torch.eye(len(covariance))
        variance, basis = torch.linalg.eigh(covariance)
        self.mean.copy_(frames.mean((0, 1)))
        self.basis.copy_(basis.float())
        self.variance.copy_(variance.float().clamp(min=1e-6))
        self.alphas_cumprod.copy_(alphas_cumprod)
        self.register_to_config(rho=rho)
        return self

    def forward(self, sample, timestep, encoder_hidden_states=None, encoder_attention_mask=None, return_dict=True):
        batch, channels, length, bins = sample.shape
        alpha = self.alphas_cumprod[torch.as_tensor(timestep, device=sample.device).long().flatten()]
        alpha = alpha.float().expand(batch)[:, None, None]  # (B, 1, 1)
        index = torch.arange(length, dtype=torch.float64)
        time_variance, time_basis = torch.linalg.eigh(self.config.rho ** (index[:, None] - index).abs())
        time_variance, time_basis = time_variance.float(), time_basis.float()
        residual = _frames(sample.float()) - alpha.sqrt() * self.mean  # (B, T, D)
        spectrum = time_basis.T @ residual @ self.basis
        spectrum = spectrum / (alpha * time_variance[:, None] * self.variance + 1 - alpha)
        noise = (1 - alpha).sqrt() * (time_basis @ spectrum @ self.basis.T)
        noise = noise.reshape(batch, length, channels, bins).permute(0, 2, 1, 3).to(sample.dtype)
        return UNet2DConditionOutput(sample=noise) if return_dict else (noise,)


def _frames(latents: torch.Tensor) -> torch.Tensor:
    """(B, C, T, M) -> (B, T, C * M)."""
    batch, channels, length, bins = latents.shape
    return latents.permute(0, 2, 1, 3).reshape(batch, length, channels * bins)


# ------------------------------------------------------------------ measurements
def mel_distance(a: torch.Tensor, b: torch.Tensor) -> float:
    """Mean absolute difference of two log-mels (natural-log units), over their common frames."""
    frames = min(a.shape[-1], b.shape[-1])
    return (a[..., :frames] - b[..., :frames]).abs().mean().item()


def frame_jumps(mel: torch.Tensor) -> torch.Tensor:
    """Mean absolute change between consecutive frames of a log-mel (n_mels, T): shape (T - 1,)."""
    return (mel[..., 1:] - mel[..., :-1]).abs().mean(-2)


def click_track(bpm: float, seconds: float, sample_rate: int = SAMPLE_RATE) -> torch.Tensor:
    """Decaying noise bursts on every beat of ``bpm``, the first at the clip's start."""
    audio = torch.zeros(round(seconds * sample_rate))
    burst = torch.randn(800, generator=torch.Generator().manual_seed(1)) * torch.exp(-torch.arange(800) / 120.0)
    for start in np.arange(0, seconds, 60 / bpm):
        first = round(start * sample_rate)
        audio[first : first + 800] += burst[: len(audio) - first]
    return 0.5 * audio / audio.abs().max()


def reading_tempo(pipe) -> list:
    """``pipe``, changed in place to a U-Net that reads a stated tempo (the music embedding and beat-phase channels, as
    the music model's); the list its U-Net's ``class_labels`` are appended to at every call."""
    from latentaudio.conditioning import with_beat_channels, with_pitch_embedding

    pipe.unet = with_beat_channels(with_pitch_embedding(pipe.unet, music=True))
    pipe.register_to_config(pitch_conditioning=True)
    labels = []
    pipe.unet.register_forward_pre_hook(lambda module, args, kwargs: labels.append(kwargs["class_labels"]), with_kwargs=True)
    return labels

