"""The two-layer network of section 5.7 (book p.156-162), built from the layers of common/.

Affine1 -> Relu1 -> Affine2 -> SoftmaxWithLoss, walked forwards in `predict` and backwards
in `gradient`. `numerical_gradient` computes the same gradients the slow way, as the oracle
that `ch05/gradient_check.py` compares against.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/two_layer_net.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collections import OrderedDict

import numpy as np

from common.gradient import DEFAULT_STEP, numerical_gradient
from common.layers import Affine, Relu, SoftmaxWithLoss


class TwoLayerNet:
    """input_size -> hidden_size (ReLU) -> output_size (softmax) network.

    Weights are weight_init_std * N(0, 1) drawn from `seed` (an int, a numpy Generator or
    None for fresh entropy); biases start at zero. `dtype` is float64 as in the book, or
    float32 for speed. `params` holds W1 (input_size, hidden_size), b1 (hidden_size,),
    W2 (hidden_size, output_size), b2 (output_size,); the layers share these arrays, so
    update them in place (params[key] -= lr * grads[key]).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        output_size: int,
        weight_init_std: float = 0.01,
        seed: int | np.random.Generator | None = None,
        dtype: type | np.dtype = np.float64,
    ) -> None:
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": (weight_init_std * rng.standard_normal((input_size, hidden_size))).astype(dtype),
            "b1": np.zeros(hidden_size, dtype=dtype),
            "W2": (weight_init_std * rng.standard_normal((hidden_size, output_size))).astype(dtype),
            "b2": np.zeros(output_size, dtype=dtype),
        }

        self.layers = OrderedDict()
        # The first layer's input is the data: nobody needs its gradient, so skip computing it
        # (the largest product of the backward pass: 27% of the book run, bench_train.py --ablate).
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"], need_dx=False)
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x: np.ndarray) -> np.ndarray:
        """x: (N, input_size) or (N, 1, 28, 28) -> scores (N, output_size), before softmax."""
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x: np.ndarray, t: np.ndarray) -> float:
        """Mean cross-entropy loss; t: integer labels (N,) or one-hot (N, output_size)."""
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x: np.ndarray, t: np.ndarray, batch_size: int | None = None) -> float:
        """Fraction of x classified as t. With batch_size, x is scored in chunks of that
        many rows, which bounds memory for a whole data set and gives the same answer."""
        labels = t if t.ndim == 1 else np.argmax(t, axis=1)
        step = len(x) if batch_size is None else batch_size
        correct = 0
        for start in range(0, len(x), max(step, 1)):
            scores = self.predict(x[start : start + step])
            correct += int(np.count_nonzero(np.argmax(scores, axis=1) == labels[start : start + step]))
        return correct / len(x)

    def numerical_gradient(self, x: np.ndarray, t: np.ndarray, h: float = DEFAULT_STEP) -> dict[str, np.ndarray]:
        """Gradients of the loss by centred differences with step h (book p.160; slow: two
        forward passes per weight). The oracle that ch05/gradient_check.py compares with."""

        def loss_w(_: np.ndarray) -> float:
            return self.loss(x, t)

        return {key: numerical_gradient(loss_w, param, h) for key, param in self.params.items()}

    def gradient(self, x: np.ndarray, t: np.ndarray) -> dict[str, np.ndarray]:
        """Gradients of the loss by backprop (book p.160): one forward and one backward pass."""
        return self.loss_and_gradient(x, t)[1]

    def loss_and_gradient(self, x: np.ndarray, t: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """The loss of the forward pass and the gradients of the backward pass that follows it.

        A trainer logs that loss instead of calling loss() again: one forward pass, not two.
        """
        # forward
        loss = self.loss(x, t)

        # backward
        dout = self.lastLayer.backward(1.0)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)

        grads = {
            "W1": self.layers["Affine1"].dW,
            "b1": self.layers["Affine1"].db,
            "W2": self.layers["Affine2"].dW,
            "b2": self.layers["Affine2"].db,
        }
        return loss, grads

    @classmethod
    def from_params(cls, params: dict[str, np.ndarray]) -> "TwoLayerNet":
        """A network holding the given W1, b1, W2, b2 (e.g. a run's params.npz); sizes come from their shapes."""
        missing = {"W1", "b1", "W2", "b2"} - set(params)
        if missing:
            raise ValueError(f"parameters {sorted(missing)} are missing")
        (input_size, hidden_size), output_size = params["W1"].shape, params["W2"].shape[1]
        net = cls(input_size, hidden_size, output_size, seed=0, dtype=params["W1"].dtype)
        for key, value in net.params.items():
            if params[key].shape != value.shape:
                raise ValueError(f"{key} has shape {params[key].shape}, expected {value.shape}")
            value[...] = params[key]  # in place: the layers hold these arrays
        return net


if __name__ == "__main__":
    # A module, not a script: show what it holds, then say what to run.
    net = TwoLayerNet(784, 50, 10, seed=0)
    x, t = np.random.default_rng(0).random((3, 784)), np.array([0, 1, 2])
    print("TwoLayerNet(784, 50, 10): " + ", ".join(f"{k} {v.shape}" for k, v in net.params.items()))
    print(f"loss on 3 random images before training: {net.loss(x, t):.4f} (ln 10 = {np.log(10):.4f})")
    print("train it: python ch05/train_neuralnet.py; check its gradients: python ch05/gradient_check.py")
