"""The pictures that teach: the apple graphs and what evaluate.py draws, checked for their content."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread, imsave

from ch05 import evaluate
from ch05.buy_apple import buy_apple
from ch05.buy_apple_orange import buy_apple_orange
from ch05.graphs import draw_buy_apple_graph, draw_buy_apple_orange_graph
from ch05.two_layer_net import TwoLayerNet
from common.trainer import Trainer
from datasets.mnist import load_mnist
from tooling.plotting import plot_confusion, plot_mistakes, plot_weights
from tooling.runs import write_run

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def ink(image: np.ndarray) -> np.ndarray:
    """True where a pixel is not (nearly) white: (H, W) bool of an RGB(A) image read by imread."""
    return (image[..., :3] < 0.9).any(axis=-1)


def assert_picture(path: Path, shape: tuple[int, int]) -> np.ndarray:
    """The PNG at path has this (height, width), and something is drawn on it."""
    image = imread(path)
    assert image.shape[:2] == shape
    assert 0.01 < ink(image).mean() < 0.9, f"{path.name} is blank or solid"
    return image


def bands(line: np.ndarray) -> int:
    """How many separate runs of True a 1-D bool array holds: tiles along a row or a column."""
    return int(np.count_nonzero(line[1:] & ~line[:-1]) + line[0])


def tiles(image: np.ndarray) -> tuple[int, int]:
    """(rows, columns) of tiles below the title of a tiled picture, counted from its pixels."""
    drawn = ink(image)
    rows_with_ink = drawn.any(axis=1)
    title_end = np.argmax(rows_with_ink) + np.argmin(rows_with_ink[np.argmax(rows_with_ink) :])
    body = drawn[title_end:]
    return bands(body.any(axis=1)), bands(body.any(axis=0))


def test_picture_checks_catch_a_blank_picture_and_count_tiles(tmp_path):
    # Negative controls of the helpers above: a white image fails, tiles are counted, not assumed.
    for name, value in (("white", 1.0), ("black", 0.0)):
        imsave(tmp_path / f"{name}.png", np.full((40, 60, 3), value))
        with pytest.raises(AssertionError, match="blank or solid"):
            assert_picture(tmp_path / f"{name}.png", (40, 60))
    assert bands(np.array([True, True, False, True, False, False, True])) == 3
    few = tmp_path / "few.png"
    plot_weights(np.random.default_rng(0).standard_normal((784, 12)), few)
    assert tiles(imread(few)) == (2, 10)


# ----------------------------------------------------------------- the apple graphs


@pytest.mark.parametrize(
    ("compute", "draw", "numbers", "shape"),
    [
        (buy_apple, draw_buy_apple_graph, ["220", "2.2", "110", "200", "1.1", "100", "2", "1"], (290, 800)),
        (
            buy_apple_orange,
            draw_buy_apple_orange_graph,
            ["715", "110", "2.2", "3.3", "165", "650", "200", "450", "1.1", "150", "3", "1"],
            (400, 800),
        ),
    ],
)
def test_apple_graphs_carry_the_books_numbers(tmp_path, compute, draw, numbers, shape):
    path = tmp_path / "graph.png"
    fig = draw(compute(), path)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert set(numbers) <= set(labels)
    assert_picture(path, shape)

    # Negative control: other prices give other numbers on the graph.
    values = compute() | {"price": 330}
    assert "330" in [t.get_text() for t in draw(values, tmp_path / "other.png").axes[0].texts]
    with pytest.raises(KeyError, match="dtax"):
        draw({k: v for k, v in compute().items() if k != "dtax"}, tmp_path / "missing.png")


@pytest.mark.parametrize(
    ("script", "first_lines", "committed"),
    [
        ("ch05/buy_apple.py", ["price: 220", "dApple: 2.2", "dApple_num: 110", "dTax: 200"], "buy_apple_graph.png"),
        (
            "ch05/buy_apple_orange.py",
            ["price: 715", "dApple_num: 110", "dApple: 2.2", "dOrange: 3.3", "dOrange_num: 165", "dTax: 650"],
            "buy_apple_orange_graph.png",
        ),
    ],
)
def test_apple_scripts_draw_their_graph_on_request(tmp_path, script, first_lines, committed):
    graph = tmp_path / "graph.png"
    result = run(script, "--graph", str(graph))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [*first_lines, f"computational graph drawn to {graph}"]
    drawn = assert_picture(graph, imread(ROOT / "ch05" / committed).shape[:2])
    assert drawn.shape == imread(ROOT / "ch05" / committed).shape  # the committed picture is this one's size

    # A path that cannot be written: one line, exit 2, and the numbers were still printed.
    (tmp_path / "file").write_text("")
    bad = run(script, "--graph", str(tmp_path / "file" / "graph.png"))
    assert bad.returncode == 2 and bad.stdout.splitlines() == first_lines
    assert len(bad.stderr.splitlines()) == 1 and "cannot write" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize(("args", "imports_matplotlib"), [([], False), (["--graph", "GRAPH"], True)])
def test_apple_scripts_import_matplotlib_only_to_draw(tmp_path, args, imports_matplotlib):
    code = (
        "import runpy, sys\n"
        "sys.argv = ['buy_apple.py', *sys.argv[1:]]\n"
        "try:\n    runpy.run_path('ch05/buy_apple.py', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('matplotlib loaded:', 'matplotlib' in sys.modules)\n"
    )
    result = run("-c", code, *[str(tmp_path / "g.png") if a == "GRAPH" else a for a in args])
    assert result.stdout.splitlines()[-1] == f"matplotlib loaded: {imports_matplotlib}", result.stderr


# ----------------------------------------------------------- inside a trained network


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run folder of a TwoLayerNet trained briefly on the sample (100 updates, float32), and its data."""
    data = load_mnist(dataset="sample")
    (x_train, t_train), (x_test, t_test) = data
    net = TwoLayerNet(784, 50, 10, seed=0, dtype=np.float32)
    history = Trainer(net, x_train, t_train, x_test, t_test, iterations=100, seed=0).run()
    folder = tmp_path_factory.mktemp("run")
    config = {"data": "sample", "data_source": data.source, "network": "TwoLayerNet(784, 50, 10)"}
    write_run(folder, history, net.params, config, plots=False)
    return folder, net, x_test, t_test


