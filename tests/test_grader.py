"""The layer grader (gradient_check.py --layers FILE): verdicts, the named mistakes, exit codes."""

import subprocess
import sys
from pathlib import Path

import pytest

from ch05.layer_grader import CLASS_NAMES, GraderError, grade_file, import_layers_file, report

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "ch05" / "exercise_layers.py"
OURS_ALL_SIX = (
    "from ch05.layer_naive import AddLayer, MulLayer\n"
    "from common.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss\n"
)


def grade_source(tmp_path, source, name="my_layers.py", **kwargs):
    path = tmp_path / name
    path.write_text(source)
    return {v.name: v for v in grade_file(path, **kwargs)}


def run_grader(path, *args):
    return subprocess.run(
        [sys.executable, "ch05/gradient_check.py", "--layers", str(path), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


# --------------------------------------------------------------------- right and wrong layers


def test_our_layers_pass_and_a_wrong_one_does_not(tmp_path):
    verdicts = grade_source(tmp_path, OURS_ALL_SIX)
    assert [v.status for v in verdicts.values()] == ["PASS"] * 6
    assert list(verdicts) == list(CLASS_NAMES)

    # Negative control: the same file with the seed blog's ReLU.
    verdicts = grade_source(tmp_path, OURS_ALL_SIX + "from ch05.wrong_layers import ReluMaskOnly as Relu\n")
    assert {name: v.status for name, v in verdicts.items() if v.status != "PASS"} == {"Relu": "FAIL"}


def test_our_common_layers_file_passes_from_the_command_line():
    result = run_grader("common/layers.py")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for name in ("Relu", "Sigmoid", "Affine", "SoftmaxWithLoss"):
        assert any(line.startswith(name) and " PASS " in line for line in lines), name
    assert any(line.startswith("MulLayer") and "NOT FOUND" in line for line in lines)
    assert lines[-1] == "PASS: all 4 classes found pass (2 not found: MulLayer, AddLayer)"


BOOK_MUL_SWAPPED = """
class MulLayer:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.x, dout * self.y
"""

BOOK_SOFTMAX = """
import numpy as np
from common.functions import softmax


class SoftmaxWithLoss:  # the book's p.156, with its cross_entropy_error inlined
    def forward(self, x, t):
        self.t, self.y = t, softmax(x)
        n = self.y.shape[0]
        return -np.sum(np.log(self.y[np.arange(n), t] + 1e-7)) / n

    def backward(self, dout=1):
        n = self.y.shape[0]
        dx = self.y.copy()
        dx[np.arange(n), self.t] -= 1
        return dx / n
"""

EXACT_LOSS_IGNORING_DOUT = BOOK_SOFTMAX.replace(
    "np.log(self.y[np.arange(n), t] + 1e-7)", "np.log(self.y[np.arange(n), t])"
)

BOOK_PAGE_AFFINE = """
import numpy as np


class Affine:  # the book's p.152, before its common/layers.py adds tensor input
    def __init__(self, W, b):
        self.W, self.b = W, b
        self.x = self.dW = self.db = None

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx
"""

# The book's own import works here: common.functions has cross_entropy_error, without the 1e-7.
BOOK_IMPORTS_IGNORING_DOUT = BOOK_SOFTMAX.replace(
    "from common.functions import softmax", "from common.functions import cross_entropy_error, softmax"
).replace("-np.sum(np.log(self.y[np.arange(n), t] + 1e-7)) / n", "cross_entropy_error(self.y, self.t)")


@pytest.mark.parametrize(
    ("source", "name", "sentence"),
    [
        (
            "from ch05.wrong_layers import ReluMaskOnly as Relu\n",
            "Relu",
            "the upstream gradient is dropped: backward returns a 0/1 array (where dout > 0)",
        ),
        (
            "from ch05.wrong_layers import ReluMaskFromDout as Relu\n",
            "Relu",
            "the mask is taken from dout instead of the forward input",
        ),
        ("from ch05.wrong_layers import ReluWritesDout as Relu\n", "Relu", "backward modifies dout in place"),
        (
            "from ch05.wrong_layers import AffineWrongDb as Affine\n",
            "Affine",
            "db is averaged over the batch instead of summed",
        ),
        (
            "from ch05.wrong_layers import AffineNoReshape as Affine\n",
            "Affine",
            "dx is not reshaped to the input's shape: backward returns (2, 9) for an input of shape (2, 1, 3, 3)",
        ),
        (
            "from ch05.wrong_layers import SoftmaxWithLossNoBatchDivide as SoftmaxWithLoss\n",
            "SoftmaxWithLoss",
            "the softmax gradient is not divided by the batch size",
        ),
        (
            "from common.layers import Relu as Ours\n\n\nclass Relu(Ours):\n"
            "    def backward(self, dout):\n        return 1.0 * self.mask\n",
            "Relu",
            "the upstream gradient is dropped: backward returns a 0/1 array (where x > 0)",
        ),
        (BOOK_MUL_SWAPPED, "MulLayer", "dx and dy are not swapped"),
        (BOOK_SOFTMAX, "SoftmaxWithLoss", "the loss adds 1e-7 inside the log"),
        (EXACT_LOSS_IGNORING_DOUT, "SoftmaxWithLoss", "backward ignores dout"),
        (BOOK_IMPORTS_IGNORING_DOUT, "SoftmaxWithLoss", "backward ignores dout"),
        (BOOK_PAGE_AFFINE, "Affine", "forward does not take tensor input: x of shape (2, 1, 3, 3) raised ValueError"),
    ],
)
def test_each_wrong_layer_is_named_for_what_it_is(tmp_path, source, name, sentence):
    verdict = grade_source(tmp_path, source)[name]
    assert verdict.status == "FAIL"
    assert verdict.detail.startswith(sentence), verdict.detail
    assert "\n" not in verdict.detail


def test_the_book_relu_passes_once_it_stops_writing_into_dout(tmp_path):
    book = "from ch05.wrong_layers import ReluWritesDout\n\n\nclass Relu(ReluWritesDout):\n"
    fixed = book + "    def backward(self, dout):\n        dout = dout.copy()\n        return super().backward(dout)\n"
    assert grade_source(tmp_path, fixed)["Relu"].status == "PASS"
    # Negative control: unfixed, it fails.
    assert grade_source(tmp_path, book + "    pass\n")["Relu"].status == "FAIL"


def test_an_unrecognised_mistake_gets_the_largest_mismatch(tmp_path):
    sigmoid = """
import numpy as np


class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out{}
"""
    verdict = grade_source(tmp_path, sigmoid.format(""))["Sigmoid"]  # forgot the (1 - y)
    assert verdict.status == "FAIL"
    assert verdict.detail.startswith("backward(dout) is wrong at index (1, 0): expected 0.209987, got 1.76159")
    assert grade_source(tmp_path, sigmoid.format(" * (1 - self.out)"))["Sigmoid"].status == "PASS"
    # A NaN is a wrong value like any other, never a pass.
    nan = sigmoid.replace("1 / (1 + np.exp(-x))", "np.log(x)").format(" * (1 - self.out)")
    assert "got nan" in grade_source(tmp_path, nan)["Sigmoid"].detail


def test_forward_must_not_write_into_x(tmp_path):
    relu = """
class Relu:
    def forward(self, x):
        self.mask = x > 0
        return {}

    def backward(self, dout):
        return dout * self.mask
"""
    verdict = grade_source(tmp_path, relu.format("x.clip(min=0, out=x)"))["Relu"]
    assert verdict.status == "FAIL"
    assert verdict.detail == "forward writes into its input x: compute a new array instead"
    assert grade_source(tmp_path, relu.format("x.clip(min=0)"))["Relu"].status == "PASS"


def test_an_exception_in_their_layer_names_it_and_their_line(tmp_path):
    source = "class Relu:\n    def forward(self, x):\n        return x.relu()\n"
    verdict = grade_source(tmp_path, source)["Relu"]
    assert verdict.status == "FAIL"
    assert verdict.detail.startswith(
        "forward raised AttributeError: 'numpy.ndarray' object has no attribute 'relu' (my_layers.py:3)"
    ), verdict.detail
    # Negative control: an Affine that needs more than (W, b) fails at construction, not in our code.
    verdict = grade_source(tmp_path, "class Affine:\n    def __init__(self, W, b, c):\n        pass\n")["Affine"]
    assert verdict.detail.startswith("__init__ raised TypeError"), verdict.detail


# --------------------------------------------------------------------- the skeleton and missing classes


def test_the_skeleton_is_not_implemented_and_one_filled_class_passes(tmp_path):
    verdicts = {v.name: v for v in grade_file(SKELETON)}
    assert [v.status for v in verdicts.values()] == ["NOT IMPLEMENTED"] * 6
    assert verdicts["Relu"].detail.startswith("forward raises NotImplementedError (exercise_layers.py:")

    # Negative control: fill in Relu (appended, it replaces the skeleton's) and it passes.
    filled = SKELETON.read_text() + (
        "\n\nclass Relu:\n    def forward(self, x):\n        self.mask = x > 0\n        return x * self.mask\n\n"
        "    def backward(self, dout):\n        return dout * self.mask\n"
    )
    verdicts = grade_source(tmp_path, filled)
    assert verdicts["Relu"].status == "PASS"
    assert verdicts["Sigmoid"].status == "NOT IMPLEMENTED"


def test_the_skeleton_exits_1_from_the_command_line():
    result = run_grader("ch05/exercise_layers.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("NOT IMPLEMENTED") == 6
    assert result.stdout.splitlines()[-1] == "FAIL: 0 of 6 classes found pass; 6 not implemented yet"


def test_missing_classes_are_not_found_and_exit_codes_follow_the_classes_found(tmp_path, capsys):
    only_relu = tmp_path / "only_relu.py"
    only_relu.write_text("from common.layers import Relu\n")
    assert report(str(only_relu)) == 0  # every class found passes
    out = capsys.readouterr().out
    assert "MulLayer         NOT FOUND" in out and "Relu             PASS" in out

    empty = tmp_path / "empty.py"
    empty.write_text("import numpy as np\nrelu = None\n")
    assert report(str(empty)) == 1  # nothing found is not a pass
    assert "FAIL: none of the book's classes" in capsys.readouterr().out


# --------------------------------------------------------------------- files that cannot be graded


@pytest.mark.parametrize(
    ("source", "line", "message"),
    [
        ("import numpy as np\n\nclass Relu:\n    def forward(self, x)\n        return x\n", 4, "SyntaxError"),
        ("import numpy as np\n\n\ndef f():\n    return 1 / 0\n\n\nX = f()\n", 5, "ZeroDivisionError"),
        ("from common.functions import sigmoid_grad\n", 1, "ImportError"),
    ],
)
def test_a_file_that_fails_to_import_gives_exit_2_and_one_line(tmp_path, source, line, message):
    path = tmp_path / "my_layers.py"
    path.write_text(source)
    result = run_grader(path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: cannot import {path}, line {line}: {message}"), result.stderr


@pytest.mark.parametrize(
    ("name", "message"),
    [("missing.py", "no such file"), ("a_folder", "is a folder"), ("layers.txt", "is not a .py file")],
)
def test_a_path_that_is_not_a_python_file_is_refused(tmp_path, name, message):
    (tmp_path / "a_folder").mkdir()
    (tmp_path / "layers.txt").write_text("class Relu: pass\n")
    with pytest.raises(GraderError, match=message):
        import_layers_file(tmp_path / name)
    assert import_layers_file(ROOT / "common" / "layers.py").Relu  # negative control: a real .py file


def test_a_bad_path_from_the_command_line_is_one_line_and_exit_2(tmp_path):
    result = run_grader(tmp_path / "missing.py")
    assert result.returncode == 2
    assert (
        result.stderr
        == f"error: {tmp_path / 'missing.py'}: no such file; give the path of the .py file that holds your layers\n"
    )
    broken = subprocess.run(
        [sys.executable, "ch05/gradient_check.py", "--layers", "common/layers.py", "--broken", "relu-mask-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and "--broken" in broken.stderr


# --------------------------------------------------------------------- how the file is imported


def test_the_graded_file_leaves_no_clashing_module_and_sys_path_as_it_was(tmp_path):
    (tmp_path / "helper.py").write_text("from common.functions import softmax\nTWO = 2\n")
    path = tmp_path / "datasets.py"  # the name of our own package: it must not replace it
    path.write_text("import sys\nfrom helper import TWO\nSEEN = __name__ in sys.modules\n")
    import datasets

    path_before = list(sys.path)
    module = import_layers_file(path)
    assert module.TWO == 2  # the file's folder and the repository root were importable
    assert module.SEEN  # registered while it ran (dataclasses need that) ...
    assert module.__name__ not in sys.modules  # ... and gone afterwards
    assert sys.modules["datasets"] is datasets
    assert sys.path == path_before


def test_the_grade_is_deterministic_for_a_seed(tmp_path):
    a = grade_source(tmp_path, OURS_ALL_SIX, seed=3)
    b = grade_source(tmp_path, OURS_ALL_SIX, seed=3)
    c = grade_source(tmp_path, OURS_ALL_SIX, seed=4)
    assert [v.detail for v in a.values()] == [v.detail for v in b.values()]
    assert [v.detail for v in a.values()] != [v.detail for v in c.values()]  # the seed does matter
