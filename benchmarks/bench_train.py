"""Training-speed benchmark: our loop side by side with scikit-learn and PyTorch, in one run.

    python benchmarks/bench_train.py             # the book's configuration, 3 repeats
    python benchmarks/bench_train.py --tiny      # a seconds-long smoke run (what the test runs)

The work is the book's: TwoLayerNet 784-50-10, batch 100, learning rate 0.1, 10,000
iterations, with train and test accuracy evaluated on all 60,000 + 10,000 images before
training and after every epoch (600 iterations) and at the end. Data: full MNIST when its
cache is present, otherwise synthetic uint8 images of MNIST's shape from a fixed seed.

Timed side by side, interleaved repeat by repeat so that machine noise hits all alike:
- ours: common.trainer.Trainer on a float32 TwoLayerNet, the code train.py runs;
- scikit-learn's MLPClassifier: solver sgd, batch 100, learning rate 0.1, no momentum, no
  regularisation, 17 epochs (10,200 updates), evaluating nothing per epoch;
- PyTorch on the CPU, the same model, initialisation, sampling and per-epoch evaluation,
  when torch is importable (skipped, and said so, when it is not);
- the matmul bound: exactly the matrix products our run performs, same shapes and count,
  and nothing else. Our share of it is bound time / our time.
Peak memory is that of a separate process that loads the data as the loader does and
trains once. Reported: medians of the repeats, and ratios.
"""

import argparse
import functools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

if __package__ in (None, ""):
    # Run as a file (python benchmarks/bench_train.py, or from inside benchmarks/), Python puts benchmarks/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from ch05.two_layer_net import TwoLayerNet
from common.trainer import EVAL_CHUNK, Trainer, iterations_per_epoch

BOOK = {"n_train": 60_000, "n_test": 10_000, "iterations": 10_000, "batch": 100, "lr": 0.1, "hidden": 50}
TINY = {"n_train": 3_000, "n_test": 500, "iterations": 300, "batch": 100, "lr": 0.1, "hidden": 50}
# ours / peer at most (issue 8), and peak memory of a full-size run.
TARGETS = {"torch": 0.7, "sklearn": 0.9, "peak_mb": 500}


# ----------------------------------------------------------------------------- data


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, 784), dtype=np.uint8), rng.integers(0, 10, size=n).astype(np.uint8)


def load_data(cfg: dict) -> tuple[tuple[np.ndarray, ...], str]:
    """(x_train, t_train, x_test, t_test) with uint8 images, and a description (see normalized())."""
    if cfg["n_train"] == 60_000:
        from datasets.mnist import DataError, load_mnist

        try:
            (x_train, t_train), (x_test, t_test) = data = load_mnist(normalize=False, dataset="mnist", download=False)
            return (x_train, t_train, x_test, t_test), data.source
        except DataError:
            pass
    x_train, t_train = synthetic(cfg["n_train"], 1)
    x_test, t_test = synthetic(cfg["n_test"], 2)
    return (x_train, t_train, x_test, t_test), (
        f"synthetic uint8 images of MNIST's shape ({cfg['n_train']:,} + {cfg['n_test']:,}, seeds 1 and 2)"
    )


def normalized(data: tuple) -> tuple:
    """float32 images in [0, 1] as load_mnist gives them to train.py and to the peers."""
    x_train, t_train, x_test, t_test = data
    x_train, x_test = x_train.astype(np.float32), x_test.astype(np.float32)
    x_train /= np.float32(255)  # in place, as the loader does
    x_test /= np.float32(255)
    return x_train, t_train, x_test, t_test


# ----------------------------------------------------------------------------- contestants


def run_ours(data: tuple, cfg: dict, seed: int, without: str | None = None) -> tuple[float, float]:
    """Timed from building the network to the last evaluation, exactly as train.py runs it.

    without: switch one speed trick off (a name of TRICKS), to measure what it saves.
    """
    x_train, t_train, x_test, t_test = data
    start = time.perf_counter()
    net = TwoLayerNet(784, cfg["hidden"], 10, weight_init_std=0.01, seed=seed, dtype=np.float32)
    if without == "need_dx":
        net.layers["Affine1"].need_dx = True
    trainer = Trainer(
        net,
        x_train,
        t_train,
        x_test,
        t_test,
        iterations=cfg["iterations"],
        batch_size=cfg["batch"],
        learning_rate=cfg["lr"],
        seed=seed,
    )
    history = trainer.run()
    return time.perf_counter() - start, history.evaluations[-1].test_acc


# The speed tricks in the teaching code, each of which --ablate times switched off.
TRICKS = {
    "need_dx": "no input gradient for the first layer (Affine(..., need_dx=False))",
}


