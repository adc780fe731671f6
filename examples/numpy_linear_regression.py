#!/usr/bin/env python3
"""Linear regression trained with gradient accumulation in numpy, writing batchwise telemetry.

The gradient noise of this problem is known exactly, so `batchwise analyze` can be checked
against it. With x ~ N(0, I_d), y = x.w* + e, e ~ N(0, sigma^2), loss 1/2 (x.w - y)^2 and
D = w - w*, the per-example gradient is g = x (x.D - e), so G = D and (Isserlis' theorem)
    tr(Sigma) = (d + 1)|D|^2 + d sigma^2,   B_simple = tr(Sigma)/|G|^2 = d + 1 + d sigma^2/|D|^2.

Each optimizer step draws k fresh micro-batches of b examples at the same weights, records
each micro-batch's mean-gradient squared norm and that of their mean (the accumulated
gradient), then takes an SGD step: the two-batch estimate of McCandlish et al. 2018, App. A.1.
The accumulation k cycles through --accumulation (e.g. 2,4,8) in equal phases, so the log holds
several batch sizes for the throughput fit.

    python3 examples/numpy_linear_regression.py --steps 300 > run.jsonl
    npx batchwise analyze run.jsonl

--truth FILE writes the exact |G|^2 and tr(Sigma) of every step as JSON lines (for tests).
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters", "python"))
from batchwise_telemetry import TelemetryWriter  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dimension", type=int, default=8)
    parser.add_argument("--noise-std", type=float, default=1.0)
    parser.add_argument("--start-distance", type=float, default=2.0, help="|w0 - w*|")
    parser.add_argument("--micro-batch-size", type=int, default=16)
    parser.add_argument("--accumulation", default="2,4,8", help="micro-batches per step, cycled in phases")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--lr", type=float, default=0.003)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--output", help="telemetry file (default: $BATCHWISE_TELEMETRY, else stdout)")
    parser.add_argument("--truth", help="write the exact |G|^2 and tr(Sigma) per step here")
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    d, sigma, b = args.dimension, args.noise_std, args.micro_batch_size
    accumulations = [int(k) for k in args.accumulation.split(",")]
    w_star = rng.normal(size=d)
    direction = rng.normal(size=d)
    w = w_star + direction / np.linalg.norm(direction) * args.start_distance

    writer = TelemetryWriter(path=args.output)
    writer.start(framework="numpy", frameworkVersion=np.__version__, micro_batch_size=b,
                 accumulation_steps=accumulations[0], parameter_count=d, seed=args.seed)
    truth = open(args.truth, "w", encoding="utf-8") if args.truth else None
    run_start = time.perf_counter()
    for step in range(args.steps):
        k = accumulations[min(len(accumulations) - 1, step * len(accumulations) // args.steps)]
        started = time.perf_counter()
        delta = w - w_star
        if truth:
            g2 = float(delta @ delta)
            truth.write(json.dumps({"step": step, "gradientSqNorm": g2,
                                    "traceCovariance": (d + 1) * g2 + d * sigma**2}) + "\n")
        micro_gradients = []
        losses = []
        for _ in range(k):
            x = rng.normal(size=(b, d))
            residual = x @ delta - sigma * rng.normal(size=b)  # x.w - y
            micro_gradients.append(x.T @ residual / b)     # mean gradient of the micro-batch
            losses.append(0.5 * float(np.mean(residual**2)))
        gradient = np.mean(micro_gradients, axis=0)       # the accumulated (mean) gradient
        micro_sq_norms = [float(g @ g) for g in micro_gradients]
        sq_norm = float(gradient @ gradient)
        w = w - args.lr * gradient
        writer.step(step=step, batch_size=b * k, seconds=time.perf_counter() - started,
                    loss=float(np.mean(losses)), micro_batch_size=b,
                    micro_sq_norms=micro_sq_norms, sq_norm=sq_norm)
    writer.end(steps=args.steps, seconds=time.perf_counter() - run_start)
    writer.close()
    if truth:
        truth.close()


if __name__ == "__main__":
    main()
