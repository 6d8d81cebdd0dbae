"""What the tools share: models from factories, optimizers from specs, restoring state."""
import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.training.tools.common import make_model, make_optimizer, preserved
from tests.training.helpers import compiled_mlp, mlp, weights


def test_preserved_restores_weights_gradients_flags_and_random_state(device, rng):
    model = mlp(device, dropout=0.5)
    x = minigrad.Variable(minigrad.to_device(rng.normal(size=(4, 3)).astype(np.float32),
                                             device))
    model(x).sum().backward()
    grads = [p.grad for p in model.parameters()]
    before = weights(model)
    opt = optim.Adam(model.parameters(), lr=0.1)
    draw = minigrad.backend.get_backend(device)
    with preserved(model, opt):
        expected = minigrad.backend.to_numpy(draw.uniform((3,)))
        opt.step()
        model.eval()
        opt.lr = 1.0
    assert [p.grad for p in model.parameters()] == grads
    after = weights(model)
    for key in before:
        np.testing.assert_array_equal(before[key], after[key], err_msg=key)
    assert all(m.training for m in model.modules())
    assert opt.lr == 0.1 and not opt.state
    np.testing.assert_array_equal(minigrad.backend.to_numpy(draw.uniform((3,))), expected)


def test_make_optimizer_from_each_kind_of_spec():
    model = compiled_mlp()
    model(np.zeros((1, 3), np.float32))
    assert isinstance(make_optimizer("t", model, "sgd"), optim.SGD)
    assert isinstance(make_optimizer("t", model, optim.RMSprop), optim.RMSprop)
    assert isinstance(make_optimizer("t", model, None), optim.Adam)       # the compile choice
    assert make_optimizer("t", model, None).defaults["variant"] == "keras"  # a name: Keras'
    assert make_optimizer("t", model, "rmsprop").lr == 1e-3
    unbound = optim.Adam(lr=0.5)
    assert make_optimizer("t", model, unbound) is unbound and unbound.param_groups
    with pytest.raises(ValueError, match="unknown optimizer 'sdg'"):
        make_optimizer("t", model, "sdg")
    with pytest.raises(TypeError, match="returned int"):
        make_optimizer("t", model, lambda params: 3)
    with pytest.raises(TypeError, match="got float"):
        make_optimizer("t", model, 0.1)
    with pytest.raises(ValueError, match="t: 4 of the 4 parameters of the SGD given are not"):
        make_optimizer("t", model, optim.SGD(mlp().parameters(), lr=0.1))


def test_make_model_checks_what_it_gets():
    model = mlp()
    assert make_model("t", model) is model
    assert make_model("t", mlp) is not model
    with pytest.raises(TypeError, match="expected a Module or a function"):
        make_model("t", 3)
