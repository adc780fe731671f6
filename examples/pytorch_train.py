#!/usr/bin/env python3
"""A PyTorch training loop that writes batchwise telemetry through adapters/python.

A small decoder-only transformer (or an MLP) on a synthetic token data set of --dataset-size
sequences (each repeats a random 8-token pattern: learnable), with gradient accumulation,
optional mixed precision (fp16 with a GradScaler on CUDA, bfloat16 on CPU) and optional
DistributedDataParallel (run it under torchrun; gloo on CPU). `batchwise_telemetry.track` writes
the protocol: every optimizer step one `step` event with the micro-batch (rank-local) and
accumulated (all-reduced) gradient squared norms, taken before clipping with the loss scale
divided out, and the peak memory (CUDA's allocator, or the process's peak RSS on CPU). Out of
memory is written as an `oom` event, then the script exits with status 3.

With `--plan PATH` (or $BATCHWISE_PLAN set; batchwise_plan.py) it runs batchwise's work items in
one process instead of one trial per process: each item's optimizer steps at the item's batch,
micro-batch and accumulation, from the current weights, every step event tagged with the item,
then `item-end`; out of memory in an item is written as the item's `oom` and the next item goes
on. Its start event announces `"protocol": {"plan": 1}`. Without a plan it runs --steps steps.

With `--eval-every N` (batchwise sweep's {eval_every}; default $BATCHWISE_EVAL_EVERY, else 0: none)
it evaluates on a held-out set of --validation-size sequences (drawn apart from the training
set, the same way) before the first step and after every N optimizer steps, and writes each as an
`eval` event (extension `eval` 1, announced in the start event): the mean validation loss and the
next-token accuracy. The evaluation's time is left out of the steps' seconds. `--lr` and `--seed`
take batchwise's {lr} and {seed}.

The defaults are a tiny model (width 32, 1 layer, context 16, 64 tokens, 4096 sequences) so that
a `find` finishes in a minute or two on a CPU; give --width, --layers, --context, --vocab and
--dataset-size for a bigger one.

Runs on PyTorch 1.13 (Debian's python3-torch) and 2.x: features are detected, not assumed.
`python3` below is an interpreter with torch (on Debian after `apt-get install python3-torch`,
/usr/bin/python3):

    python3 examples/pytorch_train.py --batch-size 64 --micro-batch-size 16 --steps 50 > run.jsonl
    torchrun --nproc_per_node 2 examples/pytorch_train.py --batch-size 64 --micro-batch-size 8
    npx batchwise analyze run.jsonl
    npx batchwise find --engine command --cmd 'python3 examples/pytorch_train.py --plan {plan} --batch-size {batch} --steps {steps} --micro-batch-size {micro_batch} --accumulation {accumulation} --seed {seed}'
    npx batchwise sweep --engine command --cmd 'python3 examples/pytorch_train.py --batch-size {batch} --steps {steps} --lr {lr} --seed {seed} --eval-every {eval_every}'
"""

import argparse
import contextlib
import inspect
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters", "python"))
import batchwise_telemetry as batchwise  # noqa: E402
from batchwise_plan import PLAN_SUPPORT, PlanRun, plan_path, work_items  # noqa: E402


def accepts(function, name):
    """Whether a callable takes a keyword argument (is_causal, enable_nested_tensor: 2.x only)."""
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False


def build_model(torch, kind, vocab, width, layers, context):
    nn = torch.nn
    if kind == "mlp":  # predicts the token after the context
        return nn.Sequential(nn.Embedding(vocab, width), nn.Flatten(), nn.Linear(width * context, width * 4),
                             nn.GELU(), nn.Linear(width * 4, vocab))

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, width)
            self.position = nn.Parameter(torch.zeros(context, width))
            layer = nn.TransformerEncoderLayer(width, max(1, width // 64), 4 * width, dropout=0.0,
                                               batch_first=True, norm_first=True)
            options = {"enable_nested_tensor": False} if accepts(nn.TransformerEncoder, "enable_nested_tensor") else {}
            self.blocks = nn.TransformerEncoder(layer, layers, **options)
            # is_causal exists from 2.0 on; the mask alone is what 1.13 needs (and what 2.x checks it against).
            self.causal = {"is_causal": True} if accepts(nn.TransformerEncoder.forward, "is_causal") else {}
            self.head = nn.Linear(width, vocab)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context), persistent=False)

        def forward(self, tokens):
            n = tokens.shape[1]
            h = self.embed(tokens) + self.position[:n]
            h = self.blocks(h, mask=self.mask[:n, :n], **self.causal)
            return self.head(h)

    return Decoder()


