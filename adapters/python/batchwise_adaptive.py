"""An adaptive batch size for PyTorch: the batch grows as the gradient noise scale grows.

The batch grows through gradient accumulation (the micro-batch, and so the memory, stays the
same), and the learning rate follows by the rule you pick. Two lines around an ordinary loop::

    import batchwise_adaptive

    loader, optimizer = batchwise_adaptive.adapt(train_set, optimizer, micro_batch_size=32)
    for epoch in range(epochs):
        for x, y in loader:                 # micro-batches of 32
            loss = loss_fn(model(x), y)     # the micro-batch's MEAN loss, as usual
            loss.backward()
            optimizer.step()                # applies after k micro-batches, else does nothing
            optimizer.zero_grad()           # does nothing while a step is being accumulated

Two parts:

* ``AdaptiveController``: the algorithm, pure (no torch, no I/O, no clock): ``observe()`` one
  optimizer step's measurement (its micro-batch gradient squared norms, the squared norm of their
  mean, its seconds), ``decide()`` a change of batch and learning rate, or None. The same
  algorithm, option names (in snake_case) and decisions as the TypeScript side.
* ``adapt(data, optimizer, ...)``: the PyTorch wrapper: a loader of fixed micro-batches and an
  optimizer whose ``step()`` steps once every k micro-batches with the mean of their gradients,
  measures the norms with ``batchwise_telemetry.GradNormTracker``'s hooks, feeds the controller
  and applies its changes (k and every parameter group's lr).

The science (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training"; Johnson et al.
2020, AdaScale; Qiao et al., OSDI 2021, Pollux/AdaptDL) and what each step of the controller
does: docs/adaptive-pytorch.md and docs/analysis.md in the batchwise repository.
"""

from __future__ import annotations

import math
import sys
import time
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple

# ---------------------------------------------------------------------------------------------
# Defaults, in one place (the TypeScript controller has the same).

#: Decay of the exponential moving averages of |G|^2 and tr(Sigma), per optimizer step.
DEFAULT_EMA_DECAY = 0.95
#: Steps between two decisions.
DEFAULT_CHECK_EVERY_STEPS = 50
#: No decision before this many optimizer steps (the averages settle first).
DEFAULT_MIN_STEPS_BEFORE_GROW = 100
#: Grow only when the time-optimal batch is at least this many times the current batch.
DEFAULT_GROW_FACTOR = 2.0
#: The default memory ceiling (max_batch): this fraction of the data set.
DEFAULT_MAX_BATCH_DATASET_FRACTION = 0.25
#: Learning-rate rules on growth.
LR_RULES = ("linear", "sqrt", "noise", "adascale")
#: The default rule per optimizer kind: eq. 2.7's for SGD, the square root for Adam.
DEFAULT_LR_RULE = {"sgd": "noise", "adam": "sqrt"}


class AdaptiveError(ValueError):
    """Bad input to the adaptive controller or wrapper: one line that says what and why."""


# ---------------------------------------------------------------------------------------------
# The pure pieces.


def two_batch_estimate(
    micro_sq_norms: Sequence[float], micro_batch_size: int, sq_norm: float
) -> Tuple[float, float]:
    """(|G|^2, tr(Sigma)) from one step of k micro-batches of b at the same weights.

    McCandlish et al. 2018, App. A.1 (eq. A.2), with B_small = b, |G_small|^2 the mean of the
    micro-batch squared norms, B_big = k b and |G_big|^2 the squared norm of their mean:
        |G|^2     = (B_big |G_big|^2 - B_small |G_small|^2) / (B_big - B_small)
        tr(Sigma) = (|G_small|^2 - |G_big|^2) / (1/B_small - 1/B_big)
    """
    k = len(micro_sq_norms)
    small = float(micro_batch_size)
    big = small * k
    small_sq = math.fsum(float(v) for v in micro_sq_norms) / k
    big_sq = float(sq_norm)
    gradient_sq = (big * big_sq - small * small_sq) / (big - small)
    trace = (small_sq - big_sq) / (1.0 / small - 1.0 / big)
    return gradient_sq, trace


