"""Generation without PyTorch: one ONNX graph from a prompt's tokens to the waveform, run by ONNX Runtime.

A shell user pays for start-up on every ``latentaudio generate``: importing torch, diffusers and
transformers alone takes longer than a few-step model takes to generate a clip on two cores.
``latentaudio export MODEL --standalone`` (:func:`latentaudio.export.export_standalone`) traces the
pipeline's own text-to-audio path (text encoder and projection, every sampler step of the model's
default sampling with its U-Net calls, the VAE decoder and the vocoder) into one graph, and writes
``MODEL/standalone/`` (for an embedded model, ``latentaudio export default --standalone``, the
same folder in the user's cache: :func:`export_folder`):

- ``model.onnx``: the graph, already optimised by ONNX Runtime (so a session opens in a fraction of
  the time), with inputs ``input_ids`` and ``attention_mask`` (1, L) of the prompt (and
  ``negative_input_ids``, ``negative_attention_mask`` of the empty prompt when the model guides with
  an unconditional pass), ``noise`` (draws, 1, C, frames, bins): the starting latent, then each
  draw a stochastic sampler makes, in order, and for a pitch-conditioned model ``pitch`` (1, 16 or 208,
  ``config.json``'s ``pitch_features``): the features of the note, and of the instrument, the prompt
  states (:mod:`latentaudio.note_features`); output: the waveform
  (1, frames · samples per frame);
- ``tokenizer.json``: the pipeline's tokenizer as a ``tokenizers`` file, padding and truncation set
  as the pipeline's text conditioner sets them;
- ``config.json``: the sampling the graph holds (steps, guidance), the lengths it takes, the pipeline's
  ``prompt_template`` (the prompt is rewritten into it before tokenising, as the pipeline does), the
  ``shortest_pass_frames`` a request is generated in (its ``shortest_pass_length_in_s``), and the
  SHA-256 of every weight file and of the ``model_index.json`` it was exported from, so a graph never
  outlives its weights or its pipeline's settings.

:class:`StandaloneGenerator` runs it with NumPy, ONNX Runtime and ``tokenizers`` only, and draws its
noise with :class:`~latentaudio.seeded_noise.TorchNormalStream`: a seed gives the sound the PyTorch
pipeline gives for ``generator=torch.Generator().manual_seed(seed)``, to float rounding.
``latentaudio generate`` takes this path by itself whenever it can: the model's own steps and
guidance, no negative prompt or sampler change, a length up to what the U-Net denoises in one
pass, on the CPU in float32; everything else loads the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .lengths import cut_fade, latent_frames, length_in_samples, pass_frames
from .model_folder import hash_file
from .seeded_noise import TorchNormalStream

PathLike = Union[str, os.PathLike]
FOLDER = "standalone"  # inside a pipeline folder
GRAPH_FILE, TOKENIZER_FILE, CONFIG_FILE = "model.onnx", "tokenizer.json", "config.json"
FORMAT = 2  # of config.json; a graph written under another format is not run (2: takes within full scale)


def cache_root() -> Path:
    """Where latentaudio keeps what it builds for the embedded models: ``$LATENTAUDIO_CACHE``, else
    ``latentaudio`` under ``$XDG_CACHE_HOME`` (default ``~/.cache``)."""
    if os.environ.get("LATENTAUDIO_CACHE"):
        return Path(os.environ["LATENTAUDIO_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "latentaudio"


def export_folder(model_folder: PathLike) -> Path:
    """Where the standalone export of the pipeline folder ``model_folder`` lives: inside it
    (``MODEL/standalone/``), or for an embedded model, which is part of the installed package, in
    the user's cache (:func:`cache_root`, ``standalone/<folder name>``)."""
    from . import EMBEDDED_MODELS

    folder = Path(model_folder).resolve()
    if any(folder == Path(embedded).resolve() for embedded in EMBEDDED_MODELS.values()):
        return cache_root() / FOLDER / folder.name
    return Path(model_folder) / FOLDER


class StandaloneUnavailable(ValueError):
    """A pipeline folder has no standalone graph this version can run, or its weights changed since the export."""


