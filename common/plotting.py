"""Every picture the project draws, in one place.

Figures are made with matplotlib's object API (no pyplot), so drawing needs no display,
touches no global state, and every file is written atomically.
"""

import os

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from common.atomic import atomic_path

FORWARD_COLOUR = "black"
BACKWARD_COLOUR = "tab:red"


def _save(fig: Figure, path: str | os.PathLike, dpi: int = 100) -> None:
    # No date or version in the PNG's metadata, so the same figure gives the same bytes.
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, metadata={"Software": None})


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
    _save(fig, path)


def _accuracy_axes(fig: Figure, title: str):
    ax = fig.add_subplot(1, 1, 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1.02)  # headroom: a curve at exactly 1.0 would hide under the frame
    ax.grid(True, alpha=0.3)
    ax.set_title(title)
    return ax


def plot_accuracy(history, source: str, path: str | os.PathLike) -> None:
    """Train and test accuracy per evaluation (book figure 4-12, p.121). Writes a 640 x 480 PNG."""
    epochs = [e.epoch for e in history.evaluations]
    fig = Figure(figsize=(6.4, 4.8))
    ax = _accuracy_axes(fig, f"Accuracy on {source}")
    few = len(epochs) <= 30  # markers help on a short run and clutter a long one
    ax.plot(
        epochs, [e.train_acc for e in history.evaluations], marker="o" if few else None, markersize=3, label="train"
    )
    ax.plot(
        epochs,
        [e.test_acc for e in history.evaluations],
        marker="s" if few else None,
        markersize=3,
        linestyle="--",
        label="test",
    )
    last = history.evaluations[-1]
    ax.legend(loc="lower right", title=f"final: train {last.train_acc:.4f}, test {last.test_acc:.4f}")
    _save(fig, path)


def smooth(values, window: int):
    """Moving average over `window` points (shorter at the start, where fewer points exist)."""
    values = np.asarray(values, dtype=np.float64)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (cumulative[1:] - cumulative[np.arange(1, len(values) + 1) - counts]) / counts


def plot_loss(history, source: str, path: str | os.PathLike) -> None:
    """Training loss per iteration, raw (light) and smoothed (dark). Writes a 640 x 480 PNG."""
    losses = history.loss
    window = max(1, min(history.iterations_per_epoch, len(losses) // 20 or 1))
    iterations = range(1, len(losses) + 1)
    fig = Figure(figsize=(6.4, 4.8))
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(iterations, losses, color="tab:blue", alpha=0.25, linewidth=0.7, label="mini-batch loss")
    ax.plot(iterations, smooth(losses, window), color="tab:blue", linewidth=1.8, label=f"mean of last {window}")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss (cross-entropy)")
    ax.set_ylim(bottom=0)
    ax.grid(True, alpha=0.3)
    ax.set_title(f"Training loss on {source}")
    ax.legend(loc="upper right")
    _save(fig, path)


def plot_compare(runs: list[tuple[str, str, object]], path: str | os.PathLike) -> None:
    """Accuracy curves of several runs on one figure: runs are (label, data source, History).

    Test accuracy solid, train accuracy dashed in the same colour. Writes an 800 x 500 PNG.
    """
    fig = Figure(figsize=(8, 5))
    ax = _accuracy_axes(fig, "Accuracy per epoch (solid: test, dashed: train)")
    for i, (label, source, history) in enumerate(runs):
        colour = f"C{i % 10}"
        epochs = [e.epoch for e in history.evaluations]
        ax.plot(epochs, [e.test_acc for e in history.evaluations], color=colour, label=f"{label} ({source})")
        ax.plot(epochs, [e.train_acc for e in history.evaluations], color=colour, linestyle="--", alpha=0.7)
    ax.legend(loc="lower right", fontsize=8)
    _save(fig, path)
