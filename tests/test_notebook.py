"""notebooks/ch05.ipynb: it runs in a fresh Jupyter kernel, and its stored outputs are in step with the code."""

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from notebooks.execute import MAX_BYTES, NOTEBOOK, execute_notebook

ROOT = Path(__file__).resolve().parents[1]

APPLE = ["price: 220", "dApple: 2.2", "dApple_num: 110", "dTax: 200"]
APPLE_ORANGE = ["price: 715", "dApple_num: 110", "dApple: 2.2", "dOrange: 3.3", "dOrange_num: 165", "dTax: 650"]
PICTURE_CELLS = ["buy-apple-graph", "buy-apple-orange-graph", "relu", "train", "weights", "mistakes", "confusion"]


def stdout(nb, cell_id: str) -> str:
    (cell,) = [c for c in nb.cells if c.get("id") == cell_id]
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


def row(text: str, name: str) -> str:
    """The verdict column of the gradient table's row for `name`."""
    (line,) = [line for line in text.splitlines() if line.split() and line.split()[0] == name]
    return line.split()[-1]


def assert_in_step(nb) -> None:
    """What the notebook shows is what the book and the code say."""
    assert stdout(nb, "buy-apple").splitlines() == APPLE
    assert stdout(nb, "buy-apple-orange").splitlines() == APPLE_ORANGE

    relu = stdout(nb, "relu-check")
    assert row(relu, "Relu.dx") == "PASS" and row(relu, "ReluMaskOnly.dx") == "FAIL"
    assert "[[0. 1.]\n [1. 1.]]" in relu  # the 0/1 array of where dout > 0

    check = stdout(nb, "gradient-check")
    assert [row(check, p) for p in ("W1", "b1", "W2", "b2")] == ["PASS"] * 4
    assert check.rstrip().endswith("PASS: all 4 gradients agree within 1e-07")
    assert "FAIL: W1, b1 differ" in stdout(nb, "gradient-check-wrong")

    # The kink: the numerical gradient of what moves the kinked unit fails, the rest passes.
    kink = stdout(nb, "kink")
    assert [row(kink, p) for p in ("W1", "b1", "W2", "b2")] == ["FAIL", "FAIL", "PASS", "PASS"]
    steps = stdout(nb, "kink-steps").splitlines()
    backprop, straddling, one_side = (float(line.rsplit(" ", 1)[1]) for line in steps)
    assert abs(one_side - backprop) < 1e-6 * abs(backprop) < abs(straddling - backprop)

    graded = stdout(nb, "check-your-own-layers")
    assert "ReluMaskOnly: FAIL, the upstream gradient is dropped" in graded
    assert "ReluWritesDout: FAIL, backward modifies dout in place" in graded
    assert graded.count("NOT IMPLEMENTED") == 6 and "FAIL: 0 of 6 classes found pass" in graded

    last = stdout(nb, "train").strip().splitlines()[-1]
    assert last.startswith("after 2,000 iterations") and float(last.rsplit(" ", 1)[1]) >= 0.9

    for cell_id in PICTURE_CELLS:
        (cell,) = [c for c in nb.cells if c.get("id") == cell_id]
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), f"cell {cell_id} shows no picture"


@pytest.fixture(scope="module")
def stored():
    return nbformat.read(NOTEBOOK, as_version=4)


def test_stored_outputs_are_in_step_with_the_code(stored):
    assert_in_step(stored)


def test_stored_notebook_is_clean_and_small(stored):
    code = [c for c in stored.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))  # run top to bottom, once
    outputs = [o for c in code for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not [o.text for o in outputs if o.output_type == "stream" and o.name == "stderr"]  # no warnings shown
    assert NOTEBOOK.stat().st_size <= MAX_BYTES


def test_notebook_imports_the_layers_instead_of_copying_them(stored):
    def copies(nb) -> list[str]:
        code = [c for c in nb.cells if c.cell_type == "code"]
        return [c.id for c in code if "class " in c.source or "def backward" in c.source]

    assert copies(stored) == []
    # Negative control: a cell that writes a layer on the page is found.
    copied = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("class Relu:\n    pass", id="copy")])
    assert copies(copied) == ["copy"]


def test_the_in_step_check_catches_a_stale_output(stored):
    stale = nbformat.from_dict(stored)
    (cell,) = [c for c in stale.cells if c.get("id") == "buy-apple"]
    cell.outputs[0].text = cell.outputs[0].text.replace("220", "221")
    with pytest.raises(AssertionError):
        assert_in_step(stale)


def first_cell(stored) -> str:
    return next(c.source for c in stored.cells if c.cell_type == "code")


@pytest.mark.parametrize("where", ["root", "notebooks"])
def test_first_cell_puts_the_repository_first_on_sys_path(stored, tmp_path, where):
    """Opened from notebooks/ (jupyter lab) or run from the root, our `datasets` is the one imported."""
    impostor = tmp_path / "datasets"
    impostor.mkdir()
    (impostor / "__init__.py").write_text("raise ImportError('the wrong datasets package was imported')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    cwd = ROOT if where == "root" else ROOT / "notebooks"
    code = first_cell(stored) + "\nimport datasets.mnist\nprint(sys.path.index(str(ROOT)), datasets.mnist.__file__)"
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["0", str(ROOT / "datasets" / "mnist.py")]

    # Negative control: without the first cell the impostor wins (from notebooks/, as Jupyter starts).
    control = subprocess.run(
        [sys.executable, "-c", "import datasets"],
        cwd=ROOT / "notebooks",
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert "the wrong datasets package" in control.stderr


def test_first_cell_outside_the_repository_says_where_to_open_it(stored, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", first_cell(stored)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    message = f"common/layers.py not found above {tmp_path}: open this notebook from the repository"
    assert result.stderr.strip() == message  # one line, no traceback


def test_notebook_runs_in_a_fresh_kernel_and_shows_the_same_things():
    """The one execution of the suite: every cell in a fresh python3 kernel started in notebooks/."""
    executed = execute_notebook(NOTEBOOK)  # raises CellExecutionError at a failing cell
    assert not [o for c in executed.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert_in_step(executed)