class BiasCorrectedEma:
    """Exponential moving average with the start-up bias divided out (as Adam's moments and
    AdaptDL's noise-scale averages): value = sum_i d^(t-i) (1-d) x_i / (1 - d^t). The first
    value is x_1 itself; the ratio of two such averages is that of the uncorrected ones."""

    def __init__(self, decay: float) -> None:
        self.decay = float(decay)
        self._biased = 0.0
        self._weight = 0.0

    def update(self, value: float) -> None:
        self._biased = self.decay * self._biased + (1.0 - self.decay) * float(value)
        self._weight = self.decay * self._weight + (1.0 - self.decay)

    @property
    def value(self) -> Optional[float]:
        return None if self._weight == 0.0 else self._biased / self._weight


class StepTimes:
    """Measured seconds per optimizer step, by batch size, and the line t(B) = t0 + B/R through
    them (McCandlish et al. 2018, Sec. 2.3's step time; docs/analysis.md "Steps against batch"):
    least squares through the mean step time of each batch size used, one point per size."""

    def __init__(self) -> None:
        self._sums: Dict[int, float] = {}
        self._counts: Dict[int, int] = {}

    def add(self, batch_size: int, step_seconds: float) -> None:
        self._sums[batch_size] = self._sums.get(batch_size, 0.0) + float(step_seconds)
        self._counts[batch_size] = self._counts.get(batch_size, 0) + 1

    def means(self) -> List[Tuple[int, float]]:
        """(batch size, mean step seconds), by batch size."""
        return [(b, self._sums[b] / self._counts[b]) for b in sorted(self._sums)]

    def line(self) -> Optional[Tuple[float, float]]:
        """(t0 seconds, seconds per example = 1/R), or None before two batch sizes were used."""
        points = self.means()
        if len(points) < 2:
            return None
        n = len(points)
        mean_b = math.fsum(b for b, _ in points) / n
        mean_t = math.fsum(t for _, t in points) / n
        sxx = math.fsum((b - mean_b) ** 2 for b, _ in points)
        sxy = math.fsum((b - mean_b) * (t - mean_t) for b, t in points)
        slope = sxy / sxx
        return mean_t - slope * mean_b, slope


def time_optimal_batch(b_noise: float, line: Optional[Tuple[float, float]]) -> float:
    """The batch that minimises the time to a given loss, (1 + B_noise/B)(t0 + B/R):
    eq. 2.11's steps S = S_min (1 + B_noise/B) times the step time t0 + B/R, minimised at
    B* = sqrt(B_noise t0 R). Without a measured line (fewer than two batch sizes used): eq. 2.11's
    critical batch, B* = B_noise. A line with no fixed cost (t0 <= 0) gives 0 (never grow); one
    whose step time does not rise with the batch (1/R <= 0) gives infinity (grow to the cap)."""
    if line is None:
        return b_noise
    t0, seconds_per_example = line
    if seconds_per_example <= 0:
        return math.inf
    if t0 <= 0 or b_noise <= 0:
        return 0.0
    return math.sqrt(b_noise * t0 / seconds_per_example)


def grown_batch(batch_size: int, target: float, grow_factor: float, cap: float) -> int:
    """The largest power-of-2 multiple of ``batch_size`` not above min(target, cap), when
    target >= grow_factor * batch_size; else ``batch_size`` (grow only, never shrink)."""
    if not target >= grow_factor * batch_size:
        return batch_size
    limit = min(target, cap)
    grown = batch_size
    while grown * 2 <= limit:
        grown *= 2
    return grown


def scaled_lr(
    rule: str,
    lr: float,
    from_batch: int,
    to_batch: int,
    gradient_sq: float,
    trace: float,
) -> float:
    """The learning rate after growing from ``from_batch`` to ``to_batch``:

    * ``linear``: lr B_new/B_old (Goyal et al. 2017);
    * ``sqrt``: lr sqrt(B_new/B_old) (Hoffer et al. 2017; Malladi et al. 2022 for Adam);
    * ``noise``: McCandlish et al. 2018 eq. 2.7, lr(B) = lr_max / (1 + B_noise/B), so
      lr_new = lr_old (1 + B_noise/B_old) / (1 + B_noise/B_new);
    * ``adascale``: Johnson et al. 2020's gain r = (tr(Sigma)/B_old + |G|^2) /
      (tr(Sigma)/B_new + |G|^2), with the smoothed estimates; lr_new = lr_old r. With
      B_noise = tr(Sigma)/|G|^2 this is the ``noise`` rule's factor (docs/adaptive-pytorch.md).
    """
    ratio = to_batch / from_batch
    if rule == "linear":
        return lr * ratio
    if rule == "sqrt":
        return lr * math.sqrt(ratio)
    if rule == "noise":
        b_noise = trace / gradient_sq
        return lr * (1.0 + b_noise / from_batch) / (1.0 + b_noise / to_batch)
    if rule == "adascale":
        return lr * (trace / from_batch + gradient_sq) / (trace / to_batch + gradient_sq)
    raise AdaptiveError("lr_rule must be one of %s, got %r" % (", ".join(LR_RULES), rule))


