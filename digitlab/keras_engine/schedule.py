"""The learning-rate schedules of every engine (`digitlab.nn.schedules`), applied to a Keras optimiser.

A callback sets the rate before every batch from the same function the numpy engine uses, so
`schedule="cosine"` draws the same curve in Keras as in numpy and torch. `keras` is passed in:
only backend.py imports it.
"""

from __future__ import annotations

from digitlab.nn.schedules import learning_rate


def schedule_callback(keras, schedule: str, lr0: float, total_steps: int):
    """A Keras callback that sets the optimiser's rate to `schedule`'s at each of `total_steps` batches.

    It counts batches across `fit` calls (the estimator calls `fit` once per epoch);
    `last_lr` is the rate of the latest batch, for the history.
    """

    class Schedule(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.step, self.last_lr = 0, lr0

        def on_train_batch_begin(self, batch, logs=None):
            self.last_lr = learning_rate(schedule, lr0, self.step / total_steps)
            self.model.optimizer.learning_rate = self.last_lr
            self.step += 1

    return Schedule()
