"""A small real PyTorch MLP that runs batchwise plans and knows its exact gradient noise scale.

A float64 MLP (16 -> 32 -> 4, tanh) on a fixed synthetic classification set of --dataset-size
examples (a random linear teacher, 20% of the labels flipped: a noisy gradient), trained with
plain SGD through ``batchwise_telemetry.track`` and ``batchwise_plan`` as
examples/pytorch_train.py does (one process runs the plan's items, from the current weights).

In a work item of phase ``noise`` it also computes, before every --exact-every-th step and
before the item's last step, the EXACT simple noise scale at the weights that step's norms are
taken at: every example's gradient of the whole data set, one backward at a time, on a copy of
the model; |G|^2 the squared norm of their mean, tr(Sigma) = mean |g_i|^2 - |G|^2 (the population
covariance), B_simple = tr(Sigma) / |G|^2 (as bench/noise-accuracy.ts does). Each is one JSON
line, flushed at once, in the file --exact (default $BATCHWISE_EXACT_NOISE):
``{"item": 5, "step": 12, "gSq": ..., "trace": ..., "bSimple": ...}`` (``step`` counts from 0
within the item, as the step events do). batchwise may end the noise run at any time; the lines
written stay.

    python3 torch_noise_mlp.py --plan {plan} --batch-size {batch} --steps {steps} \
        --micro-batch-size {micro_batch} --accumulation {accumulation} --exact exact.jsonl
"""

import argparse
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "adapters", "python"))
import batchwise_telemetry as batchwise  # noqa: E402
from batchwise_plan import PLAN_SUPPORT, PlanRun, plan_path, work_items  # noqa: E402

INPUTS, HIDDEN, CLASSES = 16, 32, 4


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plan", default=None)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--micro-batch-size", type=int, default=32)
    parser.add_argument("--accumulation", type=int, default=1)
    parser.add_argument("--dataset-size", type=int, default=1024)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--exact", default=os.environ.get("BATCHWISE_EXACT_NOISE"))
    parser.add_argument("--exact-every", type=int, default=1)
    args = parser.parse_args()

    import torch  # noqa: PLC0415

    torch.set_num_threads(1)
    n = args.dataset_size
    data = torch.Generator().manual_seed(1234)  # the data set is fixed, whatever --seed
    inputs = torch.randn(n, INPUTS, generator=data, dtype=torch.float64)
    teacher = torch.randn(INPUTS, CLASSES, generator=data, dtype=torch.float64)
    labels = (inputs @ teacher).argmax(dim=1)
    flip = torch.rand(n, generator=data) < 0.2
    labels[flip] = torch.randint(0, CLASSES, (int(flip.sum()),), generator=data)

    def make_model():
        return torch.nn.Sequential(torch.nn.Linear(INPUTS, HIDDEN), torch.nn.Tanh(),
                                   torch.nn.Linear(HIDDEN, CLASSES)).double()

    torch.manual_seed(args.seed)
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    sampling = torch.Generator().manual_seed(args.seed)
    order, cursor = torch.randperm(n, generator=sampling), 0

    def next_batch(size):
        nonlocal order, cursor
        if cursor + size > n:
            order, cursor = torch.randperm(n, generator=sampling), 0
        indices = order[cursor: cursor + size]
        cursor += size
        return indices

    exact_out = open(args.exact, "a", encoding="utf-8") if args.exact else None

    def exact_noise(item, step):
        """Exact B_simple at the current weights, from all N per-example gradients (a copy of the
        model: the tracker's gradient hooks stay out of it)."""
        reference = make_model()
        reference.load_state_dict(model.state_dict())
        grads = []
        for j in range(n):
            reference.zero_grad(set_to_none=True)
            loss_fn(reference(inputs[j: j + 1]), labels[j: j + 1]).backward()
            grads.append(torch.cat([p.grad.reshape(-1) for p in reference.parameters()]))
        per_example = torch.stack(grads)
        g_sq = float(per_example.mean(dim=0).pow(2).sum())
        trace = float(per_example.pow(2).sum(dim=1).mean()) - g_sq
        exact_out.write(json.dumps({"item": item, "step": step, "gSq": g_sq, "trace": trace,
                                    "bSimple": trace / g_sq}) + "\n")
        exact_out.flush()

    def train_step(t, batch_size, micro, k):
        batch = next_batch(batch_size)
        for i in range(k):
            part = batch[i * micro: (i + 1) * micro]
            with t.micro_batch():
                t.backward(loss_fn(model(inputs[part]), labels[part]))
        t.step()

    def split(item):
        if item.accumulation >= 1 and item.batch_size % item.accumulation == 0:
            return item.batch_size // item.accumulation, item.accumulation
        return item.batch_size, 1

    k0 = args.accumulation if args.accumulation >= 1 and args.batch_size % args.accumulation == 0 else 1
    with batchwise.track(model, optimizer, micro_batch_size=max(1, args.batch_size // k0),
                         accumulation_steps=k0, dataset_size=n, seed=args.seed,
                         protocol=PLAN_SUPPORT) as t:
        path = plan_path(args.plan)
        if path is None:
            for _ in range(args.steps):
                train_step(t, args.batch_size, max(1, args.batch_size // k0), k0)
        else:
            for item in work_items(path):
                with PlanRun(t.writer, item):
                    if item.batch_size > n:
                        raise ValueError(f"work item {item.id}: batch {item.batch_size} > {n} examples")
                    micro, k = split(item)
                    t.begin_item(item.id, micro, k)
                    for step in range(item.steps):
                        last = step == item.steps - 1
                        if item.phase == "noise" and exact_out is not None and (
                                step % args.exact_every == 0 or last):
                            exact_noise(item.id, step)
                        train_step(t, item.batch_size, micro, k)
    if exact_out is not None:
        exact_out.close()


if __name__ == "__main__":
    main()
