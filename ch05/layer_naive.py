"""The multiplication and addition layers of section 5.4 (book p.135-140)."""


class MulLayer:
    """out = x * y; backward swaps the inputs: dx = dout * y, dy = dout * x."""

    def __init__(self) -> None:
        self.x = None
        self.y = None

    def forward(self, x: float, y: float) -> float:
        self.x = x
        self.y = y
        return x * y

    def backward(self, dout: float) -> tuple[float, float]:
        return dout * self.y, dout * self.x


class AddLayer:
    """out = x + y; backward passes dout to both inputs unchanged."""

    def forward(self, x: float, y: float) -> float:
        return x + y

    def backward(self, dout: float) -> tuple[float, float]:
        return dout, dout


if __name__ == "__main__":
    print("layer_naive.py defines MulLayer and AddLayer; see them at work: python ch05/buy_apple.py")
