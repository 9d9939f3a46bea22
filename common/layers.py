"""The layers of chapter 5 (book p.141-156), one class each, with ``forward`` and ``backward``.

Every layer keeps the book's names so a reader can cross-check the page: ``forward`` saves
what ``backward`` needs; ``backward(dout)`` returns the gradient for the input and stores
parameter gradients as ``dW`` and ``db``. Unlike the book, no backward writes into ``dout``
or into the forward input, and float32 in gives float32 out.
"""

import numpy as np

from common.functions import as_batch, cross_entropy_from_log_softmax, log_softmax


class Relu:
    """ReLU (book p.141-142): y = x where x > 0, else 0. Any shape.

    ``mask`` is True where the forward input was positive: exactly where the upstream
    gradient passes through (dx = dout * (x > 0)). The book stores the complement
    (x <= 0) and zeroes ``dout`` in place; here ``dout`` is never written.
    """

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        # Not np.where(mask, x, 0): that turns NaN into 0 and would hide a diverging run.
        return np.maximum(x, 0)

    def backward(self, dout: np.ndarray) -> np.ndarray:
        # The upstream values pass where the *forward input* was positive; a 0/1 array
        # alone, or a mask taken from dout, would be wrong (see ch05/relu_backward.py).
        return dout * self.mask


class Sigmoid:
    """Sigmoid (book p.143-146): y = 1 / (1 + exp(-x)). Any shape.

    Backward uses only the forward output: dx = dout * y * (1 - y).
    """

    def __init__(self) -> None:
        self.out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        # The tanh form equals 1 / (1 + exp(-x)) but never overflows (x = -1000 is fine).
        self.out = 0.5 * (1 + np.tanh(0.5 * x))
        return self.out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (1.0 - self.out) * self.out


class Affine:
    """Fully connected layer (book p.147-152): out = x @ W + b.

    W: (D, M), b: (M,). x: (N, D), or a tensor such as (N, 1, 28, 28) whose trailing axes
    hold D values; it is flattened to (N, D) and ``backward`` returns dx in x's shape.
    ``W`` and ``b`` are the network's own arrays (not copies), so an in-place parameter
    update is seen here.

    ``need_dx = False`` skips the input gradient, for a first layer whose input is the
    data: nothing upstream would use it, and it is the largest matmul of the backward pass.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray, need_dx: bool = True) -> None:
        self.W = W
        self.b = b
        self.need_dx = need_dx
        self.x: np.ndarray | None = None
        self.original_x_shape: tuple[int, ...] | None = None
        self.dW: np.ndarray | None = None
        self.db: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        """x: (N, D) or (N, ...) -> out: (N, M)."""
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.W + self.b

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        """dout: (N, M) -> dx in the forward input's shape (None when need_dx is False)."""
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        if not self.need_dx:
            return None
        return (dout @ self.W.T).reshape(self.original_x_shape)


class SoftmaxWithLoss:
    """Softmax followed by the cross-entropy loss (book p.152-156).

    forward(x, t): x (N, C) logits or one sample (C,); t integer labels (N,) (or a scalar)
    or one-hot (N, C) (or (C,)). Returns the mean loss as a Python float.
    backward(dout=1): (y - t) / N * dout, in x's shape and dtype. The book's version
    ignores ``dout``; scaling by it keeps the layer correct inside a larger graph.
    """

    def __init__(self) -> None:
        self.loss: float | None = None
        self.y: np.ndarray | None = None  # softmax output, (N, C)
        self.t: np.ndarray | None = None  # labels as given, with a batch axis
        self.x_shape: tuple[int, ...] | None = None

    def forward(self, x: np.ndarray, t: np.ndarray) -> float:
        self.x_shape = x.shape
        x, self.t = as_batch(x, t)
        log_y = log_softmax(x)  # the book's log(y + 1e-7), exact and finite
        self.y = np.exp(log_y)
        self.loss = cross_entropy_from_log_softmax(log_y, self.t)
        return self.loss

    def backward(self, dout: float = 1.0) -> np.ndarray:
        n = self.y.shape[0]
        if self.t.shape == self.y.shape:
            dx = self.y - self.t.astype(self.y.dtype, copy=False)
        else:
            dx = self.y.copy()
            dx[np.arange(n), self.t] -= 1
        # In-place scaling keeps y's dtype even when dout is a float64 scalar.
        dx *= dout / n
        return dx.reshape(self.x_shape)
