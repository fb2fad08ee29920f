"""How good a pipeline is, measured on the held-out test split of a General MIDI dataset.

Settings (guidance, steps, which weights to release) are chosen on the validation split instead
(``split="validation"``, ``latentaudio evaluate --split validation``), so that the test prompts are
read once, for the figures a release reports. The two splits then swap roles: the validation clips
give the prompts and the references, and the test clips the floor (:func:`floor_split`).

:func:`evaluate` returns a JSON-ready report with these sections:

``vae``
    Mel reconstruction error of the VAE (posterior mode, encoded and decoded) on the test clips.
``vocoder``
    The pipeline's vocoder and Griffin-Lim, both given the ground-truth mel of each test clip:
    log-mel L1 and multi-resolution STFT distance of their audio to the real audio.
``generation``
    One entry per sampler step count: a clip generated for every test caption, the Fréchet
    distance of their embeddings to those of the real test clips, the share the classifier assigns
    to the prompted family and, for pitched prompts, the share within one semitone of the prompted note.
``ceiling``
    The real test clips scored the same way (what a perfect generator would reach).
``reconstruction``
    The real test clips encoded by the VAE, decoded and vocoded, scored the same way: what a perfect
    U-Net would reach through this pipeline's VAE and vocoder.
``floor``
    The Fréchet distance from real validation clips to the real test clips: what two samples of
    real audio differ by. There are as many validation clips as test clips when the split is
    large enough (``limit``); otherwise all of them, and the smaller set makes the floor a little
    higher than at equal sizes (``validation_clips`` records how many; ``test_clips`` when the
    validation split gives the prompts).
``baseline``
    ``random_unet``: the same pipeline (VAE, vocoder, text encoder) with its U-Net re-initialised
    from its config, i.e. the model diffusion training starts from, at the fewest steps asked for.

The report holds measurements, not verdicts: ``benchmarks/default_model_targets.py`` holds the
default-model issue's targets and checks a report against them.

The embedding and classifier are an :class:`~latentaudio.evaluation.classifier.AudioFamilyClassifier`
trained on the training split. Every clip, real or generated, is ``seconds`` long (the model's
native clip unless told otherwise); real clips are the first ``seconds`` of each file, its onset.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch

from .. import __version__
from ..atomic import write_text
from ..audio_io import PathLike
from ..codec import MelCodec
from ..data import gm
from .classifier import AudioFamilyClassifier, classify_clips, family_breakdown
from ..metrics import estimate_pitch, frechet_distance, mel_errors, waveform_distances, within_semitone

REPORT_FORMAT = "latentaudio-evaluation/1"
HELD_OUT_SPLITS = ("test", "validation")  # the splits an evaluation can generate from; each is the other's floor
# Families whose captions name a note; percussive hits, sound effects and drums are unpitched.
PITCHED_FAMILIES = frozenset(family.name for family in gm.FAMILIES if family.noun == "note")
RECONSTRUCTION_DESCRIPTION = (
    "real test clips through the pipeline's VAE (posterior mode) and vocoder: what a perfect U-Net reaches"
)
BASELINE_DESCRIPTION = (
    "random_unet: this pipeline with its U-Net re-initialised from its own config (seeded), keeping the "
    "trained VAE, vocoder and text encoder: where diffusion training starts from"
)


@dataclass
class HeldOutClips:
    """Real clips of one split with what their captions promise."""

    audio: torch.Tensor  # (N, L) at the pipeline's sample rate
    texts: list[str]
    families: list[str]
    pitches: list[Optional[int]]  # the prompted MIDI note; None for unpitched families

    def __len__(self) -> int:
        return len(self.texts)


def load_clips(data_dir: PathLike, split: str, seconds: float, sample_rate: int, limit: Optional[int] = None) -> HeldOutClips:
    """The first ``seconds`` of every clip of ``split`` (``limit`` of them, evenly spaced over the metadata order).

    Raises:
        ValueError: The split is missing or the metadata has no ``family`` column.
    """
    from ..data import AudioFolderDataset

    dataset = AudioFolderDataset(data_dir, seconds=seconds, sample_rate=sample_rate, split=split)
    if "family" not in dataset.entries[0].columns:
        raise ValueError(f"{data_dir} has no 'family' column; evaluate needs a dataset built by `latentaudio data soundfont`.")
    indices = evenly_spaced(len(dataset), limit)
    items = [dataset[i] for i in indices]
    return HeldOutClips(
        audio=torch.stack([item["audio"] for item in items]),
        texts=[item["text"] for item in items],
        families=[item["family"] for item in items],
        pitches=[item["pitch"] if item["family"] in PITCHED_FAMILIES else None for item in items],
    )


def evenly_spaced(count: int, limit: Optional[int]) -> list[int]:
    """``limit`` indices spread over ``range(count)`` (all of them without a limit): every program gets a share."""
    if limit is None or limit >= count:
        return list(range(count))
    return sorted({int(i) for i in np.linspace(0, count - 1, limit).round()})


@torch.no_grad()
def score_clips(classifier: AudioFamilyClassifier, clips: HeldOutClips, audio: torch.Tensor, sample_rate: int,
                batch_size: int = 16) -> dict:
    """Embeddings, family adherence and pitch adherence of ``audio`` (N, L), one clip per caption of ``clips``."""
    embeddings, predicted = classify_clips(classifier, audio, sample_rate, batch_size)
    family_hits = [guess == family for guess, family in zip(predicted, clips.families)]
    pitch_hits = [
        within_semitone(estimate_pitch(clip.numpy(), sample_rate), pitch)
        for clip, pitch in zip(audio.float().cpu(), clips.pitches)
        if pitch is not None
    ]
    return {
        "embeddings": embeddings.numpy(),
        "family_accuracy": float(np.mean(family_hits)),
        "pitch_accuracy": float(np.mean(pitch_hits)) if pitch_hits else None,
        **family_breakdown(clips.families, predicted),
    }


@torch.no_grad()
def vae_section(pipe, clips: HeldOutClips, batch_size: int = 16) -> dict:
    """Mel reconstruction error of the VAE (posterior mode) on the clips, in log-mel units."""
    device = pipe._execution_device
    totals = {"mel_l1": 0.0, "mel_mse": 0.0}
    for start in range(0, len(clips), batch_size):
        mel = pipe.spectrogram(clips.audio[start : start + batch_size].to(device))  # (B, n_mels, T)
        reconstruction = pipe.codec.reconstruct(mel)
        for key, value in mel_errors(pipe.spectrogram, reconstruction, mel).items():
            totals[key] += value * len(mel)
    return {"clips": len(clips), **{key: value / len(clips) for key, value in totals.items()},
            "unit": "natural-log mel magnitude"}


@torch.no_grad()
def vocoder_section(pipe, clips: HeldOutClips, batch_size: int = 16) -> dict:
    """The pipeline's vocoder beside Griffin-Lim, both on the ground-truth mels of the clips."""
    from ..builder import griffin_lim_for

    device = pipe._execution_device
    vocoders = {"model": pipe.vocoder, "griffin_lim": griffin_lim_for(pipe.spectrogram).to(device)}
    section = {"clips": len(clips), "model_vocoder": type(pipe.vocoder).__name__}
    for name, vocoder in vocoders.items():
        codec = MelCodec(pipe.spectrogram, pipe.vae, vocoder)
        totals = {"mel_l1": 0.0, "mrstft": 0.0}
        for start in range(0, len(clips), batch_size):
            real = clips.audio[start : start + batch_size].to(device)
            audio = codec.vocode(pipe.spectrogram(real), real.shape[-1])
            for key, value in waveform_distances(pipe.spectrogram, audio, real).items():
                totals[key] += value * len(real)
        section[name] = {key: value / len(clips) for key, value in totals.items()}
    return section


