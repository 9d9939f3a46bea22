"""datasets/: the shipped sample, IDX files, the verified cache, and offline behaviour.

No test touches the network: downloads go to a local server (tests/openml_server.py) through
scikit-learn's real fetch_openml, with small per-class counts standing in for the official
ones (tests/conftest.py); "offline" is a local port nobody listens on.
"""

import gzip
import hashlib
import io
import socket
import struct
import subprocess
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL_COUNTS

import datasets.make_sample as make_sample
from datasets import openml
from datasets.idx import read_idx
from datasets.mnist import DataError, DataFallbackWarning, load_mnist
from datasets.openml import MNIST_TEST_COUNTS, MNIST_TRAIN_COUNTS, cache_path

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def no_network(offline):
    """Every test: an empty data home, and a network that is down unless a test serves OpenML."""


@pytest.fixture
def spy_fetch(monkeypatch):
    """The arguments of every fetch_openml call; the real fetch_openml still runs."""
    import sklearn.datasets

    calls, real = [], sklearn.datasets.fetch_openml

    def fetch_openml(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", fetch_openml)
    return calls


def fail_every_request(server):
    for part in ("description", "features", "qualities", "data"):
        server.faults[part] = 500


# ---------------------------------------------------------------------------- the shipped sample


def test_sample_shapes_dtype_range_and_balance():
    data = load_mnist(dataset="sample", normalize=False)
    (x_train, t_train), (x_test, t_test) = data
    assert x_train.shape == (4000, 784) and x_test.shape == (1000, 784)
    assert x_train.dtype == np.uint8 and t_train.dtype == np.uint8
    assert x_train.max() == 255 and x_train.min() == 0
    assert np.bincount(t_train).tolist() == [400] * 10
    assert np.bincount(t_test).tolist() == [100] * 10
    assert data.spec == "sample" and "sample" in data.source
    assert (ROOT / "datasets" / "mnist_sample.npz").stat().st_size <= 1.5e6


def test_sample_is_real_digits_not_noise():
    # Real MNIST: digits centred in a 20x20 box, an almost empty 2-pixel border, about 80% zeros.
    (x_train, _), _ = load_mnist(dataset="sample", normalize=False, flatten=False)
    x = x_train[:, 0].astype(np.float64)
    border = np.ones((28, 28), dtype=bool)
    border[2:26, 2:26] = False
    assert x[:, border].mean() < 1.0
    assert x[:, 7:21, 7:21].mean() > 60
    assert 0.7 < (x == 0).mean() < 0.9


def test_normalize_flatten_and_one_hot_options():
    (x, t), (x_test, _) = load_mnist(dataset="sample", normalize=True, flatten=False, one_hot_label=True)
    assert x.shape == (4000, 1, 28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() == 1.0
    assert t.shape == (4000, 10) and t.dtype == np.float32
    np.testing.assert_array_equal(t.sum(axis=1), 1.0)
    (_, t_int), _ = load_mnist(dataset="sample")
    np.testing.assert_array_equal(t.argmax(axis=1), t_int)


def test_make_sample_rebuilds_a_balanced_split_and_checks_provenance(tmp_path):
    rows = [np.concatenate([np.full(784, d * 20), [d]]) for d in range(10) for _ in range(500)]
    buffer = io.StringIO()
    np.savetxt(buffer, np.array(rows), fmt="%d", delimiter=",")
    csv_gz = gzip.compress(buffer.getvalue().encode())
    arrays = make_sample.build(csv_gz)
    assert np.bincount(arrays["t_train"]).tolist() == [400] * 10
    assert np.bincount(arrays["t_test"]).tolist() == [100] * 10
    np.testing.assert_array_equal(arrays["x_train"][:, 0], arrays["t_train"] * 20)  # rows stay paired
    again = make_sample.build(csv_gz)
    assert all(np.array_equal(arrays[k], again[k]) for k in arrays)  # the split is fixed

    source = tmp_path / "mnist_5k.csv.gz"
    source.write_bytes(csv_gz)
    out = tmp_path / "sample.npz"
    assert make_sample.main([str(source), "-o", str(out)]) == 1  # not the published file: refused
    assert not out.exists()
    assert hashlib.sha256(csv_gz).hexdigest() != make_sample.SOURCE_SHA256


# ---------------------------------------------------------------------------- IDX files


def idx_bytes(array: np.ndarray) -> bytes:
    magic = struct.pack(">HBB", 0, 0x08, array.ndim)
    return magic + struct.pack(f">{array.ndim}I", *array.shape) + array.astype(np.uint8).tobytes()


def write_idx_dir(directory: Path, n_train=20, n_test=10, gz=False):
    rng = np.random.default_rng(0)
    directory.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, size=(n_train, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, size=n_train),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, size=(n_test, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, size=n_test),
    }
    for name, array in arrays.items():
        data = idx_bytes(array)
        if gz:
            (directory / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_idx_directory_loads(tmp_path, gz):
    arrays = write_idx_dir(tmp_path / "idx", gz=gz)
    data = load_mnist(idx_dir=tmp_path / "idx", normalize=False, flatten=False)
    (x_train, t_train), (x_test, t_test) = data
    np.testing.assert_array_equal(x_train[:, 0], arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(t_test, arrays["t10k-labels-idx1-ubyte"])
    assert x_test.shape == (10, 1, 28, 28)
    assert data.spec.startswith("idx:") and "IDX files" in data.source


def test_truncated_idx_file_is_named(tmp_path):
    write_idx_dir(tmp_path / "idx")
    bad = tmp_path / "idx" / "train-images-idx3-ubyte"
    bad.write_bytes(bad.read_bytes()[:-100])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: holds .* bytes.*truncated"):
        load_mnist(idx_dir=tmp_path / "idx")


def test_wrong_magic_number_is_named(tmp_path):
    write_idx_dir(tmp_path / "idx")
    bad = tmp_path / "idx" / "t10k-labels-idx1-ubyte"
    bad.write_bytes(b"\x12\x34" + bad.read_bytes()[2:])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte: magic number 0x1234"):
        load_mnist(idx_dir=tmp_path / "idx")


def test_idx_mismatched_counts_and_missing_files(tmp_path):
    arrays = write_idx_dir(tmp_path / "idx")
    (tmp_path / "idx" / "train-labels-idx1-ubyte").write_bytes(idx_bytes(arrays["train-labels-idx1-ubyte"][:5]))
    with pytest.raises(DataError, match="20 train images but 5 labels"):
        load_mnist(idx_dir=tmp_path / "idx")
    (tmp_path / "idx" / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataError, match="missing t10k-images-idx3-ubyte"):
        load_mnist(idx_dir=tmp_path / "idx")
    with pytest.raises(DataError, match="not a directory"):
        load_mnist(idx_dir=tmp_path / "nowhere")


def test_read_idx_rejects_labels_above_nine(tmp_path):
    write_idx_dir(tmp_path / "idx")
    (tmp_path / "idx" / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.full(10, 12)))
    assert read_idx(tmp_path / "idx" / "t10k-labels-idx1-ubyte").max() == 12
    with pytest.raises(DataError, match="labels go up to 12"):
        load_mnist(idx_dir=tmp_path / "idx")


def test_idx_file_longer_than_its_header_is_refused(tmp_path):
    write_idx_dir(tmp_path / "idx")
    bad = tmp_path / "idx" / "train-labels-idx1-ubyte"
    bad.write_bytes(bad.read_bytes() + b"\x00")
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: holds more than the 28 bytes its header"):
        load_mnist(idx_dir=tmp_path / "idx")


def test_gzip_bomb_is_refused_after_reading_only_what_the_header_declares(tmp_path):
    """A small .gz whose header declares 10 images (7,840 bytes) but which expands to 64 MB."""
    path = tmp_path / "train-images-idx3-ubyte.gz"
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(">HBBIII", 0, 8, 3, 10, 28, 28))
        for _ in range(64):
            f.write(bytes(1 << 20))
    assert path.stat().st_size < 200_000

    def peak_bytes(read) -> int:
        tracemalloc.start()
        try:
            read()
        except DataError as err:
            assert "holds more than the 7856 bytes its header (10, 28, 28) declares" in str(err)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    assert peak_bytes(lambda: read_idx(path)) < 4 << 20
    assert peak_bytes(lambda: gzip.open(path).read()) > 64 << 20  # negative control: reading it whole


def test_idx_header_declaring_more_than_mnist_can_hold_is_refused_before_reading(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(struct.pack(">HBBIII", 0, 8, 3, 4_000_000_000, 28, 28))
    with pytest.raises(DataError, match="declares 3,136,000,000,000 bytes, more than an IDX file of MNIST"):
        read_idx(path)


# ---------------------------------------------------------------------------- full MNIST, cache


def test_official_counts_are_the_official_split():
    assert sum(MNIST_TRAIN_COUNTS) == 60000 and sum(MNIST_TEST_COUNTS) == 10000
    assert openml.OPENML["mnist"]["data_id"] == 554 and openml.OPENML["fashion-mnist"]["data_id"] == 40996


def test_download_is_converted_into_a_verified_cache_then_reused(openml_server, spy_fetch):
    server = openml_server("mnist")
    train_counts, test_counts = SMALL_COUNTS["mnist"]
    n_train, n_test = sum(train_counts), sum(test_counts)
    data = load_mnist(dataset="mnist", normalize=False)
    (x_train, t_train), (x_test, t_test) = data
    assert data.spec == "mnist" and data.source == f"MNIST ({n_train:,} train / {n_test:,} test)"
    assert x_train.shape == (n_train, 784) and x_test.shape == (n_test, 784) and x_train.dtype == np.uint8
    np.testing.assert_array_equal(x_train, server.x[:n_train])
    np.testing.assert_array_equal(x_test, server.x[n_train:])
    assert np.bincount(t_test).tolist() == list(test_counts)
    call = spy_fetch[0]
    assert call["data_id"] == 554 and call["parser"] == "liac-arff" and call["as_frame"] is False
    assert cache_path("mnist").is_file()
    assert not [p for p in cache_path("mnist").parent.iterdir() if p.name != "mnist.npz"]  # no temp files

    fail_every_request(server)  # offline now: the cache is used, nothing is requested
    asked = len(server.requests)
    (x_again, _), _ = load_mnist(dataset="mnist", normalize=False)
    np.testing.assert_array_equal(x_again, x_train)
    assert len(server.requests) == asked


def test_default_prefers_full_mnist_when_cached(openml_server):
    openml_server("mnist")
    load_mnist(dataset="mnist")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_mnist(download=False).spec == "mnist"


def test_corrupt_cache_is_reported_and_rebuilt(openml_server):
    server = openml_server("mnist")
    load_mnist(dataset="mnist")
    cache = cache_path("mnist")
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])  # truncated
    with pytest.warns(UserWarning, match="MNIST cache at .* cannot be read.*rebuilding"):
        data = load_mnist(dataset="mnist")
    assert server.data_requests() == 2 and data.spec == "mnist"
    np.load(cache, allow_pickle=False).close()  # whole again


