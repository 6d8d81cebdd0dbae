"""The CuPy backend's kernel bodies (minigrad.backend.cuda_sources), compiled for the
host and run as CuPy runs them: one call of the body per output index ``i``.

Each is compared bit for bit with the generic form it replaces on the GPU, so
that a machine without a GPU checks the arithmetic and the indexing of the
code the GPU will run (on a GPU, the suite on ``--backend=cupy`` runs the
kernels themselves).
"""
import ctypes
import hashlib
import shutil
import subprocess

import numpy as np
import pytest

from minigrad.backend import cuda_sources, get_backend, philox
from minigrad.backend.base import Backend, UfuncKernels, keep_threshold

_C_TYPES = {"float32": "float", "float64": "double", "int64": "long long",
            "uint64": "unsigned long long", "uint32": "unsigned int", "bool": "bool"}


def _params(spec):
    """(raw, type, name) for each parameter of a CuPy parameter list."""
    for part in spec.split(","):
        words = part.split()
        yield words[0] == "raw", words[-2], words[-1]


def _declaration(k, raw, type_, name, output, kind):
    """The C++ line that makes parameter ``name`` what CuPy's kernel body sees."""
    c_type = "T" if type_ == "T" else _C_TYPES[type_]
    const = "" if output else "const "
    if raw:
        return f"{const}{c_type} *{name} = ({const}{c_type} *)args[{k}];"
    if kind == "scalar":
        return f"const {c_type} {name} = *(const {c_type} *)args[{k}];"
    return f"{const}{c_type} &{name} = (({const}{c_type} *)args[{k}])[i];"


_HARNESS = """
#include <cmath>
#include <cstddef>
using std::exp;
using std::log;
using std::sqrt;
#define __device__
%(preamble)s
typedef %(T)s T;
extern "C" void run(void **args, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; ++i) {
        %(declarations)s
        %(operation)s
    }
}
"""


@pytest.fixture(scope="module")
def compiler():
    found = shutil.which("c++") or shutil.which("g++")
    if found is None:
        pytest.skip("no C++ compiler to check the kernel source with")
    return found


@pytest.fixture(scope="module")
def run_kernel(compiler, tmp_path_factory):
    """``run_kernel(source, *args)`` as ``cupy.ElementwiseKernel(...)(*args)`` runs it:
    numpy arrays for array parameters (non-raw ones of the output's shape), Python
    numbers for scalars; outputs are written in place. Non-raw arrays must all have
    one shape (the harness does not broadcast)."""
    folder = tmp_path_factory.mktemp("cuda_sources")

    def run(source, *args):
        params = [(*p, False) for p in _params(source.in_params)]
        params += [(*p, True) for p in _params(source.out_params)]
        assert len(args) == len(params), source.name
        assert len({a.shape for a, p in zip(args, params)
                    if isinstance(a, np.ndarray) and not p[0]}) == 1, source.name
        kinds = ["array" if isinstance(a, np.ndarray) else "scalar" for a in args]
        t_type = next(a.dtype for a, (_, type_, _, _) in zip(args, params)
                      if type_ == "T" and isinstance(a, np.ndarray))
        for a, (_, type_, name, _) in zip(args, params):
            if isinstance(a, np.ndarray):
                assert a.dtype == (t_type if type_ == "T" else type_), (source.name, name)
        declarations = [_declaration(k, *p, kind) for k, (p, kind) in
                        enumerate(zip(params, kinds))]
        text = _HARNESS % {"T": _C_TYPES[str(t_type)], "operation": source.operation,
                           "preamble": source.preamble,
                           "declarations": "\n        ".join(declarations)}
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        cpp, library = folder / f"{digest}.cpp", folder / f"{digest}.so"
        if not library.exists():
            cpp.write_text(text)
            subprocess.run([compiler, "-O2", "-ffp-contract=off", "-Wall", "-Werror", "-shared",
                            "-fPIC", "-o", str(library), str(cpp)], check=True)
        buffers = []
        for a, (_, type_, _, _) in zip(args, params):
            if isinstance(a, np.ndarray):
                assert a.flags.c_contiguous
                buffers.append(a)
            else:
                buffers.append(np.array([a], t_type if type_ == "T" else type_))
        # as in CuPy, the non-raw arrays decide the number of indices
        size = next(a.size for a, p in zip(args, params) if isinstance(a, np.ndarray) and not p[0])
        pointers = (ctypes.c_void_p * len(buffers))(*(b.ctypes.data for b in buffers))
        ctypes.CDLL(str(library)).run(pointers, ctypes.c_ssize_t(size))
    return run


