"""Downloads through scikit-learn's real fetch_openml from a local OpenML: every fault is one
line, bounded in time, leaves nothing on disk, and the default data falls back to the sample.

The server (tests/openml_server.py) is silent, stalls, cuts bodies short or errs on request;
STALL_TIMEOUT is 1 s here (tests/conftest.py), 15 s for users.
"""

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import SMALL_COUNTS
from openml_server import gzipped_arff

from datasets import openml
from datasets.mnist import DataFallbackWarning, DownloadError, load_mnist
from datasets.openml import cache_path

ROOT = Path(__file__).resolve().parents[1]
# The silence allowed (1 s), then scikit-learn's own pauses between retries of its first
# request (3 x 1 s), with room for a busy machine; unbounded, these servers hold a client forever.
TIME_BOUND = 10.0


@pytest.fixture(autouse=True)
def no_network(offline):
    """Every test: an empty data home, and a network that is down unless a test serves OpenML."""


def leftovers(data_home: Path) -> list[str]:
    """Every file and folder under the data home, but our verified caches."""
    return sorted(str(p.relative_to(data_home)) for p in data_home.rglob("*") if p.suffix != ".npz" and p.is_file())


def strict_and_default(dataset: str = "mnist") -> tuple[str, float, list, list]:
    """(the DownloadError of dataset=..., its seconds, the warnings of the default load, what it loaded)."""
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as strict_warnings:
        warnings.simplefilter("always")
        with pytest.raises(DownloadError) as excinfo:
            load_mnist(dataset=dataset)
    seconds = time.monotonic() - started
    assert strict_warnings == []  # scikit-learn's retry warnings stay inside
    with warnings.catch_warnings(record=True) as default_warnings:
        warnings.simplefilter("always")
        data = load_mnist() if dataset == "mnist" else None
    return str(excinfo.value), seconds, default_warnings, data


# ----------------------------------------------------------------------------- each fault

FAULTS = {
    "HTTP 500 on the description": ("description", 500, "the server answered HTTP 500 (Internal Server Error)"),
    "HTTP 500 on the data file": ("data", 500, "the server answered HTTP 500 (Internal Server Error) for http"),
    "a body cut halfway": ("data", "truncated", "the download was cut short: the connection closed after"),
    "a server that never answers": ("description", "silent", "timed out: the server sent nothing for 1 s"),
    "a data file that never answers": ("data", "silent", "timed out: the server sent nothing for 1 s"),
    "a body that stalls": ("data", ("stall", 1000), "timed out: the server sent nothing for 1 s"),
}


@pytest.mark.parametrize("case", list(FAULTS))
def test_each_fault_is_one_line_bounded_in_time_and_leaves_nothing(openml_server, offline, case):
    part, fault, happened = FAULTS[case]
    server = openml_server("mnist")
    server.faults[part] = fault
    message, seconds, default_warnings, data = strict_and_default()

    assert message.startswith(f"downloading OpenML data set 554 failed (MNIST): {happened}")
    assert "\n" not in message and "Traceback" not in message
    assert "try again later with `python -m datasets.mnist`" in message and str(cache_path("mnist")) in message
    assert "on a machine with network" not in message  # the server answered: we were not offline
    assert seconds < TIME_BOUND
    assert leftovers(offline) == [] and not cache_path("mnist").exists()
    assert not (offline / "openml").exists()  # scikit-learn's own cache: never used

    assert data.spec == "sample"  # the default falls back, with one warning carrying the same line
    assert [type(w.message) for w in default_warnings] == [DataFallbackWarning]
    assert happened in str(default_warnings[0].message)


def test_wrong_checksum_is_reported_and_leaves_nothing(openml_server, offline):
    server = openml_server("mnist")
    server.md5 = "0" * 32  # the description promises another file
    message, seconds, default_warnings, data = strict_and_default()
    assert "failed (MNIST): the file is truncated or corrupt: its md5 checksum is not the one OpenML lists" in message
    assert f"{server.url}/data/v1/download/" in message
    assert seconds < TIME_BOUND and leftovers(offline) == []
    assert data.spec == "sample" and len(default_warnings) == 1


def test_wrong_content_names_the_data_set_and_file_and_is_downloaded_again(openml_server, offline, monkeypatch):
    train, test = SMALL_COUNTS["mnist"]
    server = openml_server("mnist", counts=(train[::-1], test))  # the same rows, other classes
    message, seconds, default_warnings, data = strict_and_default()
    assert message.startswith("downloading OpenML data set 554 failed (MNIST): the file http")
    assert "mnist_784.arff holds the wrong data (MNIST rows: train per-class counts [3, 3," in message
    assert "the downloaded copy was deleted, so `python -m datasets.mnist` downloads it again" in message
    assert seconds < TIME_BOUND and leftovers(offline) == [] and not cache_path("mnist").exists()
    assert data.spec == "sample" and len(default_warnings) == 1
    assert server.data_requests() == 2  # the default load downloaded it again: nothing stale was kept

    monkeypatch.setitem(openml.OPENML["mnist"], "counts", (train[::-1], test))  # negative control
    assert load_mnist(dataset="mnist").spec == "mnist"


