"""Load a trained run's parameters back into a TwoLayerNet, score it, and draw what it learned.

python ch05/evaluate.py runs/NAME                 # on the data the run was trained on
python ch05/evaluate.py runs/NAME --data sample
python ch05/evaluate.py runs/NAME --no-plots      # scores only

Besides the scores it writes into the run folder: weights.png (each hidden unit's input
weights as an image), mistakes.png (the most confident mistakes on the test set) and
confusion.png (the confusion matrix on the test set).
Exit codes: 0 scored, 2 bad arguments, run folder or data, or pictures that cannot be written.
"""

import sys
import warnings
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/evaluate.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ch05.two_layer_net import TwoLayerNet
from common.functions import softmax
from datasets.mnist import DataError, data_spec, load_data_spec
from tooling.cli import OneLineArgumentParser
from tooling.runs import RunError, read_params, read_run

PICTURES = ("weights.png", "mistakes.png", "confusion.png")


def draw_pictures(net: TwoLayerNet, x_test: np.ndarray, t_test: np.ndarray, source: str, folder: Path) -> None:
    """weights.png, mistakes.png and confusion.png of `net` on the test set, into `folder`.

    x_test: (N, 784) images, t_test: (N,) integer labels.
    """
    # matplotlib only when there is a picture to draw: --help and --no-plots stay quick.
    from tooling.plotting import plot_confusion, plot_mistakes, plot_weights

    probabilities = np.concatenate([softmax(net.predict(x_test[i : i + 2_000])) for i in range(0, len(x_test), 2_000)])
    predicted = probabilities.argmax(axis=1)
    accuracy = float(np.mean(predicted == t_test))
    plot_weights(net.params["W1"], folder / "weights.png")
    plot_mistakes(x_test, t_test, probabilities, folder / "mistakes.png")
    plot_confusion(t_test, predicted, f"{source}, test set: accuracy {accuracy:.4f}", folder / "confusion.png")


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(
        description="Score a run's saved parameters on train and test data, and draw what the network learned.",
        epilog="Exit codes: 0 scored, 2 bad arguments, run folder or data, or unwritable pictures.",
    )
    parser.add_argument("run", type=Path, help="a run folder written by train.py")
    parser.add_argument(
        "--data", type=data_spec, help="mnist, fashion-mnist, sample or idx:FOLDER (default: what the run used)"
    )
    parser.add_argument("--no-plots", action="store_true", help=f"write no pictures ({', '.join(PICTURES)})")
    args = parser.parse_args(argv)
    try:
        _, config = read_run(args.run)
        net = TwoLayerNet.from_params(read_params(args.run))
        spec = args.data or config.get("data", "default")  # config.json records the run's data spec
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = load_data_spec(spec, download=False)
    except (RunError, DataError, ValueError) as err:
        print(f"evaluate.py: error: {err}", file=sys.stderr)
        return 2
    (x_train, t_train), (x_test, t_test) = data
    x_train, x_test = x_train.astype(net.params["W1"].dtype), x_test.astype(net.params["W1"].dtype)
    print(f"{args.run} ({config.get('network', 'TwoLayerNet')}) on {data.source}:")
    print(f"train accuracy {net.accuracy(x_train, t_train, batch_size=10_000):.4f}")
    print(f"test accuracy  {net.accuracy(x_test, t_test, batch_size=10_000):.4f}")
    if args.no_plots:
        return 0
    try:
        draw_pictures(net, x_test, t_test, data.source, args.run)
    except OSError as err:
        reason = err.strerror or err
        print(
            f"evaluate.py: error: cannot write pictures into {args.run} ({reason}); --no-plots scores only",
            file=sys.stderr,
        )
        return 2
    print(f"wrote {args.run}/ ({', '.join(PICTURES)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
