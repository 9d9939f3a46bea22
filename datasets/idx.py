"""MNIST in its original IDX files (optionally .gz), as MNIST mirrors distribute them."""

import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from datasets.arrays import DataError, verify

IDX_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "t_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "t_test": "t10k-labels-idx1-ubyte",
}


# The largest payload a header may declare: MNIST's training images are 47 MB, EMNIST's
# largest split 547 MB. A header beyond this is corrupt, and is refused before any reading.
MAX_IDX_BYTES = 2**30


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """One IDX file (optionally .gz) of unsigned bytes: images (N, rows, cols) or labels (N,).

    Checks the magic number (0x00000803 for images, 0x00000801 for labels), the
    dimensions and that the file holds exactly that many bytes; DataError names the file.
    Reads what the header declares plus one byte, so a small .gz that expands to gigabytes
    is refused after reading at most the declared size, never decompressed whole.
    """
    path = Path(path)
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            return _read_idx(f, path)
    except (OSError, EOFError, zlib.error) as err:  # gzip.BadGzipFile is an OSError
        raise DataError(f"{path}: cannot be read ({err})") from None


def _read_idx(f: BinaryIO, path: Path) -> np.ndarray:
    magic = f.read(4)
    if len(magic) < 4:
        raise DataError(f"{path}: too short to be an IDX file ({len(magic)} bytes)")
    zero, dtype_code, ndim = struct.unpack(">HBB", magic)
    if zero != 0 or dtype_code != 0x08 or ndim not in (1, 3):
        raise DataError(
            f"{path}: magic number 0x{magic.hex()} is not an IDX file of unsigned bytes "
            "(expected 0x00000801 for labels or 0x00000803 for images)"
        )
    header = 4 + 4 * ndim
    raw_dims = f.read(4 * ndim)
    if len(raw_dims) < 4 * ndim:
        raise DataError(f"{path}: truncated header ({4 + len(raw_dims)} bytes)")
    dims = struct.unpack(f">{ndim}I", raw_dims)
    size = int(np.prod(dims, dtype=np.int64))
    if size > MAX_IDX_BYTES:
        raise DataError(f"{path}: its header {dims} declares {size:,} bytes, more than an IDX file of MNIST can hold")
    data = np.empty(size, dtype=np.uint8)
    got = f.readinto(memoryview(data)) if size else 0
    while got < size:  # gzip and pipes may return less than asked for
        more = f.readinto(memoryview(data)[got:])
        if not more:
            break
        got += more
    if got < size:
        raise DataError(
            f"{path}: holds {header + got} bytes, but its header {dims} needs {header + size}; "
            "the file is truncated or corrupt: download it again"
        )
    if f.read(1):
        raise DataError(
            f"{path}: holds more than the {header + size} bytes its header {dims} declares; "
            "the file is corrupt: download it again"
        )
    return data.reshape(dims)


def load_idx_dir(directory: str | os.PathLike) -> dict[str, np.ndarray]:
    """The four MNIST IDX files (each optionally .gz) of a directory, as MNIST mirrors ship them."""
    directory = Path(directory)
    if not directory.is_dir():
        gone = "" if directory.exists() else " (it does not exist)"
        raise DataError(f"{directory} is not a directory of MNIST IDX files{gone}")
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
