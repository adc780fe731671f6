#!/usr/bin/env python3
"""A PyTorch training loop that writes batchwise telemetry through adapters/python.

A small decoder-only transformer (or an MLP) on synthetic tokens, with gradient accumulation,
optional mixed precision (GradScaler) and optional DistributedDataParallel (run it under
torchrun). Every optimizer step writes one protocol `step` with the micro-batch (rank-local)
and accumulated (all-reduced) gradient squared norms, taken before clipping with the loss scale
divided out. Out of memory is written as an `oom` event, then the script exits with status 3.

    python3 examples/pytorch_train.py --batch-size 64 --micro-batch-size 16 --steps 50 > run.jsonl
    torchrun --nproc-per-node 2 examples/pytorch_train.py --batch-size 64 --micro-batch-size 8
    npx batchwise analyze run.jsonl
    npx batchwise find --engine command --cmd 'python3 examples/pytorch_train.py --batch-size {batch} --steps {steps}'
"""

import argparse
import contextlib
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "adapters", "python"))
from batchwise_telemetry import GradNormTracker, TelemetryWriter, cuda_peak_bytes, is_out_of_memory  # noqa: E402


def build_model(torch, kind, vocab, width, layers, context):
    nn = torch.nn
    if kind == "mlp":
        return nn.Sequential(nn.Embedding(vocab, width), nn.Flatten(), nn.Linear(width * context, width * 4),
                             nn.GELU(), nn.Linear(width * 4, vocab))

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, width)
            self.position = nn.Parameter(torch.zeros(context, width))
            layer = nn.TransformerEncoderLayer(width, max(1, width // 64), 4 * width, dropout=0.0,
                                               batch_first=True, norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, layers)
            self.head = nn.Linear(width, vocab)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(context), persistent=False)

        def forward(self, tokens):
            h = self.embed(tokens) + self.position[: tokens.shape[1]]
            h = self.blocks(h, mask=self.mask[: tokens.shape[1], : tokens.shape[1]], is_causal=True)
            return self.head(h)

    return Decoder()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", choices=["gpt", "mlp"], default="gpt")
    parser.add_argument("--batch-size", type=int, default=64, help="global batch (all ranks, all micro-batches)")
    parser.add_argument("--micro-batch-size", type=int, default=16, help="examples per micro-batch per rank")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--context", type=int, default=128)
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--lr", type=float, default=3e-4)
    parser.add_argument("--amp", action="store_true", help="fp16 autocast with a GradScaler (CUDA)")
    parser.add_argument("--clip", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import torch  # noqa: PLC0415
    import torch.distributed as dist  # noqa: PLC0415

    distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank = dist.get_rank() if distributed else 0
    world = dist.get_world_size() if distributed else 1
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}" if torch.cuda.is_available() else "cpu")
    if device.type == "cuda":
        torch.cuda.set_device(device)
    per_rank = args.batch_size // world
    k = max(1, per_rank // args.micro_batch_size)
    micro = per_rank // k
    torch.manual_seed(args.seed + rank)

    writer = TelemetryWriter(rank=rank)
    model = build_model(torch, args.model, args.vocab, args.width, args.layers, args.context).to(device)
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr)
    scaler = torch.cuda.amp.GradScaler(enabled=args.amp and device.type == "cuda")
    tracker = GradNormTracker(model, accumulation_steps=k, scaler=scaler)
    parameters = sum(p.numel() for p in model.parameters())
    writer.start(framework="pytorch", frameworkVersion=torch.__version__, world_size=world, micro_batch_size=micro,
                 accumulation_steps=k, parameter_count=parameters, device=str(device),
                 tokensPerExample=args.context, seed=args.seed)
    # Synthetic tokens with structure: each sequence repeats a random pattern (learnable).
    def batch(size):
        pattern = torch.randint(0, args.vocab, (size, 8), device=device)
        tokens = pattern.repeat(1, args.context // 8 + 2)[:, : args.context + 1]
        return tokens[:, :-1], tokens[:, 1:]

    loss_fn = torch.nn.CrossEntropyLoss()
    started_run = time.perf_counter()
    try:
        for step in range(args.steps):
            if device.type == "cuda":
                torch.cuda.synchronize()
            started = time.perf_counter()
            tracker.begin_step()
            total_loss = 0.0
            for i in range(k):
                x, y = batch(micro)
                sync = model.no_sync() if distributed and i < k - 1 else contextlib.nullcontext()
                with sync, torch.autocast(device.type, dtype=torch.float16, enabled=scaler.is_enabled()):
                    logits = model(x)
                    loss = loss_fn(logits.reshape(-1, args.vocab), y.reshape(-1)) / k
                scaler.scale(loss).backward()
                tracker.after_backward()
                total_loss += float(loss.detach())
            norms = tracker.end_step()  # before unscale_ and clipping
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
            if device.type == "cuda":
                torch.cuda.synchronize()
            writer.step(step=step, batch_size=micro * k * world, seconds=time.perf_counter() - started,
                        loss=total_loss, peak_bytes=cuda_peak_bytes(), micro_batch_size=micro,
                        tokens=micro * k * world * args.context, **norms)
    except Exception as error:  # noqa: BLE001
        if is_out_of_memory(error):
            writer.oom(str(error), batch_size=args.batch_size)
            sys.exit(3)
        raise
    writer.end(steps=args.steps, seconds=time.perf_counter() - started_run)
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
