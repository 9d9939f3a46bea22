"""The chapter's scripts: the book's numbers, the ReLU page, and running from the repository root."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.image import imread

ROOT = Path(__file__).resolve().parents[1]


def run(*args, env=None):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)


def test_buy_apple_prints_the_books_numbers():
    result = run("ch05/buy_apple.py")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:4] == ["price: 220", "dApple: 2.2", "dApple_num: 110", "dTax: 200"]


def test_buy_apple_orange_prints_the_books_numbers():
    result = run("-m", "ch05.buy_apple_orange")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:6] == [
        "price: 715",
        "dApple_num: 110",
        "dApple: 2.2",
        "dOrange: 3.3",
        "dOrange_num: 165",
        "dTax: 650",
    ]


def test_relu_page_shows_the_right_and_the_wrong_backward(tmp_path):
    graph = tmp_path / "relu.png"
    result = run("ch05/relu_backward.py", "--graph", str(graph))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[[-0.30  0.00]\n [ 0.00  0.50]]" in out  # dx = dout * (x > 0)
    assert "[[0.00 1.00]\n [1.00 1.00]]" in out  # the 0/1 rewrite
    assert "Relu         relative error" in out and ": PASS" in out
    assert "0/1 rewrite  relative error" in out and ": FAIL" in out
    assert imread(graph).shape[:2] == (420, 800)


def test_committed_relu_graph_is_what_the_script_draws(tmp_path):
    graph = tmp_path / "relu.png"
    assert run("ch05/relu_backward.py", "--graph", str(graph)).returncode == 0
    committed = imread(ROOT / "ch05" / "relu_graph.png")
    assert committed.shape == imread(graph).shape


@pytest.mark.parametrize("how", [["ch05/gradient_check.py", "--layers"], ["-m", "ch05.gradient_check", "--layers"]])
def test_our_datasets_package_wins_over_an_installed_one(tmp_path, how):
    """Hugging Face's `datasets` is on many readers' machines: ours must still be imported."""
    impostor = tmp_path / "datasets"
    impostor.mkdir()
    (impostor / "__init__.py").write_text("raise ImportError('the wrong datasets package was imported')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = run(*how, env=env)
    assert result.returncode == 0, result.stdout + result.stderr

    # Negative control: outside the repository root the impostor does shadow the name.
    control = subprocess.run(
        [sys.executable, "-c", "import datasets"], cwd=tmp_path.parent, capture_output=True, text=True, env=env
    )
    assert "the wrong datasets package" in control.stderr
