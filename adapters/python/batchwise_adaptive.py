"""An adaptive batch size for PyTorch: the batch grows as the gradient noise scale grows.

The batch grows through gradient accumulation (the micro-batch, and so the memory, stays the
same), and the learning rate follows by the rule you pick. Two lines around an ordinary loop::

    import batchwise_adaptive

    loader, optimizer = batchwise_adaptive.adapt(train_set, optimizer, micro_batch_size=32)
    for epoch in range(epochs):
        for x, y in loader:                 # micro-batches of 32
            loss = loss_fn(model(x), y)     # the micro-batch's MEAN loss, as usual
            loss.backward()
            optimizer.step()                # steps after k micro-batches, else does nothing
            optimizer.zero_grad()           # does nothing while a step is being accumulated

Two parts:

* ``AdaptiveController``: the algorithm, pure (no torch, no I/O, no clock): ``observe()`` one
  optimizer step's measurement (its micro-batch gradient squared norms, the squared norm of their
  mean, its seconds), then ``decide()``: a change of batch and learning rate, or None. The same
  algorithm, option names (in snake_case), defaults and decisions as the TypeScript controller
  (src/analysis/adaptive-controller.ts; its golden vector, test/adapters/
  test/adaptive/controller-golden.json, is replayed here by test/adapters/pytorch-adaptive.test.ts).
* ``adapt(data, optimizer, ...)``: the PyTorch wrapper: a loader of fixed micro-batches and an
  optimizer whose ``step()`` steps once every k micro-batches with the mean of their gradients,
  measures the norms with ``batchwise_telemetry.GradNormTracker``'s hooks, feeds the controller
  and applies its changes (k, and every parameter group's lr).

The science (McCandlish et al. 2018, "An Empirical Model of Large-Batch Training"; Johnson et al.
2020, AdaScale; Qiao et al., OSDI 2021, Pollux/AdaptDL) and each step of the controller:
docs/adaptive-pytorch.md and docs/analysis.md in the batchwise repository.
"""

from __future__ import annotations

import math
import sys
import time
from typing import IO, Any, Dict, List, Optional, Sequence, Tuple

# ---------------------------------------------------------------------------------------------
# Defaults, in one place (the TypeScript controller's ADAPTIVE_CONTROLLER_DEFAULTS).

#: Decay per optimizer step of the moving averages of |G|^2 and tr(Sigma) (McCandlish App. A.1).
DEFAULT_EMA_DECAY = 0.95
#: Steps between two decisions.
DEFAULT_CHECK_EVERY_STEPS = 50
#: No decision before this many optimizer steps.
DEFAULT_MIN_STEPS_BEFORE_GROW = 100
#: Grow only when the time-optimal batch is at least this many times the current batch.
DEFAULT_GROW_FACTOR = 2.0
#: max_batch_size when not given: the data set size over this (floor).
DEFAULT_DATASET_FRACTION_DIVISOR = 4
#: Learning-rate rules on growth.
LR_RULES = ("linear", "sqrt", "noise", "adascale")
#: The wrapper's default rule per optimizer kind: eq. 2.7's for SGD, the square root for Adam.
DEFAULT_LR_RULE = {"sgd": "noise", "adam": "sqrt"}


class AdaptiveError(ValueError):
    """Bad input to the adaptive controller or wrapper: one line that says what and why."""


def _integer(name: str, value: Any, minimum: int = 1) -> int:
    """``value`` as an int when it is a whole number >= ``minimum``; else AdaptiveError."""
    whole = (
        not isinstance(value, bool)
        and isinstance(value, (int, float))
        and math.isfinite(value)
        and value == int(value)
    )
    if not (whole and value >= minimum):
        raise AdaptiveError("%s must be an integer >= %d, got %r" % (name, minimum, value))
    return int(value)


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (value > 0 and math.isfinite(value)):
        raise AdaptiveError("%s must be a finite number > 0, got %r" % (name, value))
    return float(value)


# ---------------------------------------------------------------------------------------------
# The pure pieces.


