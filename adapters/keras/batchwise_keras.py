"""batchwise telemetry for Keras (TensorFlow backend): a callback and a train_step wrapper.

UNTESTED: this module has never run. TensorFlow cannot be installed where batchwise is
developed, so only its syntax is checked (test/adapters/python-telemetry.test.ts); treat it as a
sketch of the approach until it has been run against TensorFlow (docs/engines.md).

* ``BatchwiseCallback``: writes the batchwise telemetry protocol (docs/protocol.md) from
  ``model.fit``: one ``step`` event per batch with the batch size, the seconds between
  ``on_train_batch_begin`` and ``on_train_batch_end``, and the batch's loss.
* ``measure_gradient_norms(model, micro_batches=k)``: replaces ``model.train_step`` by one that
  splits each batch into k equal micro-batches, computes each one's gradient at the same weights,
  records every micro-batch's squared norm and that of their mean (the gradient actually
  applied), BEFORE the optimizer clips anything (``clipnorm`` acts inside ``apply_gradients``),
  and applies the mean gradient: what the gradient noise scale needs (McCandlish et al. 2018,
  App. A.1). The cost: k smaller forward/backward passes instead of one (less parallel, same
  number of examples). The batch size must be divisible by k (use ``drop_remainder=True``).

    import keras
    from batchwise_keras import BatchwiseCallback, measure_gradient_norms

    measure_gradient_norms(model, micro_batches=4)      # after model.compile(...)
    model.fit(dataset, epochs=2, callbacks=[BatchwiseCallback(batch_size=128, dataset_size=n)])

The losses are computed in float32 without loss scaling, so no loss scale needs dividing out;
under a ``mixed_float16`` policy the gradient of the unscaled loss may underflow: measure in
float32 or bfloat16. TensorFlow and Keras are imported lazily: this file imports (and
``python3 -m py_compile`` checks it) without them. The protocol writer is
adapters/python/batchwise_telemetry.py (found next to this package or on sys.path).
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from batchwise_telemetry import TelemetryWriter  # noqa: E402

_NORMS_ATTRIBUTE = "_batchwise_norms"


def measure_gradient_norms(model: Any, micro_batches: int = 4) -> Any:
    """Wrap ``model.train_step`` to record micro-batch and mean-gradient squared norms.

    After each step ``model._batchwise_norms`` (a non-trainable variable) holds
    ``[loss, mean-gradient squared norm, micro-batch squared norms...]``; BatchwiseCallback
    reads it. Returns the model.
    """
    import tensorflow as tf  # noqa: PLC0415 - lazy on purpose

    k = int(micro_batches)
    if k < 2:
        raise ValueError("micro_batches must be at least 2 (two batch sizes are needed)")
    norms = tf.Variable(tf.zeros([k + 2], tf.float32), trainable=False, name="batchwise_norms")
    setattr(model, _NORMS_ATTRIBUTE, norms)

    def unpack(data: Any) -> Any:
        if isinstance(data, (tuple, list)):
            if len(data) == 3:
                return data[0], data[1], data[2]
            if len(data) == 2:
                return data[0], data[1], None
            return data[0], None, None
        return data, None, None

    def squared_norm(gradients: Any) -> Any:
        return tf.add_n(
            [tf.reduce_sum(tf.square(tf.cast(g, tf.float32))) for g in gradients if g is not None]
        )

    def train_step(data: Any) -> Any:
        x, y, sample_weight = unpack(data)
        variables = model.trainable_variables
        split = lambda t: None if t is None else tf.split(t, k)  # noqa: E731
        xs, ys, ws = split(x), split(y), split(sample_weight)
        total = None
        micro_norms = []
        losses = []
        for i in range(k):
            with tf.GradientTape() as tape:
                y_pred = model(xs[i], training=True)
                loss = model.compute_loss(
                    x=xs[i], y=None if ys is None else ys[i], y_pred=y_pred,
                    sample_weight=None if ws is None else ws[i],
                )
            gradients = tape.gradient(loss, variables)
            micro_norms.append(squared_norm(gradients))
            losses.append(tf.cast(loss, tf.float32))
            total = gradients if total is None else [
                a if b is None else (b if a is None else a + b) for a, b in zip(total, gradients)
            ]
        mean = [None if g is None else g / k for g in total]
        norms.assign(tf.concat([tf.stack([tf.add_n(losses) / k, squared_norm(mean)]), tf.stack(micro_norms)], 0))
        model.optimizer.apply_gradients(
            [(g, v) for g, v in zip(mean, variables) if g is not None]
        )
        return {"loss": tf.add_n(losses) / k}

    model.train_step = train_step
    # Keras caches the compiled train function: drop it so that fit() uses the new step.
    if hasattr(model, "train_function"):
        model.train_function = None
    return model


def _callback_base() -> Any:
    try:
        import keras  # noqa: PLC0415

        return keras.callbacks.Callback
    except ImportError:
        from tensorflow import keras  # noqa: PLC0415

        return keras.callbacks.Callback


def BatchwiseCallback(  # noqa: N802 - a class factory, used like a class
    batch_size: int,
    dataset_size: Optional[int] = None,
    writer: Optional[TelemetryWriter] = None,
) -> Any:
    """A Keras callback writing one protocol ``step`` per training batch.

    ``batch_size``: the global batch of ``fit``. Seconds are measured between the batch's
    begin and end callbacks (with ``steps_per_execution`` > 1 Keras calls them once per
    execution: then divide accordingly). Gradient norms are included when
    ``measure_gradient_norms`` wrapped the model.
    """
    base = _callback_base()

    class _BatchwiseCallback(base):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.writer = writer or TelemetryWriter()
            self.step_number = 0
            self._started = 0.0
            self._run_started = 0.0

        def on_train_begin(self, logs: Any = None) -> None:
            import tensorflow as tf  # noqa: PLC0415

            norms = getattr(self.model, _NORMS_ATTRIBUTE, None)
            micro = int(norms.shape[0]) - 2 if norms is not None else None
            self._run_started = time.perf_counter()
            self.writer.start(
                framework="keras",
                frameworkVersion=tf.__version__,
                micro_batch_size=batch_size // micro if micro else None,
                accumulation_steps=micro or 1,
                dataset_size=dataset_size,
                parameter_count=int(sum(int(tf.size(v)) for v in self.model.trainable_variables)),
            )

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            self._started = time.perf_counter()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            seconds = time.perf_counter() - self._started
            norms = getattr(self.model, _NORMS_ATTRIBUTE, None)
            fields: dict = {}
            loss = float((logs or {}).get("loss", float("nan")))
            if norms is not None:
                values = [float(v) for v in norms.numpy()]
                loss = values[0]
                fields = {
                    "sq_norm": values[1],
                    "micro_sq_norms": values[2:],
                    "micro_batch_size": batch_size // len(values[2:]),
                }
            self.writer.step(step=self.step_number, batch_size=batch_size, seconds=seconds,
                             loss=loss, **fields)
            self.step_number += 1

        def on_train_end(self, logs: Any = None) -> None:
            self.writer.end(steps=self.step_number, seconds=time.perf_counter() - self._run_started)

    return _BatchwiseCallback()
