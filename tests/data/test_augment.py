import math

import numpy as np
import pytest

import minigrad
from minigrad import backend, data
from minigrad.data.augment import affine, random_affine


def _on(device, a):
    return backend.to_device(np.asarray(a), device)


def _shifted(images, down, right):
    """numpy reference: move each image by whole pixels, zeros coming in."""
    out = np.zeros_like(images)
    h, w = images.shape[-2:]
    for n, (dy, dx) in enumerate(zip(down, right)):
        src = images[n, ..., max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
        out[n, ..., max(dy, 0):h - max(-dy, 0), max(dx, 0):w - max(-dx, 0)] = src
    return out


@pytest.mark.parametrize("shape", [(3, 6, 7), (3, 2, 6, 7)])
def test_whole_pixel_shifts_move_pixels_exactly(device, shape):
    images = np.random.default_rng(0).uniform(size=shape).astype(np.float32)
    shifts = np.array([[1, -2], [0, 0], [-3, 2]])
    out = affine(_on(device, images), _on(device, np.zeros(3, np.float32)), _on(device, shifts))
    assert backend.device_of(out) == device and str(out.dtype).endswith("float32")
    assert tuple(out.shape) == shape
    np.testing.assert_allclose(backend.to_numpy(out), _shifted(images, shifts[:, 0], shifts[:, 1]),
                               atol=1e-6)


def test_quarter_turn_is_a_counter_clockwise_rot90(device):
    images = np.random.default_rng(1).uniform(size=(2, 5, 5)).astype(np.float32)
    angles = np.array([math.pi / 2, -math.pi / 2], np.float32)
    out = backend.to_numpy(affine(_on(device, images), _on(device, angles),
                                  _on(device, np.zeros((2, 2), np.float32))))
    np.testing.assert_allclose(out[0], np.rot90(images[0], 1), atol=1e-5)
    np.testing.assert_allclose(out[1], np.rot90(images[1], -1), atol=1e-5)


def test_small_rotation_interpolates_between_neighbours(device):
    """A constant image stays constant wherever the source lies inside it, and a
    linear ramp is rotated exactly by bilinear interpolation."""
    ones = np.ones((1, 9, 9), np.float32)
    angle = _on(device, np.array([math.radians(10)], np.float32))
    no_shift = _on(device, np.zeros((1, 2), np.float32))
    out = backend.to_numpy(affine(_on(device, ones), angle, no_shift))[0]
    np.testing.assert_allclose(out[2:7, 2:7], 1.0, rtol=1e-5)
    assert out[0, 0] < 1                                     # the corner reads outside the image
    rows = np.arange(9, dtype=np.float32)[:, None] * np.ones(9, np.float32)
    out = backend.to_numpy(affine(_on(device, rows[None]), angle, no_shift))[0]
    i, j = np.meshgrid(np.arange(9), np.arange(9), indexing="ij")
    t = math.radians(10)
    source_row = math.sin(t) * (j - 4) + math.cos(t) * (i - 4) + 4
    np.testing.assert_allclose(out[2:7, 2:7], source_row[2:7, 2:7], atol=1e-4)


def test_random_affine_is_reproducible_and_different_per_image(device):
    images = _on(device, np.ones((6, 1, 10, 10), np.float32))
    minigrad.manual_seed(3)
    first = backend.to_numpy(random_affine(images))
    minigrad.manual_seed(3)
    again = backend.to_numpy(random_affine(images))
    np.testing.assert_array_equal(first, again)
    assert len({first[n].tobytes() for n in range(6)}) > 1
    np.testing.assert_array_equal(
        backend.to_numpy(random_affine(images, degrees=0, max_shift=0)), backend.to_numpy(images))


def test_random_shifts_stay_within_max_shift(device):
    """With no rotation, a single bright pixel lands at most max_shift away, intact."""
    images = np.zeros((50, 9, 9), np.float32)
    images[:, 4, 4] = 1
    out = backend.to_numpy(random_affine(_on(device, images), degrees=0, max_shift=2))
    where = np.argwhere(out == 1)
    assert len(where) == 50 and np.abs(where[:, 1:] - 4).max() == 2
    np.testing.assert_allclose(out.sum(axis=(1, 2)), 1.0)


def test_works_as_a_dataset_transform_on_whole_batches():
    x = np.random.default_rng(0).uniform(size=(10, 1, 8, 8)).astype(np.float32)
    ds = data.ArrayDataset(x, np.arange(10), transform=random_affine)
    (xb, yb), = list(data.DataLoader(ds, batch_size=None))
    assert xb.shape == (10, 1, 8, 8) and yb.tolist() == list(range(10))
    assert not np.array_equal(xb, x)


@pytest.mark.parametrize("images, error, match", [
    (np.zeros((4, 4), np.float32), ValueError, r"expected images of shape \(N, H, W\)"),
    (np.zeros((2, 4, 4), np.uint8), TypeError, "images must be floating point"),
    ([[[0.0]]], TypeError, "images must be a backend array, got list"),
])
def test_bad_images_are_refused(images, error, match):
    with pytest.raises(error, match=f"random_affine: {match}"):
        random_affine(images)


def test_bad_arguments_are_refused():
    images = np.zeros((2, 4, 4), np.float32)
    with pytest.raises(ValueError, match=r"affine: 2 images need angles of shape \(2,\) and "
                                         r"shifts of shape \(2, 2\), got \(3,\) and \(2, 2\)"):
        affine(images, np.zeros(3, np.float32), np.zeros((2, 2)))
    with pytest.raises(ValueError, match="degrees must be >= 0 and max_shift an int >= 0"):
        random_affine(images, degrees=-1)
    with pytest.raises(ValueError, match=r"max_shift=1\.5"):
        random_affine(images, max_shift=1.5)


def test_flip_mirrors_left_to_right_before_the_shift(device):
    images = np.random.default_rng(2).uniform(size=(2, 1, 5, 6)).astype(np.float32)
    flips = _on(device, np.array([True, False]))
    no_turn = _on(device, np.zeros(2, np.float32))
    out = backend.to_numpy(affine(_on(device, images), no_turn,
                                  _on(device, np.zeros((2, 2), np.float32)), flips))
    np.testing.assert_allclose(out[0], images[0, ..., ::-1], atol=1e-6)
    np.testing.assert_allclose(out[1], images[1], atol=1e-6)
    shifts = np.array([[0, 1], [0, 1]])
    out = backend.to_numpy(affine(_on(device, images), no_turn, _on(device, shifts), flips))
    np.testing.assert_allclose(out, _shifted(images[:, :, :, ::-1].copy() * [[[[1]]], [[[0]]]]
                                             + images * [[[[0]]], [[[1]]]], [0, 0], [1, 1]),
                               atol=1e-6)


def test_random_flip_mirrors_about_half_of_the_images(device):
    images = np.random.default_rng(4).uniform(size=(200, 4, 4)).astype(np.float32)
    minigrad.manual_seed(5)
    out = backend.to_numpy(random_affine(_on(device, images), degrees=0, max_shift=0, flip=True))
    mirrored = np.array([np.allclose(o, i[:, ::-1]) for o, i in zip(out, images)])
    unchanged = np.array([np.allclose(o, i) for o, i in zip(out, images)])
    assert np.all(mirrored ^ unchanged)
    assert 70 < mirrored.sum() < 130


def test_affine_names_the_flips_shape(device):
    images = _on(device, np.zeros((3, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"flips of shape \(2,\)"):
        affine(images, _on(device, np.zeros(3, np.float32)),
               _on(device, np.zeros((3, 2), np.float32)), _on(device, np.array([True, False])))
