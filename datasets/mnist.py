"""MNIST (and Fashion-MNIST) for chapter 5: through scikit-learn, cached, verified, offline-safe.

    (x_train, t_train), (x_test, t_test) = data = load_mnist()
    print(data.source)   # which data this is: full MNIST, or the shipped sample

Where the data comes from, in order of preference for `dataset="default"`:
1. our verified cache of full MNIST: `<data_home>/ch05/mnist.npz` (uint8, about 11 MB),
   where data_home is the argument, else $SCIKIT_LEARN_DATA, else ~/scikit_learn_data;
2. a download through `sklearn.datasets.fetch_openml` (OpenML data id 554), bounded in
   time, converted once into that cache;
3. the small real MNIST sample shipped in this folder (`mnist_sample.npz`), with a warning.

Unlike the book's loader, nothing here unpickles: every .npz is loaded with
allow_pickle=False, and every cache is checked (shapes, dtypes, label range, per-class
counts of the official split) before it is used.
"""

import argparse
import gzip
import os
import socket
import struct
import warnings
import zipfile
from pathlib import Path

import numpy as np

from common.atomic import atomic_path

SAMPLE_PATH = Path(__file__).with_name("mnist_sample.npz")

# Per-class counts (digits 0..9) of the official MNIST split: the first 60,000 rows of
# OpenML's mnist_784 are the training set, the last 10,000 the test set.
MNIST_TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

# The shipped sample: 5,000 MNIST training images, 500 a class, split 400 / 100 a class.
SAMPLE_TRAIN_COUNTS = (400,) * 10
SAMPLE_TEST_COUNTS = (100,) * 10

OPENML = {
    "mnist": {"data_id": 554, "title": "MNIST", "counts": (MNIST_TRAIN_COUNTS, MNIST_TEST_COUNTS)},
    "fashion-mnist": {"data_id": 40996, "title": "Fashion-MNIST", "counts": ((6000,) * 10, (1000,) * 10)},
}
DATASETS = ("default", "mnist", "fashion-mnist", "sample")

DOWNLOAD_TIMEOUT = 20.0  # seconds a single network operation may stall before we give up
OPENML_HOST = ("www.openml.org", 443)  # where fetch_openml downloads from
PROBE_TIMEOUT = 3.0  # seconds to learn that OpenML cannot be reached at all


class DataError(Exception):
    """The data asked for cannot be had; the message says why and what to do."""


class DataFallbackWarning(UserWarning):
    """Full MNIST was not available, so the shipped sample is used instead."""


class LoadedData(tuple):
    """((x_train, t_train), (x_test, t_test)), unpacked like the book's, plus what it is.

    name: short id ("mnist", "fashion-mnist", "mnist-sample", "idx"); source: a sentence
    for titles and logs ("MNIST sample (4,000 train / 1,000 test, shipped)").
    """

    def __new__(cls, train: tuple, test: tuple, name: str, source: str, pixels=None) -> "LoadedData":
        obj = super().__new__(cls, (train, test))
        obj.name = name
        obj.source = source
        obj.pixels = pixels  # (x_train, x_test) as uint8 (N, 784), with keep_pixels=True
        return obj


def default_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """scikit-learn's data home: the argument, else $SCIKIT_LEARN_DATA, else ~/scikit_learn_data.

    The same rule as sklearn.datasets.get_data_home, without importing scikit-learn (about
    1 s), so a cached load stays fast; only a download imports it.
    """
    if data_home is None:
        data_home = os.environ.get("SCIKIT_LEARN_DATA", Path.home() / "scikit_learn_data")
    return Path(data_home).expanduser()


def cache_path(dataset: str = "mnist", data_home: str | os.PathLike | None = None) -> Path:
    """Where our verified uint8 cache of a full data set lives."""
    return default_data_home(data_home) / "ch05" / f"{dataset}.npz"


# ---------------------------------------------------------------------------- checks


def _verify(arrays: dict[str, np.ndarray], what: str, counts: tuple | None = None) -> None:
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


def _read_npz(path: Path, what: str, counts: tuple | None) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {key: f[key] for key in ("x_train", "t_train", "x_test", "t_test")}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as err:
        raise DataError(f"{what} at {path} cannot be read ({type(err).__name__}: {err})") from None
    _verify(arrays, what, counts)
    return arrays


