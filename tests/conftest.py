"""Fixtures for the data tests: an empty data home, no network, and a local OpenML on request."""

import socket

import numpy as np
import pytest
from openml_server import FakeOpenML

from datasets import openml

# Small stand-ins for the official per-class counts, so a download parses in a blink; unequal
# counts, so a wrong split or a wrong class would show.
SMALL_COUNTS = {
    "mnist": ((3, 4, 3, 3, 3, 3, 3, 3, 3, 3), (2, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
    "fashion-mnist": ((3,) * 10, (1,) * 10),
}


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def labels_with_counts(counts) -> np.ndarray:
    return np.repeat(np.arange(10), counts)


def served_arrays(counts) -> tuple[np.ndarray, np.ndarray]:
    """(x uint8 (N, 784), labels (N,)): the training rows then the test rows, in these counts."""
    labels = np.concatenate([labels_with_counts(counts[0]), labels_with_counts(counts[1])])
    x = (np.arange(len(labels) * 784, dtype=np.int64) % 251).reshape(len(labels), 784).astype(np.uint8)
    return x, labels


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """An empty data home, OpenML at a closed local port, the small counts, short time bounds."""
    monkeypatch.setenv("SCIKIT_LEARN_DATA", str(tmp_path / "sklearn_home"))
    monkeypatch.setattr(openml, "OPENML_SERVER", f"http://127.0.0.1:{closed_port()}")
    for dataset, counts in SMALL_COUNTS.items():
        monkeypatch.setitem(openml.OPENML[dataset], "counts", counts)
    monkeypatch.setattr(openml, "STALL_TIMEOUT", 1.0)
    return tmp_path / "sklearn_home"


@pytest.fixture
def openml_server(monkeypatch, offline):
    """serve(dataset="mnist", counts=None) starts a FakeOpenML of that data set (its rows in
    the given counts, else the data set's) and points datasets.openml at it."""
    servers = []

    def serve(dataset: str = "mnist", counts=None) -> FakeOpenML:
        x, labels = served_arrays(counts or openml.OPENML[dataset]["counts"])
        name = {"mnist": "mnist_784", "fashion-mnist": "Fashion-MNIST"}[dataset]
        server = FakeOpenML(x, labels, data_id=openml.OPENML[dataset]["data_id"], name=name).__enter__()
        server.x, server.labels = x, labels
        servers.append(server)
        monkeypatch.setattr(openml, "OPENML_SERVER", server.url)
        return server

    yield serve
    for server in servers:
        server.__exit__(None, None, None)
