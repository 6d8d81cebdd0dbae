"""Data augmentation for image batches: small random rotations, shifts and mirror images.

Each image is moved by its own rotation about its centre, its own shift and,
optionally, a left-right mirror,
sampled with bilinear interpolation, zeros outside the image. The whole
batch is four gathers (one per interpolation corner) over the flattened
batch, written with array-API operations, so it runs on every backend and
device without a loop over images or pixels.
"""
from __future__ import annotations

import math

from minigrad import backend

__all__ = ["affine", "random_affine"]


def _check_images(op, images):
    if not backend.is_array(images):
        raise TypeError(f"{op}: images must be a backend array, got {type(images).__name__}")
    if images.ndim not in (3, 4):
        raise ValueError(f"{op}: expected images of shape (N, H, W) or (N, C, H, W), "
                         f"got shape {tuple(images.shape)}")
    if not backend.is_floating(images.dtype, backend.namespace(images)):
        raise TypeError(f"{op}: images must be floating point, got dtype {images.dtype}")


def _grid(size, like):
    """0, 1, ..., size - 1 in ``like``'s dtype, on its device."""
    return backend.as_array([float(i) for i in range(size)], dtype=like.dtype,
                            device=backend.device_of(like))


def affine(images, angles, shifts, flips=None):
    """Rotate image n by ``angles[n]`` radians about its centre, then shift it by
    ``shifts[n] = (down, right)`` pixels; bilinear interpolation, zeros outside.
    Where ``flips[n]`` is true, image n is first mirrored left to right.

    Output pixel p (row, column) reads the input at
    M R(-angle) (p - c - shift) + c, c = ((H - 1) / 2, (W - 1) / 2), where R
    turns the image counter-clockwise as displayed (rows pointing down) and M
    negates the column coordinate for a flipped image (the identity otherwise).
    Integer shifts with angle 0 move pixels exactly. ``images``: (N, H, W) or
    (N, C, H, W), floating; ``angles``: (N,); ``shifts``: (N, 2); ``flips``:
    (N,) booleans or None; all on one device. Returns an array of the images'
    shape and dtype.
    """
    _check_images("affine", images)
    n, h, w = images.shape[0], images.shape[-2], images.shape[-1]
    if tuple(angles.shape) != (n,) or tuple(shifts.shape) != (n, 2) or (
            flips is not None and tuple(flips.shape) != (n,)):
        got = f"{tuple(angles.shape)} and {tuple(shifts.shape)}"
        if flips is not None:
            got += f" and flips of shape {tuple(flips.shape)}"
        raise ValueError(f"affine: {n} images need angles of shape ({n},) and shifts of shape "
                         f"({n}, 2), got {got}")
    xp = backend.namespace(images)
    dtype = images.dtype
    angles, shifts = xp.astype(angles, dtype), xp.astype(shifts, dtype)
    cos, sin = xp.reshape(xp.cos(angles), (n, 1, 1)), xp.reshape(xp.sin(angles), (n, 1, 1))
    # output coordinates relative to the centre, shift undone: (N, H, 1) and (N, 1, W)
    u = xp.reshape(_grid(h, images), (1, h, 1)) - (h - 1) / 2 - xp.reshape(shifts[:, 0], (n, 1, 1))
    v = xp.reshape(_grid(w, images), (1, 1, w)) - (w - 1) / 2 - xp.reshape(shifts[:, 1], (n, 1, 1))
    rows = xp.reshape(sin * v + cos * u + (h - 1) / 2, (-1,))   # (N*H*W,) source coordinates
    cols = cos * v - sin * u
    if flips is not None:
        mirror = xp.where(flips, xp.full_like(angles, -1.0), xp.ones_like(angles))
        cols = cols * xp.reshape(mirror, (n, 1, 1))
    cols = xp.reshape(cols + (w - 1) / 2, (-1,))
    # pixels as rows of a (N*H*W, C) table, so one 1-D gather serves every channel
    channels = 1 if images.ndim == 3 else images.shape[1]
    table = xp.reshape(images, (n, channels, h * w))
    table = xp.reshape(xp.permute_dims(table, (0, 2, 1)), (n * h * w, channels))
    base = xp.reshape(xp.astype(_grid(n, images), xp.int64) * (h * w), (n, 1))
    base = xp.reshape(xp.broadcast_to(base, (n, h * w)), (-1,))
    r0, c0 = xp.floor(rows), xp.floor(cols)
    fr, fc = rows - r0, cols - c0
    r0, c0 = xp.astype(r0, xp.int64), xp.astype(c0, xp.int64)
    out = None
    for dr, wr in ((0, 1 - fr), (1, fr)):
        for dc, wc in ((0, 1 - fc), (1, fc)):
            r, c = r0 + dr, c0 + dc
            inside = (r >= 0) & (r < h) & (c >= 0) & (c < w)
            index = base + xp.clip(r, 0, h - 1) * w + xp.clip(c, 0, w - 1)
            weight = xp.where(inside, wr * wc, xp.zeros_like(wr))
            term = xp.take(table, index, axis=0) * xp.reshape(weight, (-1, 1))
            out = term if out is None else out + term
    out = xp.permute_dims(xp.reshape(out, (n, h * w, channels)), (0, 2, 1))
    return xp.reshape(out, tuple(images.shape))


def random_affine(images, degrees=10.0, max_shift=2, flip=False):
    """:func:`affine` with a random angle uniform in [-degrees, degrees] and a
    random whole-pixel shift in {-max_shift, ..., max_shift} per axis, drawn
    for each image from minigrad's generator (``minigrad.manual_seed``); with
    ``flip=True`` each image is also mirrored left to right with probability 1/2.

    Fits ``ArrayDataset(x, y, transform=random_affine)``: the loader hands it
    whole batches. The reference notes name rotations and shifts as a further
    improvement of the MNIST CNN. Mirroring suits data whose classes are
    symmetric (clothes in Fashion-MNIST), not digits.
    """
    _check_images("random_affine", images)
    if degrees < 0 or isinstance(max_shift, bool) or not isinstance(max_shift, int) \
            or max_shift < 0:
        raise ValueError(f"random_affine: degrees must be >= 0 and max_shift an int >= 0, "
                         f"got degrees={degrees!r}, max_shift={max_shift!r}")
    n, device = images.shape[0], backend.device_of(images)
    rng = backend.get_backend(device)
    limit = math.radians(degrees)
    angles = rng.uniform((n,), -limit, limit, images.dtype, device)
    shifts = rng.integers(-max_shift, max_shift + 1, (n, 2), device)
    flips = rng.integers(0, 2, (n,), device) == 1 if flip else None
    return affine(images, angles, shifts, flips)
