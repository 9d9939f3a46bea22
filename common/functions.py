"""Softmax and cross-entropy (book p.69 and p.89), written to stay finite for any logits.

The book computes the loss as ``-sum(t * log(y + 1e-7))`` on the softmax output ``y``. The
``1e-7`` biases both the loss and its numerical gradient, which is what a gradient check is
trying to measure, so here the loss comes straight from the logits through log-softmax
(the log-sum-exp trick): log y = x - max(x) - log(sum(exp(x - max(x)))).
"""

import numpy as np


def softmax(x: np.ndarray) -> np.ndarray:
    """Softmax along the last axis (book p.69). x: (N, C) or (C,); same shape and dtype out."""
    shifted = x - x.max(axis=-1, keepdims=True)  # keeps exp from overflowing
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_error(y: np.ndarray, t: np.ndarray) -> float:
    """The book's cross-entropy (p.91) on probabilities y, without its ``+ 1e-7``.

    y: (N, C) or (C,) softmax output; t: integer labels (N,) or one-hot (N, C). Returns a
    Python float. Where a probability has underflowed to 0 it gives inf (with numpy's
    warning), never a silently biased number; SoftmaxWithLoss avoids that case altogether
    by taking the loss from the logits (softmax_cross_entropy).
    """
    y, t = as_batch(y, t)
    if t.shape == y.shape:
        t = t.argmax(axis=1)
    return float(-np.log(y[np.arange(y.shape[0]), t]).sum() / y.shape[0])


def log_softmax(x: np.ndarray) -> np.ndarray:
    """Log of softmax along the last axis: finite even for logits of +-1000.

    x: (N, C) or (C,) logits, any float dtype; the result has x's shape and dtype.
    """
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy_from_log_softmax(log_y: np.ndarray, t: np.ndarray) -> float:
    """Mean cross-entropy -sum(t * log y) / N, given log y = log_softmax(x): the book's
    cross_entropy_error (p.89), exact.

    log_y: (N, C); t: integer labels (N,) or one-hot (N, C), already batched (see as_batch).
    Returns a Python float.
    """
    n = log_y.shape[0]
    if t.shape == log_y.shape:
        return float(-(t * log_y).sum() / n)
    return float(-log_y[np.arange(n), t].sum() / n)


def softmax_cross_entropy(x: np.ndarray, t: np.ndarray) -> float:
    """Mean cross-entropy of softmax(x) against t: the book's
    ``cross_entropy_error(softmax(x), t)`` without the ``+ 1e-7``.

    x: (N, C) or (C,) logits. t: integer labels (N,) or a scalar, or one-hot (N, C) or (C,).
    Returns a Python float.
    """
    x, t = as_batch(x, t)
    return cross_entropy_from_log_softmax(log_softmax(x), t)


def as_batch(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Give one unbatched sample a batch axis: x (C,) -> (1, C), t () or (C,) -> (1,) or (1, C).

    Raises ValueError when t is neither integer labels (N,) nor one-hot (N, C) for x (N, C).
    """
    t = np.asarray(t)
    if x.ndim == 1:
        x = x[np.newaxis]
        t = t.reshape(1, -1) if t.ndim == 1 else t.reshape(1)
    if x.ndim != 2:
        raise ValueError(f"logits must be (N, C) or (C,), got shape {x.shape}")
    if t.shape == x.shape:
        return x, t
    if t.shape == x.shape[:1] and t.dtype.kind in "iu":  # integer labels
        if t.size and (t.max() >= x.shape[1] or (t.dtype.kind == "i" and t.min() < 0)):
            raise ValueError(f"integer labels must lie in [0, {x.shape[1]}), got {t.min()}..{t.max()}")
        return x, t
    raise ValueError(
        f"labels of shape {t.shape} and dtype {t.dtype} do not fit logits of shape {x.shape}: "
        f"pass integer labels of shape {x.shape[:1]} or one-hot labels of shape {x.shape}"
    )
