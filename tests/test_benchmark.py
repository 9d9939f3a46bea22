"""The benchmark runs, in a tiny configuration, so it cannot rot. It asserts no timing."""

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.bench_train import BOOK, matmul_work

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_in_its_tiny_configuration(tmp_path):
    results = tmp_path / "bench.json"
    run = subprocess.run(
        [sys.executable, "benchmarks/bench_train.py", "--tiny", "--repeats", "1", "--ablate", "--json", str(results)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    for row in ("| ours (common.trainer) |", "| scikit-learn MLPClassifier |", "| matmul bound |"):
        assert row in out
    assert "| PyTorch CPU |" in out or "PyTorch skipped" in out
    assert "synthetic uint8 images of MNIST's shape" in out
    assert "share of matmul bound" in out and "peak memory" in out
    data = json.loads(results.read_text())
    assert data["median"]["ours"] > 0 and data["peak_mb"] > 0
    assert set(data["times"]) >= {"ours", "sklearn", "bound", "without need_dx"}
    assert "(Affine(..., need_dx=False)): saves" in out  # --ablate reports each trick's saving
    # A speed trick must not change the numbers: with or without it, the same accuracy.
    acc = data["accuracy"]
    assert acc["ours"] == acc["without need_dx"]


def test_the_matmul_bound_counts_the_books_work():
    work = matmul_work(BOOK)
    per_iteration = sum(2 * a[0] * a[1] * b[1] for a, b, _, count in work if count == BOOK["iterations"])
    assert per_iteration == 2 * 100 * 784 * 50 * 2 + 2 * 100 * 50 * 10 * 3  # fwd+dW of both layers, dx of the 2nd
    evaluations = {count for _, _, _, count in work if count != BOOK["iterations"]}
    assert evaluations == {18}  # before training, after each of 16 whole epochs, and at iteration 10,000
    rows = sum(a[0] for a, b, _, _ in work if b == (784, 50) and a[0] != 100)
    assert rows == 70_000  # every training and test image, in each evaluation
