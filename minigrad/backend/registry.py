"""Device strings to backends, arrays to their namespace and device."""

from __future__ import annotations

import importlib

import numpy as np  # host-side helpers (to_numpy, lists and scalars)

from minigrad.backend.base import Backend
from minigrad.backend.numpy_backend import NumpyBackend

_FACTORIES = {
    "numpy": ("minigrad.backend.numpy_backend", "NumpyBackend"),
    "strict": ("minigrad.backend.strict_backend", "StrictBackend"),
    "cupy": ("minigrad.backend.cupy_backend", "CupyBackend"),
}
_BACKENDS: dict[str, Backend] = {"numpy": NumpyBackend()}
_BY_TYPE: dict[type, Backend] = {t: _BACKENDS["numpy"] for t in NumpyBackend.array_types}
_SEED: list[int | None] = [None]


def normalize_device(device) -> str:
    """``None`` -> ``"cpu"``; ``"cuda"`` -> ``"cuda:0"``; others checked and returned."""
    if device is None:
        return "cpu"
    if not isinstance(device, str):
        raise TypeError(
            f"device must be a string such as 'cpu', 'cuda:0' or 'strict', got {device!r}"
        )
    if device == "cuda":
        return "cuda:0"
    if device == "strict:0":
        return "strict"
    if device in ("cpu", "strict", "strict:1", "strict:2") or (
        device.startswith("cuda:") and device[5:].isdigit()
    ):
        return device
    raise ValueError(
        f"unknown device {device!r}: expected 'cpu', 'cuda', 'cuda:N', "
        "'strict', 'strict:1' or 'strict:2'"
    )


def _backend_name(device: str) -> str:
    if device == "cpu":
        return "numpy"
    return "cupy" if device.startswith("cuda") else "strict"


def _load(name: str) -> Backend:
    backend = _BACKENDS.get(name)
    if backend is None:
        module, cls = _FACTORIES[name]
        try:
            backend = getattr(importlib.import_module(module), cls)()
        except ImportError as e:
            extra = "gpu" if name == "cupy" else "test"
            raise RuntimeError(
                f"the {name} backend is not available ({e}); install it with "
                f"pip install 'minigrad[{extra}]'"
            ) from e
        if _SEED[0] is not None:
            backend.seed(_SEED[0])
        _BACKENDS[name] = backend
        for t in backend.array_types:
            _BY_TYPE[t] = backend
    return backend


def get_backend(device=None) -> Backend:
    """The backend that computes on ``device``."""
    return _load(_backend_name(normalize_device(device)))


def available_devices() -> list[str]:
    """Devices whose backend can be loaded on this machine: ``"cpu"``, ``"strict"``
    where array-api-strict is installed, and ``"cuda:N"`` for every GPU CuPy sees."""
    found = ["cpu"]
    try:
        get_backend("strict")
        found.append("strict")
    except RuntimeError:
        pass
    try:
        count = get_backend("cuda").xp.cuda.runtime.getDeviceCount()
    except Exception:  # no CuPy, or CuPy without a driver or a device (CUDARuntimeError)
        count = 0
    return found + [f"cuda:{n}" for n in range(count)]


def backend_of(array) -> Backend:
    backend = _BY_TYPE.get(type(array))
    if backend is not None:
        return backend
    if isinstance(array, np.generic):
        _BY_TYPE[type(array)] = _BACKENDS["numpy"]
        return _BACKENDS["numpy"]
    module = type(array).__module__.split(".")[0]
    name = {"array_api_strict": "strict", "cupy": "cupy"}.get(module)
    if name is None:
        raise TypeError(
            f"expected an array of a minigrad backend (numpy, cupy, array-api-strict), "
            f"got {type(array).__name__}"
        )
    return _load(name)


def is_array(obj) -> bool:
    try:
        backend_of(obj)
        return True
    except TypeError:
        return False


def namespace(array):
    """The array-API namespace (``numpy``, ``cupy``, ``array_api_strict``) of ``array``."""
    return backend_of(array).xp


def device_of(array) -> str:
    return backend_of(array).device_of(array)


def check_same_device(op: str, arrays) -> None:
    """Raise ``ValueError`` naming ``op`` and the devices if ``arrays`` live on several."""
    first = arrays[0]
    kind = type(first)
    if kind is np.ndarray and all(type(a) is kind for a in arrays):
        return
    devices = [device_of(a) for a in arrays]
    if any(d != devices[0] for d in devices):
        raise ValueError(
            f"{op}: inputs are on different devices ({', '.join(devices)}); "
            f"move them to one device with .to(device) first"
        )


def to_numpy(array) -> np.ndarray:
    """A host (numpy) copy of ``array``."""
    return backend_of(array).to_numpy(array)


