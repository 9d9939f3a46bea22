"""Full MNIST and Fashion-MNIST from OpenML through scikit-learn, kept in a verified cache.

The cache is `<data_home>/ch05/<dataset>.npz` (uint8, 55 MB), where data_home is the
argument, else $SCIKIT_LEARN_DATA, else ~/scikit_learn_data. A download goes through
`sklearn.datasets.fetch_openml`, bounded in time, and is converted once into that cache.
"""

import os
import socket
import warnings
from pathlib import Path

import numpy as np

from datasets.arrays import DataError, read_npz, verify, write_npz

# Per-class counts (digits 0..9) of the official MNIST split: the first 60,000 rows of
# OpenML's mnist_784 are the training set, the last 10,000 the test set.
MNIST_TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

OPENML = {
    "mnist": {"data_id": 554, "title": "MNIST", "counts": (MNIST_TRAIN_COUNTS, MNIST_TEST_COUNTS)},
    "fashion-mnist": {"data_id": 40996, "title": "Fashion-MNIST", "counts": ((6000,) * 10, (1000,) * 10)},
}
DOWNLOAD_TIMEOUT = 20.0  # seconds a single network operation may stall before we give up
OPENML_HOST = ("www.openml.org", 443)  # where fetch_openml downloads from
PROBE_TIMEOUT = 3.0  # seconds to learn that OpenML cannot be reached at all


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


def load_full(dataset: str, data_home: str | os.PathLike | None, download: bool) -> dict[str, np.ndarray]:
    """Full MNIST or Fashion-MNIST from our cache, rebuilding it from OpenML when it is bad."""
    spec = OPENML[dataset]
    path = cache_path(dataset, data_home)
    what = f"{spec['title']} cache"
    if path.exists():
        try:
            return read_npz(path, what, spec["counts"])
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
    verify(arrays, f"{spec['title']} from OpenML", spec["counts"])
    write_npz(path, arrays)
    return arrays