def file_digest(path: PathLike) -> str:
    """SHA-256 of one file."""
    return hash_file(hashlib.sha256(), path).hexdigest()


def one_pass_seconds(config: dict) -> float:
    """The longest length a standalone export (its ``config``) generates: what the U-Net denoises in one pass."""
    return config["max_frames"] * config["samples_per_latent_frame"] / config["sample_rate"]


def read_config(model_folder: PathLike) -> dict:
    """The standalone export's ``config.json`` of a pipeline folder, checked current.

    Raises:
        StandaloneUnavailable: There is none, it is of another format, or a weight file it was exported
            from has changed or gone (``sources``: file → SHA-256, paths relative to the pipeline folder
            or absolute for weights outside it, such as a packaged text encoder's).
    """
    folder = export_folder(model_folder)
    try:
        config = json.loads((folder / CONFIG_FILE).read_text())
    except (OSError, ValueError):
        raise StandaloneUnavailable(f"{model_folder} has no standalone export (`latentaudio export {model_folder} --standalone`).") from None
    if config.get("format") != FORMAT:
        raise StandaloneUnavailable(f"{folder} was written in format {config.get('format')!r}; this version runs format {FORMAT}.")
    for name, expected in config["sources"].items():
        path = Path(model_folder) / name
        if not path.is_file() or file_digest(path) != expected:
            raise StandaloneUnavailable(f"{path} changed since {folder} was exported; `latentaudio export {model_folder} "
                                        "--standalone` renews it.")
    return config