# ---------------------------------------------------------------------------------------------
# The controller.


class BatchChange:
    """One growth of the batch: when (``step``: optimizer steps observed; ``examples``: examples
    trained on), from and to which batch and learning rate, the B_noise behind it and why."""

    __slots__ = ("step", "examples", "from_batch", "to_batch", "from_lr", "to_lr", "b_noise", "reason")

    def __init__(self, step: int, examples: int, from_batch: int, to_batch: int, from_lr: float,
                 to_lr: float, b_noise: float, reason: str) -> None:
        self.step = step
        self.examples = examples
        self.from_batch = from_batch
        self.to_batch = to_batch
        self.from_lr = from_lr
        self.to_lr = to_lr
        self.b_noise = b_noise
        self.reason = reason

    def to_dict(self) -> Dict[str, Any]:
        """The record with the TypeScript side's field names."""
        return {
            "step": self.step,
            "examples": self.examples,
            "fromBatch": self.from_batch,
            "toBatch": self.to_batch,
            "fromLr": self.from_lr,
            "toLr": self.to_lr,
            "bNoise": self.b_noise,
            "reason": self.reason,
        }

    def __repr__(self) -> str:
        return "BatchChange(%r)" % (self.to_dict(),)


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 1:
        raise AdaptiveError("%s must be a whole number >= 1, got %r" % (name, value))
    return int(value)


def _positive_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 and math.isfinite(value)):
        raise AdaptiveError("%s must be a finite number > 0, got %r" % (name, value))
    return float(value)


