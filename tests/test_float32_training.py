"""float32 end to end: a training step of the benchmark's MLP (small sizes) keeps every
parameter, activation, gradient and optimizer state in float32, on every backend."""

import functools

import numpy as np
import pytest

import minigrad
from minigrad import F, nn, optim


def _mlp():
    return nn.Sequential(
        nn.Dense(16, activation="relu", in_features=12), nn.Dropout(0.2),
        nn.Dense(16, activation="relu"), nn.Dropout(0.2),
        nn.Dense(3),
    )


def _batch(device, n=8):
    rng = np.random.default_rng(0)
    x = minigrad.to_device(rng.random((n, 12), dtype=np.float32), device)
    y = minigrad.to_device(rng.integers(0, 3, n), device)
    return x, y


def _is_f32(a):
    return str(a.dtype).endswith("float32")


@pytest.mark.parametrize("name", ["adam", "sgd", "rmsprop"])
def test_explicit_loop_step_is_float32_throughout(name, device):
    model = _mlp().to(device)
    x, y = _batch(device)
    activations = []
    h = x
    for layer in model:  # the layers one by one, so every activation is seen
        h = layer(h)
        activations.append(h)
    loss = F.softmax_cross_entropy(h, y)
    activations.append(loss)
    opt = optim.get_optimizer(name, model.parameters(), lr=0.01)
    opt.zero_grad()
    loss.backward()
    grads = [p.grad for p in model.parameters()]
    opt.step()
    assert all(_is_f32(a) for a in activations), [str(a.dtype) for a in activations]
    assert len(grads) == 6 and all(g is not None and _is_f32(g) for g in grads)
    assert all(_is_f32(p) for p in model.parameters())
    for state in opt.state.values():
        assert all(_is_f32(v) for v in state.values() if hasattr(v, "dtype"))


def test_fit_keeps_float32(device):
    model = _mlp().to(device)
    model.compile(optimizer=functools.partial(optim.Adam, lr=1e-3, flush_subnormals=2),
                  loss="softmax_cross_entropy")
    x, y = _batch(device, n=32)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)  # 8 steps, 4 flushes
    assert all(_is_f32(p) for p in model.parameters())
    for state in model.optimizer.state.values():
        assert state["step"] == 8
        assert _is_f32(state["exp_avg"]) and _is_f32(state["exp_avg_sq"])
    out = model.predict(x)
    assert out.dtype == np.float32 and np.all(np.isfinite(out))