@torch.no_grad()
def reconstruct_clips(pipe, clips: HeldOutClips, batch_size: int = 16) -> torch.Tensor:
    """The clips (N, L) encoded by the VAE, decoded and vocoded: a generation with a perfect U-Net."""
    length = clips.audio.shape[-1]
    return torch.cat([
        pipe.decode(pipe.encode_audio(clips.audio[start : start + batch_size], length), length, "pt").float().cpu()
        for start in range(0, len(clips), batch_size)
    ])


def check_best_of(pipe, best_of: int) -> int:
    """``best_of`` when ``pipe`` can draw that many takes of a prompt and keep the best; else ``ValueError``."""
    if not isinstance(best_of, int) or best_of < 1:
        raise ValueError(f"best_of={best_of!r} must be a positive integer (the takes drawn of each prompt).")
    if best_of > 1 and not pipe.can_rank_takes:
        raise ValueError(f"best_of={best_of} needs a pipeline that ranks its takes (a scorer, or CLAP), and this one "
                         "has none; give it one with `latentaudio train scorer`, or measure single takes.")
    return best_of


def generate_clips(pipe, texts: Sequence[str], steps: int, seconds: float, guidance_scale: float, seed: int,
                   batch_size: int = 8, output_type: str = "pt", best_of: int = 1) -> torch.Tensor:
    """One clip (N, L) per caption (or its mel, (N, n_mels, T), with ``output_type="mel"``); batch ``k`` is
    seeded ``seed + k``, so every step count starts from the same noise. With ``best_of`` K, K takes of each caption
    are drawn and the one the pipeline ranks first is kept, as ``latentaudio generate --best-of K`` writes it (a
    caption the scorer names nothing of keeps its first take)."""
    check_best_of(pipe, best_of)
    audio = []
    for batch, start in enumerate(range(0, len(texts), batch_size)):
        output = pipe(
            list(texts[start : start + batch_size]), num_inference_steps=steps, audio_length_in_s=seconds,
            guidance_scale=guidance_scale, num_waveforms_per_prompt=best_of,
            generator=torch.Generator().manual_seed(seed + batch), output_type=output_type,
        )
        audio.append(output.audios[::best_of].float().cpu())  # each caption's takes come best first
    return torch.cat(audio)