def two_batch_estimate(
    micro_sq_norms: Sequence[float], micro_batch_size: int, big_sq_norm: float
) -> Tuple[float, float]:
    """(|G|^2, tr(Sigma)) from one step of k micro-batches of b at the same weights.

    McCandlish et al. 2018, App. A.1 (eq. A.2, infinite-population form), with B_small = b,
    |G_small|^2 the mean of the micro-batch squared norms, B_big = k b and |G_big|^2 the squared
    norm of their mean (the step's gradient):
        |G|^2     = (B_big |G_big|^2 - B_small |G_small|^2) / (B_big - B_small)
        tr(Sigma) = (|G_small|^2 - |G_big|^2) / (1/B_small - 1/B_big)
    """
    k = len(micro_sq_norms)
    small = float(micro_batch_size)
    big = small * k
    small_sq = math.fsum(float(v) for v in micro_sq_norms) / k
    big_sq = float(big_sq_norm)
    gradient_sq = (big * big_sq - small * small_sq) / (big - small)
    trace = (small_sq - big_sq) / (1.0 / small - 1.0 / big)
    return gradient_sq, trace


class StepTimeLine:
    """t(B) = t0 + B/R in use (a fixed cost per step t0 and a rate R: docs/analysis.md, "Step
    time"), and where it came from. ``kind``: ``none`` (nothing timed), ``prior`` (one batch
    size timed, mean t1 at B1: t0 = t1/2 and 1/R the other half per example, so t0 R = B1),
    ``fitted`` (least squares through the mean step time of each batch size, t0 > 0 and 1/R > 0),
    ``degenerate`` (the fit has t0 <= 0 or 1/R <= 0: timing noise, or a step time proportional to
    B, as gradient accumulation on one device gives)."""

    __slots__ = ("kind", "fixed_seconds", "seconds_per_example")

    def __init__(self, kind: str, fixed_seconds: float = math.nan, seconds_per_example: float = math.nan) -> None:
        self.kind = kind
        self.fixed_seconds = fixed_seconds
        self.seconds_per_example = seconds_per_example

    @property
    def usable(self) -> bool:
        return self.kind in ("prior", "fitted")

    @property
    def examples_per_second(self) -> float:
        """R."""
        return 1.0 / self.seconds_per_example

    def __repr__(self) -> str:
        return "StepTimeLine(%s, t0=%r s, 1/R=%r s/example)" % (self.kind, self.fixed_seconds, self.seconds_per_example)


class StepTimes:
    """Measured seconds per optimizer step, by batch size (in order of first use)."""

    def __init__(self) -> None:
        self._timing: Dict[int, List[float]] = {}  # batch -> [sum, count]

    def add(self, batch_size: int, step_seconds: float) -> None:
        entry = self._timing.setdefault(batch_size, [0.0, 0])
        entry[0] += step_seconds
        entry[1] += 1

    def means(self) -> List[Tuple[int, float]]:
        """(batch size, mean step seconds), in order of first use."""
        return [(b, total / count) for b, (total, count) in self._timing.items()]

    def line(self) -> StepTimeLine:
        points = self.means()
        if not points:
            return StepTimeLine("none")
        if len(points) == 1:
            b1, t1 = points[0]
            return StepTimeLine("prior", t1 / 2, (t1 / 2) / b1)
        n = len(points)
        mean_b = math.fsum(b for b, _ in points) / n
        mean_t = math.fsum(t for _, t in points) / n
        sxx = math.fsum((b - mean_b) ** 2 for b, _ in points)
        if not sxx > 0:
            return StepTimeLine("none")
        slope = math.fsum((b - mean_b) * (t - mean_t) for b, t in points) / sxx
        intercept = mean_t - slope * mean_b
        kind = "fitted" if intercept > 0 and slope > 0 else "degenerate"
        return StepTimeLine(kind, intercept, slope)


def time_optimal_batch(b_noise: float, line: StepTimeLine) -> float:
    """The batch minimising the time to a given loss, (1 + B_noise/B)(t0 + B/R): eq. 2.11's steps
    S = S_min (1 + B_noise/B) times the step time t0 + B/R, minimised at B* = sqrt(B_noise t0 R).
    A measured line with no fixed cost (t0 <= 0: a step costing in proportion to its batch) makes
    the time (B + B_noise)/R smallest at the smallest batch: 0, never grow. Without a line, or with
    one where a larger batch is no slower (1/R <= 0): eq. 2.11's critical batch, B* = B_noise."""
    if line.usable:
        return math.sqrt(b_noise * line.fixed_seconds * line.examples_per_second)
    if line.kind == "degenerate" and line.seconds_per_example > 0:
        return 0.0
    return b_noise


