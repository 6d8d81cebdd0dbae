"""Optimizers made on a lazy model before its first call train every parameter."""

import numpy as np
import pytest

from minigrad import F, Variable, nn, optim

MODELS = {
    # the case of issue 20: only the first layer knows its input size
    "half_lazy": (lambda: nn.Sequential(nn.Dense(16, in_features=20), nn.Dense(2)), (8, 20)),
    "lazy_mlp": (lambda: nn.Sequential(nn.Dense(16, activation="prelu"), nn.BatchNorm(),
                                       nn.Dense(2)), (8, 20)),
    "lazy_conv": (lambda: nn.Sequential(nn.Conv2D(3, 2), nn.BatchNorm(), nn.Flatten(),
                                        nn.Dense(2)), (8, 1, 5, 5)),
}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("make_optimizer", [optim.Adam, optim.SGD], ids=["adam", "sgd"])
def test_an_optimizer_made_before_the_first_call_trains_every_parameter(name, make_optimizer,
                                                                        device):
    make, shape = MODELS[name]
    model = make().to(device)
    opt = make_optimizer(model.parameters(), lr=0.1)
    opt.step()  # nothing has data or a gradient yet: nothing happens, no state is made
    assert opt.state == {}
    x = Variable(np.random.default_rng(0).standard_normal(shape).astype(np.float32),
                 device=device)
    loss = F.mean((model(x) - 1.0) ** 2)
    before = {n: p.numpy().copy() for n, p in model.named_parameters()}
    loss.backward()
    opt.step()
    unchanged = [n for n, p in model.named_parameters() if np.array_equal(p.numpy(), before[n])]
    assert unchanged == []
    assert len(opt.state) == len(before)  # state made for each, once it had data


def test_an_optimizer_made_before_loading_trains_what_was_loaded():
    make, shape = MODELS["lazy_mlp"]
    trained = make()
    trained(np.ones(shape, dtype=np.float32))
    model = make()
    opt = optim.Adam(model.parameters(), lr=0.1)
    model.load_state_dict(trained.state_dict())
    F.sum(model(np.ones(shape, dtype=np.float32)) ** 2).backward()
    opt.step()
    for (n, p), q in zip(model.named_parameters(), trained.parameters()):
        assert not np.array_equal(p.numpy(), q.numpy()), n


def test_a_repeated_lazy_parameter_is_named_in_the_error():
    model = nn.Dense(3)
    with pytest.raises(ValueError, match="parameter 'W' \\(uninitialized\\) is given more than"):
        optim.SGD([model.W, model.W], lr=0.1)
