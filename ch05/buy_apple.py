"""Buying two apples with tax, forward and backward (book p.137, figure 5-16)."""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python ch05/buy_apple.py`, Python puts ch05/ first on sys.path, not the
    # repository root; insert the root first so `ch05` and `common` resolve to ours.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ch05.layer_naive import MulLayer


def main() -> None:
    apple, apple_num, tax = 100, 2, 1.1

    mul_apple_layer = MulLayer()
    mul_tax_layer = MulLayer()

    apple_price = mul_apple_layer.forward(apple, apple_num)
    price = mul_tax_layer.forward(apple_price, tax)

    dprice = 1
    dapple_price, dtax = mul_tax_layer.backward(dprice)
    dapple, dapple_num = mul_apple_layer.backward(dapple_price)

    # :g prints 6 significant digits: 220.00000000000003 (binary floating point) shows as 220.
    print(f"price: {price:g}")
    print(f"dApple: {dapple:g}")
    print(f"dApple_num: {dapple_num:g}")
    print(f"dTax: {dtax:g}")


if __name__ == "__main__":
    main()