def _write_npz_atomically(path: Path, arrays: dict[str, np.ndarray], compress: bool = False) -> None:
    with atomic_path(path) as tmp:
        (np.savez_compressed if compress else np.savez)(tmp, **arrays)


# ---------------------------------------------------------------------------- sources


def _offline_hint(cache_file: Path) -> str:
    return (
        f"the cache lives at {cache_file}: fill it by running `python -m datasets.mnist` on a "
        "machine with network and copying that file here, or load a folder of MNIST IDX files instead"
    )


def _probe_openml() -> None:
    """Raise OSError within PROBE_TIMEOUT seconds when OpenML cannot be reached.

    scikit-learn 1.9.1 retries its first request 3 times, 1 s apart, whatever n_retries
    says; one bounded connect first makes "offline" a fast answer (and skips importing
    scikit-learn, about 1 s).
    """
    socket.create_connection(OPENML_HOST, timeout=PROBE_TIMEOUT).close()


def _fetch_openml_arrays(data_id: int, data_home: Path, cache_file: Path) -> dict[str, np.ndarray]:
    """Download through scikit-learn and split 60,000 / 10,000. Raises DataError when offline."""
    try:
        _probe_openml()
    except OSError as err:
        hint = _offline_hint(cache_file)
        raise DataError(f"cannot reach OpenML to download data set {data_id} ({err}); {hint}") from None

    from sklearn.datasets import fetch_openml

    previous = socket.getdefaulttimeout()
    # fetch_openml's urlopen has no timeout of its own: a default socket timeout bounds every
    # connect and read, so an unreachable server fails in seconds instead of hanging.
    socket.setdefaulttimeout(DOWNLOAD_TIMEOUT)
    try:
        # parser="liac-arff" needs no pandas (pandas >= 3.1 breaks scikit-learn 1.9's pandas parser).
        # One quick retry (its minimum): offline, more would only repeat the failure. Its
        # "Retrying..." warning is ours to report, as one DataError, not two messages.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="A network error occurred")
            x, y = fetch_openml(
                data_id=data_id,
                data_home=str(data_home),
                as_frame=False,
                parser="liac-arff",
                return_X_y=True,
                n_retries=1,
                delay=0.1,
            )
    except (OSError, TimeoutError) as err:  # URLError and socket.timeout are OSErrors
        raise DataError(f"downloading OpenML data set {data_id} failed ({err}); {_offline_hint(cache_file)}") from None
    finally:
        socket.setdefaulttimeout(previous)
    x = np.asarray(x)
    if x.shape != (70000, 784) or x.min() < 0 or x.max() > 255:
        raise DataError(
            f"OpenML data set {data_id} has shape {x.shape} and range {x.min()}..{x.max()}, "
            "expected (70000, 784) within 0..255"
        )
    x = x.astype(np.uint8)
    t = np.asarray(y).astype(np.int64).astype(np.uint8)
    return {"x_train": x[:60000], "t_train": t[:60000], "x_test": x[60000:], "t_test": t[60000:]}


def _load_full(dataset: str, data_home: str | os.PathLike | None, download: bool) -> dict[str, np.ndarray]:
    """Full MNIST or Fashion-MNIST from our cache, rebuilding it from OpenML when it is bad."""
    spec = OPENML[dataset]
    path = cache_path(dataset, data_home)
    what = f"{spec['title']} cache"
    if path.exists():
        try:
            return _read_npz(path, what, spec["counts"])
        except DataError as err:
            if not download:
                raise DataError(f"{err}; delete it, or allow a download to rebuild it") from None
            warnings.warn(f"{err}; rebuilding it", stacklevel=3)
    elif not download:
        raise DataError(
            f"no {spec['title']} cache at {path}; allow a download, or pre-seed it "
            "(see `python -m datasets.mnist --help`)"
        )
    arrays = _fetch_openml_arrays(spec["data_id"], path.parent.parent, path)
    _verify(arrays, f"{spec['title']} from OpenML", spec["counts"])
    _write_npz_atomically(path, arrays)
    return arrays


