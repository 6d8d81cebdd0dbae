"""Learning-rate callbacks: LearningRateScheduler, ReduceLROnPlateau, LRSchedulerCallback."""
import functools
import math

import numpy as np
import pytest

from minigrad import Parameter, optim, training
from minigrad.training import LearningRateScheduler, LRSchedulerCallback, ReduceLROnPlateau
from tests.training.fakes import FakeModel, drive
from tests.training.helpers import blobs, compiled_mlp

SGD01 = functools.partial(optim.SGD, lr=0.1)


def _fit(callbacks, epochs=4, n=24, batch_size=8, optimizer=SGD01):
    x, y = blobs(n=n)
    model = compiled_mlp(optimizer=optimizer)
    return model, training.fit(model, x, y, epochs=epochs, batch_size=batch_size,
                               callbacks=callbacks, verbose=0)


def test_learning_rate_scheduler_values():
    """The reference notes' scheduler: constant for 10 epochs, then exp(-0.1) per epoch."""
    def scheduler(epoch, lr):
        return lr if epoch < 2 else lr * np.exp(-0.1)
    _, history = _fit([LearningRateScheduler(scheduler)], epochs=4)
    expected = [0.1, 0.1, 0.1 * math.exp(-0.1), 0.1 * math.exp(-0.2)]
    assert history.history["lr"] == pytest.approx(expected, rel=1e-12)


def test_learning_rate_scheduler_checks_the_value_and_prints(capsys):
    with pytest.raises(ValueError, match=r"schedule\(0, 0.1\) returned None"):
        _fit([LearningRateScheduler(lambda epoch, lr: None)])
    for bad in (-0.1, math.inf, math.nan):
        with pytest.raises(ValueError, match=rf"at epoch 1, schedule\(1, 0.1\) returned {bad}; "
                                             rf"expected a finite number >= 0"):
            _fit([LearningRateScheduler(lambda epoch, lr: lr if epoch == 0 else bad)], epochs=2)
    with pytest.raises(TypeError, match="must be a function"):
        LearningRateScheduler(0.1)
    _fit([LearningRateScheduler(lambda epoch, lr: 0.5 / (epoch + 1), verbose=1)], epochs=2)
    assert "Epoch 2: LearningRateScheduler set the learning rate to 0.25" in capsys.readouterr().out


def test_reduce_lr_on_plateau_after_patience_bad_epochs():
    _, lrs = drive(ReduceLROnPlateau(patience=2, factor=0.5, min_delta=0), [1.0] * 6)
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_reduce_lr_on_plateau_cooldown_min_lr_and_improvement():
    _, lrs = drive(ReduceLROnPlateau(patience=2, factor=0.5, cooldown=2, min_delta=0), [1.0] * 7)
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25]
    _, lrs = drive(ReduceLROnPlateau(patience=1, factor=0.1, min_lr=0.3), [1.0] * 4)
    assert lrs == [1.0, 0.3, 0.3, 0.3]
    _, lrs = drive(ReduceLROnPlateau(patience=1, factor=0.5, min_delta=0.01),
                   [1.0, 0.9, 0.8, 0.795, 0.7])
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5]


def test_reduce_lr_on_plateau_mode_and_arguments(capsys):
    _, lrs = drive(ReduceLROnPlateau(monitor="val_accuracy", patience=1, factor=0.5),
                   [0.5, 0.6, 0.55], key="val_accuracy")
    assert lrs == [1.0, 1.0, 0.5]
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.5)
    with pytest.raises(ValueError, match="patience"):
        ReduceLROnPlateau(patience=-1)
    drive(ReduceLROnPlateau(patience=1, factor=0.5, verbose=1), [1.0, 1.0])
    assert "Epoch 2: ReduceLROnPlateau reduced the learning rate to 0.5" in capsys.readouterr().out


def test_reduce_lr_on_plateau_in_fit():
    """History logs the lr each epoch trained with; the reduction acts from the next."""
    _, history = _fit([ReduceLROnPlateau(monitor="loss", patience=1, factor=0.5, min_delta=10.0)])
    assert history.history["lr"] == [0.1, 0.1, 0.05, 0.025]


def test_schedule_factory_stepped_per_epoch():
    _, history = _fit([LRSchedulerCallback(optim.StepLR, step_size=1, gamma=0.5)], epochs=3)
    assert history.history["lr"] == [0.1, 0.05, 0.025]


def test_schedule_stepped_per_batch():
    _, history = _fit([LRSchedulerCallback(lambda opt: optim.ExponentialLR(opt, gamma=0.9),
                                           interval="batch")], epochs=2, n=24, batch_size=8)
    assert history.history["lr"] == pytest.approx([0.1 * 0.9**3, 0.1 * 0.9**6])


def test_made_schedule_and_plateau_schedule():
    x, y = blobs(n=16)
    model = compiled_mlp(optimizer=SGD01)
    training.fit(model, x, y, verbose=0)  # makes the optimizer
    schedule = optim.StepLR(model.optimizer, step_size=1, gamma=0.1)
    history = training.fit(model, x, y, epochs=2, callbacks=[LRSchedulerCallback(schedule)],
                           verbose=0)
    assert history.history["lr"] == pytest.approx([0.1, 0.01])
    plateau = LRSchedulerCallback(
        lambda opt: optim.ReduceLROnPlateau(opt, patience=0, factor=0.5, threshold=10.0,
                                            threshold_mode="abs"), monitor="loss")
    _, history = _fit([plateau], epochs=4)
    assert history.history["lr"] == [0.1, 0.1, 0.05, 0.025]


def test_schedule_callback_errors():
    other = optim.SGD([Parameter(np.zeros(2, np.float32))], lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        _fit([LRSchedulerCallback(optim.StepLR(other, step_size=1))])
    with pytest.raises(TypeError, match="already made"):
        LRSchedulerCallback(optim.StepLR(other, step_size=1), step_size=2)
    with pytest.raises(ValueError, match="interval"):
        LRSchedulerCallback(optim.StepLR, interval="step")
    with pytest.raises(TypeError, match="expected a schedule"):
        LRSchedulerCallback(0.1)


def test_learning_rate_scheduler_needs_an_optimizer():
    model = FakeModel()
    model.optimizer = None
    with pytest.raises(RuntimeError, match="has no optimizer"):
        drive(LearningRateScheduler(lambda e, lr: lr), [1.0], model=model)
