"""Variable, Function and the backward engine."""
import gc
import os
import threading
import weakref

import numpy as np
import pytest

import minigrad
from minigrad import F, Function, Parameter, Variable


def test_variable_properties_and_repr(device):
    x = Variable(np.ones((2, 3), np.float32), name="x", device=device)
    assert x.shape == (2, 3) and x.ndim == 2 and x.size == 6 and len(x) == 2
    assert str(x.dtype).endswith("float32") and x.device == device
    assert "name='x'" in repr(x) and "float32" in repr(x)
    assert x.requires_grad and x.grad is None and x.creator is None and x.generation == 0


def test_conversion_rule_for_python_data():
    assert Variable(1.5).dtype == np.float32
    assert Variable([[1.0, 2.0]]).dtype == np.float32
    assert Variable([1, 2]).dtype == np.int64 and not Variable([1, 2]).requires_grad
    assert Variable(np.zeros(2)).dtype == np.float64  # arrays keep their dtype


@pytest.mark.parametrize("bad", ["text", None, object(), {"a": 1}, np.array(["a"])])
def test_non_numeric_data_is_a_type_error(bad):
    with pytest.raises(TypeError, match="(str|NoneType|object|dict|<U1)"):
        Variable(bad)


def test_integer_data_has_no_gradient():
    with pytest.raises(TypeError, match="int64"):
        Variable(np.arange(3), requires_grad=True)
    x = Variable(np.arange(3))
    with pytest.raises(RuntimeError, match="does not require gradients"):
        (x * 2).backward()


def test_backward_under_no_grad_says_so():
    x = Variable(np.ones(3))
    with minigrad.no_grad():
        y = (x * 2).sum()
    assert y.creator is None
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


def test_comparisons_give_plain_boolean_arrays(device):
    x = Variable(np.array([1.0, 2.0, 3.0]), device=device)
    for mask in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert not isinstance(mask, Variable) and str(mask.dtype).endswith("bool")


def test_generation_order_visits_each_function_once():
    calls = []

    class Probe(Function):
        def forward(self, x):
            return x

        def backward(self, gy):
            calls.append(self)
            return gy

    x = Variable(np.array(2.0))
    a = Probe()(x)
    y = F.square(a) + F.exp(a)  # a is used twice: Probe must run after both uses
    y.backward()
    assert len(calls) == 1
    assert x.grad.item() == pytest.approx(2 * 2 + np.exp(2))


def test_deep_graph_needs_no_recursion():
    x = Variable(np.array(1.0))
    y = x
    for _ in range(5000):
        y = y + 1e-3
    y.backward()
    assert x.grad.item() == 1.0


def test_gradient_of_reused_variable_is_not_mutated_in_place():
    x = Variable(np.array([1.0, 2.0]))
    (x * 3).sum().backward()
    first = x.grad
    held = first.data.copy()
    (x * 5).sum().backward()
    np.testing.assert_array_equal(first.data, held)  # the old gradient array is untouched
    np.testing.assert_array_equal(x.grad.numpy(), [8.0, 8.0])


def test_intermediate_gradients_dropped_unless_retained():
    x = Variable(np.array(3.0))
    h = x * 2
    y = h * h
    y.backward()
    assert h.grad is None and y.grad is None and x.grad.item() == 24.0
    x.cleargrad()
    h = x * 2
    y = h * h
    y.backward(retain_grad=True)
    assert h.grad.item() == 12.0 and x.grad.item() == 24.0


def test_second_derivative_with_create_graph():
    x = Variable(np.array(2.0))
    y = x**3
    y.backward(create_graph=True)
    gx = x.grad
    assert gx.creator is not None and gx.item() == 12.0
    x.cleargrad()
    gx.backward()
    assert x.grad.item() == 12.0  # d2/dx2 x^3 = 6x