def run_sklearn(data: tuple, cfg: dict, seed: int) -> tuple[float, float]:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    x_train, t_train, x_test, t_test = data
    epochs = round(cfg["iterations"] / iterations_per_epoch(cfg["n_train"], cfg["batch"]))
    model = MLPClassifier(
        hidden_layer_sizes=(cfg["hidden"],),
        activation="relu",
        solver="sgd",
        alpha=0.0,
        batch_size=cfg["batch"],
        learning_rate="constant",
        learning_rate_init=cfg["lr"],
        momentum=0.0,
        nesterovs_momentum=False,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        shuffle=True,
        random_state=seed,
    )
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(x_train, t_train)
    seconds = time.perf_counter() - start
    return seconds, float(np.mean(model.predict(x_test) == t_test))


def run_torch(data: tuple, cfg: dict, seed: int) -> tuple[float, float]:
    import torch

    x_train, t_train, x_test, t_test = (torch.from_numpy(a) for a in data)
    t_train, t_test = t_train.long(), t_test.long()
    torch.manual_seed(seed)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, cfg["hidden"]), torch.nn.ReLU(), torch.nn.Linear(cfg["hidden"], 10)
    )
    with torch.no_grad():
        for layer in (model[0], model[2]):
            layer.weight.normal_(0.0, 0.01)
            layer.bias.zero_()
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    generator = torch.Generator().manual_seed(seed)
    per_epoch, n = iterations_per_epoch(cfg["n_train"], cfg["batch"]), cfg["n_train"]

    def accuracy(x, t):
        with torch.no_grad():
            correct = sum(
                int((model(x[i : i + EVAL_CHUNK]).argmax(dim=1) == t[i : i + EVAL_CHUNK]).sum())
                for i in range(0, len(x), EVAL_CHUNK)
            )
        return correct / len(x)

    start = time.perf_counter()
    evaluations = [(accuracy(x_train, t_train), accuracy(x_test, t_test))]
    losses = []
    for i in range(1, cfg["iterations"] + 1):
        batch = torch.randint(0, n, (cfg["batch"],), generator=generator)
        loss = torch.nn.functional.cross_entropy(model(x_train[batch]), t_train[batch])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if i % per_epoch == 0 or i == cfg["iterations"]:
            evaluations.append((accuracy(x_train, t_train), accuracy(x_test, t_test)))
    return time.perf_counter() - start, evaluations[-1][1]


def matmul_work(cfg: dict) -> list[tuple[tuple[int, int], tuple[int, int], bool, int]]:
    """Every matrix product of our run: (A shape, B shape, A transposed?, how many times)."""
    b, h, n_eval = cfg["batch"], cfg["hidden"], cfg["n_train"] + cfg["n_test"]
    per_epoch = iterations_per_epoch(cfg["n_train"], b)
    evaluations = 1 + cfg["iterations"] // per_epoch + (1 if cfg["iterations"] % per_epoch else 0)
    work = [
        ((b, 784), (784, h), False, cfg["iterations"]),  # Affine1 forward
        ((b, h), (h, 10), False, cfg["iterations"]),  # Affine2 forward
        ((h, b), (b, 10), True, cfg["iterations"]),  # Affine2 dW = x.T @ dout
        ((b, 10), (10, h), False, cfg["iterations"]),  # Affine2 dx = dout @ W.T
        ((784, b), (b, h), True, cfg["iterations"]),  # Affine1 dW = x.T @ dout
    ]
    chunks = [min(EVAL_CHUNK, size - i) for size in (cfg["n_train"], cfg["n_test"]) for i in range(0, size, EVAL_CHUNK)]
    assert sum(chunks) == n_eval
    for rows in chunks:
        work += [((rows, 784), (784, h), False, evaluations), ((rows, h), (h, 10), False, evaluations)]
    return work


def run_bound(cfg: dict) -> tuple[float, float]:
    """Seconds for our run's matrix products alone, and their GFLOP."""
    rng = np.random.default_rng(0)
    start, flops = 0.0, 0
    operands = []
    for a_shape, b_shape, transposed, count in matmul_work(cfg):
        a = rng.random(a_shape[::-1] if transposed else a_shape, dtype=np.float32)
        operands.append((a.T if transposed else a, rng.random(b_shape, dtype=np.float32), count))
        flops += 2 * a_shape[0] * a_shape[1] * b_shape[1] * count
    start = time.perf_counter()
    for a, b, count in operands:
        for _ in range(count):
            a @ b
    return time.perf_counter() - start, flops / 1e9


