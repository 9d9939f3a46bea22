"""Exercise: write the chapter's six layers yourself (book p.135-156), then grade them.

Copy this file (or edit it in place), replace each `raise NotImplementedError` with the
book's code or your own, and run:

    python ch05/gradient_check.py --layers ch05/exercise_layers.py

Each class gets PASS, FAIL (with what looks wrong), or NOT IMPLEMENTED. The rules the grader
holds you to, beyond the right numbers: forward never writes into its inputs and backward
never writes into dout (return new arrays), and parameter gradients are stored as
self.dW and self.db. Shapes follow CS231n's notation: N samples, D inputs, M outputs.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/exercise_layers.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

# Yours to use in SoftmaxWithLoss: softmax(x), and softmax_cross_entropy(x, t), the book's
# cross_entropy_error(softmax(x), t) computed from the logits x, without its + 1e-7.
from common.functions import softmax, softmax_cross_entropy  # noqa: F401


class MulLayer:
    """out = x * y (book p.135-137). x, y: numbers, or arrays of one shape."""

    def __init__(self) -> None:
        self.x = None  # forward's inputs: backward needs them
        self.y = None

    def forward(self, x: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
        """x, y -> out = x * y, of their shape."""
        raise NotImplementedError

    def backward(self, dout: float | np.ndarray) -> tuple:
        """dout: out's shape -> (dx, dy), each of its input's shape."""
        raise NotImplementedError


class AddLayer:
    """out = x + y (book p.137-138). x, y: numbers, or arrays of one shape."""

    def __init__(self) -> None:
        pass  # nothing to remember: the derivative of x + y is 1 for both inputs

    def forward(self, x: float | np.ndarray, y: float | np.ndarray) -> float | np.ndarray:
        """x, y -> out = x + y, of their shape."""
        raise NotImplementedError

    def backward(self, dout: float | np.ndarray) -> tuple:
        """dout: out's shape -> (dx, dy), each of its input's shape."""
        raise NotImplementedError


class Relu:
    """ReLU (book p.141-142): out = x where x > 0, else 0. Any shape."""

    def __init__(self) -> None:
        self.mask = None  # where the forward input was positive (or its complement, as the book)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> out: x's shape."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: out's shape -> dx: x's shape."""
        raise NotImplementedError


class Sigmoid:
    """Sigmoid (book p.143-146): out = 1 / (1 + exp(-x)). Any shape."""

    def __init__(self) -> None:
        self.out = None  # backward needs only the forward output

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: any shape -> out: x's shape."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: out's shape -> dx: x's shape."""
        raise NotImplementedError


class Affine:
    """Fully connected layer (book p.147-152): out = x @ W + b.

    W: (D, M), b: (M,). x: (N, D), or a tensor such as (N, 1, 28, 28) whose trailing axes
    hold the D values: flatten it in forward, and return dx in x's original shape.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        self.W = W
        self.b = b
        self.x = None
        self.original_x_shape = None
        self.dW = None  # (D, M), set by backward
        self.db = None  # (M,), set by backward

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) or (N, ...) -> out: (N, M)."""
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """dout: (N, M) -> dx: x's original shape; also sets self.dW (D, M) and self.db (M,)."""
        raise NotImplementedError


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy loss (book p.152-156).

    x: (N, C) logits. t: integer labels (N,) or one-hot labels (N, C).
    """

    def __init__(self) -> None:
        self.loss = None
        self.y = None  # softmax output, (N, C)
        self.t = None  # the labels

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        """x: (N, C), t: (N,) or (N, C) -> the mean loss over the batch, one number."""
        raise NotImplementedError

    def backward(self, dout: float = 1) -> np.ndarray:
        """dout: a number (1 at the end of the network) -> dx: (N, C)."""
        raise NotImplementedError


if __name__ == "__main__":
    print(
        "exercise_layers.py holds the layers for you to write; grade them with: "
        "python ch05/gradient_check.py --layers ch05/exercise_layers.py"
    )