class StandaloneGenerator:
    """Text to audio from a standalone export, with NumPy, ONNX Runtime and ``tokenizers`` only.

    Use :meth:`from_pretrained`; calling it is like calling the pipeline with its default sampling.

    Attributes:
        config (`dict`): The export's ``config.json``.
        sample_rate (`int`): Of the audio it writes.
        default_audio_length_in_s, max_audio_length_in_s (`float`): The U-Net's clip, and the longest
            length one pass denoises (longer lengths need the pipeline's windows).
    """

    def __init__(self, folder: PathLike, config: dict, session, tokenizer):
        self.folder, self.config, self.session, self.tokenizer = Path(folder), config, session, tokenizer
        self.sample_rate = config["sample_rate"]
        self.default_audio_length_in_s = config["default_audio_length_in_s"]
        self.max_audio_length_in_s = one_pass_seconds(config)

    @classmethod
    def from_pretrained(cls, model_folder: PathLike, threads: Optional[int] = None, config: Optional[dict] = None) -> "StandaloneGenerator":
        """Open the standalone export of the pipeline folder ``model_folder``.

        Args:
            threads (`int`, *optional*): ONNX Runtime's threads (default: its own choice, the cores).
            config (`dict`, *optional*): What :func:`read_config` returned for the folder, if it was read already.

        Raises:
            StandaloneUnavailable: See :func:`read_config`; or ``onnxruntime`` or ``tokenizers`` is missing.
        """
        config = config or read_config(model_folder)
        try:
            import onnxruntime
            from tokenizers import Tokenizer
        except ImportError as error:
            raise StandaloneUnavailable(f"The standalone generator needs {error.name} (pip install {error.name}).") from None
        folder = export_folder(model_folder)
        options = onnxruntime.SessionOptions()
        # The graph was optimised when it was exported; optimising it again costs more time at every
        # start than it saves (the layout passes gained nothing measurable on the 2-core CPU).
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL
        options.inter_op_num_threads = 1
        if threads:
            options.intra_op_num_threads = threads
        session = onnxruntime.InferenceSession(str(folder / GRAPH_FILE), options, providers=["CPUExecutionProvider"])
        return cls(model_folder, config, session, Tokenizer.from_file(str(folder / TOKENIZER_FILE)))

    def num_samples(self, audio_length_in_s: Optional[float]) -> int:
        """``audio_length_in_s`` (default: the U-Net's clip) in samples, checked against what one pass denoises."""
        if audio_length_in_s is None:
            audio_length_in_s = self.default_audio_length_in_s
        shortest = self.config["samples_per_latent_frame"] / self.sample_rate
        return length_in_samples(audio_length_in_s, self.sample_rate, shortest, self.max_audio_length_in_s,
                                 "the longest length the standalone graph denoises in one pass")

    def _tokens(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        encoding = self.tokenizer.encode(text)
        return np.asarray([encoding.ids], np.int64), np.asarray([encoding.attention_mask], np.int64)

    def __call__(self, prompt: str, audio_length_in_s: Optional[float] = None, num_waveforms_per_prompt: int = 1,
                 seed: int = 0) -> np.ndarray:
        """Generate ``num_waveforms_per_prompt`` takes of ``prompt``.

        Args:
            prompt (`str`): What to generate.
            audio_length_in_s (`float`, *optional*): Length in seconds, up to :attr:`max_audio_length_in_s`;
                defaults to the U-Net's clip. The output has exactly ``round(audio_length_in_s * sample_rate)`` samples.
            num_waveforms_per_prompt (`int`, defaults to 1): Takes; their noise is the rows of one draw,
                as the pipeline draws it for that many takes.
            seed (`int`, defaults to 0): The seed of the pipeline's ``torch.Generator`` this matches.

        Returns:
            `np.ndarray`: Float32 waveforms (takes, samples).
        """
        if not isinstance(prompt, str):
            raise ValueError(f"prompt must be a string, got {prompt!r}.")
        if isinstance(num_waveforms_per_prompt, bool) or not isinstance(num_waveforms_per_prompt, int) or num_waveforms_per_prompt < 1:
            raise ValueError(f"num_waveforms_per_prompt must be a positive integer, got {num_waveforms_per_prompt!r}.")
        num_samples = self.num_samples(audio_length_in_s)
        config = self.config
        own_frames = latent_frames(num_samples, config["samples_per_latent_frame"], config["frame_multiple"])
        frames = pass_frames(num_samples, config["samples_per_latent_frame"], config["frame_multiple"],
                             config.get("shortest_pass_frames", 0))
        stream = TorchNormalStream(seed)
        shape = (num_waveforms_per_prompt, config["latent_channels"], frames, config["latent_bins"])
        draws = np.stack([stream.randn(shape) for _ in range(config["noise_draws"])])  # in the pipeline's order
        from .prompts import template_caption

        # what the text encoder and the structured features read: the prompt as the pipeline's TemplateConditioner
        # rewrites it for a take this long
        read = template_caption(prompt, config.get("prompt_template"), num_samples / self.sample_rate)
        feeds = dict(zip(("input_ids", "attention_mask"), self._tokens(read)))
        if config["negative_prompt"]:
            feeds.update(zip(("negative_input_ids", "negative_attention_mask"), self._tokens("")))
        if config.get("pitch_conditioning"):
            from .note_features import PITCH_FEATURES, prompt_features

            # exports written before the instrument's features took none: the note's alone
            feeds["pitch"] = prompt_features([read], config.get("pitch_features") or PITCH_FEATURES)
        # One take at a time: every row of the pipeline's batch is denoised independently of the others.
        takes = [self.session.run(None, {**feeds, "noise": np.ascontiguousarray(draws[:, row : row + 1])})[0][0]
                 for row in range(num_waveforms_per_prompt)]
        audio = np.stack(takes)[:, :num_samples]
        audio = np.pad(audio, ((0, 0), (0, num_samples - audio.shape[1]))).astype(np.float32)
        if frames > own_frames:  # cut from a longer pass: faded out as the pipeline fades it
            fade = np.asarray(cut_fade(self.sample_rate, num_samples), np.float32)
            audio[:, num_samples - len(fade) :] *= fade
        return audio


def runs_call(config: dict, num_inference_steps: Optional[int], guidance_scale: Optional[float],
              audio_length_in_s: Optional[float]) -> bool:
    """Whether a standalone export (its ``config``) runs a call with these settings (``None``: the model's own):
    its steps and guidance, and a length it denoises in one pass."""
    return (num_inference_steps in (None, config["num_inference_steps"]) and guidance_scale in (None, config["guidance_scale"])
            and (audio_length_in_s is None or audio_length_in_s <= one_pass_seconds(config)))