def test_cache_with_wrong_class_counts_is_not_used(openml_server):
    openml_server("mnist")
    load_mnist(dataset="mnist")
    with np.load(cache_path("mnist")) as f:
        arrays = dict(f)
    arrays["t_train"] = np.sort(arrays["t_train"])[::-1].copy()
    arrays["t_train"][:10] = 0  # counts no longer the official split
    np.savez(cache_path("mnist"), **arrays)
    with pytest.raises(DataError, match="per-class counts"):
        load_mnist(dataset="mnist", download=False)


def test_cache_with_a_pickle_inside_is_refused(monkeypatch):
    cache = cache_path("mnist")
    cache.parent.mkdir(parents=True)
    np.savez(cache, x_train=np.array([{"evil": 1}], dtype=object), t_train=np.zeros(1), x_test=[], t_test=[])
    with pytest.raises(DataError, match="cannot be read"):
        load_mnist(dataset="mnist", download=False)


def test_fashion_mnist_goes_through_the_same_code(openml_server, spy_fetch):
    server = openml_server("fashion-mnist")
    data = load_mnist(dataset="fashion-mnist")
    assert spy_fetch[0]["data_id"] == 40996 and "/api/v1/json/data/40996" in server.requests
    assert data.spec == "fashion-mnist" and data.source.startswith("Fashion-MNIST")
    assert cache_path("fashion-mnist").is_file()


