"""train.py and the training loop: outputs, determinism, bad input, divergence, Ctrl-C."""

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from ch05.two_layer_net import TwoLayerNet
from common.trainer import DIVERGENCE_FACTOR, Trainer, TrainingDiverged
from datasets.mnist import load_mnist
from tooling.atomic import atomic_path
from tooling.runs import read_params, read_run

ROOT = Path(__file__).resolve().parents[1]
OUTPUTS = ("history.json", "config.json", "params.npz", "accuracy.png", "loss.png")


def run(*args, timeout=120):
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def assert_complete_run(folder: Path):
    for name in OUTPUTS:
        assert (folder / name).is_file(), name
    assert not [p.name for p in folder.iterdir() if p.name not in OUTPUTS]  # no temporary files left
    history, config = read_run(folder)
    params = read_params(folder)
    assert imread(folder / "accuracy.png").shape[:2] == (480, 640)
    assert imread(folder / "loss.png").shape[:2] == (480, 640)
    return history, config, params


@pytest.fixture(scope="module")
def sample():
    (x_train, t_train), (x_test, t_test) = load_mnist(dataset="sample")
    return x_train, t_train, x_test, t_test


# ----------------------------------------------------------------------------- the CLI


def test_short_run_writes_every_output_and_they_load_back(tmp_path):
    out = tmp_path / "run"
    result = run("train.py", "--data", "sample", "--epochs", "3", "--seed", "7", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "MNIST sample" in result.stdout and "120 iterations (3 epochs of 40)" in result.stdout
    history, config, params = assert_complete_run(out)

    assert history.status == "completed" and history.iterations_per_epoch == 40
    assert len(history.loss) == 120
    assert [e.iteration for e in history.evaluations] == [0, 40, 80, 120]
    assert [e.epoch for e in history.evaluations] == [0, 1, 2, 3]
    assert config["data"] == "sample" and config["arguments"]["seed"] == 7
    assert set(config["versions"]) >= {"python", "numpy", "matplotlib", "scikit-learn", "tqdm"}

    net = TwoLayerNet.from_params(params)
    assert net.params["W1"].dtype == np.float32
    (_, _), (x_test, t_test) = load_mnist(dataset="sample")
    assert net.accuracy(x_test, t_test) == history.evaluations[-1].test_acc

    scored = run("ch05/evaluate.py", str(out))
    assert scored.returncode == 0, scored.stderr
    assert f"test accuracy  {history.evaluations[-1].test_acc:.4f}" in scored.stdout


def test_default_run_reaches_090_on_the_sample(tmp_path):
    """The book's settings (10,000 iterations, batch 100, lr 0.1, 50 hidden) on the shipped sample."""
    out = tmp_path / "run"
    result = run("train.py", "--data", "sample", "--out", str(out), "--quiet", "--no-plots")
    assert result.returncode == 0, result.stderr
    history, config = read_run(out)
    assert len(history.loss) == 10_000 and config["arguments"]["lr"] == 0.1
    assert history.evaluations[-1].test_acc >= 0.90


def test_no_plots_and_refusing_to_overwrite(tmp_path):
    out = tmp_path / "run"
    assert run("train.py", "--data", "sample", "--iters", "5", "--no-plots", "--out", str(out)).returncode == 0
    assert not (out / "accuracy.png").exists() and (out / "history.json").exists()
    again = run("train.py", "--data", "sample", "--iters", "5", "--out", str(out))
    assert again.returncode == 2 and "already holds a run" in again.stderr
    assert run("train.py", "--data", "sample", "--iters", "5", "--out", str(out), "--overwrite").returncode == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "0"], "--lr: must be a positive finite number"),
        (["--lr", "nan"], "--lr: must be a positive finite number"),
        (["--lr", "-0.1"], "--lr: must be a positive finite number"),
        (["--weight-init-std", "inf"], "--weight-init-std: must be a positive finite number"),
        (["--iters", "0"], "--iters: must be at least 1"),
        (["--epochs", "-2"], "--epochs: must be at least 1"),
        (["--hidden", "ten"], "--hidden: expected a whole number"),
        (["--batch-size", "4001"], "--batch-size 4001 is larger than the 4,000 training images"),
        (["--data", "mnsit"], "unknown data 'mnsit'"),
        (["--data", "idx:/no/such/folder"], "/no/such/folder is not a directory of MNIST IDX files"),
        (["--dtype", "float16"], "invalid choice: 'float16'"),
        (["--iters", "3", "--epochs", "3"], "not allowed with argument"),
        (["--seed", "-1"], "--seed: must be at least 0, got -1"),
        (["--hidden", "100000000"], "--hidden 100000000 with --batch-size 100 needs about 2,564.9 GiB of memory"),
        (["--batch-size", "1000000000"], "--batch-size 1000000000 is larger than the 4,000 training images"),
        (["--data", "default", "--batch-size", "60001"], "larger than the 60,000 training images of --data default"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    out = tmp_path / "run"
    base = [] if "--data" in args else ["--data", "sample"]
    result = run("train.py", *base, *args, "--out", str(out))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()  # nothing was written, not even an empty folder


def test_unwritable_output_folder_is_refused_before_training(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = run("train.py", "--data", "sample", "--out", str(blocker / "run"))
    assert result.returncode == 2
    assert "cannot write to the output folder" in result.stderr and "is a file" in result.stderr
    assert "Training" not in result.stdout


def test_output_folder_where_nothing_can_be_created_is_refused_before_training(tmp_path):
    """Under /proc, os.access says root may write; only writing a file tells the truth."""
    if not Path("/proc/self").is_dir():
        pytest.skip("no /proc on this system")
    result = run("train.py", "--data", "sample", "--out", "/proc/ch05-run/x")
    assert result.returncode == 2
    assert result.stderr.startswith("train.py: error: cannot write to the output folder /proc/ch05-run/x: ")
    assert len(result.stderr.strip().splitlines()) == 1 and "Training" not in result.stdout
    assert not Path("/proc/ch05-run").exists()
    fine = run("train.py", "--data", "sample", "--iters", "1", "--no-plots", "--out", str(tmp_path / "a" / "b"))
    assert fine.returncode == 0, fine.stderr  # negative control: the probe passes where files can be written


def test_offline_a_bad_argument_is_still_one_line(tmp_path):
    """With no cache and no network the sample stands in; a batch too large for it is one line, not
    the fallback note and then the error."""
    code = (
        "import sys, datasets.openml as o; o.OPENML_SERVER = 'http://127.0.0.1:9'; "
        "import train; sys.exit(train.main(sys.argv[1:]))"
    )
    env = {**os.environ, "SCIKIT_LEARN_DATA": str(tmp_path / "empty")}
    out = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "-c", code, "--batch-size", "5000", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("train.py: error: --batch-size 5000 is larger than the 4,000 training images of MNIST")
    assert "(full MNIST unavailable (cannot reach OpenML at http://127.0.0.1:9" in lines[0]
    assert not out.exists() and not (tmp_path / "empty" / "ch05").exists()


def test_exploding_loss_stops_with_a_message_and_keeps_the_files(tmp_path):
    out = tmp_path / "run"
    result = run("train.py", "--data", "sample", "--lr", "100", "--out", str(out), "--quiet")
    assert result.returncode == 3  # its own code since issue 11: 1 is a failed download
    assert "training diverged at iteration 2" in result.stderr
    assert "smaller learning rate" in result.stderr
    history, config, _ = assert_complete_run(out)
    assert history.status == "diverged at iteration 2" == config["status"]
    assert len(history.loss) == 2


def test_ctrl_c_stops_cleanly_and_writes_complete_files(tmp_path):
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "train.py", "--data", "sample", "--iters", "1000000", "--out", str(out), "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith("Training")
    time.sleep(1.0)  # well into the loop
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted at iteration" in stderr and "Traceback" not in stderr
    history, config, params = assert_complete_run(out)
    assert history.status.startswith("interrupted at iteration")
    assert 0 < len(history.loss) < 1_000_000
    assert config["status"] == history.status


def test_ctrl_c_during_the_imports_exits_130_without_a_traceback(tmp_path):
    # -X importtime reports each module as its import ends: the first numpy line means
    # train.py is inside `import numpy`, at the top of the file.
    process = subprocess.Popen(
        [sys.executable, "-X", "importtime", "train.py", "--data", "sample", "--out", str(tmp_path / "run")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for line in process.stderr:
        if "numpy" in line:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "Training" not in stdout


def test_evaluate_says_in_one_line_that_the_idx_folder_is_gone(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / "idx"
    folder.mkdir()
    for name, shape in (
        ("train-images-idx3-ubyte", (200, 28, 28)),
        ("train-labels-idx1-ubyte", (200,)),
        ("t10k-images-idx3-ubyte", (50, 28, 28)),
        ("t10k-labels-idx1-ubyte", (50,)),
    ):
        array = rng.integers(0, 10 if len(shape) == 1 else 256, size=shape, dtype=np.uint8)
        header = bytes([0, 0, 8, len(shape)]) + b"".join(n.to_bytes(4, "big") for n in shape)
        (folder / name).write_bytes(header + array.tobytes())
    out = tmp_path / "run"
    options = ("--iters", "2", "--batch-size", "10", "--no-plots", "--out", str(out))
    trained = run("train.py", "--data", f"idx:{folder}", *options)
    assert trained.returncode == 0, trained.stderr
    assert run("ch05/evaluate.py", str(out)).returncode == 0  # negative control: the folder is there

    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    gone = run("ch05/evaluate.py", str(out))
    assert gone.returncode == 2
    assert gone.stderr.strip().splitlines() == [
        f"evaluate.py: error: {folder} is not a directory of MNIST IDX files (it does not exist)"
    ]


# ----------------------------------------------------------------------------- the loop


def train_history(sample, seed, iterations=90, dtype=np.float32):
    x_train, t_train, x_test, t_test = sample
    net = TwoLayerNet(784, 20, 10, seed=seed, dtype=dtype)
    trainer = Trainer(
        net, x_train.astype(dtype), t_train, x_test.astype(dtype), t_test, iterations=iterations, seed=seed
    )
    return trainer.run(), net


def without_times(history):
    return [{k: v for k, v in asdict(e).items() if k != "elapsed_s"} for e in history.evaluations], history.loss


def test_same_seed_same_history_number_for_number(sample):
    a, net_a = train_history(sample, seed=3)
    b, net_b = train_history(sample, seed=3)
    assert without_times(a) == without_times(b)
    for key in net_a.params:
        np.testing.assert_array_equal(net_a.params[key], net_b.params[key])
    c, _ = train_history(sample, seed=4)  # negative control: the seed matters
    assert without_times(c) != without_times(a)


def test_evaluations_fall_on_whole_epochs_plus_the_end(sample):
    history, _ = train_history(sample, seed=0, iterations=90)  # 40 per epoch
    assert [e.iteration for e in history.evaluations] == [0, 40, 80, 90]
    assert [e.epoch for e in history.evaluations] == [0, 1, 2, 2.25]
    assert history.evaluations[1].loss == pytest.approx(np.mean(history.loss[:40]))
    assert history.evaluations[0].loss is None


def test_nan_in_the_data_stops_training_as_non_finite(sample):
    x_train, t_train, x_test, t_test = (a.copy() for a in sample)
    x_train[:] = np.nan
    net = TwoLayerNet(784, 10, 10, seed=0, dtype=np.float32)
    trainer = Trainer(net, x_train, t_train, x_test, t_test, iterations=50, seed=0)
    with pytest.raises(TrainingDiverged, match="iteration 1: loss nan is non-finite"):
        trainer.run()
    assert trainer.history.status == "diverged at iteration 1"
    assert len(trainer.history.loss) == 1


def test_a_loss_that_starts_high_and_falls_is_not_divergence(sample):
    """Large initial weights (--weight-init-std 1) start far above 10 x ln(10) = 23, then learn."""
    x_train, t_train, x_test, t_test = sample
    net = TwoLayerNet(784, 50, 10, weight_init_std=1.0, seed=0, dtype=np.float32)
    history = Trainer(net, x_train, t_train, x_test, t_test, iterations=400, seed=0).run()
    assert history.status == "completed"
    assert history.loss[0] > DIVERGENCE_FACTOR * np.log(10)  # what the old, absolute limit stopped at once
    assert np.mean(history.loss[-40:]) < 1.5 and history.evaluations[-1].test_acc > 0.7

    exploding = TwoLayerNet(784, 50, 10, weight_init_std=1.0, seed=0, dtype=np.float32)  # negative control
    with pytest.raises(TrainingDiverged, match="iteration 2: loss .* is above 699, 10 x the starting loss"):
        Trainer(exploding, x_train, t_train, x_test, t_test, iterations=400, seed=0, learning_rate=100).run()


def test_float32_and_float64_reach_the_same_accuracy(sample):
    h32, _ = train_history(sample, seed=1, iterations=400, dtype=np.float32)
    h64, _ = train_history(sample, seed=1, iterations=400, dtype=np.float64)
    assert abs(h32.evaluations[-1].test_acc - h64.evaluations[-1].test_acc) <= 0.005


def test_trainer_rejects_a_batch_larger_than_the_data(sample):
    x_train, t_train, x_test, t_test = sample
    with pytest.raises(ValueError, match="batch size 4001 must lie in 1..4000"):
        Trainer(TwoLayerNet(784, 5, 10), x_train, t_train, x_test, t_test, iterations=1, batch_size=4001)


# ----------------------------------------------------------------------------- outputs


def test_atomic_path_leaves_nothing_when_the_writer_fails(tmp_path):
    target = tmp_path / "out.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]
    with atomic_path(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "new"
    assert target.stat().st_mode & 0o044  # readable by others, not mkstemp's 0600


def test_plot_curves_compares_runs_with_their_data_in_the_legend(tmp_path):
    for name, lr in (("a", "0.1"), ("b", "0.5")):
        assert (
            run(
                "train.py",
                "--data",
                "sample",
                "--epochs",
                "2",
                "--lr",
                lr,
                "--out",
                str(tmp_path / name),
                "--quiet",
                "--no-plots",
            ).returncode
            == 0
        )
    figure = tmp_path / "compare.png"
    result = run(
        "ch05/plot_curves.py",
        str(tmp_path / "a"),
        str(tmp_path / "b"),
        "--labels",
        "lr 0.1",
        "lr 0.5",
        "-o",
        str(figure),
    )
    assert result.returncode == 0, result.stderr
    assert "lr 0.5 (MNIST sample" in result.stdout
    assert imread(figure).shape[:2] == (500, 800)

    missing = run("ch05/plot_curves.py", str(tmp_path / "a"), str(tmp_path / "nowhere"), "-o", str(figure))
    assert missing.returncode == 2
    assert "history.json is missing" in missing.stderr and "Traceback" not in missing.stderr


def test_history_json_is_strict_json(tmp_path):
    out = tmp_path / "run"
    run("train.py", "--data", "sample", "--lr", "100", "--out", str(out), "--quiet", "--no-plots")
    json.loads((out / "history.json").read_text(), parse_constant=lambda c: pytest.fail(f"{c} in JSON"))
