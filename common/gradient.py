"""Numerical gradients (book p.104) and the comparison that turns them into a verdict.

The numerical gradient is the independent oracle for backprop: centred differences,
(f(x + h) - f(x - h)) / 2h, whose error is O(h^2) against O(h) for a one-sided step.
Checks run in float64: in float32 the rounding error of f alone swamps the difference.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

# float64 and a smooth f: truncation error ~h^2 and rounding error ~1e-16 * |f| / h
# balance near h = 1e-5; a step of 1e-5 keeps both below 1e-9 for this chapter's losses.
DEFAULT_STEP = 1e-5

# The tolerance of the checks on norm-wise relative error (see compare()). Correct float64
# backprop on this chapter's layers lands near 1e-10; a wrong term lands above 1e-2.
DEFAULT_TOLERANCE = 1e-7


def _require_float(x: np.ndarray) -> None:
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        dtype = getattr(x, "dtype", type(x).__name__)
        raise TypeError(
            f"numerical_gradient needs a floating-point numpy array, got {dtype}: "
            "x + h would be rounded away; convert with x.astype(np.float64)"
        )


def numerical_gradient_at(
    f: Callable[[np.ndarray], float], x: np.ndarray, indices: Iterable[tuple[int, ...]], h: float = DEFAULT_STEP
) -> np.ndarray:
    """Centred-difference derivatives of f at x for the given multi-indices only.

    f(x) must return a scalar; x is perturbed in place, one entry at a time, and each entry
    is restored even when f raises. Returns a float64 array with one value per index.
    """
    _require_float(x)
    values = []
    for idx in indices:
        original = x[idx]
        try:
            x[idx] = original + h
            f_plus = float(f(x))
            x[idx] = original - h
            f_minus = float(f(x))
        finally:
            x[idx] = original
        values.append((f_plus - f_minus) / (2 * h))
    return np.array(values, dtype=np.float64)


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = DEFAULT_STEP) -> np.ndarray:
    """Gradient of the scalar f at x, for x of any shape and float dtype (book p.104).

    Returns an array of x's shape and dtype. Raises TypeError for an integer array,
    where the book's version silently returns nonsense (x + h truncates back to x).
    """
    _require_float(x)
    grad = numerical_gradient_at(f, x, np.ndindex(x.shape), h)
    return grad.reshape(x.shape).astype(x.dtype, copy=False)


def sample_indices(shape: tuple[int, ...], count: int, rng: np.random.Generator) -> list[tuple[int, ...]]:
    """`count` distinct multi-indices into an array of `shape`, drawn with `rng` (all if fewer)."""
    size = int(np.prod(shape))
    flat = np.arange(size) if count >= size else np.sort(rng.choice(size, size=count, replace=False))
    return [tuple(int(i) for i in np.unravel_index(k, shape)) for k in flat]


@dataclass
class Comparison:
    """How an analytic (backprop) gradient compares with a numerical one."""

    name: str
    shape: tuple[int, ...]
    max_abs_diff: float  # max |a - n|
    mean_abs_diff: float  # mean |a - n|: the book's measure (p.164)
    rel_error: float  # ||a - n|| / max(||a|| + ||n||, floor): norm-wise, the verdict's measure
    worst_index: tuple[int, ...]  # where |a - n| is largest
    analytic_at_worst: float
    numeric_at_worst: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return bool(self.rel_error <= self.tolerance)

    def describe_mismatch(self) -> str:
        return (
            f"{self.name}: relative error {self.rel_error:.2e} > {self.tolerance:.0e}; worst at index "
            f"{self.worst_index}: backprop {self.analytic_at_worst:.6e}, numerical {self.numeric_at_worst:.6e}"
        )


# Below this norm both gradients are zero for all practical purposes; the floor keeps the
# relative error finite (0 / 0) without hiding a real difference of ordinary size.
REL_ERROR_FLOOR = 1e-12


def compare(name: str, analytic: np.ndarray, numeric: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> Comparison:
    """Compare two gradients of the same shape.

    The verdict uses the norm-wise relative error ||a - n|| / (||a|| + ||n||): unlike an
    entry-wise ratio it is not thrown off by entries that are tiny in both, and unlike the
    book's mean absolute difference it does not look small just because gradients are small.
    """
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"{name}: backprop gradient has shape {a.shape}, numerical {n.shape}")
    diff = np.abs(a - n)
    scale = max(float(np.linalg.norm(a) + np.linalg.norm(n)), REL_ERROR_FLOOR)
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.size else ()
    return Comparison(
        name=name,
        shape=a.shape,
        max_abs_diff=float(diff.max(initial=0.0)),
        mean_abs_diff=float(diff.mean()) if diff.size else 0.0,
        rel_error=float(np.linalg.norm(a - n)) / scale,
        worst_index=tuple(int(i) for i in worst),
        analytic_at_worst=float(a[worst]) if diff.size else 0.0,
        numeric_at_worst=float(n[worst]) if diff.size else 0.0,
        tolerance=tolerance,
    )


def check_layer(
    name: str,
    layer: object,
    x: np.ndarray,
    rng: np.random.Generator,
    extra_args: tuple = (),
    param_names: tuple[str, ...] = (),
    tolerance: float = DEFAULT_TOLERANCE,
    h: float = DEFAULT_STEP,
    g: np.ndarray | None = None,
) -> list[Comparison]:
    """Vector-Jacobian check of one layer on its own (the CS231n way).

    With a random upstream gradient g, the scalar f = sum(forward(x) * g) has gradient
    backward(g) with respect to x, and the stored dW, db with respect to the parameters.
    Checking that against numerical gradients of f names the layer that is wrong, where a
    whole-network check only says that something is. x and the parameters must be float64.
    Returns one Comparison for x and one per name in param_names (e.g. ("W", "b")).
    g: the upstream gradient to use, else one drawn from rng.
    """
    out = layer.forward(x, *extra_args)
    g = rng.standard_normal(np.shape(out)) if g is None else g
    dout = g if np.ndim(out) else float(g)
    dx = layer.backward(dout)
    analytic = {"x": dx} | {p: np.copy(getattr(layer, "d" + p)) for p in param_names}

    def f(_: np.ndarray) -> float:
        return float(np.sum(layer.forward(x, *extra_args) * g))

    targets = {"x": x} | {p: getattr(layer, p) for p in param_names}
    return [
        compare(f"{name}.d{key}", analytic[key], numerical_gradient(f, target, h), tolerance)
        for key, target in targets.items()
    ]
