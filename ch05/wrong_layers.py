"""Deliberately wrong backward passes: the negative controls of the gradient check.

A check that never fails proves nothing. These are the mistakes readers actually make;
`python ch05/gradient_check.py --broken NAME` must report FAIL and exit 1 on each.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/NAME.py, or from inside ch05/): put the repository root
    # first on sys.path so `common`, `datasets` and `ch05` resolve to ours.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from common.layers import Affine, Relu


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


BROKEN = {
    "relu-mask-only": "ReLU backward returns the 0/1 mask of dout > 0 (ch05/relu_backward.py)",
    "affine-mean-db": "Affine backward averages db over the batch instead of summing",
}


if __name__ == "__main__":
    print(
        "wrong_layers.py holds deliberately wrong layers; watch the check catch one: "
        "python ch05/gradient_check.py --broken relu-mask-only"
    )