def _generic(name):
    return getattr(Backend, name).__get__(get_backend("cpu"))


def _bits(a):
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_update_is_the_generic_update_bit_for_bit(run_kernel, dtype):
    rng = np.random.default_rng(0)
    p, m, v, g = (rng.standard_normal(1000).astype(dtype) for _ in range(4))
    v = np.abs(v)
    b1, b2, eps, step = 0.9, 0.999, 1e-8, 1e-3 / (1 - 0.9 ** 3)
    expected = [a.copy() for a in (p, m, v)]
    _generic("adam_update_")(*expected, g, b1, b2, eps, step)
    run_kernel(cuda_sources.ADAM_UPDATE, g, b1, 1.0 - b1, b2, 1.0 - b2, eps, step, p, m, v)
    for got, want in zip((p, m, v), expected):
        np.testing.assert_array_equal(_bits(got), _bits(want))


@pytest.mark.parametrize("kernel, size", [((2, 2), 7), ((3, 2), 9)])
def test_max_pool_grad_is_the_generic_gradient_bit_for_bit(run_kernel, kernel, size):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 3, (2, 3, size, size)).astype(np.float32)  # tied maxima
    (kh, kw), oh, ow = kernel, size // kernel[0], size // kernel[1]
    y = np.stack([x[:, :, i:oh * kh:kh, j:ow * kw:kw] for i in range(kh) for j in range(kw)]
                 ).max(0)
    gy = rng.standard_normal(y.shape).astype(np.float32)
    gx = np.zeros_like(x)
    run_kernel(cuda_sources.MAX_POOL_GRAD, x, np.ascontiguousarray(y), gy, size, size, oh, ow,
               kh, kw, gx)
    expected = _generic("max_pool_grad")(x, y, gy, kernel, kernel, (1, 1))
    np.testing.assert_array_equal(_bits(gx), _bits(expected))


