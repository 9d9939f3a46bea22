"""Buying two apples with tax, forward and backward (book p.137, figure 5-16).

    python ch05/buy_apple.py                   # the book's numbers
    python ch05/buy_apple.py --graph g.png     # and the computational graph that carries them

Exit codes: 0 done, 2 bad usage or a graph that cannot be written.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/buy_apple.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ch05.layer_naive import MulLayer
from tooling.cli import OneLineArgumentParser


def buy_apple() -> dict[str, float]:
    """The book's code of p.137; returns every value of the graph under its variable name."""
    apple, apple_num, tax = 100, 2, 1.1

    mul_apple_layer = MulLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    price = mul_tax_layer.forward(apple_price, tax)

    dprice = 1
    dapple_price, dtax = mul_tax_layer.backward(dprice)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)

    # Every local variable but the layers is a value on the graph.
    return {name: value for name, value in locals().items() if not name.endswith("_layer")}


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(
        description="Two apples with tax (book p.137): the price and its derivatives.",
        epilog="Exit codes: 0 done, 2 bad usage or a graph that cannot be written.",
    )
    parser.add_argument("--graph", type=Path, help="also draw the computational graph with these numbers into PATH")
    args = parser.parse_args(argv)
    v = buy_apple()
    # :g prints 6 significant digits: 220.00000000000003 (binary floating point) shows as 220.
    print(f"price: {v['price']:g}")
    print(f"dApple: {v['dapple']:g}")
    print(f"dApple_num: {v['dapple_num']:g}")
    print(f"dTax: {v['dtax']:g}")
    if args.graph is None:
        return 0
    from ch05.graphs import draw_buy_apple_graph, write_graph  # matplotlib only when there is a graph to draw

    return write_graph(draw_buy_apple_graph, v, args.graph)


if __name__ == "__main__":
    sys.exit(main())
