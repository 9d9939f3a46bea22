"""Buying two apples and three oranges with tax (book p.140, figure 5-17)."""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python ch05/buy_apple_orange.py`, Python puts ch05/ first on sys.path;
    # insert the repository root first so `ch05` and `common` resolve to ours.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ch05.layer_naive import AddLayer, MulLayer


def main() -> None:
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

    # :g prints 6 significant digits, so binary rounding (715.0000000000001) does not show.
    print(f"price: {price:g}")
    print(f"dApple_num: {dapple_num:g}")
    print(f"dApple: {dapple:g}")
    print(f"dOrange: {dorange:g}")
    print(f"dOrange_num: {dorange_num:g}")
    print(f"dTax: {dtax:g}")


if __name__ == "__main__":
    main()