@pytest.mark.parametrize("kernel, stride, dilation, out_size", [
    ((3, 3), (1, 1), (1, 1), (5, 4)),   # overlapping windows
    ((2, 3), (2, 2), (1, 1), (3, 3)),   # overlapping along the width only
    ((2, 2), (3, 3), (1, 1), (3, 2)),   # gaps between the windows
    ((3, 2), (2, 1), (2, 3), (3, 4)),   # dilation
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_col2im_gathers_what_the_generic_strided_adds_sum(run_kernel, kernel, stride, dilation,
                                                         out_size, dtype):
    """Same columns in, the same sums out (in the same order, so to the bit), then
    the whole input gradient as the CuPy backend computes it: one product, one gather."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, stride, dilation, out_size
    padded = (sh * (oh - 1) + dh * (kh - 1) + 2, sw * (ow - 1) + dw * (kw - 1) + 1)  # a spare row
    n, c, n_out = 2, 3, 4
    rng = np.random.default_rng(2)
    cols = rng.standard_normal((n, oh, ow, kh, kw, c)).astype(dtype)
    gathered = np.empty((n, *padded, c), dtype)
    run_kernel(cuda_sources.COL2IM, cols, *padded, c, oh, ow, kh, kw, sh, sw, dh, dw, gathered)
    summed = np.zeros_like(gathered)
    for i in range(kh):
        for j in range(kw):
            summed[:, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                   j * dw:j * dw + sw * (ow - 1) + 1:sw] += cols[:, :, :, i, j]
    np.testing.assert_array_equal(_bits(gathered), _bits(summed))

    g_rows = rng.standard_normal((n * oh * ow, n_out)).astype(dtype)
    W = rng.standard_normal((n_out, c, kh, kw)).astype(dtype)
    cols = np.ascontiguousarray(g_rows @ W.transpose(0, 2, 3, 1).reshape(n_out, -1))
    run_kernel(cuda_sources.COL2IM, cols, *padded, c, oh, ow, kh, kw, sh, sw, dh, dw, gathered)
    expected = _generic("conv_input_grad")(g_rows, W, kernel, stride, dilation, out_size, padded)
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gathered, expected, rtol=tolerance, atol=tolerance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_relu_is_the_generic_bias_and_relu_bit_for_bit(run_kernel, dtype):
    """nan stays nan, and a sum of -0.0 becomes 0, as numpy's maximum makes it."""
    rng = np.random.default_rng(3)
    y = rng.standard_normal((6, 5)).astype(dtype)
    b = rng.standard_normal(5).astype(dtype)
    y[0, 0], y[1, 1] = np.nan, -b[1]
    y[2, 2], b[2] = -0.0, -0.0
    expected = _generic("bias_relu_")(y.copy(), b)
    run_kernel(cuda_sources.BIAS_RELU, np.ascontiguousarray(np.broadcast_to(b, y.shape)), y)
    np.testing.assert_array_equal(_bits(y), _bits(expected))
    assert np.isnan(y[0, 0]) and not np.signbit(y[2, 2])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_mask_is_the_keyed_keep_mask_scaled_bit_for_bit(run_kernel, dtype):
    """What KeyedRandom draws with the keep kernel and Backend.dropout_mask scales, in one
    pass."""
    key, keep_prob, shape = 2**63 + 977, 0.8, (37, 9)
    threshold = keep_threshold(keep_prob)
    mask = np.empty(shape, dtype)
    run_kernel(cuda_sources.DROPOUT_MASK, key, threshold, 1.0 / keep_prob, mask)
    keep = philox.keep_bits(key, mask.size, threshold).reshape(shape)
    expected = np.multiply(keep, 1.0 / keep_prob, dtype=dtype)
    np.testing.assert_array_equal(_bits(mask), _bits(expected))
    assert 0.7 < keep.mean() < 0.9


def _ufunc_kernels(name):
    return getattr(UfuncKernels, name).__get__(get_backend("cpu"))


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-6), (np.float64, 1e-14)])
def test_softmax_nll_is_the_fused_softmax_cross_entropy(run_kernel, dtype, tolerance):
    """Same losses and probabilities as UfuncKernels' form to rounding (the sums run in
    another order); a label outside [0, C) gives nan instead of a read out of bounds."""
    rng = np.random.default_rng(4)
    x = (rng.standard_normal((33, 7)) * 30).astype(dtype)  # large: needs the shift
    labels = rng.integers(0, 7, 33)
    losses, probs = np.empty(33, dtype), np.empty_like(x)
    run_kernel(cuda_sources.SOFTMAX_NLL, x, labels, 7, losses, probs)
    want_losses, want_probs = _ufunc_kernels("softmax_nll")(x, labels)
    np.testing.assert_allclose(losses, want_losses, rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(probs, want_probs, rtol=tolerance, atol=tolerance)
    labels[[3, 5]] = -1, 7
    run_kernel(cuda_sources.SOFTMAX_NLL, x, labels, 7, losses, probs)
    assert np.isnan(losses[[3, 5]]).all() and np.isfinite(np.delete(losses, [3, 5])).all()


@pytest.mark.parametrize("per_row", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_nll_grad_is_the_generic_gradient_bit_for_bit(run_kernel, per_row, dtype):
    rng = np.random.default_rng(5)
    probs = rng.random((21, 6)).astype(dtype)
    labels = rng.integers(0, 6, 21)
    g = rng.random((21, 1)).astype(dtype) if per_row else np.asarray(1 / 21, dtype)
    gx = np.empty_like(probs)
    run_kernel(cuda_sources.SOFTMAX_NLL_GRAD, probs, labels, g.reshape(-1), 6,
               1 if per_row else 0, gx)
    expected = _ufunc_kernels("softmax_nll_grad")(probs, labels, g)
    np.testing.assert_array_equal(_bits(gx), _bits(expected))
