"""load_mnist, the book's loader (p.73), on safer sources: cache, OpenML, IDX files, shipped sample.

    (x_train, t_train), (x_test, t_test) = data = load_mnist()
    print(data.source)   # which data this is: full MNIST, or the shipped sample

Where the data comes from, in order of preference for `dataset="default"`:
1. our verified cache of full MNIST, `<data_home>/ch05/mnist.npz` (uint8, 55 MB);
2. a download through scikit-learn's `fetch_openml` (OpenML data id 554), converted once
   into that cache (datasets/openml.py);
3. the small real MNIST sample shipped in this folder, with a warning (datasets/sample.py).
A folder of the original IDX files can be loaded instead (datasets/idx.py).

Unlike the book's loader, nothing here unpickles, and every source is checked (shapes,
dtypes, label range, per-class counts where they are known) before it is used.
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np

from datasets.arrays import DataError
from datasets.idx import load_idx_dir
from datasets.openml import OPENML, DownloadError, cache_path, load_full
from datasets.sample import load_sample
from tooling.cli import OneLineArgumentParser, report_progress

__all__ = [
    "DataError",
    "DownloadError",
    "DataFallbackWarning",
    "LoadedData",
    "load_mnist",
    "load_data_spec",
    "data_spec",
]

DATASETS = ("default", "mnist", "fashion-mnist", "sample")


class DataFallbackWarning(UserWarning):
    """Full MNIST was not available, so the shipped sample is used instead."""


class LoadedData(tuple):
    """((x_train, t_train), (x_test, t_test)), unpacked like the book's, plus what it is.

    spec: the data spec that loads exactly this again ("mnist", "fashion-mnist", "sample"
    or "idx:/absolute/folder"); source: a sentence for titles and logs
    ("MNIST sample (4,000 train / 1,000 test)").
    """

    def __new__(cls, train: tuple, test: tuple, spec: str, source: str) -> "LoadedData":
        obj = super().__new__(cls, (train, test))
        obj.spec = spec
        obj.source = source
        return obj


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    dataset: str = "default",
    idx_dir: str | os.PathLike | None = None,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
) -> LoadedData:
    """Load MNIST like the book: ((x_train, t_train), (x_test, t_test)), with .source and .spec.

    normalize: images float32 in [0, 1] (else uint8 0..255). flatten: (N, 784) (else
    (N, 1, 28, 28)). one_hot_label: labels float32 (N, 10) (else uint8 (N,)).
    dataset: "default" (full MNIST when cached or downloadable, else the shipped sample
    with a DataFallbackWarning), "mnist" or "fashion-mnist" (full, or DataError), or
    "sample". idx_dir: load a folder of IDX files instead. download: False never touches
    the network; a failed download raises DownloadError, a DataError (for "default": falls
    back to the sample, whatever the failure).
    """
    if idx_dir is not None:
        arrays, spec = load_idx_dir(idx_dir), f"idx:{Path(idx_dir).resolve()}"
    elif dataset in OPENML:
        arrays, spec = load_full(dataset, data_home, download), dataset
    elif dataset == "sample":
        arrays, spec = load_sample(), "sample"
    elif dataset == "default":
        try:
            arrays, spec = load_full("mnist", data_home, download), "mnist"
        except DataError as err:
            arrays, spec = load_sample(), "sample"
            warnings.warn(
                f"full MNIST unavailable ({err}); using the shipped 5,000-image sample",
                DataFallbackWarning,
                stacklevel=2,
            )
    else:
        raise DataError(f"unknown dataset {dataset!r}: choose one of {', '.join(DATASETS)}")

    def convert(x: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if normalize:
            x = x.astype(np.float32)
            x /= np.float32(255)  # in place: one float32 copy of the images, not two
        if not flatten:
            x = x.reshape(-1, 1, 28, 28)
        if one_hot_label:
            t = np.eye(10, dtype=np.float32)[t]
        return x, t

    return LoadedData(
        convert(arrays["x_train"], arrays["t_train"]),
        convert(arrays["x_test"], arrays["t_test"]),
        spec,
        describe(spec, arrays),
    )


def describe(spec: str, arrays: dict[str, np.ndarray]) -> str:
    """A title for the data: "MNIST (60,000 train / 10,000 test)"."""
    titles = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "sample": "MNIST sample"}
    title = titles.get(spec, f"IDX files in {spec[4:]}")
    return f"{title} ({len(arrays['t_train']):,} train / {len(arrays['t_test']):,} test)"


# ---------------------------------------------------------------------------- data specs
# One string names any source, on the command line and in a run's config.json:
# default, mnist, fashion-mnist, sample, or idx:FOLDER.


def check_data_spec(text: str) -> str:
    """The spec itself, or DataError naming the choices."""
    if text in DATASETS or (text.startswith("idx:") and len(text) > 4):
        return text
    raise DataError(f"unknown data {text!r}: choose one of {', '.join(DATASETS)} or idx:FOLDER")


def data_spec(text: str) -> str:
    """argparse type for a data spec: the spec itself, or a one-line usage error."""
    try:
        return check_data_spec(text)
    except DataError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def load_data_spec(spec: str, **kwargs) -> LoadedData:
    """load_mnist from a data spec (see check_data_spec); kwargs go to load_mnist."""
    if check_data_spec(spec).startswith("idx:"):
        return load_mnist(idx_dir=spec[4:], **kwargs)
    return load_mnist(dataset=spec, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """`python -m datasets.mnist`: fill (or check) the cache, e.g. on a machine with network.

    Exit codes: 0 cached and verified, 1 the download failed (one line on stderr saying why
    and what to do), 2 bad arguments, 130 interrupted (nothing is left half-written).
    """
    parser = OneLineArgumentParser(
        description="Download full MNIST (or Fashion-MNIST) through scikit-learn into the verified cache.",
        epilog="Exit codes: 0 cached and verified, 1 download failed, 2 bad arguments, 130 interrupted.",
    )
    parser.add_argument("--dataset", choices=tuple(OPENML), default="mnist")
    parser.add_argument(
        "--data-home", help="scikit-learn data home (default: $SCIKIT_LEARN_DATA or ~/scikit_learn_data)"
    )
    args = parser.parse_args(argv)
    try:
        with report_progress():
            data = load_mnist(dataset=args.dataset, data_home=args.data_home)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing was written", file=sys.stderr)
        return 130
    print(f"{data.source}: cached and verified at {cache_path(args.dataset, args.data_home)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
