"""batchwise telemetry for Python training scripts (protocol version 1, docs/protocol.md).

Three parts:

* ``track(model, optimizer, scaler, ...)``: the short way for PyTorch. A context manager around
  the training loop; per micro-batch ``t.backward(loss)``, per optimizer step ``t.step()``; it
  writes every event below, with the norms taken as described next::

      import batchwise_telemetry as batchwise

      with batchwise.track(model, optimizer, scaler, micro_batch_size=b, accumulation_steps=k,
                           dataset_size=len(train_set), clip=1.0) as t:
          for step in range(steps):
              for x, y in micro_batches(step):         # k per rank
                  with t.micro_batch():                 # DDP: no_sync() but on the last one
                      t.backward(loss_fn(model(x), y))  # mean loss; /k and the scale: done here
              t.step()   # norms before clipping, unscale_, clip, step, update, zero_grad, event

* ``TelemetryWriter``: writes the protocol's JSON lines (``start``, ``step``, ``eval``, ``oom``,
  ``end``)
  to the file named by the environment variable ``BATCHWISE_TELEMETRY`` (set by
  ``batchwise find --engine command``), else to standard output. Standard library only.
* ``GradNormTracker``: PyTorch hooks that record, at the same weights, each micro-batch's (or,
  in DistributedDataParallel, each rank's local, before the all-reduce) gradient squared norm
  and the squared norm of the accumulated or all-reduced gradient, with the loss scale divided
  out (squared) and BEFORE gradient clipping: what the gradient noise scale needs
  (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training", App. A.1). torch is
  imported lazily, only by the tracker.

Peak memory (``peakBytes``): ``peak_memory_bytes(device)`` reads the CUDA allocator's peak since
the last reset on a CUDA device (``memoryKind`` "cuda-allocated"); without CUDA (CPU training,
MPS) it reports the process's peak resident memory (VmHWM, or getrusage's ru_maxrss; memoryKind
"process-rss"), which includes the interpreter and libraries and never goes down: the steps of
one run report a non-decreasing peak. ``track`` writes the kind in its ``start`` event.

Works with PyTorch 1.13 and 2.x (nothing version-specific is used). The long way, by hand, in a
PyTorch loop (k micro-batches per optimizer step, optionally DDP)::

    from batchwise_telemetry import GradNormTracker, TelemetryWriter, peak_memory_bytes

    writer = TelemetryWriter()                      # rank 0 writes, other ranks stay silent
    writer.start(framework="pytorch", micro_batch_size=b, accumulation_steps=k,
                 dataset_size=len(train_set))
    tracker = GradNormTracker(model, accumulation_steps=k, scaler=scaler)   # scaler optional
    for step in range(steps):
        t0 = time.perf_counter()
        tracker.begin_step()
        for i, (x, y) in enumerate(micro_batches):  # k of them
            sync = contextlib.nullcontext() if i == k - 1 else model.no_sync()  # DDP only
            with sync:
                loss = loss_fn(model(x), y) / k    # mean loss of the micro-batch, divided by k
                scaler.scale(loss).backward()       # or loss.backward()
            tracker.after_backward()                # closes this micro-batch's norm
        norms = tracker.end_step()                  # BEFORE scaler.unscale_ and clipping
        scaler.unscale_(optimizer); torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        scaler.step(optimizer); scaler.update(); optimizer.zero_grad(set_to_none=True)
        writer.step(step=step, batch_size=b * k * world_size, seconds=time.perf_counter() - t0,
                    loss=loss.item() * k, peak_bytes=peak_memory_bytes(), **norms)
    writer.end()

How the norms are taken: a hook on every parameter (``Tensor.register_hook``) sees the gradient
of each backward pass before it is added into ``.grad`` and before DDP's all-reduce, so one
micro-batch's local squared norm is the sum of its hooks' squared sums; the accumulated
(all-reduced) gradient is ``.grad`` itself, read in ``end_step``. In DDP every rank's local
norms are gathered to rank 0 (one all-gather of k numbers per step). Costs: one squared sum per
parameter per backward, on the device; one host sync per step.
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import IO, Any, Dict, Iterable, List, Optional, Sequence

PROTOCOL_VERSION = 1
ENVIRONMENT_VARIABLE = "BATCHWISE_TELEMETRY"

#: Protocol extension ``eval`` (docs/protocol.md, "Evaluations"): validation metrics after a step.
EVAL_VERSION = 1
#: Put in the start event (``protocol={**EVAL_SUPPORT}``) when the script writes ``eval`` events.
EVAL_SUPPORT = {"eval": EVAL_VERSION}
#: batchwise asks for an evaluation every this many steps ({eval_every}; also this variable).
EVAL_EVERY_VARIABLE = "BATCHWISE_EVAL_EVERY"


def eval_every(value: Optional[int] = None) -> int:
    """Steps between evaluations: ``value`` (the script's ``--eval-every {eval_every}``), else
    $BATCHWISE_EVAL_EVERY, else 0 (no evaluation asked: write no ``eval`` event)."""
    if value is not None:
        return max(0, int(value))
    try:
        return max(0, int(os.environ.get(EVAL_EVERY_VARIABLE, "0") or 0))
    except ValueError:
        return 0


def _json_number(value: float) -> Any:
    """JSON has no NaN or Infinity: the protocol writes them as strings."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return value
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _clean(fields: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            out[key] = [_json_number(v) for v in value]
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = _json_number(value)
        else:
            out[key] = value
    return out


def unscale_sq_norm(sq_norm: float, loss_scale: Optional[float]) -> float:
    """Divide a loss scale out of a squared norm: gradients scale by s, squared norms by s^2."""
    if loss_scale is None or loss_scale == 1:
        return float(sq_norm)
    if not loss_scale > 0:
        raise ValueError("loss_scale must be > 0, got %r" % (loss_scale,))
    return float(sq_norm) / (float(loss_scale) ** 2)


def sq_norm(values: Iterable[float]) -> float:
    """Squared Euclidean norm of a flat sequence of numbers (for scripts without a framework)."""
    return math.fsum(float(v) * float(v) for v in values)


class TelemetryWriter:
    """Writes protocol events as JSON lines, one per call, flushed at once.

    ``path``: a file (appended to); default the environment variable BATCHWISE_TELEMETRY, else
    ``stream`` (default sys.stdout). ``rank``: in data-parallel runs only rank 0 writes unless
    ``every_rank`` is set (then each line carries ``rank``); by default the rank is taken from
    the RANK environment variable that torchrun sets.
    """

    def __init__(
        self,
        path: Optional[str] = None,
        stream: Optional[IO[str]] = None,
        rank: Optional[int] = None,
        every_rank: bool = False,
    ) -> None:
        self.rank = int(os.environ.get("RANK", "0")) if rank is None else int(rank)
        self.every_rank = every_rank
        self._owned: Optional[IO[str]] = None
        target = path if path is not None else os.environ.get(ENVIRONMENT_VARIABLE)
        if not self.enabled:
            self._stream: Optional[IO[str]] = None
        elif target:
            self._owned = open(target, "a", encoding="utf-8")
            self._stream = self._owned
        else:
            self._stream = stream if stream is not None else sys.stdout

    @property
    def enabled(self) -> bool:
        return self.every_rank or self.rank == 0

    def write(self, event: str, **fields: Any) -> None:
        """Any event; None fields are left out, non-finite numbers written as strings."""
        if self._stream is None:
            return
        record = {"v": PROTOCOL_VERSION, "event": event}
        record.update(_clean(fields))
        self._stream.write(json.dumps(record, allow_nan=False, separators=(",", ":")) + "\n")
        self._stream.flush()

    def start(
        self,
        framework: str,
        world_size: int = 1,
        micro_batch_size: Optional[int] = None,
        accumulation_steps: int = 1,
        dataset_size: Optional[int] = None,
        parameter_count: Optional[int] = None,
        **extra: Any,
    ) -> None:
        self.write(
            "start",
            framework=framework,
            worldSize=int(world_size),
            rank=self.rank,
            microBatchSize=micro_batch_size,
            accumulationSteps=int(accumulation_steps),
            datasetSize=dataset_size,
            parameterCount=parameter_count,
            **extra,
        )

    def step(
        self,
        step: int,
        batch_size: int,
        seconds: float,
        loss: float,
        peak_bytes: Optional[float] = None,
        micro_batch_size: Optional[int] = None,
        micro_sq_norms: Optional[Sequence[float]] = None,
        sq_norm: Optional[float] = None,
        tokens: Optional[int] = None,
        loss_scale: Optional[float] = None,
        world_size: Optional[int] = None,
        item: Optional[int] = None,
    ) -> None:
        """One optimizer step. Norms must already be unscaled, or give the ``loss_scale``.
        ``item``: with plans (batchwise_plan.py), the id of the work item the step belongs to."""
        self.write(
            "step",
            step=int(step),
            batchSize=int(batch_size),
            seconds=float(seconds),
            loss=float(loss),
            peakBytes=peak_bytes,
            microBatchSize=micro_batch_size,
            microSqNorms=list(micro_sq_norms) if micro_sq_norms is not None else None,
            sqNorm=sq_norm,
            tokens=tokens,
            lossScale=loss_scale,
            rank=self.rank if self.every_rank else None,
            worldSize=world_size if self.every_rank else None,
            item=item,
        )

    def eval(
        self,
        step: int,
        loss: float,
        accuracy: Optional[float] = None,
        examples: Optional[int] = None,
        item: Optional[int] = None,
    ) -> None:
        """Validation metrics of the weights after ``step`` optimizer steps (0: the initial
        weights), on ``examples`` held-out examples: the mean ``loss`` and, where the task has
        one, ``accuracy`` in [0, 1]. Extension ``eval`` 1: write it only when batchwise asks
        (``eval_every()`` > 0), and announce ``EVAL_SUPPORT`` in ``start``."""
        self.write(
            "eval",
            step=int(step),
            loss=float(loss),
            accuracy=None if accuracy is None else float(accuracy),
            examples=None if examples is None else int(examples),
            rank=self.rank if self.every_rank else None,
            item=item,
        )

    def oom(self, message: str = "out of memory", batch_size: Optional[int] = None, **extra: Any) -> None:
        self.write("oom", message=str(message).splitlines()[0] if message else "out of memory",
                   batchSize=batch_size, **extra)

    def end(self, steps: Optional[int] = None, seconds: Optional[float] = None) -> None:
        self.write("end", steps=steps, seconds=seconds)

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()
            self._owned = None
        self._stream = None

    def __enter__(self) -> "TelemetryWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def cuda_peak_bytes(reset: bool = True) -> Optional[int]:
    """Peak CUDA memory allocated since the last reset (per device), or None without CUDA."""
    try:
        import torch  # noqa: PLC0415 - lazy on purpose
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    peak = int(torch.cuda.max_memory_allocated())
    if reset:
        torch.cuda.reset_peak_memory_stats()
    return peak


def process_peak_rss_bytes() -> Optional[int]:
    """Peak resident memory of this process since it started (its high-water mark), or None.

    Linux: ``VmHWM`` of /proc/self/status, else ``getrusage(RUSAGE_SELF).ru_maxrss`` (KiB on
    Linux, bytes on macOS). It includes the interpreter, the framework's libraries and
    everything allocated so far, and it NEVER goes down: successive steps of one process report
    a non-decreasing peak (the largest step so far, or the start-up, whichever is larger).
    Linux computes VmHWM lazily (the high-water mark is folded in only on some paths, so a read
    can come out below an earlier one): the running maximum of the reads is returned.
    """
    global _PEAK_RSS_SEEN
    peak = _read_peak_rss_bytes()
    if peak is None:
        return None
    _PEAK_RSS_SEEN = max(_PEAK_RSS_SEEN, peak)
    return _PEAK_RSS_SEEN


_PEAK_RSS_SEEN = 0


def _read_peak_rss_bytes() -> Optional[int]:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource  # noqa: PLC0415 - not on Windows
    except ImportError:
        return None
    peak = int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    return peak if sys.platform == "darwin" else peak * 1024


#: What ``peakBytes`` measures, written as the start event's ``memoryKind``.
MEMORY_CUDA_ALLOCATED = "cuda-allocated"
MEMORY_PROCESS_RSS = "process-rss"


def memory_kind(device: Any = None) -> Optional[str]:
    """``"cuda-allocated"`` where ``peak_memory_bytes(device)`` reads the CUDA allocator's peak,
    ``"process-rss"`` where it falls back to the process's peak resident memory, else None."""
    if _cuda_device(device) is not None:
        return MEMORY_CUDA_ALLOCATED
    return MEMORY_PROCESS_RSS if process_peak_rss_bytes() is not None else None


def peak_memory_bytes(device: Any = None, reset: bool = True) -> Optional[int]:
    """Peak memory for a step's ``peakBytes``: the CUDA allocator's peak since the last reset on
    a CUDA device (``cuda_peak_bytes``), else the process's peak resident memory
    (``process_peak_rss_bytes``, which never goes down). ``memory_kind(device)`` says which."""
    cuda = _cuda_device(device)
    if cuda is not None:
        import torch  # noqa: PLC0415

        peak = int(torch.cuda.max_memory_allocated(cuda))
        if reset:
            torch.cuda.reset_peak_memory_stats(cuda)
        return peak
    return process_peak_rss_bytes()


def _cuda_device(device: Any) -> Any:
    """The CUDA device to read the allocator of, or None (CPU, MPS, no torch, no CUDA)."""
    if device is not None and getattr(device, "type", str(device).split(":")[0]) != "cuda":
        return None
    try:
        import torch  # noqa: PLC0415
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    return torch.device(device) if device is not None else torch.device("cuda", torch.cuda.current_device())


def _wide(tensor: Any) -> Any:
    """Half and bfloat16 gradients are squared in float32; float32 and float64 stay as they are."""
    import torch  # noqa: PLC0415

    return tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16) else tensor


def is_out_of_memory(error: BaseException) -> bool:
    """True for the out-of-memory errors of CUDA, ROCm/HIP, MPS and the CPU allocator."""
    name = type(error).__name__
    text = str(error)
    return (
        name == "OutOfMemoryError"
        or "out of memory" in text.lower()
        or "can't allocate memory" in text.lower()  # torch's DefaultCPUAllocator
        or "Cannot allocate memory" in text
        or "RESOURCE_EXHAUSTED" in text
        or "CUBLAS_STATUS_ALLOC_FAILED" in text
    )


class GradNormTracker:
    """Per-micro-batch (or per-rank local) and accumulated gradient squared norms in PyTorch.

    ``accumulation_steps`` (k, for the record): the loop divides each micro-batch's mean loss by
    the number of micro-batches, as gradient accumulation usually does; the tracker multiplies
    the micro-batch squared norms by k^2 (k = micro-batches recorded in the step) so that they
    are norms of each micro-batch's mean-loss gradient (``loss_divided=False`` if the loop does
    not divide; then ``.grad`` is a sum, not a mean, and is divided by k^2 instead). ``scaler``: a torch.cuda.amp.GradScaler whose scale is divided
    out (squared), or ``loss_scale`` a fixed one. Call ``end_step`` after the last backward and
    before ``scaler.unscale_``, clipping and ``optimizer.step``: norms before clipping.
    """

    def __init__(
        self,
        model: Any,
        accumulation_steps: int = 1,
        scaler: Any = None,
        loss_scale: Optional[float] = None,
        loss_divided: bool = True,
        gather_ranks: bool = True,
    ) -> None:
        import torch  # noqa: PLC0415 - lazy: this module works without torch

        self._torch = torch
        self.accumulation_steps = int(accumulation_steps)
        self.scaler = scaler
        self.loss_scale = loss_scale
        self.loss_divided = loss_divided
        self.gather_ranks = gather_ranks
        self._parameters = [p for p in model.parameters() if p.requires_grad]
        if not self._parameters:
            raise ValueError("the model has no trainable parameters")
        self._current: Any = None
        self._micro: List[Any] = []
        self._handles = [p.register_hook(self._hook) for p in self._parameters]

    # A tensor hook sees this backward's gradient of one parameter before it is accumulated
    # into .grad and before DDP all-reduces it: the rank-local micro-batch gradient.
    def _hook(self, grad: Any) -> None:
        square = _wide(grad.detach()).pow(2).sum()
        self._current = square if self._current is None else self._current + square
        return None

    def begin_step(self) -> None:
        self._current = None
        self._micro = []

    def after_backward(self) -> None:
        """Closes the norm of the micro-batch whose backward just ran."""
        if self._current is None:
            raise RuntimeError("after_backward(): no gradient reached the hooks since the last call")
        self._micro.append(self._current)
        self._current = None

    def _scale(self) -> float:
        if self.scaler is not None and getattr(self.scaler, "is_enabled", lambda: True)():
            return float(self.scaler.get_scale())
        return float(self.loss_scale) if self.loss_scale else 1.0

    def end_step(self) -> Dict[str, Any]:
        """``{"micro_sq_norms": [...], "sq_norm": x, "micro_batch_size": None}`` for writer.step.

        In DDP the list holds every rank's micro-batches (rank 0 gets all of them; the other
        ranks get the same list). Non-finite values (an overflowed fp16 step) are kept.
        """
        torch = self._torch
        if self._current is not None:
            self.after_backward()
        if not self._micro:
            raise RuntimeError("end_step(): no micro-batch was recorded (call after_backward)")
        with torch.no_grad():
            total = None
            for p in self._parameters:
                if p.grad is None:
                    continue
                square = _wide(p.grad.detach()).pow(2).sum()
                total = square if total is None else total + square
            if total is None:
                raise RuntimeError("end_step(): no parameter has a gradient")
            micro = torch.stack([m.to(device=total.device, dtype=total.dtype) for m in self._micro])
            if not self.loss_divided and len(self._micro) > 1:
                total = total / float(len(self._micro)) ** 2
            if self.loss_divided and len(self._micro) > 1:
                # Each backward saw loss/k: its gradient is the micro-batch's mean gradient / k.
                micro = micro * float(len(self._micro)) ** 2
            dist = torch.distributed
            if self.gather_ranks and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
                gathered = [torch.empty_like(micro) for _ in range(dist.get_world_size())]
                dist.all_gather(gathered, micro)
                micro = torch.cat(gathered)
            values = torch.cat([micro, total.reshape(1)]).double().cpu().tolist()
        scale = self._scale()
        micro_values = [unscale_sq_norm(v, scale) for v in values[:-1]]
        return {"micro_sq_norms": micro_values, "sq_norm": unscale_sq_norm(values[-1], scale)}

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


class Tracker:
    """An instrumented PyTorch training loop: what ``track(...)`` returns (see ``track``).

    ``with track(model, optimizer, scaler, micro_batch_size=b, accumulation_steps=k,
    dataset_size=n) as t``, then per optimizer step ``with t.micro_batch(): t.backward(loss)``
    once per micro-batch and ``t.step()``.
    """

    def __init__(
        self,
        model: Any,
        optimizer: Any = None,
        scaler: Any = None,
        *,
        micro_batch_size: int,
        accumulation_steps: int = 1,
        dataset_size: Optional[int] = None,
        loss_scale: Optional[float] = None,
        clip: Optional[float] = None,
        writer: Optional[TelemetryWriter] = None,
        tokens_per_example: Optional[float] = None,
        framework: str = "pytorch",
        **start_fields: Any,
    ) -> None:
        import torch  # noqa: PLC0415 - lazy: this module works without torch

        if int(micro_batch_size) < 1 or int(accumulation_steps) < 1:
            raise ValueError("micro_batch_size and accumulation_steps must be >= 1")
        if scaler is not None and loss_scale is not None:
            raise ValueError("give a scaler (dynamic loss scale) or a fixed loss_scale, not both")
        self._torch = torch
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler if scaler is not None and getattr(scaler, "is_enabled", lambda: True)() else None
        self.loss_scale = float(loss_scale) if loss_scale is not None and float(loss_scale) != 1.0 else None
        self.micro_batch_size = int(micro_batch_size)
        self.accumulation_steps = int(accumulation_steps)
        self.dataset_size = dataset_size
        self.clip = clip
        self.tokens_per_example = tokens_per_example
        dist = torch.distributed
        self.distributed = dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1
        self.world_size = dist.get_world_size() if self.distributed else 1
        self.rank = dist.get_rank() if self.distributed else 0
        self._owns_writer = writer is None
        self.writer = writer if writer is not None else TelemetryWriter(rank=self.rank)
        parameters = [p for p in model.parameters() if p.requires_grad]
        self.device = parameters[0].device if parameters else torch.device("cpu")
        self.memory_kind = memory_kind(self.device)
        self.parameter_count = sum(p.numel() for p in {id(p): p for p in parameters}.values())
        self._norms = GradNormTracker(model, accumulation_steps=self.accumulation_steps,
                                      scaler=self.scaler, loss_scale=self.loss_scale)
        self._framework = framework
        self._start_fields = start_fields
        self.steps = 0
        self.last: Optional[Dict[str, Any]] = None
        self._losses: List[Any] = []
        self._micro_index = 0
        self._run_started = 0.0
        self._step_started = 0.0
        #: With plans: the work item's id, written as every step event's ``item`` (None: none).
        self.item: Optional[int] = None
        self._batch_size: Optional[int] = None

    @property
    def batch_size(self) -> int:
        """The global batch of one optimizer step: micro-batch × accumulation × ranks, or the
        item's ``batch_size`` given to ``begin_item`` (ranks with unequal shares)."""
        if self._batch_size is not None:
            return self._batch_size
        return self.micro_batch_size * self.accumulation_steps * self.world_size

    def _now(self) -> float:
        import time  # noqa: PLC0415

        if self.device.type == "cuda":
            self._torch.cuda.synchronize(self.device)
        return time.perf_counter()

    def __enter__(self) -> "Tracker":
        self.writer.start(
            framework=self._framework,
            world_size=self.world_size,
            micro_batch_size=self.micro_batch_size,
            accumulation_steps=self.accumulation_steps,
            dataset_size=self.dataset_size,
            parameter_count=self.parameter_count,
            **{
                "frameworkVersion": self._torch.__version__ if self._framework == "pytorch" else None,
                "device": str(self.device),
                "memoryKind": self.memory_kind,
                "lossScale": self._scale_now(),
                "tokensPerExample": self.tokens_per_example,
                **self._start_fields,
            },
        )
        if self.device.type == "cuda":
            self._torch.cuda.reset_peak_memory_stats(self.device)
        self._run_started = self._step_started = self._now()
        return self

    def begin_item(self, item: Optional[int], micro_batch_size: int, accumulation_steps: int = 1,
                   batch_size: Optional[int] = None) -> None:
        """With plans (batchwise_plan.py): the next steps belong to work item ``item`` and run
        ``accumulation_steps`` micro-batches of ``micro_batch_size`` per rank. Steps count from 0
        again, the peak-memory counter is reset (CUDA), and what a failed step (out of memory)
        left behind is dropped: its micro-batch norms, its losses, its gradients. ``batch_size``:
        the global batch the step events report, where it is not micro × accumulation × ranks
        (a batch the ranks do not divide: their shares differ; the micro-batch norms are then
        of unequal micro-batches, fit for memory and time, not for the noise scale)."""
        if int(micro_batch_size) < 1 or int(accumulation_steps) < 1:
            raise ValueError("micro_batch_size and accumulation_steps must be >= 1")
        self.item = item
        self._batch_size = None if batch_size is None else int(batch_size)
        self.micro_batch_size = int(micro_batch_size)
        self.accumulation_steps = int(accumulation_steps)
        self._norms.accumulation_steps = self.accumulation_steps
        self._norms.begin_step()
        self._losses = []
        self._micro_index = 0
        self.steps = 0
        if self.optimizer is not None:
            self.optimizer.zero_grad(set_to_none=True)
        if self.device.type == "cuda":
            self._torch.cuda.empty_cache()
            self._torch.cuda.reset_peak_memory_stats(self.device)
        self._step_started = self._now()

    def _scale_now(self) -> Optional[float]:
        if self.scaler is not None:
            return float(self.scaler.get_scale())
        return self.loss_scale

    def micro_batch(self) -> Any:
        """Context for one micro-batch's forward and backward: under DistributedDataParallel
        every micro-batch but the step's last runs in ``model.no_sync()`` (one all-reduce per
        optimizer step); elsewhere it does nothing."""
        import contextlib  # noqa: PLC0415

        last = self._micro_index >= self.accumulation_steps - 1
        if self.distributed and not last and hasattr(self.model, "no_sync"):
            return self.model.no_sync()
        return contextlib.nullcontext()

    def backward(self, loss: Any) -> None:
        """Backward of one micro-batch's MEAN loss: divided by k, multiplied by the loss scale
        (``scaler.scale`` or the fixed ``loss_scale``), then its gradient squared norm recorded."""
        if self._micro_index >= self.accumulation_steps:
            raise RuntimeError(
                "backward(): already %d micro-batches in this step (accumulation_steps=%d); "
                "call step()" % (self._micro_index, self.accumulation_steps)
            )
        if self._micro_index == 0:
            self._norms.begin_step()
        self._losses.append(loss.detach())
        scaled = loss / self.accumulation_steps if self.accumulation_steps > 1 else loss
        if self.scaler is not None:
            scaled = self.scaler.scale(scaled)
        elif self.loss_scale is not None:
            scaled = scaled * self.loss_scale
        scaled.backward()
        self._norms.after_backward()
        self._micro_index += 1

    def step(self, loss: Optional[float] = None, clip: Optional[float] = None,
             tokens: Optional[int] = None) -> Dict[str, Any]:
        """Ends the optimizer step: reads the norms (before unscaling and clipping), then, when
        an optimizer was given, unscales, clips to ``clip`` (or the tracker's), steps, updates
        the scaler and zeroes the gradients; writes the ``step`` event and returns its fields.
        Without an optimizer only the norms are read and the event written: step it yourself,
        after this call (the norms must be taken before clipping)."""
        torch = self._torch
        if self._micro_index != self.accumulation_steps:
            raise RuntimeError(
                "step(): %d micro-batches since the last step, but accumulation_steps=%d"
                % (self._micro_index, self.accumulation_steps)
            )
        norms = self._norms.end_step()
        if self.optimizer is not None:
            parameters = [p for group in self.optimizer.param_groups for p in group["params"]]
            if self.scaler is not None:
                self.scaler.unscale_(self.optimizer)
            elif self.loss_scale is not None:
                with torch.no_grad():
                    for p in parameters:
                        if p.grad is not None:
                            p.grad.div_(self.loss_scale)
            limit = clip if clip is not None else self.clip
            if limit is not None:
                torch.nn.utils.clip_grad_norm_(parameters, limit)
            if self.scaler is not None:
                self.scaler.step(self.optimizer)
                self.scaler.update()
            else:
                self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        now = self._now()
        if loss is None:
            loss = float(torch.stack([v.float() for v in self._losses]).mean())
        if tokens is None and self.tokens_per_example is not None:
            tokens = int(round(self.batch_size * self.tokens_per_example))
        record = {
            "step": self.steps,
            "batch_size": self.batch_size,
            "seconds": now - self._step_started,
            "loss": float(loss),
            "peak_bytes": peak_memory_bytes(self.device),
            "micro_batch_size": self.micro_batch_size,
            "tokens": tokens,
            **norms,
        }
        self.writer.step(**record, item=self.item)
        self.last = record
        self.steps += 1
        self._losses = []
        self._micro_index = 0
        self._step_started = self._now()
        return record

    def eval(self, loss: float, accuracy: Optional[float] = None,
             examples: Optional[int] = None) -> None:
        """Writes an ``eval`` event: the validation metrics of the current weights (after the
        ``t.steps`` optimizer steps so far) on ``examples`` held-out examples. The time since the
        previous ``t.step()`` (the evaluation's) is left out of the next step's seconds::

            if every and t.steps % every == 0:
                t.eval(loss=validation_loss, accuracy=validation_accuracy, examples=n)
        """
        self.writer.eval(step=self.steps, loss=float(loss), accuracy=accuracy, examples=examples,
                         item=self.item)
        self._step_started = self._now()

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> bool:
        self._norms.remove()
        if exc is None:
            self.writer.end(steps=self.steps, seconds=self._now() - self._run_started)
        elif is_out_of_memory(exc):
            self.writer.oom(str(exc), batch_size=self.batch_size, step=self.steps)
        if self._owns_writer:
            self.writer.close()
        return False


def track(model: Any, optimizer: Any = None, scaler: Any = None, **options: Any) -> Tracker:
    """Instruments a PyTorch loop in three lines: a ``with``, one ``t.backward`` per micro-batch
    (inside ``with t.micro_batch()`` under DDP with accumulation) and one ``t.step()``::

        import batchwise_telemetry as batchwise

        with batchwise.track(model, optimizer, scaler, micro_batch_size=b, accumulation_steps=k,
                             dataset_size=len(train_set), clip=1.0) as t:
            for step in range(steps):
                for x, y in micro_batches(step):            # k of them on every rank
                    with t.micro_batch():                    # model.no_sync() but on the last
                        t.backward(loss_fn(model(x), y))     # the micro-batch's MEAN loss
                t.step()      # norms, unscale, clip, optimizer and scaler step, zero_grad, event

    It writes ``start`` on entry (framework, world size, micro-batch, accumulation, dataset size,
    parameter count, device, ``memoryKind``), one ``step`` per ``t.step()`` (global batch, seconds
    since the previous step, the mean micro-batch loss, ``peakBytes``, the micro-batch or
    rank-local squared norms of every rank and that of the accumulated, all-reduced gradient,
    taken before clipping with the loss scale divided out), and ``end`` on a normal exit or
    ``oom`` when an out-of-memory error leaves the block (the error propagates). ``scaler``: a
    ``GradScaler`` (or anything with its ``scale``/``unscale_``/``step``/``update``/``get_scale``);
    ``loss_scale``: a fixed loss scale instead. ``optimizer=None``: ``t.step()`` only measures and
    writes; step the optimizer yourself afterwards. Other keyword arguments go into ``start``.
    """
    return Tracker(model, optimizer, scaler, **options)
