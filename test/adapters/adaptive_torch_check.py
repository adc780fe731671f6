"""batchwise_adaptive on real PyTorch: prints one JSON object for pytorch-adaptive.test.ts.

Linear regression with label noise (y = x.w* + s eps, s = --label-noise, 32 features, N examples), an MLP with a
hidden layer of 16, plain SGD. As the weights approach w*, the true gradient |G|^2 falls while
the per-example noise tr(Sigma) does not, so B_noise = tr(Sigma)/|G|^2 grows (McCandlish et al.
2018, Sec. 2.2): the controller should grow the batch.

    python3 adaptive_torch_check.py exact  # float64; replays the run as plain big-batch steps
    python3 adaptive_torch_check.py grow --rule linear --steps 300

``exact``: the user's loop through ``adapt`` of a DataLoader of 8 in order (the micro-batches are
consecutive),
fast decisions (min_steps_before_grow 4, check_every_steps 2) so that k changes during the run;
then a fresh copy of the initial model takes, step by step, one plain step of torch's SGD
(momentum 0.9) on the concatenation of each step's micro-batches, mean loss, at that step's lr.
Reports the largest difference of the parameters, the norms the wrapper measured against exact
ones computed by hand at the same weights, and what optimizer.step()/zero_grad() did between.
``grow``: float32, the loop as written in the docs, every micro-batch's size recorded.
``errors``: the message of each bad input.
"""

import argparse
import copy
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "adapters", "python"))
import batchwise_adaptive  # noqa: E402


def data(torch, n, dtype, seed, label_noise):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 32, generator=g, dtype=dtype)
    w = torch.randn(32, 1, generator=g, dtype=dtype)
    y = x @ w + label_noise * torch.randn(n, 1, generator=g, dtype=dtype)
    return x, y


def model_of(torch, dtype, seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).to(dtype)


def flat_grad(torch, model):
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


def exact(torch, args):
    dtype = torch.float64
    x, y = data(torch, args.examples, dtype, args.seed, args.label_noise)
    index = torch.arange(args.examples)
    dataset = torch.utils.data.TensorDataset(x, y, index)
    model = model_of(torch, dtype, args.seed)
    initial = copy.deepcopy(model)
    loss_fn = torch.nn.MSELoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    # A DataLoader (in order): its batch size is the micro-batch size.
    plain_loader = torch.utils.data.DataLoader(dataset, batch_size=8, shuffle=False)
    loader, optimizer = batchwise_adaptive.adapt(
        plain_loader, optimizer, batch_size=16, lr_rule=args.rule, clip=args.clip,
        min_steps_before_grow=4, check_every_steps=2, max_batch_size=128)
    steps = []  # per optimizer step: the examples and the lr it stepped with
    current = []
    between = {"step_returned_not_none": 0, "zero_grad_kept_grads": 0, "micro_batches": 0}
    norm_errors = []
    done = False
    while not done:
        for xb, yb, ib in loader:
            between["micro_batches"] += 1
            if not current:  # the step's weights: exact micro-batch gradients by hand, on a copy
                probe = model_of(torch, dtype, args.seed)  # a copy without the wrapper's hooks
                probe.load_state_dict(model.state_dict())
                micro_grads = []
            probe.zero_grad()
            loss_fn(probe(xb), yb).backward()
            micro_grads.append(flat_grad(torch, probe).clone())
            current.extend(ib.tolist())
            lr_now = optimizer.param_groups[0]["lr"]
            loss = loss_fn(model(xb), yb)
            loss.backward()
            before = [p.grad.clone() for p in model.parameters()]
            result = optimizer.step()
            if optimizer.pending_micro_batches:  # accumulating: nothing stepped, grads kept
                if result is not None:
                    between["step_returned_not_none"] += 1
                optimizer.zero_grad()
                if all(torch.equal(a, p.grad) for a, p in zip(before, model.parameters())):
                    between["zero_grad_kept_grads"] += 1
                continue
            optimizer.zero_grad()
            record = optimizer.history[-1]
            mean = torch.stack(micro_grads).mean(dim=0)
            truth = [float(g.pow(2).sum()) for g in micro_grads] + [float(mean.pow(2).sum())]
            measured = list(record["micro_sq_norms"]) + [record["sq_norm"]]
            norm_errors.append(max(abs(a - b) / abs(b) for a, b in zip(measured, truth)))
            steps.append({"indices": current, "lr": lr_now})
            current = []
            if len(steps) >= args.steps:
                done = True
                break
    replay = initial
    plain = torch.optim.SGD(replay.parameters(), lr=args.lr, momentum=0.9)
    for step in steps:
        for group in plain.param_groups:
            group["lr"] = step["lr"]
        plain.zero_grad()
        idx = torch.tensor(step["indices"])
        loss_fn(replay(x[idx]), y[idx]).backward()  # one plain step: mean loss over the whole batch
        if args.clip is not None:
            torch.nn.utils.clip_grad_norm_(replay.parameters(), args.clip)
        plain.step()
    difference = max(float((a - b).abs().max()) for a, b in zip(model.parameters(), replay.parameters()))
    scale = max(float(p.abs().max()) for p in replay.parameters())
    return {
        "steps": len(steps),
        "batchSizes": [len(s["indices"]) for s in steps],
        "lrs": [s["lr"] for s in steps],
        "changes": [c.to_dict() for c in optimizer.changes],
        "maxParameterDifference": difference,
        "parameterScale": scale,
        "maxNormRelativeError": max(norm_errors),
        **between,
    }