def test_newton_method_minimises_quartic():
    """f(x) = x^4 - 2x^2 from x = 2 reaches the minimum x = 1 in under 10 steps."""
    x = Variable(np.array(2.0))
    for step in range(10):
        y = x**4 - 2 * x**2
        x.cleargrad()
        y.backward(create_graph=True)
        gx = x.grad
        x.cleargrad()
        gx.backward()
        x.data = x.data - gx.data / x.grad.data
        if abs(x.item() - 1.0) < 1e-6:
            break
    assert abs(x.item() - 1.0) < 1e-6 and step < 9


def test_functional_grad_leaves_grad_attributes_alone():
    x, w = Variable(np.array(3.0)), Variable(np.array(4.0))
    gx, gw = minigrad.grad(x * w, [x, w])
    assert gx.item() == 4.0 and gw.item() == 3.0 and x.grad is None and w.grad is None
    (ggx,) = minigrad.grad(minigrad.grad(x**3, x, create_graph=True)[0], x)
    assert ggx.item() == 18.0


def test_no_graph_for_inputs_that_do_not_require_grad():
    c = Variable(np.ones(3), requires_grad=False)
    x = Variable(np.ones(3))
    y = F.dense(c.reshape(1, 3), x.reshape(3, 1))
    assert y.creator.needs_input_grad == (False, True)
    y.backward()
    assert c.grad is None and x.grad is not None


def test_weak_references_free_intermediates():
    x = Variable(np.ones(10))
    y = F.exp(x)
    func = y.creator
    del y
    gc.collect()
    assert func.output is None


def test_backward_frees_the_graph_and_a_second_pass_says_why():
    """As PyTorch: each node drops its saved state once it has passed its gradient
    on, so the intermediates die with the pass; going through again raises."""
    x = Variable(np.linspace(-1.0, 1.0, 7))
    h = F.exp(x * 2.0)
    alive = weakref.ref(h)
    y = F.sum(h * h)
    del h
    assert alive() is not None  # the graph holds it until backward
    y.backward()
    assert alive() is None
    np.testing.assert_allclose(x.grad.numpy(), 4.0 * np.exp(4.0 * x.numpy()))
    with pytest.raises(RuntimeError, match=r"retain_graph=True"):
        y.backward()


def test_retain_graph_keeps_it_for_another_pass():
    x = Variable(np.linspace(-1.0, 1.0, 7))
    y = F.sum(F.exp(x * 2.0))
    y.backward(retain_graph=True)
    first = x.grad.numpy()
    y.backward()  # accumulates into x.grad, then frees
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    z = F.sum(F.tanh(x))
    z.backward(create_graph=True)  # create_graph keeps the graph by default
    z.backward(create_graph=True)


def test_gradients_reach_leaves_through_intermediates_only_the_graph_holds():
    """The engine holds each pending gradient's Variable: released consumers no
    longer do, and their producers must still find the gradient."""
    rng = np.random.default_rng(0)
    W = [Variable(rng.standard_normal((4, 4))) for _ in range(3)]
    x = rng.standard_normal((5, 4))
    grads = []
    for retain in (False, True):
        for w in W:
            w.cleargrad()
        h = Variable(x)
        for w in W:
            h = F.tanh(F.matmul(h, w))
        F.sum(h).backward(retain_graph=retain)
        grads.append([w.grad.numpy() for w in W])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_memory_does_not_grow_over_repeated_backward():
    """200 ops over a 1 MB array, forward and backward 50 times: no growth."""
    x = Variable(np.ones(250_000, dtype=np.float32))

    def run():
        y = x
        for i in range(200):
            y = y + 1.0 if i % 2 else y * 1.0001
        y.sum().backward()
        x.cleargrad()

    run()
    gc.collect()
    variables_before = sum(type(o) is Variable for o in gc.get_objects())
    rss_before = _rss_bytes()
    for _ in range(50):
        run()
    gc.collect()
    assert sum(type(o) is Variable for o in gc.get_objects()) <= variables_before
    assert _rss_bytes() - rss_before < 20_000_000  # one leaked run would hold ~400 MB


