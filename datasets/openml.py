"""Full MNIST and Fashion-MNIST from OpenML through scikit-learn: a bounded download into a verified cache.

The cache is `<data_home>/ch05/<dataset>.npz` (uint8, 55 MB), where data_home is the
argument, else $SCIKIT_LEARN_DATA, else ~/scikit_learn_data. A download goes through
scikit-learn's own `fetch_openml`, watched by datasets/bounded_http.py: the server's silence
is bounded, every failure becomes one DownloadError line, and scikit-learn's copy of the file
lives in a private temporary folder that is deleted afterwards, whatever happened.
Progress goes to the "datasets" logger (INFO lines, DEBUG byte counts); the command-line
scripts print it on stderr, the library prints nothing.
"""

import contextlib
import errno
import gzip
import http.client
import logging
import os
import shutil
import socket
import tempfile
import time
import urllib.error
import warnings
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from datasets.arrays import DataError, read_npz, verify, write_npz
from datasets.bounded_http import BoundedDownloads, call_within

log = logging.getLogger(__name__)

# Per-class counts (digits 0..9) of the official MNIST split: the first 60,000 rows of
# OpenML's mnist_784 are the training set, the last 10,000 the test set.
MNIST_TRAIN_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)

# counts: the per-class counts of the training and test rows, in that order; they also give
# the split (the first sum(train counts) rows train). download_mb: the gzipped ARFF file, for
# the line announcing a download: MNIST estimated by writing the shipped sample as OpenML's
# ARFF and gzipping it (x 14), Fashion-MNIST from an earlier measured download (40 MB).
OPENML = {
    "mnist": {
        "data_id": 554,
        "title": "MNIST",
        "counts": (MNIST_TRAIN_COUNTS, MNIST_TEST_COUNTS),
        "download_mb": 15,
    },
    "fashion-mnist": {
        "data_id": 40996,
        "title": "Fashion-MNIST",
        "counts": ((6000,) * 10, (1000,) * 10),
        "download_mb": 40,
    },
}
OPENML_DEFAULT_SERVER = "https://www.openml.org"  # where scikit-learn sends its API requests
OPENML_SERVER = OPENML_DEFAULT_SERVER  # where they really go: tests point this at a local server
PROBE_TIMEOUT = 3.0  # seconds to learn that OpenML cannot be reached at all (name lookup included)
# Seconds the server may stay silent, counted across every request and retry of one download,
# before the whole download is abandoned. Worst case within 30 s: 3 s of probe, 1 s importing
# scikit-learn, 15 s of silence, then the 3 x 1 s pauses of its retries of the first request.
STALL_TIMEOUT = 15.0
# How long scikit-learn's ARFF parser takes for 70,000 rows, for the announcement: 10 s measured
# on an earlier machine, 37 s and 54 s on a busy 2-core machine.
CONVERT_SECONDS = "10 to 60"
STALE_SECONDS = 3600  # a temporary download folder untouched this long belongs to a killed process


class DownloadError(DataError):
    """A download from OpenML failed; the message says what happened and what to do."""


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


def _server_address() -> tuple[str, int]:
    parts = urlsplit(OPENML_SERVER)
    return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


def _probe_openml() -> None:
    """Raise OSError within PROBE_TIMEOUT seconds when OpenML cannot be reached.

    scikit-learn 1.9.1 retries its first request, whatever n_retries says; one bounded
    connect first makes "offline" a fast answer (and skips importing scikit-learn, about 1 s).
    """
    call_within(PROBE_TIMEOUT, lambda: socket.create_connection(_server_address(), timeout=PROBE_TIMEOUT).close())


