"""The chapter's computational graphs as figures: the apple purchases (p.137, p.140) and ReLU (p.141)."""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/graphs.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os
from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from tooling.plotting import save_figure

FORWARD_COLOUR = "black"
BACKWARD_COLOUR = "tab:red"
NODE_RADIUS = 0.42  # in the data units of the apple graphs, where nodes sit about 3 apart


def draw_relu_graph(path: str | os.PathLike) -> None:
    """ReLU's computational graph, forward and backward, for x > 0 and x <= 0 (book figure 5-18).

    Writes an 800 x 420 PNG.
    """
    fig = Figure(figsize=(8, 4.2))
    fig.suptitle("ReLU layer: forward (black) and backward (red), book section 5.5.1")
    fig.subplots_adjust(left=0.02, right=0.98, top=0.85, bottom=0.02, wspace=0.1)
    cases = [
        ("$x > 0$", "$y = x$", r"$\frac{\partial L}{\partial y}$", "passes the upstream gradient"),
        (r"$x \leq 0$", "$y = 0$", "$0$", "blocks it"),
    ]
    for i, (title, y_label, dx_label, note) in enumerate(cases):
        ax = fig.add_subplot(1, 2, i + 1)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.axis("off")
        ax.set_aspect("equal")
        ax.set_title(title)
        ax.add_patch(Circle((0.5, 0.5), 0.12, fill=False, lw=1.5))
        ax.text(0.5, 0.5, "relu", ha="center", va="center", fontsize=13)
        forward = {"arrowstyle": "-|>", "color": FORWARD_COLOUR, "lw": 1.5}
        backward = {"arrowstyle": "-|>", "color": BACKWARD_COLOUR, "lw": 1.5}
        ax.annotate("", xy=(0.38, 0.58), xytext=(0.04, 0.58), arrowprops=forward)
        ax.annotate("", xy=(0.96, 0.58), xytext=(0.62, 0.58), arrowprops=forward)
        ax.annotate("", xy=(0.62, 0.40), xytext=(0.96, 0.40), arrowprops=backward)
        ax.annotate("", xy=(0.04, 0.40), xytext=(0.38, 0.40), arrowprops=backward)
        ax.text(0.2, 0.64, "$x$", ha="center", fontsize=13)
        ax.text(0.8, 0.64, y_label, ha="center", fontsize=13)
        ax.text(0.8, 0.22, r"$\frac{\partial L}{\partial y}$", ha="center", color=BACKWARD_COLOUR, fontsize=15)
        ax.text(0.2, 0.22, dx_label, ha="center", color=BACKWARD_COLOUR, fontsize=15)
        ax.text(0.5, 0.04, f"backward {note}", ha="center", fontsize=10, color=BACKWARD_COLOUR)
    save_figure(fig, path)


def _point(end: str | tuple[float, float], nodes: Mapping[str, tuple[float, float, str]]) -> np.ndarray:
    return np.array(nodes[end][:2] if isinstance(end, str) else end, dtype=float)


def _draw_graph(ax: Axes, nodes: Mapping[str, tuple[float, float, str]], edges: list[tuple]) -> None:
    """Nodes are circles; each edge carries its forward value above it and its backward value below.

    nodes: name -> (x, y, symbol). edges: (start, end, forward value, backward value, label),
    start and end being node names or free (x, y) points (inputs and the output); the label
    names the free end. "Above" is the left of the direction of travel, so on a rising edge
    the forward value sits on its upper left and the backward value on its lower right.
    """
    ax.set_aspect("equal")
    ax.axis("off")
    for x, y, symbol in nodes.values():
        ax.add_patch(Circle((x, y), NODE_RADIUS, fill=False, lw=1.5))
        ax.text(x, y, symbol, ha="center", va="center", fontsize=17)
    forward_style = {"arrowstyle": "-|>", "color": FORWARD_COLOUR, "lw": 1.4, "shrinkA": 0, "shrinkB": 0}
    backward_style = forward_style | {"color": BACKWARD_COLOUR, "lw": 2.2}
    for start, end, forward, backward, label in edges:
        p, q = _point(start, nodes), _point(end, nodes)
        along = (q - p) / np.linalg.norm(q - p)
        above = np.array([-along[1], along[0]])
        # Arrows stop at the rim of a node, not at its centre.
        p = p + along * NODE_RADIUS if isinstance(start, str) else p
        q = q - along * NODE_RADIUS if isinstance(end, str) else q
        ax.annotate("", xy=q, xytext=p, arrowprops=forward_style)
        ax.annotate("", xy=p - above * 0.2, xytext=q - above * 0.2, arrowprops=backward_style)
        middle = (p + q) / 2
        ax.text(*(middle + above * 0.3), forward, ha="center", va="center", fontsize=13)
        ax.text(*(middle - above * 0.55), backward, ha="center", va="center", fontsize=13, color=BACKWARD_COLOUR)
        if label:  # an input's name left of where it starts, the output's right of where it ends
            free, side = (p, "right") if isinstance(end, str) else (q, "left")
            ax.text(free[0] + (0.15 if side == "left" else -0.15), free[1], label, ha=side, va="center", fontsize=12)