def largest_doubling(batch_size: int, limit: float) -> int:
    """The largest B 2^j (j >= 0) not above ``limit`` (B itself when 2B is above it)."""
    grown = batch_size
    while grown * 2 <= limit:
        grown *= 2
    return grown


def scaled_lr(rule: str, lr: float, from_batch: int, to_batch: int, b_noise: float,
              gradient_sq: float, trace: float) -> float:
    """The learning rate after the batch grows from ``from_batch`` to ``to_batch``:

    * ``linear``: lr B_new/B_old (Goyal et al. 2017, Sec. 2.1);
    * ``sqrt``: lr sqrt(B_new/B_old) (Hoffer et al. 2017; Malladi et al. 2022 for Adam);
    * ``noise``: McCandlish et al. 2018 eq. 2.7, lr(B) = lr_max / (1 + B_noise/B), so
      lr_new = lr_old (1 + B_noise/B_old) / (1 + B_noise/B_new);
    * ``adascale``: Johnson et al. 2020's gain r = (tr(Sigma)/B_old + |G|^2) /
      (tr(Sigma)/B_new + |G|^2) with the bias-corrected smoothed estimates, each clipped at 0
      (r = 1 when the denominator is 0); lr_new = lr_old r. While tr(Sigma) and |G|^2 are
      positive this is the ``noise`` factor, since B_noise = tr(Sigma)/|G|^2.
    """
    ratio = to_batch / from_batch
    if rule == "linear":
        return lr * ratio
    if rule == "sqrt":
        return lr * math.sqrt(ratio)
    if rule == "noise":
        return lr * (1.0 + b_noise / from_batch) / (1.0 + b_noise / to_batch)
    if rule == "adascale":
        variance = max(0.0, trace) / from_batch
        signal = max(0.0, gradient_sq)
        denominator = variance / ratio + signal
        return lr * ((variance + signal) / denominator if denominator > 0 else 1.0)
    raise AdaptiveError("lr_rule must be one of %s, got %r" % (", ".join(LR_RULES), rule))


def _round3(value: float) -> str:
    return "%.3g" % value


# ---------------------------------------------------------------------------------------------
# The controller.


class BatchChange:
    """One growth of the batch: when (``step``: optimizer steps observed, the change applying from
    the next; ``examples``: examples observed by then), from and to which batch and learning rate,
    the B_noise and the time-optimal batch B* (``target_batch``) behind it, and why."""

    __slots__ = ("step", "examples", "from_batch", "to_batch", "from_lr", "to_lr", "b_noise",
                 "target_batch", "reason")

    def __init__(self, step: int, examples: int, from_batch: int, to_batch: int, from_lr: float,
                 to_lr: float, b_noise: float, target_batch: float, reason: str) -> None:
        self.step = step
        self.examples = examples
        self.from_batch = from_batch
        self.to_batch = to_batch
        self.from_lr = from_lr
        self.to_lr = to_lr
        self.b_noise = b_noise
        self.target_batch = target_batch
        self.reason = reason

    def to_dict(self) -> Dict[str, Any]:
        """The record with the TypeScript controller's field names."""
        return {
            "step": self.step,
            "examples": self.examples,
            "fromBatch": self.from_batch,
            "toBatch": self.to_batch,
            "fromLr": self.from_lr,
            "toLr": self.to_lr,
            "bNoise": self.b_noise,
            "targetBatch": self.target_batch,
            "reason": self.reason,
        }

    def __repr__(self) -> str:
        return "BatchChange(%r)" % (self.to_dict(),)