def test_pixels_that_are_not_bytes_are_wrong_content(openml_server, offline):
    server = openml_server("mnist")
    x = server.x.astype(np.int64)
    x[5, 300] = 300  # uint8 would silently make it 44
    server.arff_gz, server.md5 = gzipped_arff(x, server.labels, server.name)
    message, _, _, data = strict_and_default()
    assert "holds the wrong data (pixel values are not whole numbers within 0..255)" in message
    assert data.spec == "sample" and leftovers(offline) == []


def test_the_fix_names_the_data_set_that_failed(openml_server):
    server = openml_server("fashion-mnist")
    server.faults["data"] = 500
    message, *_ = strict_and_default("fashion-mnist")
    assert message.startswith("downloading OpenML data set 40996 failed (Fashion-MNIST): the server answered HTTP")
    assert "`python -m datasets.mnist --dataset fashion-mnist`" in message
    assert "Fashion-MNIST IDX files" in message
    assert str(cache_path("fashion-mnist")) in message


def test_offline_says_so_and_where_to_download(offline):
    message, seconds, _, data = strict_and_default("fashion-mnist")
    assert message.startswith("cannot reach OpenML at http://127.0.0.1:")
    assert "OpenML data set 40996 (Fashion-MNIST); on a machine with network run " in message
    assert "`python -m datasets.mnist --dataset fashion-mnist`" in message
    assert leftovers(offline) == []


def test_a_given_data_home_is_part_of_the_command_to_run(openml_server, tmp_path):
    openml_server("mnist").faults["data"] = 500
    with pytest.raises(DownloadError, match=f"`python -m datasets.mnist --data-home {tmp_path / 'elsewhere'}`"):
        load_mnist(dataset="mnist", data_home=tmp_path / "elsewhere")


def test_a_slow_server_that_keeps_sending_is_not_cut(openml_server, offline):
    """The bound is on silence, not on the length of a download: 8 pieces 0.5 s apart take
    3.5 s, more than three times the stall bound, and arrive whole."""
    server = openml_server("mnist")
    server.faults["data"] = ("trickle", 0.5)
    started = time.monotonic()
    data = load_mnist(dataset="mnist")
    assert data.spec == "mnist" and time.monotonic() - started > 3 * openml.STALL_TIMEOUT
    assert leftovers(offline) == []


# ----------------------------------------------------------------------------- negative controls


def test_the_silent_server_would_hold_an_unbounded_client(openml_server):
    """Control for the time bound: a plain urlopen of the same silent URL is still waiting."""
    server = openml_server("mnist")
    server.faults["description"] = "silent"

    def wait_for_an_answer() -> None:
        with contextlib.suppress(OSError):  # the server's shutdown at the end of the test ends the wait
            urllib.request.urlopen(f"{server.url}/api/v1/json/data/554")

    waiting = threading.Thread(target=wait_for_an_answer, daemon=True)
    waiting.start()
    waiting.join(TIME_BOUND / 4)
    assert waiting.is_alive()


def test_scikit_learn_warns_when_it_retries(openml_server, tmp_path):
    """Control for "no warning reaches the user": fetch_openml alone does warn on this server."""
    from sklearn.datasets import fetch_openml

    server = openml_server("mnist")
    server.faults["data"] = 500
    redirect = openml.BoundedDownloads(5.0, openml.OPENML_DEFAULT_SERVER, server.url, logging.getLogger("test"))
    with pytest.warns(UserWarning, match="A network error occurred"), pytest.raises(OSError, match="500"), redirect:
        fetch_openml(data_id=554, data_home=str(tmp_path), as_frame=False, parser="liac-arff", n_retries=1, delay=0.1)


# ----------------------------------------------------------------------------- success, progress


def test_a_download_says_what_and_how_large_then_shows_its_bytes(openml_server, offline, caplog):
    server = openml_server("mnist")
    caplog.set_level(logging.DEBUG, logger="datasets")
    data = load_mnist(dataset="mnist")
    assert data.spec == "mnist" and leftovers(offline) == []
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert lines[0] == (
        f"downloading OpenML data set 554 (MNIST) from {server.url}: about 15 MB, "
        f"then 10 to 60 s to convert it into {cache_path('mnist')}"
    )
    assert lines[1].startswith("received 0.0 MB in ") and lines[1].endswith("scikit-learn now checks and converts it")
    assert lines[2].startswith("converted in ")
    progress = [r.progress for r in caplog.records if hasattr(r, "progress")]
    assert progress[-1] == (len(server.arff_gz), len(server.arff_gz))  # every byte, out of the total announced

    caplog.clear()  # negative control: a cached load says nothing
    load_mnist(dataset="mnist")
    assert caplog.records == []


