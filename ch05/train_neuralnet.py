"""The book's training script (p.164-165): mini-batch SGD with backprop, accuracy every epoch.

    python ch05/train_neuralnet.py

Short on purpose, like the page, and on the shipped 4,000-image sample so it takes seconds.
train.py is the full tool: any data, the book's 10,000 iterations, a progress bar, divergence
checks, a run folder with plots.
"""

import sys
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python ch05/train_neuralnet.py, or from inside ch05/), Python puts ch05/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ch05.two_layer_net import TwoLayerNet
from datasets.mnist import load_mnist


def main() -> None:
    # The shipped sample, so this runs anywhere in seconds; train.py --data mnist for the full set.
    data = load_mnist(normalize=True, one_hot_label=True, dataset="sample")
    (x_train, t_train), (x_test, t_test) = data
    print(f"data: {data.source}")

    network = TwoLayerNet(input_size=784, hidden_size=50, output_size=10, seed=0)
    rng = np.random.default_rng(0)  # seeded: the same numbers on every run

    iters_num = 2000  # the book's 10,000 are 17 epochs of full MNIST; 2,000 are 50 of the sample
    train_size = x_train.shape[0]
    batch_size = 100
    learning_rate = 0.1

    train_loss_list = []
    train_acc_list = []
    test_acc_list = []

    iter_per_epoch = max(train_size // batch_size, 1)

    for i in range(iters_num):
        batch_mask = rng.choice(train_size, batch_size)
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]

        grad = network.gradient(x_batch, t_batch)  # backprop (numerical_gradient would take hours)

        for key in ("W1", "b1", "W2", "b2"):
            network.params[key] -= learning_rate * grad[key]

        loss = network.loss(x_batch, t_batch)
        train_loss_list.append(loss)

        if i % iter_per_epoch == 0:
            train_acc = network.accuracy(x_train, t_train)
            test_acc = network.accuracy(x_test, t_test)
            train_acc_list.append(train_acc)
            test_acc_list.append(test_acc)
            print(f"epoch {i // iter_per_epoch:3d}: train acc {train_acc:.4f}, test acc {test_acc:.4f}")


if __name__ == "__main__":
    main()