def grow(torch, args):
    x, y = data(torch, args.examples, torch.float32, args.seed, args.label_noise)
    train_set = torch.utils.data.TensorDataset(x, y)
    model = model_of(torch, torch.float32, args.seed)
    loss_fn = torch.nn.MSELoss()
    if args.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    torch.manual_seed(args.seed)
    loader, optimizer = batchwise_adaptive.adapt(
        train_set, optimizer, micro_batch_size=8, lr_rule=args.rule,
        min_steps_before_grow=args.min_steps, check_every_steps=args.check_every)
    micro_sizes = set()
    losses = []
    step_losses = []  # the mean micro-batch loss of each optimizer step
    while len(optimizer.history) < args.steps:
        for xb, yb in loader:
            micro_sizes.add(int(xb.shape[0]))
            loss = loss_fn(model(xb), yb)
            losses.append(float(loss))
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if not optimizer.pending_micro_batches:
                k = optimizer.history[-1]["batch_size"] // 8
                step_losses.append(sum(losses[-k:]) / k)
            if len(optimizer.history) >= args.steps:
                break
    history = optimizer.history
    return {
        "rule": optimizer.controller.lr_rule,
        "steps": len(history),
        "microBatchSizes": sorted(micro_sizes),
        "accumulationSteps": optimizer.accumulation_steps,
        "batchSize": optimizer.batch_size,
        "maxBatch": optimizer.controller.max_batch_size,
        "changes": [c.to_dict() for c in optimizer.changes],
        "lrFinal": optimizer.param_groups[0]["lr"],
        "bNoise": [h["b_noise"] for h in history],
        "batchByStep": [h["batch_size"] for h in history],
        "smoothed": optimizer.controller.smoothed_estimates(),
        "lossByStep": step_losses,
    }


def errors(torch, args):
    """Bad input: each must raise AdaptiveError with one line saying what and why."""
    x, y = data(torch, 64, torch.float32, args.seed, args.label_noise)
    train_set = torch.utils.data.TensorDataset(x, y)

    def optimizer():
        return torch.optim.SGD(model_of(torch, torch.float32, args.seed).parameters(), lr=0.1)

    cases = {
        "no micro-batch size": lambda: batchwise_adaptive.adapt(train_set, optimizer()),
        "batch not a multiple": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8, batch_size=12),
        "one micro-batch": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8, batch_size=8),
        "unknown rule": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8, lr_rule="cubic"),
        "above the cap": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8, batch_size=32, max_batch_size=16),
        "default cap": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=16, batch_size=32),
        "unknown option": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8, check_every=5),
        "bad decay": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8, ema_decay=1.0),
        "one norm": lambda: batchwise_adaptive.AdaptiveController(
            initial_batch_size=16, learning_rate=0.1, lr_rule="noise", dataset_size=64).observe(8, [1.0], 1.0, 0.1),
        "custom sampler": lambda: batchwise_adaptive.adapt(
            torch.utils.data.DataLoader(train_set, batch_size=8, sampler=torch.utils.data.SubsetRandomSampler(range(32))),
            optimizer()),
        "no backward": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8)[1].step(),
        "closure": lambda: batchwise_adaptive.adapt(train_set, optimizer(), micro_batch_size=8)[1].step(lambda: 0.0),
    }
    out = {}
    for name, make in cases.items():
        try:
            make()
            out[name] = {"type": None, "message": None}
        except Exception as error:  # noqa: BLE001 - the test checks the type
            out[name] = {"type": type(error).__name__, "message": str(error)}
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["exact", "grow", "errors"])
    parser.add_argument("--rule", default=None)
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--examples", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--min-steps", type=int, default=40)
    parser.add_argument("--check-every", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--clip", type=float, default=None, help="exact: adapt(clip=...), and the replay clips")
    parser.add_argument("--label-noise", type=float, default=0.5, help="standard deviation of the label noise")
    args = parser.parse_args()
    import torch  # noqa: PLC0415

    torch.set_num_threads(1)
    result = {"exact": exact, "grow": grow, "errors": errors}[args.mode](torch, args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
