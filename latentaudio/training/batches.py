"""Training batches that a resumed run replays exactly, on any number of processes.

The data is one endless *stream* of items: epoch ``e`` visits every clip once in a permutation
drawn from ``(seed, e)``. A run's data position is the number of stream items consumed so far,
so a checkpoint stores one integer and a resumed run continues from the very next item. Global
batch ``g`` is the ``batch_size x num_processes`` items from ``g x`` that size on; process ``r``
takes its ``r``-th slice. (Sharding here, rather than through ``accelerator.prepare(dataloader)``,
keeps the position exact with any process count and no prefetching state to restore.)

Randomness inside a dataset (random crops) is made a function of the item alone: each item is
read with torch's RNG seeded from ``(seed, epoch, index)`` and the caller's RNG state put back,
so neither worker layout nor resuming changes a crop, and the training RNG is not consumed.
"""

from __future__ import annotations

import logging
from typing import Iterator, Optional

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Subset

from ..data.folder import AudioFolderDataset, collate_audio

logger = logging.getLogger(__name__)


class StreamBatchSampler:
    """Endless batches of keys ``epoch * len(dataset) + index`` for one process.

    Args:
        size (`int`): Items in the dataset.
        batch_size (`int`): Items per batch on this process.
        seed (`int`): Seeds the permutation of every epoch.
        start (`int`, defaults to 0): Stream position (items, all processes together) to begin at.
        num_processes (`int`, defaults to 1): Processes sharing the stream.
        process_index (`int`, defaults to 0): This process's slice of each global batch.
    """

    def __init__(self, size: int, batch_size: int, seed: int, start: int = 0, num_processes: int = 1,
                 process_index: int = 0):
        self.size, self.batch_size, self.seed = size, batch_size, seed
        self.start, self.num_processes, self.process_index = start, num_processes, process_index
        self._epoch, self._order = None, None

    def key(self, position: int) -> int:
        epoch, offset = divmod(position, self.size)
        if epoch != self._epoch:
            self._epoch, self._order = epoch, np.random.default_rng([self.seed, epoch]).permutation(self.size)
        return epoch * self.size + int(self._order[offset])

    def __iter__(self) -> Iterator[list[int]]:
        position = self.start + self.process_index * self.batch_size
        while True:
            yield [self.key(position + i) for i in range(self.batch_size)]
            position += self.batch_size * self.num_processes


class SeededItems(Dataset):
    """Reads ``dataset[index]`` for a stream key with torch's RNG seeded from ``(seed, epoch, index)``."""

    def __init__(self, dataset: Dataset, seed: int):
        self.dataset, self.seed = dataset, seed

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: int) -> dict:
        epoch, index = divmod(key, len(self.dataset))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(np.random.SeedSequence([self.seed, epoch, index]).generate_state(1)[0]))
            return self.dataset[index]


def stream_loader(dataset: Dataset, batch_size: int, seed: int, start: int = 0, num_processes: int = 1,
                  process_index: int = 0, num_workers: int = 0) -> DataLoader:
    """An endless DataLoader over the stream from ``start`` (see the module docstring)."""
    sampler = StreamBatchSampler(len(dataset), batch_size, seed, start, num_processes, process_index)
    return DataLoader(
        SeededItems(dataset, seed), batch_sampler=sampler, collate_fn=collate_audio, num_workers=num_workers,
        # Its own generator: creating the iterator must not draw from the training RNG.
        generator=torch.Generator().manual_seed(seed), persistent_workers=num_workers > 0,
    )


def ordered_batches(dataset: Dataset, batch_size: int) -> DataLoader:
    """One pass in file order, for validation and statistics."""
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=collate_audio)


def to_device(batch: dict, device: torch.device) -> dict:
    return {key: value.to(device) if isinstance(value, torch.Tensor) else value for key, value in batch.items()}


def repeated(dataset: AudioFolderDataset, rows: list[int], repeats: dict) -> list[int]:
    """``rows`` of ``dataset`` with each row whose metadata matches ``repeats`` listed that many times.

    ``repeats`` maps a metadata column to ``{value: times}``: ``{"family": {"Drums": 4}}`` trains each
    drum clip four times per epoch, a way to balance a class that has few clips (kohya's ``num_repeats``
    does the same per folder). Values compare as text, so ``{"program": {0: 2}}`` matches 0 and "0".
    A row matched under two columns takes the larger count.

    Raises:
        ValueError: A column or value that no row of ``rows`` has (a typo would silently train unbalanced).
    """
    times = [1] * len(rows)
    for column, times_by_value in repeats.items():
        values = [str(dataset.entries[row].columns.get(column)) for row in rows]
        for value, count in times_by_value.items():
            matched = [k for k, found in enumerate(values) if found == str(value)]
            if not matched:
                present = sorted(set(values) - {"None"})[:12]
                raise ValueError(f"repeats: no training row has {column}={value!r}; "
                                 f"{f'its values include {present}' if present else f'no row has a {column!r} column'}.")
            for k in matched:
                times[k] = max(times[k], count)
            logger.info("repeats: %d training rows with %s=%r, %d times each.", len(matched), column, value, count)
    return [row for row, count in zip(rows, times) for _ in range(count)]


def split_datasets(root, config, validation: bool = True, **dataset_kwargs) -> tuple[Dataset, Optional[Dataset]]:
    """The training clips (a ``Subset``, rows repeated per ``config.repeats``) and, when asked and present,
    the validation clips of an audiofolder.

    With a ``split`` column in the metadata, training uses the rows of ``config.train_split`` and
    validation those of ``config.validation_split``; without one, every file trains and nothing
    validates. Validation clips always start at 0 (no random crop) and carry no latents.

    Args:
        root: The audiofolder.
        config (`TrainingConfig`): Supplies ``random_crop`` and the split names.
        validation (`bool`): Also build the validation set.
        dataset_kwargs: Passed to :class:`~latentaudio.data.AudioFolderDataset`.
    """
    crop = config.random_crop and dataset_kwargs.get("vae") is None  # cached latents are of the clip at 0
    full = AudioFolderDataset(root, random_crop=crop, sample_captions=True, **dataset_kwargs)  # `captions` rows vary
    splits = [entry.columns.get("split") for entry in full.entries]
    split = config.train_split in splits
    if not split:
        logger.info("No rows with split=%r in %s: training on all %d files.", config.train_split, root, len(full))
    rows = [i for i, name in enumerate(splits) if not split or name == config.train_split]
    train = Subset(full, repeated(full, rows, config.repeats))
    if not (split and validation and config.validation_split in splits):
        return train, None
    kwargs = {**dataset_kwargs, "vae": None, "split": config.validation_split}
    return train, AudioFolderDataset(root, random_crop=False, **kwargs)
