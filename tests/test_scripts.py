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


# Every file in ch05/ runs three ways without a traceback: from the root as a file and as a
# module, and from inside ch05/ as the book runs its files. Arguments keep each one short.
CH05_ARGS = {
    "evaluate": ["--help"],
    "plot_curves": ["--help"],
    "gradient_check": ["--subset", "3"],
    "relu_backward": ["--no-graph"],
}
CH05_FILES = sorted(p.stem for p in (ROOT / "ch05").glob("*.py") if p.stem != "__init__")


@pytest.mark.parametrize("name", CH05_FILES)
@pytest.mark.parametrize("how", ["file", "module", "inside ch05"])
def test_every_chapter_file_runs_three_ways(tmp_path, name, how):
    args = CH05_ARGS.get(name, [])
    env = dict(os.environ, SCIKIT_LEARN_DATA=str(tmp_path))  # no cache: never a download attempt
    command, cwd = {
        "file": ([f"ch05/{name}.py"], ROOT),
        "module": (["-m", f"ch05.{name}"], ROOT),
        "inside ch05": ([f"{name}.py"], ROOT / "ch05"),
    }[how]
    result = subprocess.run(
        [sys.executable, *command, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip()  # a module that is not a script still says what to run


def test_every_chapter_file_is_in_the_three_way_test():
    # Negative control of the test above: a new file cannot slip past it.
    assert {"train_neuralnet", "two_layer_net", "gradient_check", "layer_naive"} <= set(CH05_FILES)
    assert len(CH05_FILES) == len(list((ROOT / "ch05").glob("*.py"))) - 1


def test_the_books_training_script_learns_on_the_sample():
    result = run("ch05/train_neuralnet.py")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "data: MNIST sample (4,000 train / 1,000 test)"
    epochs = [line for line in lines if line.startswith("epoch")]
    assert len(epochs) == 50
    first, last = (float(line.rsplit(" ", 1)[1]) for line in (epochs[0], epochs[-1]))
    assert first < 0.3 and last >= 0.9  # it learned: from chance to 90% test accuracy


@pytest.mark.parametrize(
    ("args", "imports_matplotlib"),
    [
        (["--help"], False),
        (["--data", "sample", "--iters", "3", "--quiet", "--no-plots"], False),
        (["--data", "sample", "--iters", "3", "--quiet"], True),  # negative control: plots need it
    ],
)
def test_train_py_imports_matplotlib_only_to_plot(tmp_path, args, imports_matplotlib):
    code = (
        "import runpy, sys\n"
        "sys.argv = ['train.py', *sys.argv[1:]]\n"
        "try:\n    runpy.run_path('train.py', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('matplotlib loaded:', 'matplotlib' in sys.modules)\n"
    )
    result = run("-c", code, *args, "--out", str(tmp_path / "run"))
    assert f"matplotlib loaded: {imports_matplotlib}" in result.stdout, result.stdout + result.stderr
