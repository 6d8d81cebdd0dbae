"""nn.fusion: a list of layers applied in order, neighbours fused where a rule says so."""
import numpy as np

import minigrad
from minigrad import Variable, nn
from minigrad.nn import fusion


def _layers(device):
    minigrad.manual_seed(0)
    layers = [nn.Dense(8, activation="relu", in_features=6), nn.Dropout(0.3),
              nn.Dense(8, activation="relu", in_features=8), nn.Dense(3, in_features=8)]
    return [layer.to(device) for layer in layers]


def test_apply_fuses_a_relu_dense_and_its_dropout_with_the_same_numbers(device):
    x = Variable(np.random.default_rng(1).standard_normal((5, 6)).astype(np.float32),
                 device=device)
    layers = _layers(device)
    minigrad.manual_seed(3)
    fused = fusion.apply(layers, x)
    minigrad.manual_seed(3)
    apart = x
    for layer in layers:
        apart = layer(apart)
    names, node = [], fused.creator
    while node is not None:
        names.append(type(node).__name__)
        node = node.inputs[0].creator
    assert names == ["Linear", "LinearReLU", "LinearReLUDropout"]  # output first
    np.testing.assert_array_equal(fused.numpy(), apart.numpy())


def test_apply_without_a_matching_pair_calls_each_layer(device):
    layers = _layers(device)[2:]
    x = Variable(np.ones((2, 8), np.float32), device=device)
    np.testing.assert_array_equal(fusion.apply(layers, x).numpy(), layers[1](layers[0](x)).numpy())
    assert fusion.apply([], x) is x
