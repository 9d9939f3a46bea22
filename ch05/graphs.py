"""The chapter's computational graphs as figures: ReLU (book p.141, figure 5-18)."""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/NAME.py, or from inside ch05/): put the repository root
    # first on sys.path so `common`, `datasets` and `ch05` resolve to ours.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import os

from matplotlib.figure import Figure
from matplotlib.patches import Circle

from tooling.plotting import save_figure

FORWARD_COLOUR = "black"
BACKWARD_COLOUR = "tab:red"


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


if __name__ == "__main__":
    print("graphs.py draws the chapter's figures; run python ch05/relu_backward.py to draw ReLU's graph")