class AdaptiveController:
    """The adaptive batch controller (issue 16), pure: no torch, no I/O, no clock.

    Options (the TypeScript controller's, in snake_case): ``initial_batch_size`` B,
    ``learning_rate``, ``lr_rule`` (``linear``, ``sqrt``, ``noise``, ``adascale``),
    ``dataset_size`` N, ``max_batch_size`` (the memory ceiling; default floor(N/4)), ``ema_decay``
    (0.95), ``check_every_steps`` (50), ``min_steps_before_grow`` (100), ``grow_factor`` (2).

    * ``observe(micro_batch_size, micro_sq_norms, big_sq_norm, step_seconds)`` after each
      optimizer step of k >= 2 micro-batches of b: the micro-batch gradient squared norms and that
      of their mean, all at the weights before the step, and its seconds. Its |G|^2 and tr(Sigma)
      (``two_batch_estimate``, App. A.1 eq. A.2) go into moving averages started at 0;
      B_noise = max(0, EMA(tr Sigma)) / EMA(|G|^2), a ratio of averages (App. A.1), undefined
      while EMA(|G|^2) <= 0. A step with non-finite norms counts but leaves the averages alone;
      one whose seconds are not finite and > 0 is left out of the timing.
    * ``decide()`` after each ``observe``: on steps n >= min_steps_before_grow with
      n % check_every_steps == 0, the time-optimal batch B* (``time_optimal_batch`` on
      ``step_time_line()``); when B* >= grow_factor B, the batch grows to the largest
      power-of-2 multiple of B within min(B*, max_batch_size, N) and the learning rate by the rule
      (``scaled_lr``). Returns the ``BatchChange`` (in effect from the next step, and appended to
      ``changes``) or None.
    """

    def __init__(
        self,
        *,
        initial_batch_size: int,
        learning_rate: float,
        lr_rule: str,
        dataset_size: int,
        max_batch_size: Optional[int] = None,
        ema_decay: float = DEFAULT_EMA_DECAY,
        check_every_steps: int = DEFAULT_CHECK_EVERY_STEPS,
        min_steps_before_grow: int = DEFAULT_MIN_STEPS_BEFORE_GROW,
        grow_factor: float = DEFAULT_GROW_FACTOR,
    ) -> None:
        self._batch = _integer("initial_batch_size", initial_batch_size)
        self._lr = _positive("learning_rate", learning_rate)
        self.dataset_size = _integer("dataset_size", dataset_size)
        if lr_rule not in LR_RULES:
            raise AdaptiveError("lr_rule must be one of %s, got %r" % (", ".join(LR_RULES), lr_rule))
        self.lr_rule = lr_rule
        if isinstance(ema_decay, bool) or not isinstance(ema_decay, (int, float)) or not 0 <= ema_decay < 1:
            raise AdaptiveError("ema_decay must be in [0, 1), got %r" % (ema_decay,))
        self.ema_decay = float(ema_decay)
        if isinstance(grow_factor, bool) or not isinstance(grow_factor, (int, float)) or not (
            grow_factor > 1 and math.isfinite(grow_factor)
        ):
            raise AdaptiveError("grow_factor must be > 1, got %r" % (grow_factor,))
        self.grow_factor = float(grow_factor)
        default = max_batch_size is None
        if default:
            max_batch_size = self.dataset_size // DEFAULT_DATASET_FRACTION_DIVISOR
        memory_ceiling = _integer("max_batch_size", max_batch_size)
        #: The largest batch allowed: min(max_batch_size, dataset_size).
        self.max_batch_size = min(memory_ceiling, self.dataset_size)
        if self._batch > self.max_batch_size:
            raise AdaptiveError(
                "initial_batch_size %d is above the cap of %d (max_batch_size %d%s, %d examples)"
                % (self._batch, self.max_batch_size, memory_ceiling,
                   " by default: a quarter of the data set" if default else "", self.dataset_size)
            )
        self.check_every_steps = _integer("check_every_steps", check_every_steps)
        self.min_steps_before_grow = _integer("min_steps_before_grow", min_steps_before_grow, 0)
        self._steps = 0
        self._examples = 0
        self._ema_gradient_sq = 0.0
        self._ema_trace = 0.0
        self._ema_updates = 0
        self._timing = StepTimes()
        self._changes: List[BatchChange] = []

    # -- state ---------------------------------------------------------------------------------

    @property
    def batch_size(self) -> int:
        """B now, in examples per optimizer step."""
        return self._batch

    @property
    def learning_rate(self) -> float:
        return self._lr

    @property
    def step_count(self) -> int:
        """Optimizer steps observed."""
        return self._steps

    @property
    def examples(self) -> int:
        """Examples observed (the sum of the steps' batches)."""
        return self._examples

    @property
    def changes(self) -> List[BatchChange]:
        """Every change so far, in order."""
        return self._changes

    def smoothed_estimates(self) -> Tuple[float, float]:
        """(|G|^2, tr(Sigma)): the bias-corrected moving averages (as Adam corrects its moments;
        the correction 1/(1 - d^n) cancels in B_noise); NaN before any step with finite norms."""
        if self._ema_updates == 0:
            return math.nan, math.nan
        correction = 1.0 - self.ema_decay ** self._ema_updates
        return self._ema_gradient_sq / correction, self._ema_trace / correction

    def b_noise(self) -> Optional[float]:
        """B_noise = max(0, EMA(tr Sigma)) / EMA(|G|^2) (McCandlish et al. 2018 eq. 2.8 with
        App. A.1's smoothing); None while not measurable (no finite step, or EMA(|G|^2) <= 0)."""
        if self._ema_updates == 0 or not self._ema_gradient_sq > 0:
            return None
        return max(0.0, self._ema_trace) / self._ema_gradient_sq

    def step_time_line(self) -> StepTimeLine:
        """t(B) = t0 + B/R from the step times so far (``StepTimes.line``)."""
        return self._timing.line()

    def step_time_means(self) -> List[Tuple[int, float]]:
        """(batch size, mean step seconds) of every batch size timed, in order of first use."""
        return self._timing.means()

    def target_batch(self, b_noise: float) -> float:
        """B* for this B_noise and the step-time line so far (``time_optimal_batch``)."""
        return time_optimal_batch(b_noise, self.step_time_line())

    # -- the two calls -------------------------------------------------------------------------

    def observe(self, micro_batch_size: int, micro_sq_norms: Sequence[float], big_sq_norm: float,
                step_seconds: float) -> None:
        """One optimizer step of k = len(micro_sq_norms) >= 2 micro-batches of
        ``micro_batch_size``: |g_i|^2 of each micro-batch's mean-loss gradient, |G_big|^2 of their
        mean (the step's gradient), the step's wall seconds."""
        b = _integer("micro_batch_size", micro_batch_size)
        norms = [float(v) for v in micro_sq_norms]
        if len(norms) < 2:
            raise AdaptiveError("a step needs k >= 2 micro-batch norms to measure noise, got %d" % len(norms))
        big = float(big_sq_norm)
        seconds = float(step_seconds)
        step_batch = b * len(norms)
        self._steps += 1
        self._examples += step_batch
        if math.isfinite(big) and all(math.isfinite(v) for v in norms):
            gradient_sq, trace = two_batch_estimate(norms, b, big)
            d = self.ema_decay
            self._ema_gradient_sq = d * self._ema_gradient_sq + (1 - d) * gradient_sq
            self._ema_trace = d * self._ema_trace + (1 - d) * trace
            self._ema_updates += 1
        if math.isfinite(seconds) and seconds > 0:
            self._timing.add(step_batch, seconds)

    def observe_step_time(self, batch_size: int, step_seconds: float) -> None:
        """A step time measured at another batch without training on it (as the TypeScript
        fitAdaptive times one before its first decision): it joins the step-time line only, so
        a growth can rest on a measured line instead of the one-size prior."""
        batch = _integer("batch_size", batch_size)
        seconds = float(step_seconds)
        if math.isfinite(seconds) and seconds > 0:
            self._timing.add(batch, seconds)

    def decide(self) -> Optional[BatchChange]:
        """A change of batch and learning rate at this step (in effect from the next), or None:
        not a decision point, B_noise not measurable, or B* under grow_factor times the batch."""
        if self._steps < self.min_steps_before_grow or self._steps % self.check_every_steps != 0:
            return None
        b_noise = self.b_noise()
        if b_noise is None:
            return None
        line = self.step_time_line()
        target = time_optimal_batch(b_noise, line)
        if not target >= self.grow_factor * self._batch:
            return None
        to_batch = largest_doubling(self._batch, min(target, self.max_batch_size))
        if to_batch <= self._batch:
            return None
        gradient_sq, trace = self.smoothed_estimates()
        from_batch, from_lr = self._batch, self._lr
        to_lr = scaled_lr(self.lr_rule, from_lr, from_batch, to_batch, b_noise, gradient_sq, trace)
        if line.usable:
            basis = "sqrt(B_noise t0 R) with the %s t0 %s s and R %s examples/s" % (
                "prior" if line.kind == "prior" else "fitted", _round3(line.fixed_seconds),
                _round3(line.examples_per_second))
        elif line.kind == "degenerate":
            basis = "B_noise (eq. 2.11: a larger batch was measured no slower a step)"
        else:
            basis = "B_noise (eq. 2.11, no step time measured yet)"
        capped = ", capped at %d" % self.max_batch_size if target > self.max_batch_size else ""
        reason = (
            "at step %d B_noise %s gives a time-optimal batch %s = %s, at least %gx the batch %d: "
            "batch %d -> %d%s, learning rate %s -> %s (%s rule)"
            % (self._steps, _round3(b_noise), _round3(target), basis, self.grow_factor, from_batch,
               from_batch, to_batch, capped, _round3(from_lr), _round3(to_lr), self.lr_rule)
        )
        change = BatchChange(self._steps, self._examples, from_batch, to_batch, from_lr, to_lr,
                             b_noise, target, reason)
        self._batch = to_batch
        self._lr = to_lr
        self._changes.append(change)
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
    wrapped optimizer (after clipping to ``clip``, when given), gives the controller the norms
    (taken before clipping) and the step's seconds, and applies its
    decision: k grows and every parameter group's lr is multiplied by the rule's factor. Before
    the k-th it returns None and changes nothing. ``zero_grad()`` passes through only between
    optimizer steps (with no micro-batch pending). Other attributes are the wrapped optimizer's.
    """

    def __init__(self, optimizer: Any, controller: AdaptiveController, micro_batch_size: int,
                 log: Optional[IO[str]] = None, clip: Optional[float] = None) -> None:
        import torch  # noqa: PLC0415 - lazy: the controller works without torch

        from batchwise_telemetry import GradNormTracker  # noqa: PLC0415

        dist = torch.distributed
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            raise AdaptiveError("batchwise_adaptive runs in one process; DistributedDataParallel is not supported yet")
        self._torch = torch
        self.optimizer = optimizer
        self.controller = controller
        self.micro_batch_size = _integer("micro_batch_size", micro_batch_size)
        batch = controller.batch_size
        if batch % self.micro_batch_size or batch < 2 * self.micro_batch_size:
            raise AdaptiveError(
                "the batch (%d) must be a multiple of micro_batch_size (%d), at least 2 of them: "
                "the noise is measured from the micro-batches of each step" % (batch, self.micro_batch_size))
        self.log = log
        #: Clip the step's gradient (the mean of its micro-batches) to this norm before stepping.
        self.clip = None if clip is None else _positive("clip", clip)
        self._parameters = [p for group in optimizer.param_groups for p in group["params"] if p.requires_grad]
        if not self._parameters:
            raise AdaptiveError("the optimizer has no trainable parameters")
        self._cuda = any(p.device.type == "cuda" for p in self._parameters)
        self._norms = GradNormTracker(_Parameters(self._parameters), accumulation_steps=self.accumulation_steps,
                                      loss_divided=False, gather_ranks=False)
        self._norms.begin_step()
        self._pending = 0
        self._started: Optional[float] = None
        self._last_end = self._now()
        #: One record per optimizer step: its number (from 1), batch, lr, seconds, B_noise after
        #: it, and the norms it measured (micro-batches', and their mean's).
        self.history: List[Dict[str, Any]] = []

    @property
    def changes(self) -> List[BatchChange]:
        """Every change so far (the controller's list)."""
        return self.controller.changes

    @property
    def accumulation_steps(self) -> int:
        """k: micro-batches per optimizer step now."""
        return self.controller.batch_size // self.micro_batch_size

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
        try:
            self._norms.after_backward()
        except RuntimeError:
            raise AdaptiveError("optimizer.step(): no gradient since the last step(); call loss.backward() "
                                "on each micro-batch first") from None
        self._pending += 1
        k = self.accumulation_steps
        if self._pending < k:
            return None
        norms = self._norms.end_step()
        with self._torch.no_grad():
            for p in self._parameters:
                if p.grad is not None:
                    p.grad.div_(k)
        if self.clip is not None:  # after the norms were taken: they are of the unclipped gradients
            self._torch.nn.utils.clip_grad_norm_(self._parameters, self.clip)
        result = self.optimizer.step()
        end = self._now()
        seconds = end - (self._started if self._started is not None else self._last_end)
        self.controller.observe(self.micro_batch_size, norms["micro_sq_norms"], norms["sq_norm"], seconds)
        lr_before = self.controller.learning_rate
        change = self.controller.decide()
        if change is not None:
            factor = change.to_lr / lr_before
            for group in self.optimizer.param_groups:
                group["lr"] = group["lr"] * factor
            if self.log is not None:
                self.log.write("batchwise adaptive: %s\n" % change.reason)
                self.log.flush()
        self.history.append({
            "step": self.controller.step_count,
            "batch_size": change.from_batch if change is not None else self.controller.batch_size,
            "lr": lr_before,
            "seconds": seconds,
            "b_noise": self.controller.b_noise(),
            "micro_sq_norms": norms["micro_sq_norms"],
            "sq_norm": norms["sq_norm"],
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
        self.micro_batch_size = optimizer.micro_batch_size

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
    clip: Optional[float] = None,
    log: Any = "stderr",
    **options: Any,
) -> Tuple[AdaptiveLoader, AdaptiveOptimizer]:
    """``loader, optimizer = adapt(train_set, optimizer, micro_batch_size=b)``.

    ``data``: a Dataset, or a DataLoader whose dataset, collate_fn, workers and shuffling (a
    RandomSampler or a SequentialSampler; another sampler is refused) are kept, its batch size
    being the default micro-batch size. ``batch_size``: the starting batch, default 2
    micro-batches (k >= 2: each step measures the noise). ``lr_rule``: ``linear``, ``sqrt``,
    ``noise``, ``adascale``; default ``sqrt`` for the Adam family, else ``noise``.
    ``max_batch_size``: the ceiling of the batch (default a quarter of the data set; the
    micro-batch never changes, so memory does not grow with the batch). ``clip``: clip the
    step's gradient to this norm before each optimizer step (clipping in the loop would clip
    partial sums of the micro-batches). ``log``: a stream for
    each change's reason (default standard error; None: nowhere; the records are in
    ``optimizer.changes``). Other keywords are the controller's (``ema_decay``,
    ``check_every_steps``, ``min_steps_before_grow``, ``grow_factor``). The starting lr is the
    first parameter group's."""
    import torch  # noqa: PLC0415

    DataLoader = torch.utils.data.DataLoader
    if isinstance(data, DataLoader):
        if micro_batch_size is None:
            micro_batch_size = data.batch_size
        if micro_batch_size is None:
            raise AdaptiveError("the DataLoader has no batch_size (a batch_sampler): give micro_batch_size")
        if not isinstance(data.sampler, (torch.utils.data.RandomSampler, torch.utils.data.SequentialSampler)):
            raise AdaptiveError("the DataLoader has a sampler of its own (%s): give adapt() the Dataset"
                                % type(data.sampler).__name__)
        shuffle = isinstance(data.sampler, torch.utils.data.RandomSampler)
        dataset = data.dataset
        loader_options: Dict[str, Any] = {"collate_fn": data.collate_fn, "num_workers": data.num_workers,
                                          "pin_memory": data.pin_memory, "worker_init_fn": data.worker_init_fn}
        if generator is None:
            generator = getattr(data, "generator", None)
    else:
        if micro_batch_size is None:
            raise AdaptiveError("adapt(dataset, ...): give micro_batch_size")
        dataset = data
        loader_options = {}
    micro = _integer("micro_batch_size", micro_batch_size)
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
        initial_batch_size=2 * micro if batch_size is None else batch_size,
        learning_rate=optimizer.param_groups[0]["lr"],
        lr_rule=DEFAULT_LR_RULE[optimizer_kind(optimizer)] if lr_rule is None else lr_rule,
        dataset_size=dataset_size,
        max_batch_size=max_batch_size,
        **options,
    )
    wrapped = AdaptiveOptimizer(optimizer, controller, micro, log=sys.stderr if log == "stderr" else log, clip=clip)
    loader = DataLoader(dataset, batch_size=micro, shuffle=shuffle, drop_last=True, generator=generator,
                        **loader_options)
    return AdaptiveLoader(loader, wrapped), wrapped
