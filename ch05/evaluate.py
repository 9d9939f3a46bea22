"""Load a trained run's parameters back into a TwoLayerNet and score it.

python ch05/evaluate.py runs/NAME                 # on the data the run was trained on
python ch05/evaluate.py runs/NAME --data sample
"""

import sys
import warnings
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python ch05/evaluate.py`, Python puts ch05/ first on sys.path; insert the
    # repository root first so `common`, `datasets` and `ch05` resolve to ours.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ch05.two_layer_net import TwoLayerNet
from datasets.mnist import DataError, data_spec, load_data_spec
from tooling.cli import OneLineArgumentParser
from tooling.runs import RunError, read_params, read_run


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(description="Score a run's saved parameters on train and test data.")
    parser.add_argument("run", type=Path, help="a run folder written by train.py")
    parser.add_argument(
        "--data", type=data_spec, help="mnist, fashion-mnist, sample or idx:FOLDER (default: what the run used)"
    )
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