def test_config_is_local_to_each_thread():
    seen = {}

    def worker():
        seen["thread"] = minigrad.is_grad_enabled()

    with minigrad.no_grad():
        t = threading.Thread(target=worker)
        t.start()
        t.join()
        assert not minigrad.is_grad_enabled()
    assert seen["thread"] and minigrad.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = Variable(np.ones(2))
    with minigrad.no_grad():
        with minigrad.enable_grad():
            y = x * 2
    assert y.creator is not None


def test_mixing_devices_names_both():
    a = Variable(np.ones(2))
    b = Variable(np.ones(2), device="strict")
    with pytest.raises(ValueError, match="cpu.*strict"):
        a + b
    c = Variable(np.ones(2), device="strict:1")
    with pytest.raises(ValueError, match="strict.*strict:1"):
        b * c


def test_to_device_round_trip():
    x = Variable(np.arange(3.0))
    s = x.to("strict")
    assert s.device == "strict" and s.requires_grad
    np.testing.assert_array_equal(s.to("cpu").numpy(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(minigrad.to_device(s, "cpu").numpy(), [0.0, 1.0, 2.0])
    assert x.to("cpu") is x


def test_broadcast_shape_error_names_op_and_shapes():
    with pytest.raises(ValueError, match=r"Add: .*\(2, 3\), \(4,\)"):
        Variable(np.ones((2, 3))) + Variable(np.ones(4))


def test_parameter_is_a_variable_with_trainable_alias():
    p = Parameter(np.ones(2, np.float32))
    assert isinstance(p, Variable) and p.trainable
    p.trainable = False
    assert not p.requires_grad


def test_uninitialized_parameter_says_so_until_materialized(device):
    p = Parameter(name="W")
    assert not p.is_initialized and p.requires_grad and p.grad is None
    assert repr(p) == "Parameter(<uninitialized>, name='W')"
    assert p.regularizer is None and p.constraint is None
    for read in (lambda: p.data, lambda: p.shape, lambda: p.dtype, lambda: p.device,
                 lambda: p + 1, lambda: F.sum(p)):
        with pytest.raises(RuntimeError, match="Parameter 'W' is not initialized yet.*in_features"):
            read()
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        p.missing
    data = Variable(np.arange(3, dtype=np.float32), device=device).data
    assert p.materialize(data) is p and p.is_initialized and p.data is data
    assert p.shape == (3,) and p.device == device
    with pytest.raises(RuntimeError, match="already has data of shape \\(3,\\)"):
        p.materialize(data)


def test_materialize_checks_what_it_is_given():
    with pytest.raises(TypeError, match="expected a backend array, got list"):
        Parameter().materialize([1.0])
    with pytest.raises(TypeError, match="int64 data cannot require gradients"):
        Parameter(name="k").materialize(np.arange(2))
    frozen = Parameter(requires_grad=False).materialize(np.arange(2))
    assert not frozen.requires_grad
    with pytest.raises(TypeError, match="takes its dtype and device from the array"):
        Parameter(None, dtype="float32")


def test_detach_and_item_and_numpy(device):
    x = Variable(np.array([2.0]), device=device)
    d = (x * 3).detach()
    assert d.creator is None and not d.requires_grad and d.item() == 6.0
    assert isinstance(x.numpy(), np.ndarray)


def test_backward_with_explicit_gradient():
    x = Variable(np.array([1.0, 2.0]))
    y = x * x
    y.backward(np.array([1.0, 0.5]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    with pytest.raises(ValueError, match="shape"):
        (x * x).backward(np.ones(3))


def test_numpy_scalars_become_arrays():
    x = Variable(np.float32(0.5))
    assert isinstance(x.data, np.ndarray) and x.shape == ()
    assert isinstance(F.tanh(x).data, np.ndarray)
