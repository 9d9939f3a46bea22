"""The training loop of section 5.7.4 (book p.164-165), importable by train.py, tests and benchmarks.

Mini-batch SGD: each iteration samples `batch_size` training images (with replacement, as the
book's np.random.choice does), takes one backprop gradient and steps every parameter by
-lr * gradient. Train and test accuracy are evaluated before training and after each epoch
(a whole number of iterations: training-set size // batch size), and once more at the end
if the last iteration did not close an epoch.
"""

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

# Divergence: a loss that is non-finite, or ten times above where training started. "Where it
# started" is the larger of ln(classes), the loss of a classifier that knows nothing (2.30 for
# 10 classes), and the loss of the first iteration, which comes from the initial weights
# before any update. With a stable log-softmax a blown-up network keeps a finite loss (lr = 100
# jumps from 2.3 to far above 23 at iteration 2), so the factor is needed; and large initial
# weights (--weight-init-std 1) start far above 23 and then fall, so it must be relative.
DIVERGENCE_FACTOR = 10.0

# Rows scored at once in an evaluation: bounds memory, gives the same answer, and keeps the
# (chunk, hidden) intermediates in cache (2,000 rows: 44 ms a pass over MNIST, 52 at 10,000).
EVAL_CHUNK = 2_000


def iterations_per_epoch(train_size: int, batch_size: int) -> int:
    """Updates in one epoch: a whole number (the book's float iter_per_epoch is not), at least 1."""
    return max(train_size // batch_size, 1)


class TrainingDiverged(Exception):
    """The loss became non-finite or exploded; `iteration` and `loss` say where."""

    def __init__(self, iteration: int, loss: float, limit: float) -> None:
        self.iteration = iteration
        self.loss = loss
        above = f"above {limit:.3g}, {DIVERGENCE_FACTOR:g} x the starting loss"
        kind = "non-finite" if not math.isfinite(loss) else above
        super().__init__(
            f"training diverged at iteration {iteration}: loss {loss:.3g} is {kind}; try a smaller learning rate"
        )


@dataclass
class Evaluation:
    """One row of the history: where training was, and how well the network did there."""

    iteration: int  # parameter updates done so far
    epoch: float  # iteration / iterations_per_epoch
    loss: float | None  # mean training-batch loss since the previous evaluation (None before training)
    train_acc: float
    test_acc: float
    elapsed_s: float  # wall-clock seconds since training started


@dataclass
class History:
    """Everything a run learned about itself: per-iteration losses and per-epoch evaluations."""

    iterations_per_epoch: int
    loss: list[float] = field(default_factory=list)  # one per iteration
    evaluations: list[Evaluation] = field(default_factory=list)
    status: str = "running"  # "completed", "diverged at iteration N", "interrupted at iteration N"

    def to_dict(self) -> dict:
        return {
            "iterations_per_epoch": self.iterations_per_epoch,
            "status": self.status,
            "evaluations": [asdict(e) for e in self.evaluations],
            "loss": self.loss,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "History":
        return cls(d["iterations_per_epoch"], d["loss"], [Evaluation(**e) for e in d["evaluations"]], d["status"])


class Trainer:
    """Train `net` (anything with params, loss_and_gradient and accuracy) with mini-batch SGD.

    x_train: (N, D) float images, t_train: (N,) integer labels or (N, C) one-hot; likewise
    the test set. iterations: parameter updates in all. seed: an int or a numpy Generator
    for the batch draws. on_iteration(i, loss) is called after every update,
    on_evaluation(row) after every evaluation; both are for progress display. `history` is
    filled as training goes, so it is complete up to the point where run() raised
    (divergence, KeyboardInterrupt).
    """

    def __init__(
        self,
        net,
        x_train: np.ndarray,
        t_train: np.ndarray,
        x_test: np.ndarray,
        t_test: np.ndarray,
        *,
        iterations: int,
        batch_size: int = 100,
        learning_rate: float = 0.1,
        seed: int | np.random.Generator | None = 0,
        on_iteration: Callable[[int, float], None] | None = None,
        on_evaluation: Callable[[Evaluation], None] | None = None,
    ) -> None:
        if not 1 <= batch_size <= len(x_train):
            raise ValueError(f"batch size {batch_size} must lie in 1..{len(x_train)} (the training set size)")
        self.net = net
        self.x_train, self.t_train, self.x_test, self.t_test = x_train, t_train, x_test, t_test
        self.iterations = iterations
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.rng = np.random.default_rng(seed)
        self.on_iteration = on_iteration
        self.on_evaluation = on_evaluation
        self.history = History(iterations_per_epoch=iterations_per_epoch(len(x_train), batch_size))
        classes = t_train.shape[1] if t_train.ndim == 2 else max(int(t_train.max()) + 1, 2)
        self.loss_limit = DIVERGENCE_FACTOR * math.log(classes)  # raised by the first iteration's loss
        self._start = 0.0
        self._last_eval_iteration = 0

    def evaluate(self, iteration: int) -> Evaluation:
        since = self.history.loss[self._last_eval_iteration : iteration]
        row = Evaluation(
            iteration=iteration,
            epoch=round(iteration / self.history.iterations_per_epoch, 4),
            loss=float(np.mean(since)) if since else None,
            train_acc=self.net.accuracy(self.x_train, self.t_train, batch_size=EVAL_CHUNK),
            test_acc=self.net.accuracy(self.x_test, self.t_test, batch_size=EVAL_CHUNK),
            elapsed_s=round(time.perf_counter() - self._start, 4),
        )
        self._last_eval_iteration = iteration
        self.history.evaluations.append(row)
        if self.on_evaluation:
            self.on_evaluation(row)
        return row

    def run(self) -> History:
        """Train for self.iterations updates. Raises TrainingDiverged; KeyboardInterrupt passes."""
        net, params, lr = self.net, self.net.params, self.learning_rate
        per_epoch, train_size = self.history.iterations_per_epoch, len(self.x_train)
        self._start = time.perf_counter()
        self.evaluate(0)
        # A diverging run overflows on its way to the stop below; the stop reports it once.
        with np.errstate(over="ignore", invalid="ignore"):
            for i in range(1, self.iterations + 1):
                batch_mask = self.rng.integers(0, train_size, size=self.batch_size)  # book: np.random.choice
                x_batch = self.x_train[batch_mask]
                t_batch = self.t_train[batch_mask]

                loss, grads = net.loss_and_gradient(x_batch, t_batch)
                for key in params:
                    params[key] -= lr * grads[key]  # in place: the layers hold these same arrays

                self.history.loss.append(loss)
                if i == 1 and math.isfinite(loss):  # the starting loss, before any update (see DIVERGENCE_FACTOR)
                    self.loss_limit = max(self.loss_limit, DIVERGENCE_FACTOR * loss)
                if not loss <= self.loss_limit:  # also true for NaN
                    self.history.status = f"diverged at iteration {i}"
                    raise TrainingDiverged(i, loss, self.loss_limit)
                if self.on_iteration:
                    self.on_iteration(i, loss)
                if i % per_epoch == 0 or i == self.iterations:
                    self.evaluate(i)
        self.history.status = "completed"
        return self.history
