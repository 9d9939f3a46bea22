"""MNIST in its original IDX files (optionally .gz), as MNIST mirrors distribute them."""

import gzip
import os
import struct
from pathlib import Path

import numpy as np

from datasets.arrays import DataError, verify

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "t_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "t_test": "t10k-labels-idx1-ubyte",
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """One IDX file (optionally .gz) of unsigned bytes: images (N, rows, cols) or labels (N,).

    Checks the magic number (0x00000803 for images, 0x00000801 for labels), the
    dimensions and that the file holds exactly that many bytes; DataError names the file.
    """
    path = Path(path)
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as err:
        raise DataError(f"{path}: cannot be read ({err})") from None
    if len(raw) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(raw)} bytes)")
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise DataError(
            f"{path}: magic number 0x{raw[:4].hex()} is not an IDX file of unsigned bytes "
            "(expected 0x00000801 for labels or 0x00000803 for images)"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path}: truncated header ({len(raw)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = header + int(np.prod(dims))
    if len(raw) != expected:
        raise DataError(
            f"{path}: holds {len(raw)} bytes, but its header {dims} needs {expected}; "
            "the file is truncated or corrupt: download it again"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def load_idx_dir(directory: str | os.PathLike) -> dict[str, np.ndarray]:
    """The four MNIST IDX files (each optionally .gz) of a directory, as MNIST mirrors ship them."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"{directory} is not a directory of MNIST IDX files")
    arrays = {}
    for key, stem in IDX_FILES.items():
        candidates = [directory / stem, directory / (stem + ".gz")]
        found = next((p for p in candidates if p.exists()), None)
        if found is None:
            raise DataError(f"{directory}: missing {stem} (or {stem}.gz)")
        array = read_idx(found)
        want_ndim = 3 if key.startswith("x") else 1
        if array.ndim != want_ndim or (want_ndim == 3 and array.shape[1:] != (28, 28)):
            raise DataError(f"{found}: shape {array.shape}, expected {'(N, 28, 28)' if want_ndim == 3 else '(N,)'}")
        arrays[key] = array.reshape(len(array), -1) if want_ndim == 3 else array
    for split in ("train", "test"):
        if len(arrays[f"x_{split}"]) != len(arrays[f"t_{split}"]):
            raise DataError(
                f"{directory}: {len(arrays[f'x_{split}'])} {split} images but {len(arrays[f't_{split}'])} labels"
            )
    verify(arrays, str(directory))
    return arrays
