"""The adapter's gradient norms against exact per-example gradients, on real PyTorch.

A small float64 MLP on a fixed data set of N examples. Each optimizer step draws a global batch
without replacement (world × k micro-batches of b), trains it through
``batchwise_telemetry.track`` (which writes the telemetry: micro-batch or rank-local squared
norms and the accumulated, all-reduced one), and, at the same weights before the step, rank 0
computes every example's exact gradient one backward at a time on a copy of the model and
writes, per step, the exact squared norms of each micro-batch's mean gradient and of the whole
batch's mean gradient (same order as the adapter's: rank by rank, micro-batch by micro-batch).
The test (pytorch-norms.test.ts) compares the two and the two-batch estimates built from them.

    python3 torch_exact_norms.py --accumulation 4 --micro-batch 4 --steps 3 \
        --telemetry adapter.jsonl --exact exact.jsonl [--loss-scale 1024 --scale-mode scaler]
    (under torchrun --nproc_per_node 2 for DDP, gloo)
"""

import argparse
import copy
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "adapters", "python"))
import batchwise_telemetry as batchwise  # noqa: E402


class StaticGradScaler:
    """What torch.cuda.amp.GradScaler does, with a fixed scale, on any device: multiplies the loss
    by S, divides the gradients by S in unscale_, then steps (1.13 has no CPU GradScaler)."""

    def __init__(self, scale):
        self._scale = float(scale)
        self._unscaled = False

    def is_enabled(self):
        return True

    def get_scale(self):
        return self._scale

    def scale(self, loss):
        return loss * self._scale

    def unscale_(self, optimizer):
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    p.grad.div_(self._scale)
        self._unscaled = True

    def step(self, optimizer):
        if not self._unscaled:
            self.unscale_(optimizer)
        optimizer.step()

    def update(self):
        self._unscaled = False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--accumulation", type=int, default=1)
    parser.add_argument("--micro-batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--dataset-size", type=int, default=256)
    parser.add_argument("--loss-scale", type=float, default=0.0)
    parser.add_argument("--scale-mode", choices=["scaler", "static"], default="scaler")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--telemetry", required=True)
    parser.add_argument("--exact", required=True)
    args = parser.parse_args()

    import torch  # noqa: PLC0415
    import torch.distributed as dist  # noqa: PLC0415

    torch.set_num_threads(1)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    k, b, n = args.accumulation, args.micro_batch, args.dataset_size

    generator = torch.Generator().manual_seed(args.seed)
    inputs = torch.randn(n, 8, generator=generator, dtype=torch.float64)
    labels = torch.randint(0, 3, (n,), generator=generator)
    torch.manual_seed(args.seed)
    net = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3)).double()
    model = torch.nn.parallel.DistributedDataParallel(net) if distributed else net
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    scaler, loss_scale = None, None
    if args.loss_scale:
        if args.scale_mode == "scaler":
            scaler = StaticGradScaler(args.loss_scale)
        else:
            loss_scale = args.loss_scale
    writer = batchwise.TelemetryWriter(path=args.telemetry, rank=rank)
    exact_out = open(args.exact, "w", encoding="utf-8") if rank == 0 else None

    def exact_norms(indices):
        """Exact squared norms from per-example gradients at the current weights (rank 0)."""
        reference = copy.deepcopy(net)
        grads = []
        for j in indices.tolist():
            reference.zero_grad(set_to_none=True)
            loss_fn(reference(inputs[j: j + 1]), labels[j: j + 1]).backward()
            grads.append(torch.cat([p.grad.reshape(-1) for p in reference.parameters()]))
        per_example = torch.stack(grads)  # (world·k·b, parameters)
        micro = per_example.reshape(world * k, b, -1).mean(dim=1)
        whole = per_example.mean(dim=0)
        return micro.pow(2).sum(dim=1).tolist(), float(whole.pow(2).sum())

    with batchwise.track(model, optimizer, scaler, loss_scale=loss_scale, micro_batch_size=b,
                         accumulation_steps=k, dataset_size=n, writer=writer) as t:
        for step in range(args.steps):
            order = torch.randperm(n, generator=torch.Generator().manual_seed(1000 + step))
            batch = order[: world * k * b]
            if exact_out is not None:
                micro, whole = exact_norms(batch)
                exact_out.write(json.dumps({"step": step, "microSqNorms": micro, "sqNorm": whole}) + "\n")
            mine = batch[rank * k * b: (rank + 1) * k * b]
            for i in range(k):
                part = mine[i * b: (i + 1) * b]
                with t.micro_batch():
                    t.backward(loss_fn(model(inputs[part]), labels[part]))
            t.step()
    writer.close()
    if exact_out is not None:
        exact_out.close()
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
