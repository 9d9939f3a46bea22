"""Grade a reader's layers against ours and the numerical gradient (book p.135-156).

    python ch05/gradient_check.py --layers my_layers.py

Each class found under the book's names gets a verdict: PASS, FAIL, NOT FOUND, or NOT
IMPLEMENTED (a NotImplementedError in forward or backward). In float64 and with fixed seeds:
forward and backward on small fixed inputs against ours (common/layers.py,
ch05/layer_naive.py), then backward against the numerical gradient of sum(forward(x) * g)
for a random upstream gradient g (common.gradient.check_layer), and neither may write into
its inputs. A FAIL names the likely mistake when a targeted probe recognises it, else the
largest mismatch.
"""

import importlib.util
import inspect
import re
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

if __package__ in (None, ""):
    # Run as a file (python ch05/layer_grader.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ch05 import layer_naive
from common import layers
from common.gradient import DEFAULT_STEP, DEFAULT_TOLERANCE, check_layer, compare

ROOT = Path(__file__).resolve().parents[1]
CLASS_NAMES = ("MulLayer", "AddLayer", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss")

# The ReLU page's numbers (ch05/relu_backward.py): dout < 0 where x > 0 and dout > 0 where
# x < 0, so the right backward and each wrong one give different arrays.
RELU_X = np.array([[1.0, -0.5], [-2.0, 3.0]])
RELU_DOUT = np.array([[-0.3, 0.8], [1.2, 0.5]])


class GraderError(Exception):
    """The file cannot be graded (not a .py file, or it fails to import): one line for the user."""


@dataclass
class Verdict:
    """One class's grade: status is PASS, FAIL, NOT FOUND or NOT IMPLEMENTED; detail is one line."""

    name: str
    status: str
    detail: str = ""


class _Failed(Exception):
    """A check failed; the message is the sentence the report shows."""


def away_from_zero(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Random float64 values of `shape` with 0.1 <= |x| <= 2: ReLU's kink at 0 stays far beyond the step h."""
    return rng.uniform(0.1, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return f"{type(err).__name__}: {text[0]}" if text else type(err).__name__


def _innermost(err: BaseException, files: set[Path]) -> traceback.FrameSummary | None:
    """The innermost traceback frame inside one of `files`, if any."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if Path(f.filename).resolve() in files]
    return frames[-1] if frames else None


def import_layers_file(path: str | Path) -> ModuleType:
    """Import a reader's .py file by path, as a module of its own; raise GraderError on any failure.

    The repository root comes first on sys.path (so `from common.functions import softmax`
    finds ours) and the file's own folder next (so it can import its neighbours), for the
    import only. The module never enters sys.modules under a name that could clash.
    """
    path = Path(path)
    if not path.exists():
        raise GraderError(f"{path}: no such file; give the path of the .py file that holds your layers")
    if path.is_dir():
        raise GraderError(f"{path} is a folder; give the .py file inside it that holds your layers")
    if path.suffix != ".py":
        raise GraderError(f"{path} is not a .py file; give the Python file that holds your layers")
    source = path.resolve()
    name = "_graded_" + re.sub(r"\W", "_", path.stem)
    spec = importlib.util.spec_from_file_location(name, source)
    module = importlib.util.module_from_spec(spec)
    saved_path = list(sys.path)
    sys.path[:0] = [str(ROOT), str(source.parent)]
    # A module being executed must be in sys.modules (dataclasses, for one, look it up).
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as err:
        if isinstance(err, SyntaxError) and err.filename and Path(err.filename).resolve() == source:
            line, what = err.lineno, f"{type(err).__name__}: {err.msg}"
        else:
            frame = _innermost(err, {source})
            line, what = frame.lineno if frame else None, _first_line(err)
        where = f"{path}, line {line}" if line else str(path)
        hint = ""
        if isinstance(err, ImportError) and err.name == "common.functions":
            hint = (
                " (this repository's common.functions has softmax, cross_entropy_error, log_softmax"
                " and softmax_cross_entropy)"
            )
        raise GraderError(f"cannot import {where}: {what}{hint}; fix it and grade again") from None
    finally:
        sys.path[:] = saved_path
        sys.modules.pop(name, None)
    return module


class _Probe:
    """Runs one class's checks: remembers which method runs (to name it when it raises) and the worst error."""

    def __init__(self, files: set[Path], rng: np.random.Generator, tolerance: float, h: float) -> None:
        self.files = files
        self.rng = rng
        self.tolerance = tolerance
        self.h = h
        self.method = "__init__"
        self.case = ""
        self.worst = 0.0

    def new(self, cls: type, *args: object) -> object:
        self.method = "__init__"
        return cls(*args)

    def call(self, layer: object, method: str, args: tuple, arg_names: tuple[str, ...]) -> object:
        """layer.method(*args), failing if it writes into any array among args."""
        self.method = method
        before = [np.copy(a) if isinstance(a, np.ndarray) else None for a in args]
        out = getattr(layer, method)(*args)
        for arg, copy, arg_name in zip(args, before, arg_names, strict=True):
            if copy is not None and not np.array_equal(arg, copy, equal_nan=True):
                if method == "forward":
                    raise _Failed(f"forward writes into its input {arg_name}: compute a new array instead")
                raise _Failed(
                    "backward modifies dout in place (as the book's `dout[self.mask] = 0` does), changing it for "
                    "whoever else holds it; return a new array, e.g. dout * mask"
                )
        return out

    def expect(self, what: str, got: object, expected: np.ndarray, wrong: dict[str, np.ndarray] | None = None) -> None:
        """Fail unless got equals expected (relative error within the tolerance).

        wrong: sentence -> what a known mistake gives on these inputs; a match names the mistake.
        """
        expected = np.asarray(expected, dtype=np.float64)
        if got is None:
            raise _Failed(f"{what} is None; expected an array of shape {expected.shape}")
        try:
            got = np.asarray(got, dtype=np.float64)
        except (TypeError, ValueError):
            raise _Failed(f"{what} is a {type(got).__name__}; expected numbers of shape {expected.shape}") from None
        if got.shape == expected.shape:
            result = compare(what, got, expected, self.tolerance)
            if result.passed:
                self.worst = max(self.worst, result.rel_error)
                return
        for sentence, candidate in (wrong or {}).items():
            if got.shape == np.shape(candidate) and np.allclose(got, candidate, rtol=1e-9, atol=1e-12):
                raise _Failed(sentence)
        if got.shape != expected.shape:
            wanted = "one number" if expected.shape == () else f"shape {expected.shape}"
            raise _Failed(f"{what} has shape {got.shape}; expected {wanted}")
        at = f" at index {result.worst_index}" if result.worst_index else ""
        raise _Failed(
            f"{what} is wrong{at}: expected {result.numeric_at_worst:.6g}, got {result.analytic_at_worst:.6g} "
            f"(relative error {result.rel_error:.1e})"
        )

    def vjp(
        self, case: str, layer: object, x: np.ndarray, extra_args: tuple = (), params: tuple[str, ...] = ()
    ) -> None:
        """Backward against the numerical gradient of sum(forward(x) * g), g random (common.gradient.check_layer)."""
        self.case = case
        for result in check_layer(case, _Tracked(layer, self), x, self.rng, extra_args, params, self.tolerance, self.h):
            if not result.passed:
                grad = result.name.rsplit(".", 1)[1]
                raise _Failed(
                    f"backward's {grad} differs from the numerical gradient for {case} "
                    f"(relative error {result.rel_error:.1e}); largest at index {result.worst_index}: "
                    f"expected {result.numeric_at_worst:.6g}, got {result.analytic_at_worst:.6g}"
                )
            self.worst = max(self.worst, result.rel_error)

    def where(self, err: BaseException) -> str:
        frame = _innermost(err, self.files)
        return f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""


class _Tracked:
    """A reader's layer seen through check_layer: notes which method runs; `pick` selects one of (dx, dy)."""

    def __init__(self, layer: object, probe: _Probe, other: object = None, pick: int | None = None) -> None:
        self.layer, self.probe, self.other, self.pick = layer, probe, other, pick
        self.x_shape: tuple[int, ...] = ()

    def forward(self, x: np.ndarray, *extra_args: object) -> object:
        self.probe.method = "forward"
        self.x_shape = np.shape(x)
        if self.pick is None:
            return self.layer.forward(x, *extra_args)
        # A two-input layer as a function of input `pick` alone, the other held fixed.
        return self.layer.forward(*((x, self.other) if self.pick == 0 else (self.other, x)))

    def backward(self, dout: object) -> object:
        self.probe.method = "backward"
        dx = self.layer.backward(dout)
        dx = dx if self.pick is None else _pair(dx)[self.pick]
        if np.shape(dx) != self.x_shape:
            raise _Failed(f"backward returns dx of shape {np.shape(dx)} for an input of shape {self.x_shape}")
        return dx

    def __getattr__(self, name: str) -> object:
        return getattr(self.layer, name)  # W, b, dW, db for check_layer


def _pair(grads: object) -> tuple:
    if not isinstance(grads, tuple | list) or len(grads) != 2:
        raise _Failed(f"backward must return two gradients, (dx, dy); it returned {type(grads).__name__}")
    return tuple(grads)


def _two_inputs(cls: type, probe: _Probe, ours: type, wrong_scalars: dict[str, tuple]) -> None:
    """MulLayer and AddLayer: the book's prices as scalars (p.137), then arrays."""
    probe.case = "x = 100.0, y = 2.0"
    layer, reference = probe.new(cls), ours()
    probe.expect(
        "forward(100.0, 2.0)", probe.call(layer, "forward", (100.0, 2.0), ("x", "y")), reference.forward(100.0, 2.0)
    )
    got = _pair(probe.call(layer, "backward", (1.0,), ("dout",)))
    probe.expect("backward(1.0)", got, reference.backward(1.0), wrong_scalars)

    x, y, dout = (probe.rng.standard_normal((2, 3)) for _ in range(3))
    probe.case = "x, y of shape (2, 3)"
    layer = probe.new(cls)
    probe.expect("forward(x, y)", probe.call(layer, "forward", (x, y), ("x", "y")), reference.forward(x, y))
    got = _pair(probe.call(layer, "backward", (dout,), ("dout",)))
    for name, g, expected in zip(("dx", "dy"), got, reference.backward(dout), strict=True):
        probe.expect(f"backward's {name}", g, expected)
    for pick, name in enumerate(("x", "y")):
        inputs = [probe.rng.standard_normal((2, 3)) for _ in range(2)]
        other = inputs[1 - pick]
        probe.vjp(f"{name} of shape (2, 3)", _Tracked(probe.new(cls), probe, other, pick), inputs[pick])


def grade_mul(cls: type, probe: _Probe) -> None:
    swapped = "dx and dy are not swapped: MulLayer's backward is dx = dout * y, dy = dout * x (book p.137)"
    _two_inputs(cls, probe, layer_naive.MulLayer, {swapped: (100.0, 2.0)})


def grade_add(cls: type, probe: _Probe) -> None:
    _two_inputs(cls, probe, layer_naive.AddLayer, {})


def grade_relu(cls: type, probe: _Probe) -> None:
    probe.case = "the ReLU page's x = [[1.0, -0.5], [-2.0, 3.0]]"
    layer, x, dout = probe.new(cls), RELU_X.copy(), RELU_DOUT.copy()
    probe.expect("forward(x)", probe.call(layer, "forward", (x,), ("x",)), np.maximum(RELU_X, 0))
    reference = layers.Relu()
    reference.forward(RELU_X)
    dropped = "the upstream gradient is dropped: backward returns a 0/1 array"
    wrong = {
        f"{dropped} (where dout > 0) instead of dout * (x > 0)": RELU_DOUT > 0,
        f"{dropped} (where x > 0) instead of dout * (x > 0)": RELU_X > 0,
        "the mask is taken from dout instead of the forward input: dx = dout * (x > 0), not dout * (dout > 0)": (
            RELU_DOUT * (RELU_DOUT > 0)
        ),
    }
    dx = probe.call(layer, "backward", (dout,), ("dout",))
    probe.expect("backward(dout)", dx, reference.backward(RELU_DOUT), wrong)
    for shape in ((4, 5), (2, 3, 4)):
        probe.vjp(f"x of shape {shape}", probe.new(cls), away_from_zero(shape, probe.rng))


def grade_sigmoid(cls: type, probe: _Probe) -> None:
    x, dout = np.array([[-1.0, 0.0], [2.0, -3.0]]), np.array([[0.5, -1.0], [2.0, 0.3]])
    probe.case = f"x = {x.tolist()}"
    layer, reference = probe.new(cls), layers.Sigmoid()
    probe.expect("forward(x)", probe.call(layer, "forward", (x.copy(),), ("x",)), reference.forward(x))
    probe.expect("backward(dout)", probe.call(layer, "backward", (dout.copy(),), ("dout",)), reference.backward(dout))
    probe.vjp("x of shape (4, 5)", probe.new(cls), probe.rng.standard_normal((4, 5)))


def grade_affine(cls: type, probe: _Probe) -> None:
    rng = probe.rng
    for x_shape, d in (((4, 3), 3), ((2, 1, 3, 3), 9)):
        x, W, b = rng.standard_normal(x_shape), rng.standard_normal((d, 2)), rng.standard_normal(2)
        dout = rng.standard_normal((x_shape[0], 2))
        probe.case = f"x of shape {x_shape}, W {W.shape}"
        layer, reference = probe.new(cls, W.copy(), b.copy()), layers.Affine(W, b)
        try:
            out = probe.call(layer, "forward", (x.copy(),), ("x",))
        except ValueError as err:  # the book's page version: np.dot of a 4-D x with a 2-D W
            if len(x_shape) == 2:
                raise
            raise _Failed(
                f"forward does not take tensor input: x of shape {x_shape} raised ValueError{probe.where(err)}; "
                "flatten it with x.reshape(x.shape[0], -1) and keep x.shape for backward, "
                "as the book's common/layers.py does"
            ) from None
        probe.expect("forward(x)", out, reference.forward(x))
        dx = probe.call(layer, "backward", (dout.copy(),), ("dout",))
        expected_dx = reference.backward(dout)
        not_reshaped = (
            f"dx is not reshaped to the input's shape: backward returns {expected_dx.reshape(len(x), -1).shape} "
            f"for an input of shape {x_shape}; end with dx.reshape(self.original_x_shape)"
        )
        probe.expect("backward(dout)", dx, expected_dx, {not_reshaped: expected_dx.reshape(len(x), -1)})
        averaged = "db is averaged over the batch instead of summed: db = dout.sum(axis=0)"
        for grad, wrong in (("dW", {}), ("db", {averaged: dout.mean(axis=0)})):
            if getattr(layer, grad, None) is None:
                raise _Failed(f"backward does not set self.{grad}: store the parameter gradients as self.dW, self.db")
            probe.expect(f"self.{grad} after backward", getattr(layer, grad), getattr(reference, grad), wrong)
        probe.vjp(
            f"x of shape {x_shape}", probe.new(cls, W.copy(), b.copy()), rng.standard_normal(x_shape), params=("W", "b")
        )


def grade_softmax_with_loss(cls: type, probe: _Probe) -> None:
    rng = probe.rng
    n, c = 3, 4
    x, t = rng.standard_normal((n, c)), rng.integers(0, c, size=n)
    one_hot = np.eye(c)[t]
    probe.case = f"x of shape {x.shape}, integer labels t"
    layer, reference = probe.new(cls), layers.SoftmaxWithLoss()
    y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    book_loss = -np.log(y[np.arange(n), t] + 1e-7).sum() / n
    biased = (
        "the loss adds 1e-7 inside the log (the book's cross_entropy_error), which biases it; "
        "compute it from the logits: common.functions.softmax_cross_entropy(x, t)"
    )
    probe.expect(
        "forward(x, t)",
        probe.call(layer, "forward", (x.copy(), t.copy()), ("x", "t")),
        reference.forward(x, t),
        {biased: book_loss},
    )
    undivided = f"the softmax gradient is not divided by the batch size: dx = (y - t) / N (here N = {n})"
    probe.expect("backward()", probe.call(layer, "backward", (), ()), reference.backward(), {undivided: y - one_hot})
    # Inside a larger graph dout is not 1; the book's version ignores it.
    probe.call(layer, "forward", (x.copy(), t.copy()), ("x", "t"))
    ignored = "backward ignores dout: multiply dx by dout (the book's version assumes dout = 1)"
    probe.expect(
        "backward(2.0)",
        probe.call(layer, "backward", (2.0,), ("dout",)),
        2 * reference.backward(),
        {ignored: reference.backward()},
    )

    probe.case = f"x of shape {x.shape}, one-hot labels t"
    layer = probe.new(cls)
    probe.expect(
        "forward(x, t)",
        probe.call(layer, "forward", (x.copy(), one_hot.copy()), ("x", "t")),
        reference.forward(x, one_hot),
    )
    probe.expect("backward()", probe.call(layer, "backward", (), ()), reference.backward())
    for labels, t_vjp in (("integer", rng.integers(0, 5, size=4)), ("one-hot", np.eye(5)[rng.integers(0, 5, size=4)])):
        probe.vjp(f"x of shape (4, 5), {labels} labels", probe.new(cls), rng.standard_normal((4, 5)), (t_vjp,))


GRADERS: dict[str, Callable[[type, _Probe], None]] = {
    "MulLayer": grade_mul,
    "AddLayer": grade_add,
    "Relu": grade_relu,
    "Sigmoid": grade_sigmoid,
    "Affine": grade_affine,
    "SoftmaxWithLoss": grade_softmax_with_loss,
}


def grade_class(
    name: str, cls: type, source: Path, seed: int = 0, tolerance: float = DEFAULT_TOLERANCE, h: float = DEFAULT_STEP
) -> Verdict:
    """Grade one class found in `source` (the graded file) under the book's `name`."""
    # Their code is in the graded file, or in whatever file defines the class and its bases.
    files = {source.resolve()}
    for klass in cls.__mro__:
        try:
            files.add(Path(inspect.getfile(klass)).resolve())
        except TypeError:  # builtins such as object
            pass
    probe = _Probe(files, np.random.default_rng([seed, CLASS_NAMES.index(name)]), tolerance, h)
    try:
        # A NaN or inf in their output is reported as a wrong value; numpy's warnings would only add noise.
        with np.errstate(all="ignore"):
            GRADERS[name](cls, probe)
    except _Failed as failed:
        return Verdict(name, "FAIL", str(failed))
    except NotImplementedError as err:
        return Verdict(name, "NOT IMPLEMENTED", f"{probe.method} raises NotImplementedError{probe.where(err)}")
    except Exception as err:
        case = f", for {probe.case}" if probe.case and probe.method != "__init__" else ""
        return Verdict(name, "FAIL", f"{probe.method} raised {_first_line(err)}{probe.where(err)}{case}")
    return Verdict(name, "PASS", f"largest relative error {probe.worst:.1e}")


def grade_file(
    path: str | Path, seed: int = 0, tolerance: float = DEFAULT_TOLERANCE, h: float = DEFAULT_STEP
) -> list[Verdict]:
    """A Verdict for each of the book's class names, in CLASS_NAMES order. Raises GraderError."""
    module = import_layers_file(path)
    verdicts = []
    for name in CLASS_NAMES:
        cls = getattr(module, name, None)
        if not inspect.isclass(cls):
            verdicts.append(Verdict(name, "NOT FOUND", "" if cls is None else f"{name} is not a class"))
            continue
        verdicts.append(grade_class(name, cls, Path(path), seed, tolerance, h))
    return verdicts


def report(path: str, seed: int = 0, tolerance: float = DEFAULT_TOLERANCE, h: float = DEFAULT_STEP) -> int:
    """Grade `path` and print the report. Returns the exit code: 0 every class found passes,
    1 otherwise (also when none is found), 2 when the file cannot be graded (one line on stderr)."""
    try:
        verdicts = grade_file(path, seed, tolerance, h)
    except GraderError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Grading the layers in {path} (float64, seed {seed})")
    print("forward and backward against ours on small fixed inputs; backward against the numerical gradient")
    print(f"of sum(forward(x) * g) for a random g; PASS if relative error <= {tolerance:g}; inputs must stay unchanged")
    print()
    for v in verdicts:
        print(f"{v.name:<17}{v.status:<17}{v.detail}".rstrip())
    print()
    found = [v for v in verdicts if v.status != "NOT FOUND"]
    passed = [v for v in found if v.status == "PASS"]
    missing = [v.name for v in verdicts if v.status == "NOT FOUND"]
    not_found = f" ({len(missing)} not found: {', '.join(missing)})" if missing else ""
    if not found:
        print(f"FAIL: none of the book's classes in {path}; name them {', '.join(CLASS_NAMES)}")
        return 1
    if len(passed) == len(found):
        print(f"PASS: all {len(found)} classes found pass{not_found}")
        return 0
    todo = sum(v.status == "NOT IMPLEMENTED" for v in found)
    todo_note = f"; {todo} not implemented yet" if todo else ""
    print(f"FAIL: {len(passed)} of {len(found)} classes found pass{todo_note}{not_found}")
    return 1


if __name__ == "__main__":
    print(
        "layer_grader.py grades a file of layers; try: python ch05/gradient_check.py --layers ch05/exercise_layers.py"
    )
