"""Data augmentation: random integer translations of whole images.

Shifting happens in raw pixel space, where the empty border is background (0): de-normalise with the training
statistics, shift with zero fill, re-normalise. Because `norm_std` is floored (see `PreparedData`), every output
value is (raw - mean) / std for a raw value of the input or 0, so it stays bounded.
"""

from __future__ import annotations

import numpy as np


def random_shift(
    x: np.ndarray,
    image_shape: tuple[int, int],
    max_shift: int,
    rng: np.random.Generator,
    norm_mean: np.ndarray,
    norm_std: np.ndarray,
) -> np.ndarray:
    """(n, rows*cols) z-scored images -> a new array of the same shape and dtype, each image moved by its own
    (dy, dx) drawn uniformly from [-max_shift, max_shift]**2. `norm_mean`/`norm_std` are (rows*cols,)."""
    n = x.shape[0]
    mean = norm_mean.astype(x.dtype).reshape(image_shape)
    std = norm_std.astype(x.dtype).reshape(image_shape)
    raw = x.reshape(n, *image_shape) * std + mean
    shifts = rng.integers(-max_shift, max_shift + 1, size=(n, 2))
    out = np.zeros_like(raw)
    for dy in range(-max_shift, max_shift + 1):
        for dx in range(-max_shift, max_shift + 1):
            which = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
            if which.size:
                (dst_r, src_r), (dst_c, src_c) = _spans(dy, image_shape[0]), _spans(dx, image_shape[1])
                out[which, dst_r, dst_c] = raw[which, src_r, src_c]
    out -= mean
    out /= std
    return out.reshape(x.shape)


def _spans(shift: int, size: int) -> tuple[slice, slice]:
    """(destination, source) slices that move a length-`size` axis by `shift` (positive = down/right)."""
    if shift >= 0:
        return slice(shift, size), slice(0, size - shift)
    return slice(0, size + shift), slice(-shift, size)