class AdaptiveController:
    """The adaptive batch controller (issue 16), pure: no torch, no I/O, no clock.

    State: the batch B = b k (``micro_batch_size`` b, k >= 2 micro-batches per optimizer step, so
    that every step measures the noise) and the learning rate.

    * ``observe(micro_sq_norms, sq_norm, step_seconds)`` after each optimizer step: the k
      micro-batch gradient squared norms and that of their mean, taken at the same weights before
      the step, and the step's seconds. Each step's |G|^2 and tr(Sigma) (``two_batch_estimate``,
      App. A.1 eq. A.2) go into bias-corrected moving averages (``ema_decay``); B_noise is the
      ratio of the averages (App. A.1: a ratio of averages, not an average of ratios), undefined
      while the average |G|^2 <= 0. Non-finite norms (a diverged step) are skipped.
    * ``decide()`` after each ``observe``: on steps n >= ``min_steps_before_grow`` with
      n % ``check_every_steps`` == 0, the time-optimal batch B* (``time_optimal_batch``); when
      B* >= ``grow_factor`` B, the batch grows to the largest power-of-2 multiple of B within B*,
      ``max_batch`` and the data set, and the learning rate by ``lr_rule`` (``scaled_lr``). Returns
      the ``BatchChange`` (also appended to ``changes``) or None.

    ``lr_rule``: ``linear``, ``sqrt``, ``noise``, ``adascale``; default by ``optimizer``
    (``"sgd"``: ``noise``, ``"adam"``: ``sqrt``). ``max_batch``: the memory ceiling, default
    ``dataset_size`` / 4 (none without a data set size).
    """

    def __init__(
        self,
        *,
        micro_batch_size: int,
        batch_size: int,
        lr: float,
        lr_rule: Optional[str] = None,
        optimizer: str = "sgd",
        dataset_size: Optional[int] = None,
        max_batch: Optional[int] = None,
        ema_decay: float = DEFAULT_EMA_DECAY,
        check_every_steps: int = DEFAULT_CHECK_EVERY_STEPS,
        min_steps_before_grow: int = DEFAULT_MIN_STEPS_BEFORE_GROW,
        grow_factor: float = DEFAULT_GROW_FACTOR,
    ) -> None:
        self.micro_batch_size = _positive_int("micro_batch_size", micro_batch_size)
        self.batch_size = _positive_int("batch_size", batch_size)
        if self.batch_size % self.micro_batch_size or self.batch_size < 2 * self.micro_batch_size:
            raise AdaptiveError(
                "batch_size (%d) must be a multiple of micro_batch_size (%d), at least 2 of them "
                "(the noise is measured from the micro-batches of each step)"
                % (self.batch_size, self.micro_batch_size)
            )
        self.lr = _positive_float("lr", lr)
        if optimizer not in DEFAULT_LR_RULE:
            raise AdaptiveError("optimizer must be one of %s, got %r" % (", ".join(DEFAULT_LR_RULE), optimizer))
        rule = DEFAULT_LR_RULE[optimizer] if lr_rule is None else lr_rule
        if rule not in LR_RULES:
            raise AdaptiveError("lr_rule must be one of %s, got %r" % (", ".join(LR_RULES), rule))
        self.lr_rule = rule
        self.dataset_size = None if dataset_size is None else _positive_int("dataset_size", dataset_size)
        max_batch_given = max_batch
        if max_batch is None and self.dataset_size is not None:
            max_batch = int(self.dataset_size * DEFAULT_MAX_BATCH_DATASET_FRACTION)
        self.max_batch = None if max_batch is None else _positive_int("max_batch", max_batch)
        if self.max_batch is not None and self.max_batch < self.batch_size:
            raise AdaptiveError(
                "max_batch (%d%s) is below the starting batch_size (%d)"
                % (self.max_batch, " by default: a quarter of the data set" if max_batch_given is None else "",
                   self.batch_size)
            )
        if self.dataset_size is not None and self.dataset_size < self.batch_size:
            raise AdaptiveError(
                "batch_size (%d) is larger than the data set (%d examples)" % (self.batch_size, self.dataset_size)
            )
        self.ema_decay = float(ema_decay)
        if not 0.0 <= self.ema_decay < 1.0:
            raise AdaptiveError("ema_decay must be in [0, 1), got %r" % (ema_decay,))
        self.check_every_steps = _positive_int("check_every_steps", check_every_steps)
        if isinstance(min_steps_before_grow, bool) or not isinstance(min_steps_before_grow, int) or min_steps_before_grow < 0:
            raise AdaptiveError("min_steps_before_grow must be a whole number >= 0, got %r" % (min_steps_before_grow,))
        self.min_steps_before_grow = min_steps_before_grow
        self.grow_factor = float(grow_factor)
        if not (self.grow_factor > 1.0 and math.isfinite(self.grow_factor)):
            raise AdaptiveError("grow_factor must be a finite number > 1, got %r" % (grow_factor,))
        self._gradient_sq = BiasCorrectedEma(self.ema_decay)
        self._trace = BiasCorrectedEma(self.ema_decay)
        self.step_times = StepTimes()
        self.steps = 0
        self.examples = 0
        self.changes: List[BatchChange] = []

    # -- state ---------------------------------------------------------------------------------

    @property
    def accumulation_steps(self) -> int:
        """k: micro-batches per optimizer step at the current batch."""
        return self.batch_size // self.micro_batch_size

    @property
    def gradient_sq(self) -> Optional[float]:
        """The moving average of the |G|^2 estimates (None before the first)."""
        return self._gradient_sq.value

    @property
    def trace(self) -> Optional[float]:
        """The moving average of the tr(Sigma) estimates (None before the first)."""
        return self._trace.value

    @property
    def b_noise(self) -> Optional[float]:
        """B_noise = EMA(tr Sigma) / EMA(|G|^2) (McCandlish et al. 2018 eq. 2.8 with App. A.1's
        smoothing), or None while it cannot be measured (no step yet, or EMA(|G|^2) <= 0)."""
        gradient_sq, trace = self.gradient_sq, self.trace
        if gradient_sq is None or trace is None or not gradient_sq > 0:
            return None
        return trace / gradient_sq

    @property
    def cap(self) -> float:
        """The largest batch allowed: max_batch and the data set size (infinity without)."""
        limits = [v for v in (self.max_batch, self.dataset_size) if v is not None]
        return float(min(limits)) if limits else math.inf

    # -- the two calls -------------------------------------------------------------------------

    def observe(self, micro_sq_norms: Sequence[float], sq_norm: float, step_seconds: float,
                micro_batch_size: Optional[int] = None) -> None:
        """One optimizer step: its k >= 2 micro-batch gradient squared norms (of each micro-batch's
        mean-loss gradient), the squared norm of their mean, and its seconds. ``micro_batch_size``
        defaults to the controller's."""
        b = self.micro_batch_size if micro_batch_size is None else _positive_int("micro_batch_size", micro_batch_size)
        norms = [float(v) for v in micro_sq_norms]
        if len(norms) < 2:
            raise AdaptiveError("observe(): needs the squared norms of at least 2 micro-batches, got %d" % len(norms))
        seconds = float(step_seconds)
        if not (seconds >= 0 and math.isfinite(seconds)):
            raise AdaptiveError("observe(): step_seconds must be a finite number >= 0, got %r" % (step_seconds,))
        batch = b * len(norms)
        self.steps += 1
        self.examples += batch
        self.step_times.add(batch, seconds)
        if all(math.isfinite(v) for v in norms) and math.isfinite(float(sq_norm)):
            gradient_sq, trace = two_batch_estimate(norms, b, sq_norm)
            self._gradient_sq.update(gradient_sq)
            self._trace.update(trace)

    def due(self) -> bool:
        """Whether this step is a decision point (after the warm-up, every check_every_steps)."""
        return self.steps >= self.min_steps_before_grow and self.steps > 0 and self.steps % self.check_every_steps == 0

    def decide(self) -> Optional[BatchChange]:
        """A change of batch and learning rate at this step, applied to the controller's state and
        appended to ``changes``; None when this is not a decision point, B_noise is not measurable,
        or the time-optimal batch is under grow_factor times the current one (or the cap)."""
        if not self.due():
            return None
        b_noise = self.b_noise
        if b_noise is None:
            return None
        line = self.step_times.line()
        target = time_optimal_batch(b_noise, line)
        cap = self.cap
        grown = grown_batch(self.batch_size, target, self.grow_factor, cap)
        if grown == self.batch_size:
            return None
        gradient_sq, trace = self.gradient_sq, self.trace
        assert gradient_sq is not None and trace is not None
        new_lr = scaled_lr(self.lr_rule, self.lr, self.batch_size, grown, gradient_sq, trace)
        if line is None:
            why = "= B_noise (eq. 2.11's critical batch; the step-time line needs two batch sizes)"
        else:
            t0, seconds_per_example = line
            rate = math.inf if seconds_per_example <= 0 else 1.0 / seconds_per_example
            why = "= sqrt(B_noise t0 R) with t0 %.4g s, R %.4g examples/s" % (t0, rate)
        reason = (
            "step %d: B_noise %.4g gives the time-optimal batch B* %.4g %s, at least %g x %d: "
            "batch %d -> %d (the largest power-of-2 multiple within B* and the cap %s), "
            "lr %.4g -> %.4g (%s rule)"
            % (self.steps, b_noise, target, why, self.grow_factor, self.batch_size, self.batch_size,
               grown, "none" if math.isinf(cap) else "%d" % cap, self.lr, new_lr, self.lr_rule)
        )
        change = BatchChange(self.steps, self.examples, self.batch_size, grown, self.lr, new_lr, b_noise, reason)
        self.batch_size = grown
        self.lr = new_lr
        self.changes.append(change)
        return change


