"""Backprop against numerical gradients, with a verdict (book p.162-164, section 5.7.3).

    python ch05/gradient_check.py            # whole TwoLayerNet, every weight
    python ch05/gradient_check.py --layers   # each layer on its own, random upstream gradient
    python ch05/gradient_check.py --layers my_layers.py   # grade your own layers (ch05/layer_grader.py)
    python ch05/gradient_check.py --broken relu-mask-only   # a wrong backward: must FAIL

Exit code 0 when every gradient is within the tolerance, 1 when any is not, 2 on bad usage
(and, grading a file, when it is not a .py file or fails to import).
Everything runs in float64 (in float32 the rounding error of the loss swamps the check).
"""

import argparse
import dataclasses
import sys
import warnings
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/gradient_check.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ch05.layer_grader import away_from_zero, report
from ch05.two_layer_net import TwoLayerNet
from ch05.wrong_layers import BROKEN, AffineWrongDb, ReluMaskOnly
from common.gradient import (
    DEFAULT_STEP,
    DEFAULT_TOLERANCE,
    Comparison,
    check_layer,
    compare,
    numerical_gradient_at,
    sample_indices,
)
from common.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from datasets.mnist import DataError, DataFallbackWarning, load_mnist
from tooling.cli import OneLineArgumentParser, positive_int

OURS = "ours"  # `--layers` without a file: check the layers of common/layers.py


def load_inputs(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, str]:
    """`count` MNIST training images (float64 in [0, 1], (count, 784)) and integer labels.

    Never touches the network: full MNIST if it is cached, else the shipped sample, else
    random images. Returns (x, t, description of what was used).
    """
    try:
        with warnings.catch_warnings():
            # Which data was used is said in the report; the fallback warning would repeat it.
            warnings.simplefilter("ignore", DataFallbackWarning)
            data = load_mnist(normalize=True, flatten=True, download=False)
    except DataError as err:
        x = rng.random((count, 784))
        t = rng.integers(0, 10, size=count)
        return x, t, f"{count} random images (no MNIST data: {err})"
    (x_train, t_train), _ = data
    return x_train[:count].astype(np.float64), t_train[:count], f"the first {count} training images of {data.source}"


def relu_kink_margin(net: TwoLayerNet, x: np.ndarray, h: float) -> tuple[float, float]:
    """(smallest |hidden pre-activation|, the most one step of h can move one).

    Perturbing W1[i, j] by h moves pre-activation a[n, j] by h * x[n, i], and b1[j] by h.
    If some |a| is below that, the centred difference straddles ReLU's kink and the
    numerical gradient (not backprop) is wrong there.
    """
    pre_activation = x @ net.params["W1"] + net.params["b1"]
    return float(np.abs(pre_activation).min()), h * max(1.0, float(np.abs(x).max()))


def check_network(
    net: TwoLayerNet,
    x: np.ndarray,
    t: np.ndarray,
    tolerance: float = DEFAULT_TOLERANCE,
    h: float = DEFAULT_STEP,
    subset: int | None = None,
    rng: np.random.Generator | None = None,
) -> list[Comparison]:
    """Compare net.gradient with net.numerical_gradient (book p.162), one Comparison per parameter.

    subset: check only that many randomly chosen entries of each parameter, with
    numerical_gradient_at on net.loss (every entry would take minutes on a large network).
    """
    grad_backprop = {key: value.copy() for key, value in net.gradient(x, t).items()}
    if subset is None:
        grad_numerical = net.numerical_gradient(x, t, h)
        return [compare(key, grad_backprop[key], grad_numerical[key], tolerance) for key in net.params]

    rng = rng if rng is not None else np.random.default_rng(0)

    def loss_w(_: np.ndarray) -> float:
        return net.loss(x, t)

    results = []
    for key, param in net.params.items():
        indices = sample_indices(param.shape, subset, rng)
        numeric = numerical_gradient_at(loss_w, param, indices, h)
        analytic = np.array([grad_backprop[key][i] for i in indices])
        # compare() saw flat vectors of the checked entries; report in the parameter's terms.
        flat = compare(key, analytic, numeric, tolerance)
        results.append(dataclasses.replace(flat, shape=param.shape, worst_index=indices[flat.worst_index[0]]))
    return results