class _Failure:
    """Builds the one-line DownloadError of a data set: what happened, then the fix that fits."""

    def __init__(self, dataset: str, data_home: str | os.PathLike | None) -> None:
        spec = OPENML[dataset]
        self.cache = cache_path(dataset, data_home)
        self.title = spec["title"]
        self.what = f"OpenML data set {spec['data_id']} ({spec['title']})"
        self.failed = f"downloading OpenML data set {spec['data_id']} failed ({spec['title']})"
        # The command that fills this very cache: the data set's name, and the data home when one was given.
        self.command = "python -m datasets.mnist" + ("" if dataset == "mnist" else f" --dataset {dataset}")
        if data_home is not None:
            self.command += f" --data-home {data_home}"
        self.idx = f"load a folder of {self.title} IDX files instead (idx:FOLDER)"

    def offline(self, err: BaseException) -> DownloadError:
        return DownloadError(
            f"cannot reach OpenML at {OPENML_SERVER} ({_short(err)}) to download {self.what}; on a machine "
            f"with network run `{self.command}` and copy the file it writes to {self.cache}, or {self.idx}"
        )

    def network(self, happened: str) -> DownloadError:
        return DownloadError(
            f"{self.failed}: {happened}; try again later with `{self.command}`, "
            f"or copy a verified cache to {self.cache}, or {self.idx}"
        )

    def disk(self, err: OSError) -> DownloadError:
        return DownloadError(
            f"{self.failed}: cannot write under {self.cache.parent} ({err.strerror}); "
            "free some space there, or choose another data home (--data-home)"
        )

    def wrong_content(self, url: str | None, problem: str) -> DownloadError:
        return DownloadError(
            f"{self.failed}: the file {url} holds the wrong data ({problem}); the downloaded "
            f"copy was deleted, so `{self.command}` downloads it again; if that fails the same way, "
            f"OpenML's copy changed: {self.idx}"
        )


def _short(err: BaseException, limit: int = 160) -> str:
    """An exception as one short line (some messages span lines or quote whole paths)."""
    text = " ".join(str(err).split()) or type(err).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _what_happened(err: BaseException, downloads: BoundedDownloads) -> str:
    """What went wrong, in words, for any exception fetch_openml raised."""
    url = downloads.last_url
    if downloads.stalled:
        return f"timed out: the server sent nothing for {downloads.stall:g} s ({url})"
    if downloads.cut_short:
        return f"the download was cut short: the connection closed after {downloads.cut_short} ({url})"
    if isinstance(err, urllib.error.HTTPError):
        return f"the server answered HTTP {err.code} ({err.reason}) for {err.filename}"
    reason = err.reason if isinstance(err, urllib.error.URLError) else err
    if isinstance(reason, TimeoutError):
        return f"timed out ({url})"
    if isinstance(err, http.client.IncompleteRead):
        return f"the download was cut short: {len(err.partial):,} bytes, then {err.expected:,} missing ({url})"
    if isinstance(err, (EOFError, gzip.BadGzipFile, zlib.error)):
        return f"the download is truncated or corrupt ({_short(err)}; {url})"
    if isinstance(err, ValueError) and "md5 checksum" in str(err):
        return f"the file is truncated or corrupt: its md5 checksum is not the one OpenML lists ({downloads.data_url})"
    if isinstance(reason, OSError):
        return f"the connection failed ({_short(reason)}; {url})"
    return f"the server's answer cannot be read ({type(err).__name__}: {_short(err)}; {url})"


def _remove_stale_downloads(folder: Path) -> None:
    """Delete temporary download folders left by a process that was killed (SIGKILL, power
    loss): nothing inside them changed for STALE_SECONDS, while a live download writes."""
    for stale in folder.glob(".openml-*"):
        with contextlib.suppress(OSError):
            newest = max((p.stat().st_mtime for p in stale.rglob("*")), default=stale.stat().st_mtime)
            if time.time() - newest > STALE_SECONDS:
                shutil.rmtree(stale, ignore_errors=True)


def _fetch(dataset: str, data_home: str | os.PathLike | None) -> tuple[np.ndarray | None, np.ndarray, str | None]:
    """fetch_openml for one data set: (pixels uint8 (rows, 784), or None when its values are
    not whole numbers within 0..255; y labels; the data file's URL).
    Raises DownloadError; leaves nothing on disk."""
    spec, failure = OPENML[dataset], _Failure(dataset, data_home)
    try:
        _probe_openml()
    except OSError as err:  # TimeoutError included
        raise failure.offline(err) from None
    log.info(  # once the server answered: offline, the DownloadError is the only line
        "downloading %s from %s: about %d MB, then %s s to convert it into %s",
        failure.what,
        OPENML_SERVER,
        spec["download_mb"],
        CONVERT_SECONDS,
        failure.cache,
    )

    from sklearn.datasets import fetch_openml  # about 1 s: only when downloading

    folder = failure.cache.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove_stale_downloads(folder)
        # scikit-learn caches what it downloads under its data_home: a private folder here,
        # deleted below whatever happens, so neither a half-written file nor a copy of the
        # data set (40 MB, never read again once converted) stays behind.
        scratch = tempfile.mkdtemp(prefix=".openml-", dir=folder)
    except OSError as err:
        raise failure.disk(err) from None
    downloads = BoundedDownloads(STALL_TIMEOUT, OPENML_DEFAULT_SERVER, OPENML_SERVER, log)
    try:
        # Its warnings ("A network error occurred ... Retrying", "Invalid cache, redownloading")
        # describe retries of one download; the DownloadError below is the one answer.
        with downloads, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # parser="liac-arff" needs no pandas (pandas >= 3.1 breaks scikit-learn 1.9's pandas
            # parser). n_retries=1 is its minimum; the stall bound covers every retry anyway.
            x, y = fetch_openml(
                data_id=spec["data_id"],
                data_home=scratch,
                as_frame=False,
                parser="liac-arff",
                return_X_y=True,
                n_retries=1,
                delay=0.1,
            )
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EROFS) and err.filename:
            raise failure.disk(err) from None
        raise failure.network(_what_happened(err, downloads)) from None
    except Exception as err:  # HTTP, truncation, checksum, unreadable answers: all one line
        raise failure.network(_what_happened(err, downloads)) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if downloads.data_done is not None:
        log.info("converted in %.1f s", time.monotonic() - downloads.data_done)
    x = _whole_pixels(x)  # the only reference to scikit-learn's 440 MB of float64: freed here
    return x, y, downloads.data_url


