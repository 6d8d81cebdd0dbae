"""The data ``fit``, ``evaluate`` and ``predict`` accept, turned into loaders and batch Variables.

Arrays (numpy or any backend) and Variables with samples on the first axis,
a ``Dataset``, or a ``DataLoader``; batches land on the model's device and
floating data take the model's float dtype (float64 input to a float32 model
is cast, so float32 stays float32 end to end). Integer and bool features take
it too, as a float layer would cast them (Keras does); integer targets stay
integers (class labels).
"""
from __future__ import annotations

import numbers

from minigrad import backend
from minigrad.core import Variable
from minigrad.data.dataset import ArrayDataset, Dataset, as_data
from minigrad.data.loader import DataLoader
from minigrad.data.splits import validation_split as split_last

_DEFAULT_BATCH = 32


def make_loader(op, x, y, batch_size, shuffle, device, name="x"):
    """A DataLoader over arrays ``x``, ``y`` (or a Dataset), or ``x`` itself if it is one."""
    if isinstance(x, DataLoader):
        if y is not None or batch_size is not None:
            raise ValueError(f"{op}: {name} is a DataLoader, which gives the targets and the batch "
                             f"size; pass no y and no batch_size")
        return x
    size = _DEFAULT_BATCH if batch_size is None else batch_size
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"{op}: batch_size must be a positive integer, got {batch_size!r}")
    if isinstance(x, Dataset):
        if y is not None:
            raise ValueError(f"{op}: {name} is a Dataset, which gives the targets; pass no y")
        return DataLoader(x, size, shuffle=shuffle, device=device)
    dataset = ArrayDataset(*as_arrays(op, x, y, name))
    return DataLoader(dataset, size, shuffle=shuffle, device=device)


def as_arrays(op, x, y, name="x"):
    if x is None:
        raise ValueError(f"{op}: no input data ({name} is None)")
    arrays = [as_data(x, None, op)]
    if y is not None:
        target = as_data(y, backend.device_of(arrays[0]), op)
        if target.shape[0] != arrays[0].shape[0]:
            raise ValueError(f"{op}: {name} has {arrays[0].shape[0]} samples but its targets have "
                             f"{target.shape[0]}; they must match along the first axis")
        arrays.append(target)
    return arrays


def fit_loaders(model, x, y, batch_size, validation_split, validation_data, shuffle):
    device = model.device
    if isinstance(validation_split, bool) or not isinstance(validation_split, numbers.Real) \
            or not (validation_split == 0 or 0 < validation_split < 1):
        raise ValueError(f"fit: validation_split must be a fraction in (0, 1), or 0 for none, "
                         f"got {validation_split!r}")
    if y is None and not isinstance(x, (Dataset, DataLoader)):
        raise ValueError("fit: y (the targets) is required with array inputs")
    val = None
    if validation_split:
        if validation_data is not None:
            raise ValueError("fit: give validation_split or validation_data, not both")
        if isinstance(x, (Dataset, DataLoader)):
            raise ValueError("fit: validation_split needs arrays x and y; with a Dataset or "
                             "DataLoader pass validation_data")
        (x, y), (xv, yv) = split_last(*as_arrays("fit", x, y), split=validation_split)
        val = make_loader("fit", xv, yv, batch_size, False, device, "validation data")
    elif validation_data is not None:
        val = _validation_loader(validation_data, batch_size, device)
    return make_loader("fit", x, y, batch_size, shuffle, device), val


def _validation_loader(data, batch_size, device):
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        return make_loader("fit", data, None, batch_size, False, device, "validation_data")
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError("fit: validation_data must be a pair (x_val, y_val), a Dataset or a "
                         f"DataLoader, got {type(data).__name__}"
                         + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else ""))
    return make_loader("fit", data[0], data[1], batch_size, False, device, "validation_data")


def float_dtype(model):
    """The dtype of the model's first floating parameter that has data (lazy
    layers not built yet have none), else the device's default float."""
    for p in model.parameters():
        if p.is_initialized and backend.is_floating(p.dtype, p.xp):
            return p.dtype
    return backend.default_float_dtype(backend.get_backend(model.device).xp)


def _as_variable(array, device, dtype, features):
    """A batch array as a constant Variable on ``device``; floating data, and
    integer or bool ``features``, take ``dtype``."""
    array = backend.to_device(array, device)
    xp = backend.namespace(array)
    if (features or backend.is_floating(array.dtype, xp)) and array.dtype != dtype:
        array = xp.astype(array, dtype)
    return Variable(array, requires_grad=False)


def split_batch(batch, device, dtype):
    """``(x, y)`` Variables from a batch (a tuple ``(x, y, ...)`` or ``x`` alone)."""
    if isinstance(batch, (tuple, list)):
        x = _as_variable(batch[0], device, dtype, features=True)
        return x, (_as_variable(batch[1], device, dtype, False) if len(batch) > 1 else None)
    return _as_variable(batch, device, dtype, features=True), None
