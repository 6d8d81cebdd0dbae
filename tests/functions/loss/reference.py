"""numpy references for the loss tests, written from the formulas PyTorch and Keras
document, and the input makers the gradient cases share."""
import numpy as np

from minigrad import Variable

LABELS = np.array([0, 2, 1, 2])
LOGITS = np.array([[2.0, -1.0, 0.5], [0.1, 0.2, 0.3], [-3.0, 4.0, 1.0], [0.0, 0.0, 5.0]])


def on(device, a, dtype=np.float64):
    a = np.asarray(a)
    return Variable(a.astype(dtype) if a.dtype.kind == "f" else a, device=device)


def labels(*values):
    values = np.array(values or LABELS)
    return lambda rng: values


def probabilities(*shape, axis=1):
    def make(rng):
        p = rng.uniform(0.2, 1.0, shape)
        return p / p.sum(axis=axis, keepdims=True)
    return make


def uniform(*shape, low=0.1, high=0.9):
    return lambda rng: rng.uniform(low, high, shape)


def log_softmax(x, axis=1):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def torch_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", eps=0.0):
    """torch.nn.CrossEntropyLoss as its documentation states it: per element
    l = -sum_c w_c T_c log softmax(x)_c with T = (1 - eps) t + eps / C, ignored
    labels giving 0; the mean divides by sum w_(y_i) over the labels not ignored,
    or by the element count for probability targets."""
    axis = 1 if x.ndim > 1 else 0
    c = x.shape[axis]
    logp = log_softmax(x, axis)
    w = np.ones(c) if weight is None else np.asarray(weight, float)
    w_shape = [1] * x.ndim
    w_shape[axis] = c
    wb = w.reshape(w_shape)
    t = np.asarray(t)
    if t.dtype.kind in "iu":
        keep = t != ignore_index
        safe = np.where(keep, t, 0)
        T = (1 - eps) * np.moveaxis(np.eye(c)[safe], -1, axis) + eps / c
        losses = -(wb * T * logp).sum(axis) * keep
        denominator = (w[safe] * keep).sum()
    else:
        losses = -(wb * ((1 - eps) * t + eps / c) * logp).sum(axis)
        denominator = losses.size
    return {"none": losses, "sum": losses.sum(), "mean": losses.sum() / denominator}[reduction]


def keras_categorical_crossentropy(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    """keras.losses.categorical_crossentropy: renormalise, clip to [1e-7, 1 - 1e-7]."""
    c = p.shape[axis]
    t = t * (1 - label_smoothing) + label_smoothing / c
    if from_logits:
        return -(t * log_softmax(p, axis)).sum(axis)
    q = np.clip(p / p.sum(axis=axis, keepdims=True), 1e-7, 1 - 1e-7)
    return -(t * np.log(q)).sum(axis)


def keras_binary_crossentropy(t, p, from_logits=False, label_smoothing=0.0, axis=-1):
    t = t * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        p = 1 / (1 + np.exp(-p))
    q = np.clip(p, 1e-7, 1 - 1e-7)
    return (-(t * np.log(q) + (1 - t) * np.log(1 - q))).mean(axis)
