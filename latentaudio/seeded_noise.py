"""PyTorch's seeded Gaussian noise, drawn with NumPy: a seed gives the same sound with or without torch.

The pipelines draw their starting noise (and a stochastic sampler's per-step noise) from a CPU
``torch.Generator().manual_seed(seed)``; :class:`TorchNormalStream` draws the same numbers, in the
same order, without importing torch, so the ONNX Runtime generator of :mod:`latentaudio.standalone`
gives the sound the PyTorch pipeline gives for a seed.

A CPU generator is a 32-bit Mersenne Twister (MT19937) seeded with the seed's low 32 bits, as
NumPy's ``RandomState`` seeds it. ``torch.randn`` of float32 with at least 16 elements fills the
tensor with uniforms ``(u & (2**24 - 1)) / 2**24`` of consecutive 32-bit outputs, then turns each
block of 16 into normals by Box-Muller, pairing element ``j`` with ``j + 8`` (the radius from
``1 - u_j``, the angle from ``u_{j+8}``); when the count is not a multiple of 16 the last 16
elements are drawn again and transformed as one more block. PyTorch computes the logarithm and the
trigonometry in single precision with vectorised approximations, so the two agree to a few units
in the last place, not bit for bit (tested against torch at several shapes and seeds).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

SEED_BITS = 0xFFFFFFFF  # the Mersenne Twister takes the seed's low 32 bits


class TorchNormalStream:
    """Successive ``torch.randn(shape, generator=torch.Generator().manual_seed(seed))`` draws (float32).

    Args:
        seed (`int`): The generator's seed, 0 to 2**64 - 1.
    """

    def __init__(self, seed: int):
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
            raise ValueError(f"seed={seed!r} is not a seed: expected an integer from 0 to 2**64 - 1.")
        self._twister = np.random.RandomState(int(seed) & SEED_BITS)

    def _uniforms(self, count: int) -> np.ndarray:
        raw = self._twister.randint(0, 2**32, size=count, dtype=np.uint32)  # the twister's 32-bit outputs, in order
        return ((raw & np.uint32(2**24 - 1)).astype(np.float64) / 2**24).astype(np.float32)

    @staticmethod
    def _box_muller(blocks: np.ndarray) -> np.ndarray:
        """Blocks (n, 16) of uniforms → normals, element j paired with j + 8."""
        u1, u2 = 1.0 - blocks[:, :8], blocks[:, 8:]
        radius = np.sqrt(-2.0 * np.log(u1))
        theta = np.float32(2.0 * math.pi) * u2
        return np.concatenate([radius * np.cos(theta), radius * np.sin(theta)], axis=1).astype(np.float32)

    def randn(self, shape: Sequence[int]) -> np.ndarray:
        """The next ``torch.randn(shape)`` of this generator (at least 16 elements)."""
        shape = tuple(int(size) for size in shape)
        count = math.prod(shape)
        if count < 16:
            raise ValueError(f"shape {shape} has {count} elements; torch draws fewer than 16 another way, which this does not follow.")
        data = self._uniforms(count)
        whole = count // 16 * 16
        data[:whole] = self._box_muller(data[:whole].reshape(-1, 16)).reshape(-1)
        if count % 16:
            tail = self._uniforms(16)  # the last 16 elements are drawn again and transformed together
            data[count - 16 :] = self._box_muller(tail[None]).reshape(-1)
        return data.reshape(shape)