def _graph_figure(height: float, title: str) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(8, height))
    fig.subplots_adjust(left=0.01, right=0.99, top=0.88, bottom=0.01)
    fig.suptitle(title, fontsize=11)
    return fig, fig.add_subplot(1, 1, 1)


def _values(values: Mapping[str, float], names: str) -> dict[str, str]:
    missing = [name for name in names.split() if name not in values]
    if missing:
        raise KeyError(f"the graph needs the values {', '.join(missing)}")
    return {name: f"{values[name]:g}" for name in names.split()}  # :g, as the scripts print them


def draw_buy_apple_graph(values: Mapping[str, float], path: str | os.PathLike) -> Figure:
    """Two apples with tax, forward and backward (book figure 5-16, p.137).

    values: a mapping (a dict, or vars() of the code) holding the variables of
    ch05/buy_apple.py by their names, forward (apple, apple_num, apple_price, tax, price) and
    backward (dprice, dapple_price, dtax, dapple, dapple_num); other entries are ignored.
    Writes an 800 x 290 PNG; returns the figure.
    """
    v = _values(values, "apple apple_num apple_price tax price dprice dapple_price dtax dapple dapple_num")
    fig, ax = _graph_figure(2.9, "Buying 2 apples with tax (book p.137): forward above each edge, backward below")
    nodes = {"apple": (3.6, 2.1, "×"), "tax": (7.2, 2.1, "×")}
    edges = [
        ((1.1, 2.1), "apple", v["apple"], v["dapple"], "apple"),
        ((3.0, 0.6), "apple", v["apple_num"], v["dapple_num"], "apple count"),
        ("apple", "tax", v["apple_price"], v["dapple_price"], ""),
        ((6.6, 0.6), "tax", v["tax"], v["dtax"], "tax"),
        ("tax", (9.8, 2.1), v["price"], v["dprice"], "price"),
    ]
    _draw_graph(ax, nodes, edges)
    ax.set_xlim(-0.1, 10.9)
    ax.set_ylim(0.2, 2.8)
    save_figure(fig, path)
    return fig


def draw_buy_apple_orange_graph(values: Mapping[str, float], path: str | os.PathLike) -> Figure:
    """Two apples and three oranges with tax, forward and backward (book figure 5-17, p.140).

    values: a mapping holding the variables of ch05/buy_apple_orange.py by their names,
    forward (apple, apple_num, apple_price, orange, orange_num, orange_price, all_price, tax,
    price) and backward (the same names with a leading d); other entries are ignored.
    Writes an 800 x 400 PNG; returns the figure.
    """
    v = _values(
        values,
        "apple apple_num apple_price orange orange_num orange_price all_price tax price "
        "dapple dapple_num dapple_price dorange dorange_num dorange_price dall_price dtax dprice",
    )
    fig, ax = _graph_figure(
        4.0, "Buying 2 apples and 3 oranges with tax (book p.140): forward above each edge, backward below"
    )
    nodes = {"apple": (3.6, 4.0, "×"), "orange": (3.6, 1.6, "×"), "add": (6.0, 2.8, "+"), "tax": (8.3, 2.8, "×")}
    edges = [
        ((1.1, 4.0), "apple", v["apple"], v["dapple"], "apple"),
        ((3.0, 2.5), "apple", v["apple_num"], v["dapple_num"], "apple count"),
        ((1.1, 1.6), "orange", v["orange"], v["dorange"], "orange"),
        ((3.0, 0.1), "orange", v["orange_num"], v["dorange_num"], "orange count"),
        ("apple", "add", v["apple_price"], v["dapple_price"], ""),
        ("orange", "add", v["orange_price"], v["dorange_price"], ""),
        ("add", "tax", v["all_price"], v["dall_price"], ""),
        ((7.7, 1.3), "tax", v["tax"], v["dtax"], "tax"),
        ("tax", (10.6, 2.8), v["price"], v["dprice"], "price"),
    ]
    _draw_graph(ax, nodes, edges)
    ax.set_xlim(-0.4, 11.6)
    ax.set_ylim(-0.3, 4.6)
    save_figure(fig, path)
    return fig


def write_graph(draw: Callable[[Mapping[str, float], Path], Figure], values: Mapping[str, float], path: Path) -> int:
    """draw(values, path) for the apple scripts; their exit code: 0, or 2 with one line if path cannot be written."""
    try:
        draw(values, path)
    except OSError as err:
        script = Path(sys.argv[0]).name
        print(f"{script}: error: cannot write {path} ({err.strerror or err}); choose another PATH", file=sys.stderr)
        return 2
    print(f"computational graph drawn to {path}")
    return 0


if __name__ == "__main__":
    print(
        "graphs.py draws the chapter's figures: python ch05/buy_apple.py --graph PATH, "
        "python ch05/buy_apple_orange.py --graph PATH, python ch05/relu_backward.py"
    )
