"""The four arrays every MNIST source gives, checked the same way: DataError, verify, .npz in and out."""

import zipfile
from pathlib import Path

import numpy as np

from tooling.atomic import atomic_path

KEYS = ("x_train", "t_train", "x_test", "t_test")


class DataError(Exception):
    """The data asked for cannot be had; the message says why and what to do."""


def verify(arrays: dict[str, np.ndarray], what: str, counts: tuple | None = None) -> None:
    """Raise DataError unless arrays hold uint8 images (N, 784) and uint8 labels 0..9 (N,)
    for train and test, with the given per-class counts when counts is (train, test)."""
    for split, expected in zip(("train", "test"), counts or (None, None), strict=True):
        x, t = arrays[f"x_{split}"], arrays[f"t_{split}"]
        if x.dtype != np.uint8 or t.dtype != np.uint8:
            raise DataError(f"{what}: {split} arrays are {x.dtype}/{t.dtype}, expected uint8")
        if x.ndim != 2 or x.shape[1] != 784 or t.shape != (x.shape[0],):
            raise DataError(f"{what}: {split} shapes {x.shape} and {t.shape} are not (N, 784) and (N,)")
        if t.size and t.max() > 9:
            raise DataError(f"{what}: {split} labels go up to {t.max()}, expected 0..9")
        if expected is not None and tuple(np.bincount(t, minlength=10)) != tuple(expected):
            raise DataError(
                f"{what}: {split} per-class counts {np.bincount(t, minlength=10).tolist()} "
                f"are not the expected {list(expected)}"
            )


def read_npz(path: Path, what: str, counts: tuple | None) -> dict[str, np.ndarray]:
    """The four arrays of an .npz, loaded without unpickling anything, then verified."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {key: f[key] for key in KEYS}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(f"{what} at {path} cannot be read ({type(err).__name__}: {err})") from None
    verify(arrays, what, counts)
    return arrays


def write_npz(path: Path, arrays: dict[str, np.ndarray], compress: bool = False) -> None:
    """Write the four arrays atomically: a killed writer leaves the old file or none."""
    with atomic_path(path) as tmp:
        (np.savez_compressed if compress else np.savez)(tmp, **{key: arrays[key] for key in KEYS})
