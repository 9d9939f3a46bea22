"""Deliberately wrong backward passes: the negative controls of the gradient check.

A check that never fails proves nothing. These are the mistakes readers actually make;
`python ch05/gradient_check.py --broken NAME` must report FAIL and exit 1 on the two in
BROKEN, and the layer grader (`--layers FILE`) must name each one for what it is.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/wrong_layers.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from common.layers import Affine, Relu, SoftmaxWithLoss


class ReluMaskOnly(Relu):
    """The tempting rewrite of ReLU's backward: "return a 0/1 array of where dout > 0".

    Wrong twice: it drops the upstream gradient's values (only the 0/1 pattern survives),
    and it asks where *dout* is positive, where the rule asks where the forward input was.
    """

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return (dout > 0).astype(dout.dtype)


class AffineWrongDb(Affine):
    """Affine whose bias gradient averages over the batch instead of summing.

    A classic slip: SoftmaxWithLoss has already divided by the batch size, so dividing
    again makes db N times too small (and right only for N = 1).
    """

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        dx = super().backward(dout)
        self.db = dout.mean(axis=0)
        return dx


class ReluMaskFromDout(Relu):
    """ReLU whose backward keeps the upstream values but takes the mask from dout, not from x.

    Right wherever dout and x happen to share a sign, which is why it survives casual tests.
    """

    def backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (dout > 0)


class ReluWritesDout:
    """The book's ReLU (p.142), verbatim: its dx is right, but it zeroes entries of dout in place.

    Whoever still holds dout (another branch of the graph, a caller reusing the array) now
    sees it changed. The gradient check alone cannot see this; the layer grader does.
    """

    def __init__(self) -> None:
        self.mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        dout[self.mask] = 0
        dx = dout
        return dx


class AffineNoReshape(Affine):
    """Affine whose dx stays (N, D) for a tensor input such as (N, 1, 28, 28).

    Right for the flat input of this chapter; the layer below a convolution (chapter 7)
    then receives a gradient of the wrong shape.
    """

    def backward(self, dout: np.ndarray) -> np.ndarray | None:
        super().backward(dout)  # dW and db as ours
        return dout @ self.W.T


class SoftmaxWithLossNoBatchDivide(SoftmaxWithLoss):
    """SoftmaxWithLoss whose backward forgets to divide by the batch size N.

    The loss is the mean over the batch, so its gradient is (y - t) / N; without the
    division every update is N times too large (100 times for the book's batches).
    """

    def backward(self, dout: float = 1.0) -> np.ndarray:
        t = self.t if self.t.shape == self.y.shape else np.eye(self.y.shape[1])[self.t]
        return ((self.y - t) * dout).reshape(self.x_shape)


BROKEN = {
    "relu-mask-only": "ReLU backward returns the 0/1 mask of dout > 0 (ch05/relu_backward.py)",
    "affine-mean-db": "Affine backward averages db over the batch instead of summing",
}


if __name__ == "__main__":
    print(
        "wrong_layers.py holds deliberately wrong layers; watch the check catch one: "
        "python ch05/gradient_check.py --broken relu-mask-only"
    )
