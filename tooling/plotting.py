"""The pictures of training runs: accuracy, loss, runs compared; and the one way figures are saved.

Figures are made with matplotlib's object API (no pyplot), so drawing needs no display,
touches no global state, and every file is written atomically.
"""

import os

import numpy as np
from matplotlib.figure import Figure

from tooling.atomic import atomic_path


def save_figure(fig: Figure, path: str | os.PathLike, dpi: int = 100) -> None:
    # No date or version in the PNG's metadata, so the same figure gives the same bytes.
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, metadata={"Software": None})


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
    save_figure(fig, path)


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
    save_figure(fig, path)


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
    save_figure(fig, path)