# ---------------------------------------------------------------------------------------------
# The PyTorch wrapper.


class _Parameters:
    """What GradNormTracker needs of a model: ``parameters()``."""

    def __init__(self, parameters: List[Any]) -> None:
        self._parameters = parameters

    def parameters(self) -> List[Any]:
        return self._parameters


def optimizer_kind(optimizer: Any) -> str:
    """``"adam"`` for the Adam family (Adam, AdamW, Adamax, NAdam, RAdam, SparseAdam), else
    ``"sgd"``: what picks the default learning-rate rule."""
    return "adam" if "adam" in type(optimizer).__name__.lower() else "sgd"


class AdaptiveOptimizer:
    """The user's optimizer, stepping once every k micro-batches (what ``adapt`` returns).

    ``step()`` after each micro-batch's ``loss.backward()``: it closes that micro-batch's gradient
    squared norm (GradNormTracker's hooks); on the k-th it divides the accumulated gradients by k
    (the mean over the k micro-batches: the gradient of the mean loss over the batch), steps the
    wrapped optimizer, gives the controller the norms and the step's seconds, and applies its
    decision: k grows and every parameter group's lr is multiplied by the rule's factor. Before
    the k-th it returns None and changes nothing. ``zero_grad()`` passes through only between
    optimizer steps (with no micro-batch pending). Other attributes are the wrapped optimizer's.
    """

    def __init__(self, optimizer: Any, controller: AdaptiveController, log: Optional[IO[str]] = None) -> None:
        import torch  # noqa: PLC0415 - lazy: the controller works without torch

        from batchwise_telemetry import GradNormTracker  # noqa: PLC0415

        dist = torch.distributed
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            raise AdaptiveError("batchwise_adaptive runs in one process; DistributedDataParallel is not supported yet")
        self._torch = torch
        self.optimizer = optimizer
        self.controller = controller
        self.log = log
        self._parameters = [p for group in optimizer.param_groups for p in group["params"] if p.requires_grad]
        if not self._parameters:
            raise AdaptiveError("the optimizer has no trainable parameters")
        self._cuda = any(p.device.type == "cuda" for p in self._parameters)
        self._norms = GradNormTracker(_Parameters(self._parameters), accumulation_steps=controller.accumulation_steps,
                                      loss_divided=False, gather_ranks=False)
        self._norms.begin_step()
        self._pending = 0
        self._started: Optional[float] = None
        self._last_end = self._now()
        #: One record per optimizer step: step, batch, lr, seconds, B_noise after the step.
        self.history: List[Dict[str, Any]] = []

    @property
    def changes(self) -> List[BatchChange]:
        """Every change so far (the controller's list)."""
        return self.controller.changes

    @property
    def accumulation_steps(self) -> int:
        """k: micro-batches per optimizer step now."""
        return self.controller.accumulation_steps

    @property
    def batch_size(self) -> int:
        """Examples per optimizer step now (micro-batch size x k)."""
        return self.controller.batch_size

    @property
    def pending_micro_batches(self) -> int:
        """Micro-batches accumulated since the last optimizer step."""
        return self._pending

    def _now(self) -> float:
        if self._cuda:
            self._torch.cuda.synchronize()
        return time.perf_counter()

    def micro_batch_started(self) -> None:
        """Called by the loader as it hands out a micro-batch: a step's clock starts at its first."""
        if self._pending == 0 and self._started is None:
            self._started = self._now()

    def step(self, closure: Any = None) -> Optional[Any]:
        if closure is not None:
            raise AdaptiveError("optimizer.step(closure): closures are not supported by the adaptive wrapper")
        self._norms.after_backward()
        self._pending += 1
        k = self.controller.accumulation_steps
        if self._pending < k:
            return None
        norms = self._norms.end_step()
        with self._torch.no_grad():
            for p in self._parameters:
                if p.grad is not None:
                    p.grad.div_(k)
        result = self.optimizer.step()
        end = self._now()
        seconds = end - (self._started if self._started is not None else self._last_end)
        self.controller.observe(norms["micro_sq_norms"], norms["sq_norm"], seconds)
        lr_before = self.controller.lr
        change = self.controller.decide()
        if change is not None:
            factor = change.to_lr / lr_before
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] * factor
            if self.log is not None:
                self.log.write("batchwise adaptive: %s\n" % change.reason)
                self.log.flush()
        self.history.append({
            "step": self.controller.steps,
            "batch_size": change.from_batch if change is not None else self.controller.batch_size,
            "lr": lr_before,
            "seconds": seconds,
            "b_noise": self.controller.b_noise,
        })
        self._pending = 0
        self._started = None
        self._norms.begin_step()
        self._last_end = self._now()
        return result

    def zero_grad(self, set_to_none: Optional[bool] = None) -> None:
        if self._pending:
            return
        if set_to_none is None:
            self.optimizer.zero_grad()
        else:
            self.optimizer.zero_grad(set_to_none=set_to_none)

    def remove(self) -> None:
        """Removes the gradient hooks (the wrapper measures nothing afterwards)."""
        self._norms.remove()

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not found on the wrapper: param_groups, state, state_dict...
        if name == "optimizer":
            raise AttributeError(name)
        return getattr(self.optimizer, name)