def generate_at_lengths(pipe, texts: Sequence[str], steps: int, lengths: Sequence[float], guidance_scale: float,
                        seed: int, batch_size: int = 8, best_of: int = 1) -> dict[float, torch.Tensor]:
    """:func:`generate_clips` at each of ``lengths`` (the best of ``best_of`` takes), denoising once per pass: lengths
    that the same pass makes (a model's ``shortest_pass_length_in_s`` makes a short request as the start of a whole
    take) share that pass's mels, which the pipeline's own vocode step turns into each length as a request of it would
    (the take kept is the one ranked first at the pass's whole length)."""
    passes: dict[int, list[tuple[float, int]]] = {}
    for length in lengths:
        num_samples = pipe.check_length(length)
        passes.setdefault(pipe.pass_frames_for(num_samples), []).append((length, num_samples))
    takes = {}
    for frames, requests in passes.items():
        if len(requests) == 1:
            length, _ = requests[0]
            takes[length] = generate_clips(pipe, texts, steps, length, guidance_scale, seed, batch_size, best_of=best_of)
            continue
        whole = frames * pipe.samples_per_latent_frame
        mel = generate_clips(pipe, texts, steps, whole / pipe.sample_rate, guidance_scale, seed, batch_size, output_type="mel",
                             best_of=best_of)
        with torch.no_grad():
            for length, num_samples in requests:  # in the pipeline's batches, so each take is the call's own
                takes[length] = torch.cat([pipe.vocode(batch.to(pipe.device), num_samples, "pt").float().cpu()
                                           for batch in mel.split(batch_size)])
    return {length: takes[length] for length in lengths}


def floor_split(split: str) -> str:
    """The split whose real clips give the Fréchet floor when ``split`` gives the prompts: the other held-out one.

    Raises:
        ValueError: ``split`` is not one of :data:`HELD_OUT_SPLITS`.
    """
    if split not in HELD_OUT_SPLITS:
        raise ValueError(f"split={split!r} is not a held-out split; expected one of {', '.join(HELD_OUT_SPLITS)}.")
    return next(other for other in HELD_OUT_SPLITS if other != split)


