"""The pictures of training runs: curves, what a trained network learned, and the one way figures are saved.

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


# ------------------------------------------------------------- inside a trained network
# What ch05/evaluate.py writes into a run folder, and what the notebook shows.


def square_images(x: np.ndarray) -> np.ndarray:
    """(N, D) or (N, 1, H, W) images as (N, side, side); D must be a square (784 -> 28 x 28)."""
    x = np.asarray(x)
    side = int(round(np.sqrt(np.prod(x.shape[1:]))))
    if side * side != np.prod(x.shape[1:]):
        raise ValueError(f"images of {np.prod(x.shape[1:])} values are not square; expected e.g. 784 = 28 x 28")
    return x.reshape(len(x), side, side)


def _tile_grid(fig: Figure, count: int, columns: int) -> list:
    rows = -(-count // columns)  # ceiling division
    axes = [fig.add_subplot(rows, columns, i + 1) for i in range(count)]
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return axes


def plot_weights(W1: np.ndarray, path: str | os.PathLike, columns: int = 10) -> Figure:
    """Each hidden unit's input weights as an image: one tile per column of W1 (D, H), D = side².

    Red where a bright pixel raises the unit's input, blue where it lowers it; each tile is
    scaled to its own largest |weight| and centred on 0, so white means "ignores this pixel".
    Writes an 800-pixel-wide PNG (10 tiles a row); returns the figure.
    """
    tiles = square_images(np.asarray(W1).T)
    rows = -(-len(tiles) // columns)
    fig = Figure(figsize=(8, 0.8 * rows + 0.6))
    fig.suptitle(f"Input weights of the {len(tiles)} hidden units (W1; red +, blue -, white 0)", fontsize=11)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.5 / (0.8 * rows + 0.6), wspace=0.08, hspace=0.08)
    for ax, tile in zip(_tile_grid(fig, len(tiles), columns), tiles, strict=True):
        limit = float(np.abs(tile).max()) or 1.0  # an all-zero unit is drawn white, not as NaN
        # Nearest: one flat square per weight, which is the truth and compresses 3x better.
        ax.imshow(tile, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    save_figure(fig, path)
    return fig


def plot_mistakes(
    images: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    path: str | os.PathLike,
    most: int = 24,
    columns: int = 8,
) -> Figure:
    """The most confident mistakes first: each misclassified image titled "true → predicted (p)".

    images: (N, D) or (N, 1, side, side); labels: (N,) integers; probabilities: (N, classes),
    softmax of the network's scores. Draws up to `most` images; returns the figure.
    """
    predicted = probabilities.argmax(axis=1)
    confidence = probabilities.max(axis=1)
    wrong = np.flatnonzero(predicted != labels)
    # Stable sort: among equal confidences, the earlier test image comes first.
    shown = wrong[np.argsort(-confidence[wrong], kind="stable")][:most]
    rows = max(-(-len(shown) // columns), 1)
    fig = Figure(figsize=(8, 1.15 * rows + 0.5))
    fig.suptitle(
        f"{len(wrong):,} of {len(labels):,} test images misclassified; the {len(shown)} most confident "
        "(true → predicted, probability)",
        fontsize=10,
    )
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.45 / (1.15 * rows + 0.5), hspace=0.35)
    brightest = float(np.max(images)) or 1.0  # 1.0 for normalised images, 255 for raw pixels
    for ax, i in zip(_tile_grid(fig, len(shown), columns), shown, strict=True):
        ax.imshow(square_images(images[i : i + 1])[0], cmap="gray_r", vmin=0, vmax=brightest, interpolation="nearest")
        ax.set_title(f"{labels[i]} → {predicted[i]} ({confidence[i]:.2f})", fontsize=9)
    save_figure(fig, path)
    return fig


def plot_confusion(labels: np.ndarray, predicted: np.ndarray, title: str, path: str | os.PathLike) -> Figure:
    """Confusion matrix of integer labels (N,) against predictions (N,), drawn by scikit-learn.

    Rows are the true classes, columns the predicted ones; every image counts once, so the
    matrix sums to N. Writes a 600 x 600 PNG; returns the figure.
    """
    # Imported here: scikit-learn's metrics take over a second to import, which every
    # train.py run that draws its curves would pay for nothing.
    from sklearn.metrics import ConfusionMatrixDisplay

    fig = Figure(figsize=(6, 6))
    ax = fig.add_subplot(1, 1, 1)
    ConfusionMatrixDisplay.from_predictions(labels, predicted, ax=ax, colorbar=False, cmap="Blues", values_format="d")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
    return fig