def host_values(*scalars) -> list:
    """0-d arrays of one device as Python floats, read from it in one transfer."""
    return backend_of(scalars[0]).host_values(scalars)


def to_device(array, device):
    """``array`` (any backend, list or scalar) on ``device``."""
    device = normalize_device(device)
    if not is_array(array):
        return get_backend(device).asarray(array, device=device)
    if device_of(array) == device:
        return array
    return get_backend(device).asarray(to_numpy(array), device=device)


def default_float_dtype(xp):
    """minigrad computes in float32 unless data arrive in another float dtype."""
    return xp.float32


def resolve_dtype(dtype, xp):
    """``dtype`` (a name such as ``"float16"``, or a dtype of any backend) as a dtype
    of namespace ``xp``; a TypeError names an unknown one."""
    if isinstance(dtype, str):
        name = dtype
    else:
        name = getattr(dtype, "name", None) or getattr(dtype, "__name__", None)
        name = name or str(dtype).rsplit(".", 1)[-1]  # array-api-strict: "array_api_strict.float32"
    resolved = getattr(xp, name, None)
    try:
        if xp.isdtype(resolved, ("bool", "numeric")):
            return resolved
    except (TypeError, ValueError):
        pass
    raise TypeError(f"unknown dtype {dtype!r} for {xp.__name__} arrays")


def host_array(array, dtype=None, copy=None):
    """``array`` as a numpy array for ``np.asarray`` (``__array__``): CPU data only.

    Data on another device raise a TypeError (as numpy conversion of a CUDA tensor
    does in PyTorch), so a device array is never copied to the host unasked.
    """
    if not isinstance(array, (np.ndarray, np.generic)):
        raise TypeError(
            f"cannot convert data on device {device_of(array)!r} to a numpy array "
            f"implicitly; use .numpy() for a host copy"
        )
    return np.array(array, dtype=dtype, copy=copy)  # copy=None: only if dtype asks for one


def is_floating(dtype, xp) -> bool:
    # isdtype costs about 1 us a call. xp is part of the key: array-api-strict
    # dtypes hash like numpy's and warn when compared with them.
    key = (xp, dtype)
    floating = _FLOATING.get(key)
    if floating is None:
        floating = _FLOATING[key] = bool(xp.isdtype(dtype, "real floating"))
    return floating


_FLOATING: dict = {}


def manual_seed(seed: int) -> None:
    """Seed the random generators of every backend, loaded now or later."""
    _SEED[0] = int(seed)
    for backend in _BACKENDS.values():
        backend.seed(int(seed))


def ensure_array(y):
    """numpy reductions return numpy scalars; make them 0-d arrays like every other backend."""
    if type(y) is np.ndarray or not isinstance(y, np.generic):
        return y
    return np.asarray(y)


def copy(array):
    """A copy of ``array`` on its own device (portable across numpy, CuPy and array-api-strict)."""
    return backend_of(array).copy(array)


def zeros(shape, dtype, like):
    """Zeros of ``shape`` and ``dtype`` on the device of array ``like``."""
    backend = backend_of(like)
    return backend.zeros(shape, dtype, backend.device_of(like))


def as_array(data, dtype=None, device=None):
    """Any supported data as a backend array, by minigrad's conversion rule.

    * backend arrays keep their dtype, and their device unless ``device`` is given;
    * Python scalars, lists and tuples become float32 if they hold floats,
      int64 if they hold only ints, bool if only bools (PyTorch's rule);
    * anything else (strings, objects, ``None``) is a ``TypeError``.
    """
    if is_array(data):
        if isinstance(data, (np.ndarray, np.generic)) and data.dtype.kind not in "biuf":
            raise TypeError(f"cannot compute on an array of dtype {data.dtype}: expected numbers")
        data = ensure_array(data)
        if device is not None:
            data = to_device(data, device)
        if dtype is not None and data.dtype != dtype:
            data = namespace(data).astype(data, dtype)
        return data
    if not isinstance(data, (bool, int, float, list, tuple)):
        raise TypeError(
            f"cannot make an array of {type(data).__name__}: expected a numpy/cupy/"
            f"array-api array, a Python number, or a (nested) list of numbers"
        )
    host = np.asarray(data)
    if host.dtype.kind not in "biuf":
        raise TypeError(f"cannot make a numeric array from data of dtype {host.dtype}")
    if host.dtype == np.float64 and dtype is None:
        host = host.astype(np.float32)
    backend = get_backend(device)
    return backend.asarray(host, dtype=dtype, device=normalize_device(device))


def host_generator(seed: int) -> Backend:
    """A private, seeded numpy backend whose random methods leave the global seed alone."""
    generator = NumpyBackend()
    generator.seed(seed)
    return generator