def check_layers(
    rng: np.random.Generator, broken: str | None = None, tolerance: float = DEFAULT_TOLERANCE
) -> list[Comparison]:
    """Vector-Jacobian check of every layer of common/layers.py on random float64 inputs."""
    relu = ReluMaskOnly() if broken == "relu-mask-only" else Relu()
    affine_class = AffineWrongDb if broken == "affine-mean-db" else Affine

    def affine(d: int, m: int) -> Affine:
        return affine_class(rng.standard_normal((d, m)), rng.standard_normal(m))

    n, c = 4, 5
    t_int = rng.integers(0, c, size=n)
    cases = [
        ("Relu (4, 5)", relu, away_from_zero((4, 5), rng), (), ()),
        ("Relu (2, 3, 4)", relu, away_from_zero((2, 3, 4), rng), (), ()),
        ("Sigmoid (4, 5)", Sigmoid(), rng.standard_normal((4, 5)), (), ()),
        ("Affine (4, 6)x(6, 3)", affine(6, 3), rng.standard_normal((4, 6)), (), ("W", "b")),
        ("Affine (2, 1, 3, 3)x(9, 4)", affine(9, 4), rng.standard_normal((2, 1, 3, 3)), (), ("W", "b")),
        ("SoftmaxWithLoss, integer labels", SoftmaxWithLoss(), rng.standard_normal((n, c)), (t_int,), ()),
        ("SoftmaxWithLoss, one-hot labels", SoftmaxWithLoss(), rng.standard_normal((n, c)), (np.eye(c)[t_int],), ()),
        ("SoftmaxWithLoss, one sample", SoftmaxWithLoss(), rng.standard_normal(c), (np.int64(2),), ()),
    ]
    results = []
    for name, layer, x, extra_args, param_names in cases:
        results += check_layer(name, layer, x, rng, extra_args, param_names, tolerance)
    return results


def print_table(results: list[Comparison]) -> None:
    width = max([len("gradient")] + [len(r.name) for r in results])
    header = f"{'gradient':<{width}}  {'shape':<12} {'max|diff|':>10} {'mean|diff|':>11} {'rel. error':>11}  verdict"
    print(header)
    print("-" * len(header))
    for r in results:
        shape = "x".join(map(str, r.shape)) or "()"
        verdict = "PASS" if r.passed else "FAIL"
        print(
            f"{r.name:<{width}}  {shape:<12} {r.max_abs_diff:>10.2e} {r.mean_abs_diff:>11.2e} "
            f"{r.rel_error:>11.2e}  {verdict}"
        )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(
        description="Compare backprop gradients with numerical (centred-difference) gradients.",
        epilog="Exit code: 0 all PASS, 1 any FAIL, 2 bad usage or a FILE that fails to import.",
    )
    parser.add_argument(
        "--layers",
        nargs="?",
        const=OURS,
        metavar="FILE",
        help="check each layer of ours on its own (random inputs); with FILE, grade the layers in that .py file",
    )
    parser.add_argument(
        "--batch", type=positive_int, default=3, help="images in the network check (default 3, as the book)"
    )
    parser.add_argument("--subset", type=positive_int, default=None, help="check only K random entries per parameter")
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and random inputs (default 0)")
    parser.add_argument(
        "--step", type=float, default=DEFAULT_STEP, help=f"h of the centred difference ({DEFAULT_STEP:g})"
    )
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"largest relative error that passes ({DEFAULT_TOLERANCE:g})",
    )
    parser.add_argument(
        "--broken",
        choices=sorted(BROKEN),
        help="swap in a deliberately wrong backward to see the check fail: "
        + "; ".join(f"{k}: {v}" for k, v in BROKEN.items()),
    )
    args = parser.parse_args(argv)
    if not (0 < args.step < 1) or not (0 < args.tolerance < 1):
        parser.error("--step and --tolerance must lie strictly between 0 and 1")
    if args.broken and args.layers not in (None, OURS):
        parser.error("--broken swaps in a wrong layer of ours; it does not apply to --layers FILE")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.layers not in (None, OURS):
        return report(args.layers, args.seed, args.tolerance, args.step)
    rng = np.random.default_rng(args.seed)
    print(f"relative error = ||backprop - numerical|| / (||backprop|| + ||numerical||); PASS if <= {args.tolerance:g}")
    print(f"centred differences, step h = {args.step:g}, float64")
    if args.broken:
        print(f"deliberately broken: {BROKEN[args.broken]}")
    print()

    kink_hit = False
    if args.layers:
        print("Each layer on its own: f = sum(forward(x) * g) with a random upstream gradient g")
        results = check_layers(rng, args.broken, args.tolerance)
        print_table(results)
    else:
        net = TwoLayerNet(784, 50, 10, seed=rng, dtype=np.float64)
        if args.broken == "relu-mask-only":
            net.layers["Relu1"] = ReluMaskOnly()
        elif args.broken == "affine-mean-db":
            net.layers["Affine2"] = AffineWrongDb(net.params["W2"], net.params["b2"])
        x, t, described = load_inputs(args.batch, rng)
        print(f"TwoLayerNet(784, 50, 10) on {described}")
        results = check_network(net, x, t, args.tolerance, args.step, args.subset, rng)
        print_table(results)
        closest, reach = relu_kink_margin(net, x, args.step)
        kink_hit = closest <= reach
        if kink_hit:
            print(
                f"ReLU kink hit: a hidden pre-activation is {closest:.1e} from 0, within one step ({reach:.1e}); "
                "the numerical gradient is unreliable there: try another --seed or a smaller --step"
            )
        else:
            print(
                f"ReLU kinks: none within reach (closest pre-activation {closest:.1e} from 0, "
                f"one step moves it {reach:.1e})"
            )

    failed = [r for r in results if not r.passed]
    print()
    for r in failed:
        print("  " + r.describe_mismatch())
    if failed:
        print(f"FAIL: {len(failed)} of {len(results)} gradients differ beyond {args.tolerance:g}")
        return 1
    print(f"PASS: all {len(results)} gradients agree within {args.tolerance:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