def load_sample() -> dict[str, np.ndarray]:
    """The shipped MNIST sample: 4,000 training and 1,000 test images, uint8, verified."""
    return _read_npz(SAMPLE_PATH, "MNIST sample", (SAMPLE_TRAIN_COUNTS, SAMPLE_TEST_COUNTS))


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
    _verify(arrays, str(directory))
    return arrays


# ---------------------------------------------------------------------------- public entry


def _describe(name: str, arrays: dict[str, np.ndarray], where: str = "") -> str:
    n_train, n_test = len(arrays["t_train"]), len(arrays["t_test"])
    titles = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "mnist-sample": "MNIST sample"}
    title = titles.get(name, f"IDX files in {where}")
    return f"{title} ({n_train:,} train / {n_test:,} test)"


def load_mnist(
    normalize: bool = True,
    flatten: bool = True,
    one_hot_label: bool = False,
    *,
    dataset: str = "default",
    idx_dir: str | os.PathLike | None = None,
    data_home: str | os.PathLike | None = None,
    download: bool = True,
    keep_pixels: bool = False,
) -> LoadedData:
    """Load MNIST like the book: ((x_train, t_train), (x_test, t_test)), with .source and .name.

    normalize: images float32 in [0, 1] (else uint8 0..255). flatten: (N, 784) (else
    (N, 1, 28, 28)). one_hot_label: labels float32 (N, 10) (else uint8 (N,)).
    dataset: "default" (full MNIST when cached or downloadable, else the shipped sample
    with a DataFallbackWarning), "mnist" or "fashion-mnist" (full, or DataError), or
    "sample". idx_dir: load a folder of IDX files instead. download: False never touches
    the network. keep_pixels: also return the images as uint8 (N, 784) in `.pixels`, at no
    cost (they are what normalize starts from); the trainer samples batches from them.
    """
    if idx_dir is not None:
        arrays, name = load_idx_dir(idx_dir), "idx"
    elif dataset in ("mnist", "fashion-mnist"):
        arrays, name = _load_full(dataset, data_home, download), dataset
    elif dataset == "sample":
        arrays, name = load_sample(), "mnist-sample"
    elif dataset == "default":
        try:
            arrays, name = _load_full("mnist", data_home, download), "mnist"
        except DataError as err:
            arrays, name = load_sample(), "mnist-sample"
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
        name,
        _describe(name, arrays, str(idx_dir)),
        (arrays["x_train"], arrays["x_test"]) if keep_pixels else None,
    )


def load_data_spec(spec: str, **kwargs) -> LoadedData:
    """load_mnist from a command-line spec: default, mnist, fashion-mnist, sample or idx:FOLDER."""
    if spec.startswith("idx:") and len(spec) > 4:
        return load_mnist(idx_dir=spec[4:], **kwargs)
    if spec in DATASETS:
        return load_mnist(dataset=spec, **kwargs)
    raise DataError(f"unknown data {spec!r}: choose one of {', '.join(DATASETS)} or idx:FOLDER")


def data_spec(text: str) -> str:
    """argparse type for a data spec: the spec itself, or a one-line usage error."""
    if text in DATASETS or (text.startswith("idx:") and len(text) > 4):
        return text
    raise argparse.ArgumentTypeError(f"unknown data {text!r}: choose one of {', '.join(DATASETS)} or idx:FOLDER")


def main(argv: list[str] | None = None) -> int:
    """`python -m datasets.mnist`: fill (or check) the cache, e.g. on a machine with network."""
    parser = argparse.ArgumentParser(description="Download full MNIST through scikit-learn into the verified cache.")
    parser.add_argument("--dataset", choices=("mnist", "fashion-mnist"), default="mnist")
    parser.add_argument(
        "--data-home", help="scikit-learn data home (default: $SCIKIT_LEARN_DATA or ~/scikit_learn_data)"
    )
    args = parser.parse_args(argv)
    try:
        data = load_mnist(dataset=args.dataset, data_home=args.data_home)
    except DataError as err:
        print(f"error: {err}")
        return 1
    print(f"{data.source}: cached and verified at {cache_path(args.dataset, args.data_home)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
