"""Caption alignment: refit the text projection so that every wording of a sound lands where the
caption the U-Net learnt it by does.

A U-Net trained on one caption template answers that template well and a user's own words
("steinway, c4, mellow" for "a soft acoustic grand piano note, C4") much worse: the frozen
sentence encoder puts the two near each other, but not near enough for a U-Net that has only ever
seen the template's point. Datasets from ``latentaudio data soundfont --captions-per-clip K`` carry
both: ``text``, the canonical caption, and ``captions``, K wordings of the same sound from many
templates, synonyms, nicknames and note spellings. With a mean-pooled encoder the projection is one
linear map ``y = W x + b`` of the (normalised) sentence embedding ``x``, so refitting it is a ridge
regression with a closed form: over every training caption ``c`` of every clip,

    minimise  Σ ‖W x_c + b − (W₀ x_text + b₀)‖²  +  λ ‖[W b] − [W₀ b₀]‖²

where ``(W₀, b₀)`` is the projection the U-Net was trained with, so the targets are exactly the
states it knows. The canonical captions are among the inputs (they stay where they were) and the
empty caption — classifier-free guidance's unconditional prompt — enters with the weight of a
whole split, so guidance keeps its reference. ``λ`` is chosen on the validation split's captions
from a grid (the error of unseen clips' wordings against their targets), never on test prompts.
Nothing else in the pipeline changes; it takes seconds once the captions are encoded.

    latentaudio train align-captions --model DIR --data DIR --output DIR
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Sequence

import torch

from ..atomic import write_text

logger = logging.getLogger(__name__)

RIDGE_GRID = (1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0)
RECORD_FILE = "caption_alignment.json"


def _caption_pairs(rows: list[dict]) -> tuple[list[str], list[str]]:
    """(wording, canonical caption) for every caption of ``rows``, the canonical one included."""
    inputs, targets = [], []
    for row in rows:
        for caption in dict.fromkeys([row["text"], *(row.get("captions") or [])]):
            inputs.append(caption)
            targets.append(row["text"])
    return inputs, targets


def fit_projection(x: torch.Tensor, y: torch.Tensor, weight: torch.Tensor, start: torch.Tensor, ridge: float) -> torch.Tensor:
    """Weighted ridge regression toward ``start``: the (in + 1, out) matrix ``A`` minimising
    Σ wᵢ ‖[xᵢ 1] A − yᵢ‖² + ridge · N · ‖A − start‖², in float64."""
    x1 = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1).double()
    w = weight.double()[:, None]
    gram = x1.T @ (w * x1) + ridge * float(weight.sum()) * torch.eye(x1.shape[1], dtype=torch.float64)
    return torch.linalg.solve(gram, x1.T @ (w * y.double()) + ridge * float(weight.sum()) * start.double())


def align_captions(model, data, output, text_states=None, ridges: Sequence[float] = RIDGE_GRID, batch_size: int = 256,
                   log=None) -> dict:
    """Refit ``model``'s text projection on ``data``'s caption wordings (see the module docstring)
    and save the pipeline to ``output``; returns the record also written to ``output/caption_alignment.json``.

    Encoding the captions is nearly all the work (tens of thousands of wordings through the frozen
    encoder). ``text_states`` names a caption states file (``latentaudio data embed-captions``) to
    read them from; when the file does not exist yet it is written first, so the next alignment on
    the same dataset and encoder skips the encoder.

    Raises:
        ValueError: The pipeline has no mean-pooling text projection, the dataset's rows carry no
            ``captions`` lists, or it has no train or validation rows.
    """
    from ..data.report import scan_folder
    from ..conditioning import mean_pooled
    from ..loading import load_pipeline
    from .text_states import CaptionStateTable, encoder_states, save_caption_states

    log = log or logger.info
    entries, _ = scan_folder(data)
    rows = [{**entry.columns, "text": entry.text} for entry in entries]
    if not any(row.get("captions") for row in rows):
        raise ValueError(f"{data} has no 'captions' column of several wordings per clip; build it with "
                         "`latentaudio data soundfont --captions-per-clip 8`.")
    splits = {name: [row for row in rows if row.get("split") == name] for name in ("train", "validation")}
    if not all(splits.values()):
        raise ValueError(f"{data} needs train and validation rows; it has {', '.join(f'{k}: {len(v)}' for k, v in splits.items())}.")
    pipe = load_pipeline(model, runtime="torch")
    projection = pipe.text_projection
    if not mean_pooled(projection):
        raise ValueError(f"{model} has no mean-pooling text projection to align (pooling must be 'mean').")

    # 1. every distinct caption through the frozen encoder, pooled (and normalised) as the projection sees it
    pairs = {name: _caption_pairs(split) for name, split in splits.items()}
    captions = sorted({c for inputs, targets in pairs.values() for c in inputs + targets} | {""})
    if text_states is not None and not Path(text_states).is_file():
        log(f"encoding {len(captions):,} captions into {text_states}")
        save_caption_states(pipe, captions, text_states)
    if text_states is not None:
        states, _ = CaptionStateTable(text_states, projection.config.in_features)(captions, "cpu")
    else:
        log(f"encoding {len(captions):,} captions")
        with torch.no_grad():
            states, _ = encoder_states(pipe, captions, "cpu", batch_size)
    pooled = states[:, 0].float()
    index = {caption: i for i, caption in enumerate(captions)}
    start = torch.cat([projection.proj.weight.T, projection.proj.bias[None]]).detach().double()  # (in + 1, out)

    def project(matrix, names):
        x = pooled[[index[n] for n in names]].double()
        return torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1) @ matrix

    def error(matrix, inputs, known) -> float:  # mean squared distance to the states the U-Net knows
        return float(((project(matrix, inputs) - known) ** 2).sum(1).mean())

    # 2. fit on the train split for each ridge, keep the one with the lowest validation error
    train_inputs, train_targets = pairs["train"]
    x = pooled[[index[c] for c in train_inputs + [""]]]
    y = project(start, train_targets + [""])
    weight = torch.ones(len(x))
    weight[-1] = len(train_inputs)  # the unconditional prompt weighs as much as all the rest
    val_inputs, val_targets = pairs["validation"]
    val_known = project(start, val_targets)
    scores = {}
    for ridge in ridges:
        scores[ridge] = error(fit_projection(x, y, weight, start, ridge), val_inputs, val_known)
        log(f"ridge {ridge:g}: validation error {scores[ridge]:.4f}")
    best = min(scores, key=scores.get)
    fitted = fit_projection(x, y, weight, start, best)

    # 3. the new projection, and what it changed
    with torch.no_grad():
        projection.proj.weight.copy_(fitted[:-1].T.float())
        projection.proj.bias.copy_(fitted[-1].float())
    record = {
        "data": str(data),
        "text_states": None if text_states is None else str(text_states),
        "train_captions": len(train_inputs),
        "validation_captions": len(val_inputs),
        "ridge": best,
        "validation_error": {"before": error(start, val_inputs, val_known), "after": scores[best]},
        "validation_error_by_ridge": {f"{k:g}": v for k, v in scores.items()},
        "canonical_captions_moved": error(fitted, val_targets, val_known),
        "unconditional_moved": float(((project(fitted, [""]) - project(start, [""])) ** 2).sum()),
    }
    log(f"validation error {record['validation_error']['before']:.4f} -> {record['validation_error']['after']:.4f} (ridge {best:g})")
    pipe.save_pretrained(output)
    write_text(Path(output) / RECORD_FILE, json.dumps(record, indent=2) + "\n")
    return record