# ---------------------------------------------------------------------------- offline


def test_offline_default_falls_back_to_the_sample_with_one_warning():
    with pytest.warns(DataFallbackWarning) as record:
        data = load_mnist()
    assert data.spec == "sample"
    assert len(record) == 1
    message = str(record[0].message)
    assert "\n" not in message
    assert "cannot reach OpenML" in message and str(cache_path("mnist")) in message


@pytest.mark.parametrize("fault", [500, ("stall", 100)])
def test_strict_mnist_request_fails_with_a_clear_error(openml_server, fault):
    server = openml_server("mnist")
    server.faults["data"] = fault
    with pytest.raises(DataError) as excinfo:
        load_mnist(dataset="mnist")
    message = str(excinfo.value)
    assert "downloading OpenML data set 554 failed" in message
    assert "python -m datasets.mnist" in message and str(cache_path("mnist")) in message
    assert not cache_path("mnist").exists()


def test_unreachable_openml_never_calls_scikit_learn(monkeypatch):
    """The probe answers 'offline' at once; scikit-learn's own retries sleep 3 s (1.9.1)."""
    import sklearn.datasets

    def must_not_be_called(**kwargs):
        raise AssertionError("fetch_openml called although OpenML is unreachable")

    monkeypatch.setattr(sklearn.datasets, "fetch_openml", must_not_be_called)
    with pytest.raises(DataError, match="cannot reach OpenML"):
        load_mnist(dataset="mnist")