def _whole_pixels(x: np.ndarray) -> np.ndarray | None:
    """float64 pixels as uint8 (55 MB more for MNIST), or None unless every value is a whole
    number within 0..255: fractions, negatives, NaN and values above 255 do not survive uint8."""
    x = np.asarray(x)
    with np.errstate(invalid="ignore"):  # NaN or out of range: caught by the comparison below
        pixels = x.astype(np.uint8)
    return pixels if np.array_equal(pixels, x) else None


def _to_arrays(dataset: str, pixels: np.ndarray | None, y: np.ndarray) -> dict[str, np.ndarray]:
    """The uint8 pixels and fetch_openml's string labels as the four uint8 arrays, split by the
    counts of OPENML[dataset]. Raises DataError naming what is wrong."""
    train_counts, test_counts = OPENML[dataset]["counts"]
    rows = sum(train_counts) + sum(test_counts)
    if pixels is None:
        raise DataError("pixel values are not whole numbers within 0..255")
    if pixels.shape != (rows, 784):
        raise DataError(f"shape {pixels.shape}, expected ({rows}, 784)")
    try:
        labels = np.asarray(y).astype(np.int64)
    except (TypeError, ValueError) as err:
        raise DataError(f"labels are not digits ({_short(err, 60)})") from None
    if labels.shape != (rows,) or labels.min() < 0 or labels.max() > 9:
        raise DataError(f"labels of shape {labels.shape} within {labels.min()}..{labels.max()}, expected 0..9")
    labels = labels.astype(np.uint8)
    n = sum(train_counts)
    arrays = {"x_train": pixels[:n], "t_train": labels[:n], "x_test": pixels[n:], "t_test": labels[n:]}
    verify(arrays, f"{OPENML[dataset]['title']} rows", OPENML[dataset]["counts"])
    return arrays


def download(dataset: str, data_home: str | os.PathLike | None = None) -> dict[str, np.ndarray]:
    """Download a data set of OPENML through scikit-learn and convert it: the four uint8 arrays.

    Raises DownloadError (one line: what happened and what to do) on every failure: offline,
    an HTTP error, a server silent for STALL_TIMEOUT seconds, a truncated or corrupt file,
    the wrong content. Nothing is left on disk either way.
    """
    pixels, y, url = _fetch(dataset, data_home)
    try:
        return _to_arrays(dataset, pixels, y)
    except DataError as err:
        raise _Failure(dataset, data_home).wrong_content(url, str(err)) from None


def load_full(dataset: str, data_home: str | os.PathLike | None, download_ok: bool) -> dict[str, np.ndarray]:
    """Full MNIST or Fashion-MNIST from our cache, rebuilding it from OpenML when it is bad."""
    spec = OPENML[dataset]
    path = cache_path(dataset, data_home)
    what = f"{spec['title']} cache"
    if path.exists():
        try:
            return read_npz(path, what, spec["counts"])
        except DataError as err:
            if not download_ok:
                raise DataError(f"{err}; delete it, or allow a download to rebuild it") from None
            warnings.warn(f"{err}; rebuilding it", stacklevel=3)
    elif not download_ok:
        raise DataError(
            f"no {spec['title']} cache at {path}; allow a download, or pre-seed it "
            "(see `python -m datasets.mnist --help`)"
        )
    arrays = download(dataset, data_home)
    try:
        write_npz(path, arrays)
    except OSError as err:
        raise _Failure(dataset, data_home).disk(err) from None
    return arrays