def random_unet_pipeline(pipe, seed: int = 0):
    """The baseline: ``pipe`` with a freshly initialised U-Net of the same config (see :data:`BASELINE_DESCRIPTION`),
    and every setting ``pipe`` was built with (its template, its one-pass and shortest-pass lengths, its sampling)."""
    import inspect

    from diffusers import UNet2DConditionModel

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        unet = UNet2DConditionModel.from_config(pipe.unet.config).to(pipe.unet.device)
    if unet.dtype != pipe.unet.dtype:
        unet = unet.to(dtype=pipe.unet.dtype)
    accepted = inspect.signature(type(pipe).__init__).parameters
    settings = {name: value for name, value in pipe.config.items() if name in accepted and name not in pipe.components}
    baseline = type(pipe)(**{**pipe.components, "unet": unet.eval()}, **settings)
    baseline.set_progress_bar_config(disable=True)
    return baseline


def evaluate(
    pipe,
    data_dir: PathLike,
    classifier: AudioFamilyClassifier,
    steps: Sequence[int] = (10, 50),
    limit: Optional[int] = None,
    seconds: Optional[float] = None,
    guidance_scale: float = 3.0,
    seed: int = 0,
    batch_size: int = 8,
    model_name: Optional[str] = None,
    classifier_info: Optional[dict] = None,
    log=None,
    baseline: bool = True,
    split: str = "test",
    best_of: int = 1,
) -> dict:
    """Score ``pipe`` on the test split of ``data_dir`` (or ``split``); see the module docstring for the sections.

    Args:
        pipe (`LatentAudioPipeline`): The model to evaluate.
        data_dir: A dataset built by ``latentaudio data soundfont`` (``split``, ``family``, ``pitch`` columns).
        classifier (`AudioFamilyClassifier`): Embedding and family judge, trained on the training split.
        steps (`Sequence[int]`, defaults to (10, 50)): Sampler step counts to generate at.
        limit (`int`, *optional*): At most this many test clips (and prompts, and validation clips),
            evenly spaced over the metadata so every program keeps its share.
        seconds (`float`, *optional*): Clip length; defaults to the model's native clip.
        guidance_scale (`float`, defaults to 3.0): Classifier-free guidance of every generation.
        seed (`int`, defaults to 0): Seeds the generations and the baseline's U-Net.
        batch_size (`int`, defaults to 8): Prompts per pipeline call.
        model_name (`str`, *optional*): What to call the model in the report.
        classifier_info (`dict`, *optional*): Where the classifier came from, recorded as is.
        log: ``log(str)`` for progress lines; silent when `None`.
        baseline (`bool`, defaults to `True`): Also score the random-U-Net baseline (a generation at the
            fewest steps asked for, as long as the model's own); ``False`` leaves the section out.
        split (`str`, defaults to ``"test"``): The held-out split that gives the prompts and references;
            ``"validation"`` to choose settings without the test prompts (the test clips then give the floor).
        best_of (`int`, defaults to 1): Score the best of this many takes of each prompt, as the pipeline ranks them
            (its ``scorer``; ``latentaudio generate --best-of``), the baseline's too; 1 scores single takes.

    Returns:
        `dict`: The report, ready for ``json.dump``.
    """
    # 1. check inputs
    steps = list(dict.fromkeys(steps))
    if not steps or any(not isinstance(n, int) or n < 1 for n in steps):
        raise ValueError(f"steps must be positive integers, got {steps}.")
    if limit is not None and limit < 2:
        raise ValueError(f"limit={limit} is too small: a Fréchet distance needs at least 2 clips.")
    check_best_of(pipe, best_of)
    other = floor_split(split)
    log = log or (lambda message: None)
    seconds = pipe.default_audio_length_in_s if seconds is None else seconds
    pipe.check_length(seconds)
    pipe.set_progress_bar_config(disable=True)
    timings, started = {}, time.time()

    # 2. real clips: test (prompts and references) and validation (the floor), or the other way round
    test = load_clips(data_dir, split, seconds, pipe.sample_rate, limit)
    validation = load_clips(data_dir, other, seconds, pipe.sample_rate, len(test))
    log(f"{len(test)} {split} clips ({sum(p is not None for p in test.pitches)} pitched), "
        f"{len(validation)} {other} clips, {seconds:g} s each")
    report = {
        "format": REPORT_FORMAT,
        "latentaudio_version": __version__,
        "setup": {
            "model": model_name, "data": str(data_dir), "split": split, "clips": len(test),
            "pitched_clips": sum(p is not None for p in test.pitches), "seconds": seconds,
            "sample_rate": pipe.sample_rate, "steps": steps, "guidance_scale": guidance_scale, "seed": seed, "limit": limit,
            "best_of": best_of,
        },
        "embedding": {
            "model": "AudioFamilyClassifier penultimate layer (latentaudio.evaluation.classifier)",
            "dimension": classifier.config.embedding_dim, "labels": classifier.labels, **(classifier_info or {}),
        },
    }

    # 3. components against ground truth
    report["vae"] = vae_section(pipe, test)
    report["vocoder"] = vocoder_section(pipe, test)
    timings["vae_and_vocoder"] = time.time() - started
    log(f"VAE mel L1 {report['vae']['mel_l1']:.3f}; vocoder MR-STFT {report['vocoder']['model']['mrstft']:.3f} "
        f"(Griffin-Lim {report['vocoder']['griffin_lim']['mrstft']:.3f})")

    # 4. ceiling and floor: real clips scored like generations
    real = score_clips(classifier, test, test.audio, pipe.sample_rate)
    real_validation = score_clips(classifier, validation, validation.audio, pipe.sample_rate)
    report["ceiling"] = _summary(real)
    report["floor"] = {"frechet_distance": frechet_distance(real_validation["embeddings"], real["embeddings"]),
                       "split": other, f"{other}_clips": len(validation)}
    scores = score_clips(classifier, test, reconstruct_clips(pipe, test), pipe.sample_rate)
    report["reconstruction"] = {"description": RECONSTRUCTION_DESCRIPTION,
                                "frechet_distance": frechet_distance(scores["embeddings"], real["embeddings"]),
                                **_summary(scores)}

    # 5. generation at every step count, then the baseline at the fewest
    report["generation"] = []
    for count in steps:
        tick = time.time()
        audio = generate_clips(pipe, test.texts, count, seconds, guidance_scale, seed, batch_size, best_of=best_of)
        wall = time.time() - tick
        scores = score_clips(classifier, test, audio, pipe.sample_rate)
        report["generation"].append({
            "steps": count, "frechet_distance": frechet_distance(scores["embeddings"], real["embeddings"]),
            **_summary(scores), "seconds_per_clip": wall / len(test),
        })
        timings[f"generation_{count}_steps"] = time.time() - tick
        log(f"{count} steps: FD {report['generation'][-1]['frechet_distance']:.2f}, "
            f"family {scores['family_accuracy']:.0%}, {wall / len(test):.2f} s per clip")
    if baseline:
        tick = time.time()
        untrained = random_unet_pipeline(pipe, seed)
        audio = generate_clips(untrained, test.texts, min(steps), seconds, guidance_scale, seed, batch_size, best_of=best_of)
        scores = score_clips(classifier, test, audio, pipe.sample_rate)
        report["baseline"] = {
            "name": "random_unet", "description": BASELINE_DESCRIPTION, "steps": min(steps),
            "frechet_distance": frechet_distance(scores["embeddings"], real["embeddings"]), **_summary(scores),
        }
        timings["baseline"] = time.time() - tick

    timings["total"] = time.time() - started
    report["timings_seconds"] = {key: round(value, 2) for key, value in timings.items()}
    return report