def test_probe_is_bounded_by_a_timeout(monkeypatch):
    seen = {}

    def fake_connection(address, timeout=None):
        seen.update(address=address, timeout=timeout)
        raise TimeoutError("timed out")

    monkeypatch.undo()  # the real probe, with the connection replaced
    monkeypatch.setattr(socket, "create_connection", fake_connection)
    with pytest.raises(OSError):
        openml._probe_openml()
    assert seen["timeout"] == openml.PROBE_TIMEOUT <= 5


def test_probe_bounds_a_name_lookup_that_hangs(monkeypatch):
    """socket.create_connection's timeout does not cover the name lookup; the probe does."""

    def hanging_lookup(address, timeout=None):
        time.sleep(30)

    monkeypatch.setattr(socket, "create_connection", hanging_lookup)
    monkeypatch.setattr(openml, "PROBE_TIMEOUT", 0.2)
    started = time.monotonic()
    with pytest.raises(DataError, match=r"cannot reach OpenML .*no answer within 0.2 s"):
        load_mnist(dataset="mnist")
    assert time.monotonic() - started < 5


def test_unknown_dataset_is_a_clear_error():
    with pytest.raises(DataError, match="unknown dataset 'mnsit': choose one of default, mnist"):
        load_mnist(dataset="mnsit")


def test_module_cli_reports_offline_in_one_line(tmp_path):
    env = {"SCIKIT_LEARN_DATA": str(tmp_path), "PATH": "/usr/bin:/bin"}
    # A port nobody listens on stands in for OpenML: the probe is refused at once.
    code = (
        "import sys, datasets.mnist as m, datasets.openml as o; o.OPENML_SERVER = 'http://127.0.0.1:9'; "
        "sys.exit(m.main(['--data-home', sys.argv[1]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot reach OpenML")
    assert result.stdout == ""


def test_data_specs_name_every_source(tmp_path):
    from datasets.mnist import load_data_spec

    assert load_data_spec("sample").spec == "sample"
    write_idx_dir(tmp_path / "idx")
    assert load_data_spec(f"idx:{tmp_path / 'idx'}").spec == f"idx:{(tmp_path / 'idx').resolve()}"
    for wrong in ("idx:", "mnsit", ""):
        with pytest.raises(DataError, match="unknown data"):
            load_data_spec(wrong)
