#!/usr/bin/env python3
"""A Keras MLP on synthetic data, trained with model.fit and writing batchwise telemetry.

Needs TensorFlow 2.16+ (Keras 3) or tf.keras. UNTESTED: this example and
adapters/keras/batchwise_keras.py have never run (TensorFlow cannot be installed where
batchwise is developed; docs/engines.md). Run, then analyse the log:

    BATCHWISE_TELEMETRY=keras.jsonl python3 examples/keras_mnist_mlp.py
    npx batchwise analyze keras.jsonl
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters", "keras"))
from batchwise_keras import BatchwiseCallback, measure_gradient_norms  # noqa: E402


def main() -> None:
    import keras  # noqa: PLC0415

    rng = np.random.default_rng(1)
    n, d, classes, batch = 8192, 32, 10, 128
    x = rng.normal(size=(n, d)).astype("float32")
    teacher = rng.normal(size=(d, classes))
    y = np.argmax(x @ teacher + rng.normal(scale=2.0, size=(n, classes)), axis=1)
    model = keras.Sequential([
        keras.Input(shape=(d,)),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(classes),
    ])
    model.compile(optimizer=keras.optimizers.SGD(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    measure_gradient_norms(model, micro_batches=4)
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0,
              callbacks=[BatchwiseCallback(batch_size=batch, dataset_size=n)])


if __name__ == "__main__":
    main()
