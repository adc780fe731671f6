#!/usr/bin/env python3
"""An adaptive batch size in a plain PyTorch loop: batchwise_adaptive on Fashion-MNIST.

An MLP (784-128-10) trained with SGD on the first --examples Fashion-MNIST training images.
`batchwise_adaptive.adapt` wraps the data set and the optimizer (the two lines marked below);
the loop is the usual one. The batch starts at 2 micro-batches and grows by gradient
accumulation as the measured gradient noise scale grows, the learning rate by the `noise` rule
(McCandlish et al. 2018 eq. 2.7), each change printed to standard error with its reason. At the
end of each epoch: the batch, the learning rate, B_noise and the accuracy on the first 2,000 test
images. `python3` is an interpreter with torch (Debian: `apt-get install python3-torch
dataset-fashion-mnist`, /usr/bin/python3):

    python3 examples/pytorch_adaptive.py --examples 16384 --epochs 3

The data: Debian's IDX files in /usr/share/datasets/fashion-mnist, or the folder in
$BATCHWISE_FASHION_MNIST_DIR (as batchwise's own loader).
"""

import argparse
import gzip
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters", "python"))
import batchwise_adaptive  # noqa: E402


def read_idx(torch, path, count):
    """The first `count` items of an IDX file (gzipped or not) as a uint8 tensor."""
    for candidate in (path + ".gz", path):
        if os.path.exists(candidate):
            with (gzip.open if candidate.endswith(".gz") else open)(candidate, "rb") as file:
                magic, n = struct.unpack(">II", file.read(8))
                dims = [struct.unpack(">I", file.read(4))[0] for _ in range((magic & 0xFF) - 1)]
                count = min(count, n)
                size = count * (dims[0] * dims[1] if dims else 1)
                return torch.frombuffer(bytearray(file.read(size)), dtype=torch.uint8).reshape(count, -1)
    sys.exit(f"{path}.gz not found: apt-get install dataset-fashion-mnist, or set BATCHWISE_FASHION_MNIST_DIR")


def fashion_mnist(torch, split, count):
    folder = os.environ.get("BATCHWISE_FASHION_MNIST_DIR") or "/usr/share/datasets/fashion-mnist"
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(torch, os.path.join(folder, f"{prefix}-images-idx3-ubyte"), count).float() / 255
    labels = read_idx(torch, os.path.join(folder, f"{prefix}-labels-idx1-ubyte"), count).reshape(-1).long()
    return images, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=16384, help="training images used (the first N)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--micro-batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import torch  # noqa: PLC0415

    torch.manual_seed(args.seed)
    x, y = fashion_mnist(torch, "train", args.examples)
    test_x, test_y = fashion_mnist(torch, "test", 2000)
    train_set = torch.utils.data.TensorDataset(x, y)
    model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    loss_fn = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)

    # The two lines: micro-batches of a fixed size, an optimizer that steps every k of them.
    loader, optimizer = batchwise_adaptive.adapt(train_set, optimizer, micro_batch_size=args.micro_batch_size)

    for epoch in range(args.epochs):
        for images, labels in loader:
            loss = loss_fn(model(images), labels)
            loss.backward()
            optimizer.step()       # a step every k micro-batches; before that, nothing
            optimizer.zero_grad()  # nothing while a step is being accumulated
        with torch.no_grad():
            accuracy = (model(test_x).argmax(dim=1) == test_y).float().mean().item()
        b_noise = optimizer.controller.b_noise()
        print(f"epoch {epoch + 1}: {optimizer.controller.step_count} steps, batch {optimizer.batch_size} "
              f"({optimizer.accumulation_steps} x {args.micro_batch_size}), lr {optimizer.param_groups[0]['lr']:.4g}, "
              f"B_noise {'-' if b_noise is None else f'{b_noise:.0f}'}, test accuracy {accuracy:.3f}")
    print(f"{len(optimizer.changes)} batch changes")


if __name__ == "__main__":
    main()