def split_batch(per_rank, accumulation, micro_batch_size):
    """(micro-batch, micro-batches) with micro-batch × micro-batches == per_rank exactly."""
    if accumulation:
        if per_rank % accumulation:
            sys.exit(f"--accumulation {accumulation} does not divide the per-rank batch {per_rank}")
        return per_rank // accumulation, accumulation
    k = max(1, -(-per_rank // max(1, micro_batch_size)))
    while per_rank % k:  # the fewest equal micro-batches of at most --micro-batch-size
        k += 1
    return per_rank // k, k


def mixed_precision(torch, device, enabled):
    """(autocast context factory, GradScaler or None): fp16 + GradScaler on CUDA, bfloat16 on
    CPU (no scaler needed), nothing when disabled (1.13's CPU autocast rejects float16 even when
    enabled=False, so it is never entered then)."""
    if not enabled or not hasattr(torch, "autocast"):
        return contextlib.nullcontext, None
    if device.type == "cuda":
        amp = getattr(torch, "amp", None)
        if amp is not None and hasattr(amp, "GradScaler") and accepts(amp.GradScaler, "device"):
            scaler = amp.GradScaler("cuda")  # 2.3+; torch.cuda.amp.GradScaler is deprecated there
        else:
            scaler = torch.cuda.amp.GradScaler()
        return (lambda: torch.autocast("cuda", dtype=torch.float16)), scaler
    return (lambda: torch.autocast(device.type, dtype=torch.bfloat16)), None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["gpt", "mlp"], default="gpt")
    parser.add_argument("--batch-size", type=int, default=64, help="global batch (all ranks, all micro-batches)")
    parser.add_argument("--micro-batch-size", type=int, default=16,
                        help="at most this many examples per micro-batch per rank (when --accumulation is not given)")
    parser.add_argument("--accumulation", type=int, default=0,
                        help="micro-batches per optimizer step per rank (overrides --micro-batch-size)")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--dataset-size", type=int, default=4096, help="sequences in the synthetic data set")
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--context", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--amp", action="store_true", help="mixed precision: fp16 + GradScaler on CUDA, bfloat16 on CPU")
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--eval-every", type=int, default=None,
                        help="evaluate on the held-out set every N optimizer steps and write `eval` events "
                             "({eval_every}; default $BATCHWISE_EVAL_EVERY, else 0: never)")
    parser.add_argument("--validation-size", type=int, default=512,
                        help="held-out sequences for --eval-every (drawn apart from the training set)")
    parser.add_argument("--plan", default=None,
                        help="batchwise's plan file ({plan}; default $BATCHWISE_PLAN): run its work items")
    args = parser.parse_args()
    every = batchwise.eval_every(args.eval_every)

    import torch  # noqa: PLC0415
    import torch.distributed as dist  # noqa: PLC0415

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    path = plan_path(args.plan)
    if path is None:
        if args.batch_size % world:
            sys.exit(f"--batch-size {args.batch_size} is not a multiple of the {world} ranks")
        if args.batch_size > args.dataset_size:
            sys.exit(f"--batch-size {args.batch_size} is larger than the data set ({args.dataset_size})")
        micro, k = split_batch(args.batch_size // world, args.accumulation, args.micro_batch_size)
    else:  # the items carry the batches; {batch} is the first item's (the opening's 1, fewer than the ranks)
        per_rank = max(1, args.batch_size // world)
        micro, k = split_batch(per_rank, 0 if per_rank % max(1, args.accumulation) else args.accumulation,
                               args.micro_batch_size)

    # The data set: the same on every rank (seeded), one shuffle per epoch, each rank its slice.
    data_generator = torch.Generator().manual_seed(args.seed)
    patterns = torch.randint(0, args.vocab, (args.dataset_size, 8), generator=data_generator)
    order = torch.randperm(args.dataset_size, generator=data_generator)
    cursor = 0

    def next_global_batch(batch_size):
        nonlocal order, cursor
        if cursor + batch_size > args.dataset_size:
            order, cursor = torch.randperm(args.dataset_size, generator=data_generator), 0
        indices = order[cursor: cursor + batch_size]
        cursor += batch_size
        return indices

    def tokens_of(indices):
        tokens = patterns[indices].repeat(1, args.context // 8 + 2)[:, : args.context + 1].to(device)
        if args.model == "mlp":
            return tokens[:, :-1], tokens[:, -1]
        return tokens[:, :-1], tokens[:, 1:]

    # The held-out set (only with --eval-every): its own generator, so that the training data,
    # its order and the initial weights are the same with or without it.
    validation = None
    if every > 0 and path is None:
        validation_generator = torch.Generator().manual_seed(args.seed + 7919)
        validation = torch.randint(0, args.vocab, (args.validation_size, 8), generator=validation_generator)

    torch.manual_seed(args.seed)  # the same initial weights on every rank (DDP broadcasts rank 0's anyway)
    model = build_model(torch, args.model, args.vocab, args.width, args.layers, args.context).to(device)
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    autocast, scaler = mixed_precision(torch, device, args.amp)
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_step(t, batch_size, k):
        """One optimizer step of the global batch: this rank's share in k micro-batches (equal
        where the ranks divide the batch; otherwise the shares differ by one, and a micro-batch
        left empty runs one example at weight 0, so that every rank joins the all-reduce)."""
        base, extra = divmod(batch_size, world)
        begin = rank * base + min(rank, extra)
        indices = next_global_batch(batch_size)
        mine = indices[begin: begin + base + (1 if rank < extra else 0)]
        for i in range(k):
            part = mine[i * len(mine) // k: (i + 1) * len(mine) // k]
            x, y = tokens_of(part if len(part) else indices[:1])
            with t.micro_batch():
                with autocast():
                    logits = model(x)
                loss = loss_fn(logits.reshape(-1, args.vocab).float(), y.reshape(-1))
                t.backward(loss if len(part) else loss * 0.0)
        t.step()

    def evaluate(t):
        """The mean loss and next-token accuracy of the current weights on the held-out set,
        written as an `eval` event (rank 0 only: the other ranks go on to the next all-reduce)."""
        if rank != 0:
            return
        net = getattr(model, "module", model)  # under DDP the replica itself: no collectives
        net.eval()
        total_loss, correct, count = 0.0, 0, 0
        with torch.no_grad():
            for begin in range(0, args.validation_size, 256):
                tokens = validation[begin: begin + 256].repeat(1, args.context // 8 + 2)[:, : args.context + 1].to(device)
                x, y = (tokens[:, :-1], tokens[:, -1]) if args.model == "mlp" else (tokens[:, :-1], tokens[:, 1:])
                with autocast():
                    logits = net(x)
                logits = logits.reshape(-1, args.vocab).float()
                y = y.reshape(-1)
                total_loss += float(torch.nn.functional.cross_entropy(logits, y, reduction="sum"))
                correct += int((logits.argmax(dim=-1) == y).sum())
                count += y.numel()
        net.train()
        t.eval(loss=total_loss / count, accuracy=correct / count, examples=args.validation_size)

    def run_plan(t, path):
        """batchwise's work items, one after another, from the current weights."""
        for item in work_items(path):
            with PlanRun(t.writer, item) as run:
                if item.steps == 0:  # the opening handshake (batch 1, even with more ranks): nothing to run
                    continue
                if item.batch_size > args.dataset_size:
                    raise ValueError(f"work item {item.id}: batch {item.batch_size} is larger than "
                                     f"the {args.dataset_size} sequences")
                per_rank = item.batch_size // world
                if item.batch_size % world == 0 and per_rank % max(1, item.accumulation) == 0:
                    item_micro, item_k = split_batch(per_rank, item.accumulation, item.micro_batch_size)
                    t.begin_item(item.id, item_micro, item_k)
                else:  # the ranks do not divide it (batch 1 on 2 ranks): unequal shares, 1 micro-batch
                    item_k = 1
                    t.begin_item(item.id, -(-item.batch_size // world), 1, batch_size=item.batch_size)
                for _ in range(item.steps):
                    train_step(t, item.batch_size, item_k)
            if run.out_of_memory:  # recovered: what the failed step held goes, on to the next item
                t.begin_item(None, micro, k)

    try:
        with batchwise.track(model, optimizer, scaler, micro_batch_size=micro, accumulation_steps=k,
                             dataset_size=args.dataset_size, clip=args.clip, seed=args.seed,
                             tokens_per_example=args.context if args.model == "gpt" else 1,
                             protocol={**PLAN_SUPPORT, **(batchwise.EVAL_SUPPORT if validation is not None else {})}) as t:
            if path is None:
                if validation is not None:
                    evaluate(t)  # the initial weights: the first point of the curves
                for _ in range(args.steps):
                    train_step(t, args.batch_size, k)
                    if validation is not None and t.steps % every == 0:
                        evaluate(t)
            else:
                run_plan(t, path)
    except Exception as error:  # noqa: BLE001 - track() has written the oom event
        if batchwise.is_out_of_memory(error):
            sys.exit(3)
        raise
    finally:
        if distributed and dist.is_initialized():
            dist.destroy_process_group()


if __name__ == "__main__":
    main()
