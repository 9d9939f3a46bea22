"""Buying two apples and three oranges with tax (book p.140, figure 5-17).

    python ch05/buy_apple_orange.py                   # the book's numbers
    python ch05/buy_apple_orange.py --graph g.png     # and the computational graph that carries them

Exit codes: 0 done, 2 bad usage or a graph that cannot be written.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/buy_apple_orange.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ch05.layer_naive import AddLayer, MulLayer
from tooling.cli import OneLineArgumentParser


def buy_apple_orange() -> dict[str, float]:
    """The book's code of p.140; returns every value of the graph under its variable name."""
    apple, apple_num = 100, 2
    orange, orange_num = 150, 3
    tax = 1.1

    mul_apple_layer = MulLayer()
    mul_orange_layer = MulLayer()
    add_apple_orange_layer = AddLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    orange_price = mul_orange_layer.forward(orange, orange_num)
    all_price = add_apple_orange_layer.forward(apple_price, orange_price)
    price = mul_tax_layer.forward(all_price, tax)

    dprice = 1
    dall_price, dtax = mul_tax_layer.backward(dprice)
    dapple_price, dorange_price = add_apple_orange_layer.backward(dall_price)
    dorange, dorange_num = mul_orange_layer.backward(dorange_price)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)

    # Every local variable but the layers is a value on the graph.
    return {name: value for name, value in locals().items() if not name.endswith("_layer")}


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(
        description="Two apples and three oranges with tax (book p.140): the price and its derivatives.",
        epilog="Exit codes: 0 done, 2 bad usage or a graph that cannot be written.",
    )
    parser.add_argument("--graph", type=Path, help="also draw the computational graph with these numbers into PATH")
    args = parser.parse_args(argv)
    v = buy_apple_orange()
    # :g prints 6 significant digits, so binary rounding (715.0000000000001) does not show.
    print(f"price: {v['price']:g}")
    print(f"dApple_num: {v['dapple_num']:g}")
    print(f"dApple: {v['dapple']:g}")
    print(f"dOrange: {v['dorange']:g}")
    print(f"dOrange_num: {v['dorange_num']:g}")
    print(f"dTax: {v['dtax']:g}")
    if args.graph is None:
        return 0
    from ch05.graphs import draw_buy_apple_orange_graph, write_graph  # matplotlib only when there is a graph to draw

    return write_graph(draw_buy_apple_orange_graph, v, args.graph)


if __name__ == "__main__":
    sys.exit(main())