class AdaptiveLoader:
    """Micro-batches of a fixed size (a DataLoader with drop_last, so every micro-batch has
    exactly ``micro_batch_size`` examples, as the noise estimate assumes); it tells the optimizer
    when each is handed out (the start of a step's clock). An optimizer step can span the end of
    one epoch and the start of the next."""

    def __init__(self, loader: Any, optimizer: AdaptiveOptimizer) -> None:
        self.loader = loader
        self.optimizer = optimizer
        self.micro_batch_size = optimizer.controller.micro_batch_size

    @property
    def batch_size(self) -> int:
        """Examples per optimizer step now."""
        return self.optimizer.batch_size

    def __len__(self) -> int:
        return len(self.loader)

    def __iter__(self) -> Any:
        for batch in self.loader:
            self.optimizer.micro_batch_started()
            yield batch


def adapt(
    data: Any,
    optimizer: Any,
    *,
    micro_batch_size: Optional[int] = None,
    batch_size: Optional[int] = None,
    lr_rule: Optional[str] = None,
    max_batch_size: Optional[int] = None,
    shuffle: bool = True,
    generator: Any = None,
    log: Optional[IO[str]] = sys.stderr,
    **options: Any,
) -> Tuple[AdaptiveLoader, AdaptiveOptimizer]:
    """``loader, optimizer = adapt(train_set, optimizer, micro_batch_size=b)``.

    ``data``: a Dataset, or a DataLoader whose dataset, collate_fn, workers and shuffling are kept
    (its batch size is the default micro-batch size). ``batch_size``: the starting batch, default
    2 micro-batches. ``lr_rule``: ``linear``, ``sqrt``, ``noise``, ``adascale``; default ``sqrt``
    for the Adam family, else ``noise``. ``max_batch_size``: the memory ceiling of the batch (the
    micro-batch never changes, so it is a ceiling on the steps' examples, not on memory; default
    a quarter of the data set). ``log``: where each change's reason goes (None: nowhere; the
    records are in ``optimizer.changes``). Other keywords are the controller's (``ema_decay``,
    ``check_every_steps``, ``min_steps_before_grow``, ``grow_factor``). The starting lr is the
    first parameter group's."""
    import torch  # noqa: PLC0415

    DataLoader = torch.utils.data.DataLoader
    if isinstance(data, DataLoader):
        if micro_batch_size is None:
            micro_batch_size = data.batch_size
        if micro_batch_size is None:
            raise AdaptiveError("the DataLoader has no batch_size (a batch_sampler): give micro_batch_size")
        shuffle = isinstance(data.sampler, torch.utils.data.RandomSampler)
        dataset = data.dataset
        loader_options: Dict[str, Any] = {"collate_fn": data.collate_fn, "num_workers": data.num_workers,
                                          "pin_memory": data.pin_memory}
        if generator is None:
            generator = getattr(data, "generator", None)
    else:
        if micro_batch_size is None:
            raise AdaptiveError("adapt(dataset, ...): give micro_batch_size")
        dataset = data
        loader_options = {}
    micro = _positive_int("micro_batch_size", micro_batch_size)
    try:
        dataset_size = len(dataset)
    except TypeError:
        raise AdaptiveError("the data set has no len(): the controller needs its size") from None
    unknown = set(options) - {"ema_decay", "check_every_steps", "min_steps_before_grow", "grow_factor"}
    if unknown:
        raise AdaptiveError("adapt(): unknown option %s" % ", ".join(sorted(unknown)))
    if not optimizer.param_groups:
        raise AdaptiveError("the optimizer has no parameter groups")
    controller = AdaptiveController(
        micro_batch_size=micro,
        batch_size=2 * micro if batch_size is None else batch_size,
        lr=optimizer.param_groups[0]["lr"],
        lr_rule=lr_rule,
        optimizer=optimizer_kind(optimizer),
        dataset_size=dataset_size,
        max_batch=max_batch_size,
        **options,
    )
    wrapped = AdaptiveOptimizer(optimizer, controller, log=log)
    loader = DataLoader(dataset, batch_size=micro, shuffle=shuffle, drop_last=True, generator=generator,
                        **loader_options)
    return AdaptiveLoader(loader, wrapped), wrapped