def peak_memory_mb(cfg: dict) -> float:
    """Peak RSS of a fresh process that loads the data and trains once with our loop."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]);"
        "from benchmarks.bench_train import load_data, normalized, run_ours;"
        "cfg = json.loads(sys.argv[2]); data, _ = load_data(cfg); run_ours(normalized(data), cfg, 0);"
        # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss across exec, so a child
        # would report this (parent) process's peak, torch and all.
        "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
    )
    root = str(Path(__file__).resolve().parents[1])
    out = subprocess.run(
        [sys.executable, "-c", code, root, json.dumps(cfg)], capture_output=True, text=True, check=True
    )
    return int(out.stdout.split()[-1]) / 1024  # VmHWM is in kB


# ----------------------------------------------------------------------------- report


def describe_machine() -> list[str]:
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [f"machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.machine()}"]
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            if pool.get("user_api") == "blas":
                lines.append(
                    f"numpy {np.__version__}, BLAS {pool['internal_api']} {pool.get('version')} "
                    f"({pool.get('architecture')} kernels, {pool['num_threads']} threads)"
                )
    except ImportError:
        lines.append(f"numpy {np.__version__}")
    blas_env = {k: v for k, v in os.environ.items() if k.startswith("OPENBLAS_")}
    lines.append(f"BLAS environment as given: {blas_env or 'no OPENBLAS_* variables'}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each contestant (median reported)")
    parser.add_argument("--tiny", action="store_true", help="a small configuration that runs in seconds")
    parser.add_argument("--skip", nargs="*", default=[], choices=("sklearn", "torch", "memory"), help="leave out")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--ablate", action="store_true", help="also time ours with each speed trick switched off (see TRICKS)"
    )
    args = parser.parse_args(argv)
    cfg = TINY if args.tiny else BOOK

    data, source = load_data(cfg)
    print("\n".join(describe_machine()))
    print(f"data: {source}")
    print(
        f"work: 784-{cfg['hidden']}-10, batch {cfg['batch']}, lr {cfg['lr']}, {cfg['iterations']:,} iterations, "
        f"float32, accuracy on {cfg['n_train']:,} + {cfg['n_test']:,} images per epoch; median of {args.repeats}"
    )

    contestants = {"ours": run_ours, "sklearn": run_sklearn, "torch": run_torch}
    if args.ablate:
        for trick in TRICKS:
            contestants[f"without {trick}"] = functools.partial(run_ours, without=trick)
    if "sklearn" in args.skip:
        del contestants["sklearn"]
    if "torch" in args.skip:
        del contestants["torch"]
    else:
        try:
            import torch

            torch.set_num_threads(os.cpu_count() or 1)
            versions = f"torch {torch.__version__}, {torch.get_num_threads()} threads"
        except ImportError:
            del contestants["torch"]
            versions = "torch not importable: PyTorch skipped"
        print(versions)

    data = normalized(data)  # made once, outside every timing
    times: dict[str, list[float]] = {name: [] for name in [*contestants, "bound"]}
    accuracy: dict[str, float] = {}
    gflop = 0.0
    for _ in range(args.repeats):
        for name, run in contestants.items():
            seconds, accuracy[name] = run(data, cfg, 0)
            times[name].append(seconds)
        seconds, gflop = run_bound(cfg)
        times["bound"].append(seconds)
    median = {name: statistics.median(values) for name, values in times.items()}
    peak = None if "memory" in args.skip else peak_memory_mb(cfg)

    print()
    print("| contestant | median s | all runs (s) | ours / it | test acc |")
    print("| --- | ---: | --- | ---: | ---: |")
    labels = {
        "ours": "ours (common.trainer)",
        "torch": "PyTorch CPU",
        "sklearn": "scikit-learn MLPClassifier",
        "bound": "matmul bound",
    } | {f"without {trick}": f"ours without {trick}" for trick in TRICKS}
    for name, values in times.items():
        ratio = "1.00" if name == "ours" else f"{median['ours'] / median[name]:.2f}"
        acc = f"{accuracy[name]:.4f}" if name in accuracy else "-"
        runs = ", ".join(f"{v:.2f}" for v in values)
        print(f"| {labels[name]} | {median[name]:.2f} | {runs} | {ratio} | {acc} |")

    share = median["bound"] / median["ours"]
    print()
    print(
        f"matmul throughput: ours {gflop / median['ours']:.1f} GFLOP/s of {gflop / median['bound']:.1f} GFLOP/s "
        f"measured for the same products ({gflop:.1f} GFLOP)"
    )
    print(f"share of matmul bound: {share:.0%} (bound time / our time)")
    for trick, what in TRICKS.items():
        if f"without {trick}" in median:
            without = median[f"without {trick}"]
            saved = without - median["ours"]
            print(f"{what}: saves {saved:.2f} s, {saved / without:.1%} of the run without it")
    checks = [("ours / PyTorch", median["ours"] / median["torch"], TARGETS["torch"])] if "torch" in median else []
    if "sklearn" in median:
        checks.append(("ours / MLPClassifier", median["ours"] / median["sklearn"], TARGETS["sklearn"]))
    verdicts = [(label, value <= target, f"{value:.2f} (target <= {target})") for label, value, target in checks]
    if peak is not None:
        verdicts.append(("peak memory", peak <= TARGETS["peak_mb"], f"{peak:.0f} MB (target <= 500 MB)"))
    for label, ok, text in verdicts:
        print(f"{label}: {text} {'meets target' if ok else 'MISSES target'}")
    if args.tiny:
        print("(tiny configuration: the targets are for the full one)")

    if args.json:
        results = {
            "config": cfg,
            "data": source,
            "machine": describe_machine(),
            "times": times,
            "median": median,
            "gflop": gflop,
            "peak_mb": peak,
            "accuracy": accuracy,
        }
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
