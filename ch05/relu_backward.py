"""The ReLU page (book p.141-142): forward, backward, and a tempting rewrite that is wrong.

    python ch05/relu_backward.py            # numbers, plus ch05/relu_graph.png
    python ch05/relu_backward.py --graph out.png

ReLU's backward passes the upstream gradient through where the forward input was positive
and blocks it elsewhere: dx = dout * (x > 0). "Return a 0/1 array of where dout > 0" looks
similar and is wrong twice: it drops dout's values and it looks at dout instead of x.
"""

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/relu_backward.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ch05.graphs import draw_relu_graph
from ch05.wrong_layers import ReluMaskOnly
from common.gradient import check_layer
from common.layers import Relu

X = np.array([[1.0, -0.5], [-2.0, 3.0]])
# Chosen so both mistakes show: dout < 0 where x > 0, and dout > 0 where x < 0.
DOUT = np.array([[-0.3, 0.8], [1.2, 0.5]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ReLU forward and backward, right and wrong, with numbers.")
    parser.add_argument(
        "--graph",
        type=Path,
        default=Path(__file__).with_name("relu_graph.png"),
        help="where to draw ReLU's computational graph (default ch05/relu_graph.png)",
    )
    parser.add_argument("--no-graph", action="store_true", help="print only, draw nothing")
    args = parser.parse_args(argv)
    np.set_printoptions(precision=2, floatmode="fixed", suppress=True)

    relu = Relu()
    out = relu.forward(X)
    dx = relu.backward(DOUT)
    print(f"x =\n{X}\n")
    print(f"forward: y = relu(x) =\n{out}\n")
    print(f"mask = (x > 0) =\n{relu.mask}\n")
    print(f"upstream gradient dout =\n{DOUT}\n")
    print(f"backward: dx = dout where x > 0, else 0 =\n{dx}\n")

    wrong = ReluMaskOnly()
    wrong.forward(X)
    dx_wrong = wrong.backward(DOUT)
    print(f'tempting rewrite: dx = "0/1 array of where dout > 0" =\n{dx_wrong}')
    for i, j in np.argwhere(dx_wrong != dx):
        if X[i, j] <= 0:
            why = f"x = {X[i, j]:g} <= 0, so ReLU blocks it: dx must be 0"
        elif DOUT[i, j] <= 0:
            why = f"x = {X[i, j]:g} > 0, so dx must be dout = {DOUT[i, j]:g}; the rewrite looked at dout's sign"
        else:
            why = f"dx must be dout = {DOUT[i, j]:g}; the rewrite dropped the upstream value"
        print(f"  wrong at [{i}, {j}]: got {dx_wrong[i, j]:g}; {why}")
    print()

    print("gradient check of each (f = sum(relu(x) * dout), centred differences):")
    rng = np.random.default_rng(0)
    for name, layer in (("Relu", Relu()), ("0/1 rewrite", ReluMaskOnly())):
        (result,) = check_layer(name, layer, X.copy(), rng, g=DOUT)
        print(f"  {name:<12} relative error {result.rel_error:.1e}: {'PASS' if result.passed else 'FAIL'}")

    if not args.no_graph:
        draw_relu_graph(args.graph)
        print(f"\ncomputational graph drawn to {args.graph}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
