"""batchwise plans for Python training scripts (telemetry protocol extension ``plan`` 1).

With plans, ``batchwise find --engine command`` starts a script once and hands it many trials
(memory trials, throughput steps) as *work items*, instead of starting it once per trial: the
interpreter, the framework import, the device and the data are set up once, and every timed step
after the first few is warm. Standard library only; docs/protocol.md ("Plans") is the reference.

What a script does (``work_items`` and ``PlanRun`` do the plan side of it):

1. Find the plan file: ``--plan {plan}`` in the ``--cmd`` template, or the environment variable
   ``BATCHWISE_PLAN`` (set whenever batchwise runs a plan). Neither: run once as before, from
   ``{batch}`` and ``{steps}`` (the one-run-per-trial mode; old scripts keep working).
2. Write the ``start`` event. Add ``"protocol": {"plan": 1}`` to it (``PLAN_SUPPORT``) so that
   batchwise uses plans even when the template has no ``{plan}``.
3. Read work items, one JSON line each, as batchwise appends them; wait for the next line.
   An item: ``{"v":1,"id":7,"phase":"memory","batchSize":64,"steps":2,"microBatchSize":64,
   "accumulation":1}``. A line ``{"v":1,"stop":true}`` ends the plan.
4. For each item run ``steps`` optimizer steps of ``batchSize`` examples (``microBatchSize`` ×
   ``accumulation``, as with ``{micro_batch}`` and ``{accumulation}``), continuing from the
   current weights; reset the peak-memory counter first (``torch.cuda.reset_peak_memory_stats()``)
   so that each step's ``peakBytes`` is the item's. Write every ``step`` event with
   ``"item": <id>`` (the ``step`` field counts from 0 within the item), then
   ``{"v":1,"event":"item-end","item":<id>}``. An item may ask for 0 steps (the opening
   handshake): write only its ``item-end``.
5. Out of memory in an item: write ``{"v":1,"event":"oom","item":<id>,"message":...}``, free what
   the failed step held (drop references, ``optimizer.zero_grad(set_to_none=True)``,
   ``torch.cuda.empty_cache()``) and go on with the next item. A script that cannot recover
   exits non-zero instead; batchwise starts a fresh process for the next item.
6. At the stop line write ``end`` and exit 0. batchwise may also end the process at any time
   (SIGTERM to its process group, e.g. when ``--noise-seconds`` is up); what was written is kept.

All ranks of a distributed run can read the same plan file (items are the same for every rank);
only rank 0 needs to write events. Example with ``batchwise_telemetry``::

    import torch
    from batchwise_plan import PLAN_SUPPORT, PlanRun, plan_path, work_items
    from batchwise_telemetry import TelemetryWriter, cuda_peak_bytes

    writer = TelemetryWriter()
    writer.start(framework="pytorch", dataset_size=len(train_set), protocol=PLAN_SUPPORT)
    path = plan_path(args.plan)                     # --plan {plan}, else $BATCHWISE_PLAN
    if path is None:                                 # one run per trial, as before
        train(args.batch_size, args.steps, item=None)
    else:
        for item in work_items(path):
            run = PlanRun(writer, item)              # writes item-end (or oom) for you
            with run:
                torch.cuda.reset_peak_memory_stats()
                for step in range(item.steps):
                    loss, seconds = train_step(item.micro_batch_size, item.accumulation)
                    run.step(step=step, batch_size=item.batch_size, seconds=seconds,
                             loss=loss, peak_bytes=cuda_peak_bytes())
            if run.out_of_memory:
                torch.cuda.empty_cache()             # recovered: on to the next item
    writer.end()

``PlanRun`` turns ``torch.cuda.OutOfMemoryError`` (and any exception whose message says it ran
out of memory) into the item's ``oom`` event; other exceptions propagate.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Any, Iterator, Optional

PLAN_VERSION = 1
#: Put in the start event (``"protocol": PLAN_SUPPORT``): this script runs plans.
PLAN_SUPPORT = {"plan": PLAN_VERSION}

_OOM_TEXTS = (
    "out of memory",
    "CUBLAS_STATUS_ALLOC_FAILED",
    "CUDNN_STATUS_ALLOC_FAILED",
    "RESOURCE_EXHAUSTED",
    "hipErrorOutOfMemory",
)


@dataclass(frozen=True)
class WorkItem:
    """One work item of a plan: ``steps`` optimizer steps of ``batch_size`` examples."""

    id: int
    phase: str
    batch_size: int
    steps: int
    micro_batch_size: int
    accumulation: int


def plan_path(argument: Optional[str] = None) -> Optional[str]:
    """The plan file: the ``{plan}`` argument if given, else ``$BATCHWISE_PLAN``, else None."""
    return argument or os.environ.get("BATCHWISE_PLAN") or None


def work_items(path: str, poll_seconds: float = 0.005) -> Iterator[WorkItem]:
    """Yields the plan's work items as batchwise appends them, until its stop line.

    Waits (polling every ``poll_seconds``) for lines not written yet; a partial last line is kept
    until its newline arrives. Raises ``ValueError`` on a line that is not a version-1 plan line.
    """
    pending = ""
    with open(path, "r", encoding="utf-8") as plan:
        while True:
            chunk = plan.readline()
            if not chunk:
                time.sleep(poll_seconds)
                continue
            pending += chunk
            if not pending.endswith("\n"):
                continue
            text, pending = pending.strip(), ""
            if not text:
                continue
            line = json.loads(text)
            if line.get("v") != PLAN_VERSION:
                raise ValueError(f"plan version {line.get('v')!r} is not {PLAN_VERSION}: {text}")
            if line.get("stop") is True:
                return
            yield WorkItem(
                id=int(line["id"]),
                phase=str(line.get("phase", "")),
                batch_size=int(line["batchSize"]),
                steps=int(line["steps"]),
                micro_batch_size=int(line["microBatchSize"]),
                accumulation=int(line["accumulation"]),
            )


def _is_out_of_memory(error: BaseException) -> bool:
    if type(error).__name__ in ("OutOfMemoryError", "MemoryError"):
        return True
    return any(text in str(error) for text in _OOM_TEXTS)


class PlanRun:
    """Context manager for one item: tags steps with the item id, ends the item.

    On a normal exit it writes ``item-end``; on an out-of-memory exception it writes the item's
    ``oom`` event and swallows the exception (``out_of_memory`` is then True), so that the loop
    goes on with the next item. ``writer``: a ``batchwise_telemetry.TelemetryWriter`` (anything
    with ``write(event, **fields)``), or a callable that takes the whole event as a dict.
    """

    def __init__(self, writer: Any, item: WorkItem) -> None:
        self.item = item
        self.out_of_memory = False
        self._writer = writer

    def _emit(self, event: str, **fields: Any) -> None:
        write = getattr(self._writer, "write", None)
        if write is not None:
            write(event, **fields)
        else:
            self._writer({"v": 1, "event": event, **{k: v for k, v in fields.items() if v is not None}})

    def step(self, **fields: Any) -> None:
        """Writes one ``step`` event of this item (``batch_size`` -> ``batchSize`` and so on)."""
        camel = {}
        for key, value in fields.items():
            head, *rest = key.split("_")
            camel[head + "".join(part.title() for part in rest)] = value
        self._emit("step", item=self.item.id, **camel)

    def __enter__(self) -> "PlanRun":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None:
            self._emit("item-end", item=self.item.id)
            return False
        if _is_out_of_memory(error):
            self.out_of_memory = True
            text = str(error).strip()
            message = text.splitlines()[0] if text else "out of memory"
            self._emit("oom", item=self.item.id, message=message[:500], batchSize=self.item.batch_size)
            return True
        return False