def test_evaluate_draws_three_pictures_into_the_run_folder(trained, capsys):
    folder, net, x_test, t_test = trained
    assert evaluate.main([str(folder)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == f"wrote {folder}/ (weights.png, mistakes.png, confusion.png)"
    assert f"test accuracy  {net.accuracy(x_test, t_test):.4f}" in out

    assert tiles(assert_picture(folder / "weights.png", (460, 800))) == (5, 10)  # 50 hidden units
    mistakes = assert_picture(folder / "mistakes.png", (395, 800))
    assert tiles(mistakes)[1] == 8  # a full row of the most confident mistakes
    assert_picture(folder / "confusion.png", (600, 600))
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["config.json", "history.json", "params.npz", "weights.png", "mistakes.png", "confusion.png"]
    )  # no temporary files left


def test_evaluate_no_plots_and_a_folder_it_cannot_write(trained, tmp_path, capsys):
    folder, *_ = trained
    bare = tmp_path / "run"
    bare.mkdir()
    for name in ("config.json", "history.json", "params.npz"):
        (bare / name).write_bytes((folder / name).read_bytes())
    assert evaluate.main([str(bare), "--no-plots"]) == 0
    assert not list(bare.glob("*.png")) and "wrote" not in capsys.readouterr().out

    (bare / "weights.png").mkdir()  # a picture's place taken by a folder: the write must fail
    assert evaluate.main([str(bare)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith(f"evaluate.py: error: cannot write pictures into {bare}")
    assert not [p for p in bare.iterdir() if p.name.startswith(".")]  # no half-written file


def test_weight_tiles_are_the_hidden_units_weights_centred_on_zero(trained, tmp_path):
    _, net, _, _ = trained
    fig = plot_weights(net.params["W1"], tmp_path / "weights.png")
    assert len(fig.axes) == 50
    for j in (0, 17, 49):
        image = fig.axes[j].images[0]
        np.testing.assert_array_equal(image.get_array(), net.params["W1"][:, j].reshape(28, 28))
        low, high = image.get_clim()
        assert low == -high == -np.abs(net.params["W1"][:, j]).max()  # white is exactly 0
        assert image.get_cmap().name == "RdBu_r"


def test_mistakes_come_most_confident_first_titled_true_to_predicted(tmp_path):
    labels = np.array([0, 1, 2, 3, 4, 5])
    # Images 1, 3 and 4 are wrong, with confidences 0.6, 0.9 and 0.7; the others are right.
    probabilities = np.full((6, 10), 0.0)
    probabilities[np.arange(6), labels] = 1.0
    probabilities[1] = 0
    probabilities[1, [7, 1]] = [0.6, 0.4]
    probabilities[3] = 0
    probabilities[3, [8, 3]] = [0.9, 0.1]
    probabilities[4] = 0
    probabilities[4, [9, 4]] = [0.7, 0.3]
    images = np.random.default_rng(0).random((6, 784))
    fig = plot_mistakes(images, labels, probabilities, tmp_path / "mistakes.png")
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["3 → 8 (0.90)", "4 → 9 (0.70)", "1 → 7 (0.60)"]
    np.testing.assert_array_equal(fig.axes[0].images[0].get_array(), images[3].reshape(28, 28))
    assert "3 of 6 test images misclassified" in fig.get_suptitle()

    # Negative control: with every answer right there is nothing to show.
    right = np.eye(10)[labels]
    assert plot_mistakes(images, labels, right, tmp_path / "mistakes.png").axes == []
    assert len(plot_mistakes(images, labels, probabilities, tmp_path / "mistakes.png", most=2).axes) == 2


def test_confusion_matrix_is_scikit_learns_and_counts_every_test_image(trained, tmp_path):
    _, net, x_test, t_test = trained
    predicted = net.predict(x_test).argmax(axis=1)
    fig = plot_confusion(t_test, predicted, "test", tmp_path / "confusion.png")
    counts = np.array([int(t.get_text()) for t in fig.axes[0].texts]).reshape(10, 10)
    assert counts.sum() == len(t_test) == 1000
    assert np.trace(counts) == np.count_nonzero(predicted == t_test)  # the diagonal is what was right
    assert counts[3].sum() == np.count_nonzero(t_test == 3)  # rows are the true classes

    # Negative control: half the test set sums to half.
    half = plot_confusion(t_test[:500], predicted[:500], "half", tmp_path / "half.png")
    assert sum(int(t.get_text()) for t in half.axes[0].texts) == 500


# ------------------------------------------------------------------------ the READMEs


def linked_files(markdown: Path) -> list[str]:
    """The local files a Markdown file links to (images included), without #fragments."""
    return re.findall(r"\]\(((?!https?:|#)[^)\s#]+)", markdown.read_text(encoding="utf-8"))


def test_every_file_the_readmes_link_exists(tmp_path):
    assert "README.ja.md" in linked_files(ROOT / "README.md")
    assert "README.md" in linked_files(ROOT / "README.ja.md")
    for readme in ("README.md", "README.ja.md"):
        links = linked_files(ROOT / readme)
        missing = [link for link in links if not (ROOT / link).exists()]
        assert not missing, f"{readme} links to missing files: {missing}"
    # Negative control: a link to nothing is found.
    fake = tmp_path / "README.md"
    fake.write_text(encoding="utf-8", data="![x](docs/nothing.png) [y](https://example.org) [z](#data) [w](a.md#b)")
    assert linked_files(fake) == ["docs/nothing.png", "a.md"]
