"""train.py and the training loop: outputs, determinism, bad input, divergence, Ctrl-C."""

import json
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
from common.trainer import DIVERGENCE_FACTOR, PixelBatches, Trainer, TrainingDiverged
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


def test_exploding_loss_stops_with_a_message_and_keeps_the_files(tmp_path):
    out = tmp_path / "run"
    result = run("train.py", "--data", "sample", "--lr", "100", "--out", str(out), "--quiet")
    assert result.returncode == 1
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


def test_batches_from_uint8_pixels_give_the_same_history_number_for_number():
    data = load_mnist(dataset="sample", keep_pixels=True)
    (x_train, t_train), (x_test, t_test) = data
    pixels = data.pixels[0]
    assert pixels.dtype == np.uint8 and pixels.shape == x_train.shape
    histories = []
    for batches in (None, PixelBatches(pixels, x_train)):
        net = TwoLayerNet(784, 20, 10, seed=2, dtype=np.float32)
        trainer = Trainer(net, x_train, t_train, x_test, t_test, iterations=130, seed=2, batches=batches)
        histories.append(without_times(trainer.run()))
    assert histories[0] == histories[1]


def test_pixels_that_are_not_the_images_are_refused(sample):
    x_train, t_train, x_test, t_test = sample
    pixels = load_mnist(dataset="sample", keep_pixels=True).pixels[0]
    shifted = np.roll(pixels, 1, axis=0)  # other images
    for wrong in (shifted, pixels.astype(np.float32)):
        with pytest.raises(ValueError, match="pixels must be uint8 images"):
            PixelBatches(wrong, x_train)
    with pytest.raises(ValueError, match="pixels"):
        PixelBatches(pixels, x_train.astype(np.float64))