def test_stale_temporary_folders_of_killed_downloads_are_removed(openml_server, offline):
    openml_server("mnist")
    stale, fresh = offline / "ch05" / ".openml-killed", offline / "ch05" / ".openml-running"
    for folder in (stale, fresh):
        (folder / "openml.org").mkdir(parents=True)
        (folder / "openml.org" / "part.gz").write_bytes(b"x")
    old = time.time() - openml.STALE_SECONDS - 60
    os.utime(stale / "openml.org" / "part.gz", (old, old))
    os.utime(stale / "openml.org", (old, old))
    load_mnist(dataset="mnist")
    assert not stale.exists() and fresh.exists()


# ----------------------------------------------------------------------------- the command lines


def run_against(server_url: str, data_home: Path, *args: str, script: str = "mnist", stall: float = 1.0):
    """`python -m datasets.mnist` or train.py, with OpenML at server_url and the small counts."""
    main = "import datasets.mnist as m; main = m.main" if script == "mnist" else "import train; main = train.main"
    code = (
        "import sys, datasets.openml as o; "
        f"o.OPENML_SERVER = {server_url!r}; o.STALL_TIMEOUT = {stall!r}; "
        f"o.OPENML['mnist']['counts'] = {SMALL_COUNTS['mnist']!r}; "
        f"{main}; sys.exit(main(sys.argv[1:]))"
    )
    env = {**os.environ, "SCIKIT_LEARN_DATA": str(data_home)}
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT, env=env, **pipes)


def test_module_cli_prints_the_one_line_on_stderr_and_exits_1(openml_server, offline):
    server = openml_server("mnist")
    server.faults["data"] = "truncated"
    process = run_against(server.url, offline)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1 and stdout == ""
    lines = stderr.strip().splitlines()
    assert lines[0].startswith(f"downloading OpenML data set 554 (MNIST) from {server.url}: about 15 MB")
    assert lines[-1].startswith("error: downloading OpenML data set 554 failed (MNIST): the download was cut short")
    assert len(lines) == 2 and leftovers(offline) == []

    server.faults.clear()  # negative control: the same command succeeds on a healthy server
    process = run_against(server.url, offline)
    stdout, stderr = process.communicate(timeout=120)
    n_train, n_test = (sum(counts) for counts in SMALL_COUNTS["mnist"])
    assert process.returncode == 0
    assert stdout.startswith(f"MNIST ({n_train} train / {n_test} test): cached and verified")


def test_progress_on_stderr_survives_a_download_that_scikit_learn_repeats(openml_server, offline):
    """A wrong checksum makes scikit-learn download twice: byte counts come after the
    "converts it" line. The display once broke there and turned into the error."""
    server = openml_server("mnist")
    server.md5 = "0" * 32
    process = run_against(server.url, offline)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 1
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("error: downloading OpenML data set 554 failed (MNIST): the file is truncated or corrupt")
    assert server.data_requests() == 2


def test_train_exits_1_for_a_failed_download(openml_server, offline, tmp_path):
    server = openml_server("mnist")
    server.faults["data"] = 500
    process = run_against(server.url, offline, "--data", "mnist", "--out", str(tmp_path / "run"), script="train")
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stderr
    assert stderr.strip().splitlines()[-1].startswith("train.py: error: downloading OpenML data set 554 failed")
    assert "Traceback" not in stderr and not (tmp_path / "run").exists() and leftovers(offline) == []


@pytest.mark.parametrize("script", ["mnist", "train"])
def test_ctrl_c_during_a_download_exits_130_and_leaves_nothing(openml_server, offline, tmp_path, script):
    server = openml_server("mnist")
    server.faults["data"] = ("stall", 1000)
    args = ("--data", "mnist", "--out", str(tmp_path / "run")) if script == "train" else ()
    process = run_against(server.url, offline, *args, script=script, stall=60.0)
    assert process.stderr.readline().startswith("downloading OpenML data set 554")
    deadline = time.monotonic() + 60
    while server.data_requests() == 0 and time.monotonic() < deadline:  # until the data file is under way
        time.sleep(0.05)
    assert server.data_requests() == 1 and any((offline / "ch05").glob(".openml-*"))  # scikit-learn's copy exists
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "interrupted" in stderr
    assert leftovers(offline) == [] and not (tmp_path / "run").exists()
