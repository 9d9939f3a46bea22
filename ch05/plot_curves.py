"""Accuracy curves of several training runs on one figure.

    python ch05/plot_curves.py runs/a runs/b -o compare.png
    python ch05/plot_curves.py runs/a runs/b --labels "lr 0.1" "lr 0.5" -o compare.png

Each run folder is one that train.py wrote; the legend names each run and its data.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/plot_curves.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tooling.cli import OneLineArgumentParser
from tooling.plotting import plot_compare
from tooling.runs import RunError, read_run


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(description="Draw the accuracy curves of several train.py runs on one figure.")
    parser.add_argument("runs", nargs="+", type=Path, help="run folders written by train.py")
    parser.add_argument("-o", "--output", type=Path, default=Path("compare.png"), help="PNG to write (compare.png)")
    parser.add_argument("--labels", nargs="+", help="legend labels, one per run (default: the folder names)")
    args = parser.parse_args(argv)
    if args.labels and len(args.labels) != len(args.runs):
        parser.error(f"{len(args.labels)} labels for {len(args.runs)} runs")
    labels = args.labels or [folder.name for folder in args.runs]
    curves = []
    for label, folder in zip(labels, args.runs, strict=True):
        try:
            history, config = read_run(folder)
        except RunError as err:
            print(f"plot_curves.py: error: {err}", file=sys.stderr)
            return 2
        if not history.evaluations:
            print(f"plot_curves.py: error: {folder} has no evaluations to plot", file=sys.stderr)
            return 2
        curves.append((label, config.get("data_source", "unknown data"), history))
    try:
        plot_compare(curves, args.output)
    except OSError as err:
        print(f"plot_curves.py: error: cannot write {args.output} ({err.strerror or err})", file=sys.stderr)
        return 2
    for label, source, history in curves:
        last = history.evaluations[-1]
        print(f"{label} ({source}): final test accuracy {last.test_acc:.4f} at epoch {last.epoch:g}")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