def _summary(scores: dict) -> dict:
    return {key: scores[key] for key in ("family_accuracy", "pitch_accuracy", "family_accuracy_by_family", "family_heard_as")}


def common_confusions(heard_as: dict, count: int = 5) -> list[tuple[str, str, int]]:
    """The ``count`` most frequent (asked family, heard family, clips) of a ``family_heard_as`` entry."""
    pairs = [(asked, heard, clips) for asked, guesses in heard_as.items() for heard, clips in guesses.items()]
    return sorted(pairs, key=lambda pair: -pair[2])[:count]


def save_report(report: dict, path: PathLike) -> Path:
    return write_text(path, json.dumps(report, indent=2) + "\n")


def best_of_words(best_of: int) -> str:
    """", the best of 4 takes" for a report of ranked takes; "" for single takes."""
    return "" if best_of == 1 else f", the best of {best_of} takes"


def format_report(report: dict) -> str:
    """The report as Markdown tables, for the terminal and the model card."""
    setup = report["setup"]

    def share(value):
        return "–" if value is None else f"{value:.0%}"

    split = setup.get("split", "test")  # reports written before the option existed are the test split's
    other = floor_split(split)
    lines = [
        f"Evaluation of {setup['model']} on {setup['data']} ({setup['clips']} {split} clips, "
        f"{setup['pitched_clips']} pitched, {setup['seconds']:g} s, guidance {setup['guidance_scale']:g}"
        f"{best_of_words(setup.get('best_of', 1))})",
        "",
        "| generation | Fréchet distance ↓ | family adherence ↑ | pitch within 1 semitone ↑ | s per clip |",
        "|---|---|---|---|---|",
    ]
    for entry in report["generation"]:
        lines.append(f"| {entry['steps']} steps | {entry['frechet_distance']:.2f} | {share(entry['family_accuracy'])} | "
                     f"{share(entry['pitch_accuracy'])} | {entry['seconds_per_clip']:.2f} |")
    ceiling, floor, baseline = report["ceiling"], report["floor"], report.get("baseline")
    lines.append(f"| ceiling: real {split} clips | – | {share(ceiling['family_accuracy'])} | {share(ceiling['pitch_accuracy'])} | – |")
    if "reconstruction" in report:  # reports written before the section existed lack it
        codec = report["reconstruction"]
        lines.append(f"| real {split} clips through VAE and vocoder | {codec['frechet_distance']:.2f} | "
                     f"{share(codec['family_accuracy'])} | {share(codec['pitch_accuracy'])} | – |")
    lines += [
        f"| floor: real {other} vs {split} | {floor['frechet_distance']:.2f} | – | – | – |",
        *([] if baseline is None else [
            f"| baseline: random U-Net, {baseline['steps']} steps | {baseline['frechet_distance']:.2f} | "
            f"{share(baseline['family_accuracy'])} | {share(baseline['pitch_accuracy'])} | – |"]),
        "",
        "| component (ground-truth input) | mel L1 ↓ | MR-STFT ↓ |",
        "|---|---|---|",
        f"| VAE reconstruction | {report['vae']['mel_l1']:.3f} | – |",
        f"| vocoder ({report['vocoder']['model_vocoder']}) | {report['vocoder']['model']['mel_l1']:.3f} | "
        f"{report['vocoder']['model']['mrstft']:.3f} |",
        f"| Griffin-Lim | {report['vocoder']['griffin_lim']['mel_l1']:.3f} | {report['vocoder']['griffin_lim']['mrstft']:.3f} |",
        "",
        *_confusion_lines(report["generation"]),
        f"Mel errors in natural-log mel units. Embedding: {report['embedding']['model']}, "
        f"{report['embedding']['dimension']} dimensions.",
    ]
    return "\n".join(lines)


def _confusion_lines(generation: list[dict]) -> list[str]:
    """One line per step count naming its most frequent family confusions (reports that predate them have none)."""
    lines = []
    for entry in generation:
        pairs = common_confusions(entry.get("family_heard_as") or {})
        if pairs:
            lines += [f"Most frequent family misses at {entry['steps']} steps (asked → heard, clips): "
                      + "; ".join(f"{asked} → {heard} {clips}" for asked, heard, clips in pairs) + ".", ""]
    return lines
