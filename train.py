"""Train the chapter's TwoLayerNet on MNIST (book p.164-165), with a progress bar and a run folder.

    python train.py                       # the book's settings on the default data
    python train.py --data sample --epochs 20 --out runs/quick
    python train.py --help

Exit codes:
    0    trained
    1    the download of --data mnist or fashion-mnist failed (one line says why and what to do)
    2    bad arguments or data, checked before training: nothing is written
    3    training diverged; the run folder holds the iterations done
    130  interrupted (Ctrl-C): during training the run folder holds what was done; before it, nothing
"""

import sys

try:  # Ctrl-C while the imports run (about 0.5 s) ends like any other interruption: 130, no traceback
    import argparse
    import os
    import tempfile
    import time
    import warnings
    from datetime import datetime
    from pathlib import Path

    import numpy as np
    from tqdm import tqdm

    from ch05.two_layer_net import TwoLayerNet
    from common.trainer import EVAL_CHUNK, Evaluation, Trainer, TrainingDiverged, iterations_per_epoch
    from datasets.mnist import DataError, DownloadError, data_spec, load_data_spec
    from tooling.cli import OneLineArgumentParser, non_negative_int, positive_float, positive_int, report_progress
    from tooling.runs import library_versions, machine, write_run
except KeyboardInterrupt:
    print("train.py: interrupted", file=sys.stderr)
    sys.exit(130)

MAX_EPOCH_LINES = 20  # per-epoch lines printed at most; the history file keeps every epoch
EXIT_DOWNLOAD, EXIT_USAGE, EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 2, 3, 130
EXIT_CODES = "Exit codes: 0 trained, 1 download failed, 2 bad arguments or data, 3 diverged, 130 interrupted."
# Training images each data spec can give at most, known before loading (idx: only after).
MAX_TRAIN_IMAGES = {"sample": 4_000, "mnist": 60_000, "fashion-mnist": 60_000, "default": 60_000}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(
        description="Train the two-layer network of chapter 5 with mini-batch SGD and hand-written backprop.",
        epilog=EXIT_CODES,
    )
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--iters", type=positive_int, help="parameter updates (default 10000, as the book)")
    length.add_argument("--epochs", type=positive_int, help="whole epochs instead of --iters")
    parser.add_argument("--batch-size", type=positive_int, default=100, help="images per update (default 100)")
    parser.add_argument("--lr", type=positive_float, default=0.1, help="learning rate (default 0.1)")
    parser.add_argument("--hidden", type=positive_int, default=50, help="hidden units (default 50)")
    parser.add_argument(
        "--weight-init-std", type=positive_float, default=0.01, help="std of the initial weights (default 0.01)"
    )
    # numpy's default_rng refuses negative seeds: refused here too, as a usage error.
    parser.add_argument(
        "--seed", type=non_negative_int, default=0, help="seed for weights and batches, 0 or more (default 0)"
    )
    parser.add_argument(
        "--data",
        type=data_spec,
        default="default",
        help="default (full MNIST if cached or downloadable, else the shipped sample), mnist, "
        "fashion-mnist, sample, or idx:FOLDER of MNIST IDX files",
    )
    parser.add_argument("--data-home", help="scikit-learn data home for the MNIST cache")
    parser.add_argument("--out", type=Path, help="run folder (default runs/<time>-<data>-seed<seed>)")
    parser.add_argument("--overwrite", action="store_true", help="reuse a run folder that already holds a run")
    parser.add_argument("--no-plots", action="store_true", help="write no PNG files")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or per-epoch lines")
    parser.add_argument(
        "--dtype", choices=("float32", "float64"), default="float32", help="float32 (default, fast) or float64"
    )
    args = parser.parse_args(argv)
    if args.out is None:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        args.out = Path("runs") / f"{stamp}-{args.data.replace(':', '-').replace('/', '_')}-seed{args.seed}"
    problem = (
        check_output_folder(args.out, args.overwrite)
        or check_batch_size(args.batch_size, MAX_TRAIN_IMAGES.get(args.data), f"--data {args.data}")
        or check_memory(args)
    )
    if problem:
        parser.error(problem)
    return args


def check_output_folder(folder: Path, overwrite: bool) -> str | None:
    """Why `folder` cannot take a run's files, or None when it can.

    Writes and deletes a probe file there, since permissions alone can lie (os.access says
    yes to root under /proc, where nothing can be created). Folders made for the probe are
    removed again: a mistake found later (bad data, say) leaves no empty folder behind.
    """
    if (folder / "history.json").exists() and not overwrite:
        return f"{folder} already holds a run; choose another --out or pass --overwrite"
    existing, missing = folder.absolute(), []
    while not existing.exists():
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot write to the output folder {folder}: {existing} is a file; choose another --out"
    created = []
    try:
        for path in reversed(missing):
            path.mkdir()
            created.append(path)
        with tempfile.TemporaryFile(dir=folder, prefix=".write-probe-") as probe:
            probe.write(b"0")
    except OSError as err:
        return f"cannot write to the output folder {folder}: {err.strerror} ({err.filename}); choose another --out"
    finally:
        for path in reversed(created):
            path.rmdir()
    return None


def check_batch_size(batch_size: int, train_images: int | None, what: str) -> str | None:
    """Why a batch cannot be drawn from `train_images` training images (None: not known yet)."""
    if train_images is not None and batch_size > train_images:
        return f"--batch-size {batch_size} is larger than the {train_images:,} training images of {what}"
    return None


def memory_needed(hidden: int, batch_size: int, dtype: np.dtype, images: int, inputs: int = 784) -> int:
    """Bytes a run needs at its peak, computed from the sizes (10 classes).

    Parameters, their gradients, and one more of each while the next gradient or the update
    lr * gradient is being made: 3 x the parameters. Per batch image: the gathered image,
    and for each hidden unit its activation, ReLU output, mask and their gradients. An
    evaluation chunk of EVAL_CHUNK images likewise. The data: the uint8 arrays it is loaded
    from, float32 images, and a float64 copy for --dtype float64.
    """
    size = dtype.itemsize
    parameters = (inputs * hidden + hidden + hidden * 10 + 10) * size
    per_image = inputs * size + hidden * (4 * size + 1) + 10 * 4 * size
    per_evaluated = hidden * (2 * size + 1) + 10 * size
    data = images * inputs * (1 + 4 + (size if size != 4 else 0))
    return 3 * parameters + max(batch_size * per_image, EVAL_CHUNK * per_evaluated) + data


def machine_memory() -> int | None:
    """Bytes of memory this process may use: physical memory, or a lower cgroup limit (containers)."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows): no check
        return None
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            total = min(total, int(Path(limit_file).read_text()))
        except (OSError, ValueError):  # absent, or "max"
            pass
    return total


def check_memory(args: argparse.Namespace) -> str | None:
    """Why the network and batch cannot fit in this machine's memory, or None."""
    images = 5_000 if args.data == "sample" else 70_000  # an IDX folder: assume MNIST's size
    needed = memory_needed(args.hidden, args.batch_size, np.dtype(args.dtype), images)
    available = machine_memory()
    if available is None or needed <= available:
        return None
    return (
        f"--hidden {args.hidden} with --batch-size {args.batch_size} needs about {needed / 2**30:,.1f} GiB of "
        f"memory ({args.dtype}), more than the {available / 2**30:,.1f} GiB of this machine; "
        "choose a smaller --hidden or --batch-size"
    )


def load_data(args: argparse.Namespace):
    """(the data set, the notes to print if training goes ahead): a fallback to the sample
    is a note, not an error, and is only worth a line once every argument is known to be good."""
    with report_progress(quiet=args.quiet), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = load_data_spec(args.data, data_home=args.data_home)
    return data, [str(warning.message) for warning in caught]


def main(argv: list[str] | None = None) -> int:
    try:
        return train(argv)
    except KeyboardInterrupt:  # before or after training: training handles its own, writing the run so far
        print("train.py: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:  # check_memory passed, but the memory is taken by others, or a limit is lower
        print("train.py: error: out of memory; choose a smaller --hidden or --batch-size", file=sys.stderr)
        return EXIT_USAGE


def train(argv: list[str] | None) -> int:
    args = parse_args(argv)
    try:
        data, notes = load_data(args)
    except DownloadError as err:
        print(f"train.py: error: {err}", file=sys.stderr)
        return EXIT_DOWNLOAD
    except DataError as err:
        print(f"train.py: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    problem = check_batch_size(args.batch_size, len(data[0][0]), data.source)
    if problem:
        because = f" ({'; '.join(notes)})" if notes else ""
        print(f"train.py: error: {problem}{because}", file=sys.stderr)
        return EXIT_USAGE
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    (x_train, t_train), (x_test, t_test) = data
    dtype = np.dtype(args.dtype)
    if dtype != x_train.dtype:  # float64 on request; load_mnist gives float32
        x_train, x_test = x_train.astype(dtype), x_test.astype(dtype)

    per_epoch = iterations_per_epoch(len(x_train), args.batch_size)
    iterations = args.epochs * per_epoch if args.epochs else (args.iters or 10_000)
    net = TwoLayerNet(x_train.shape[1], args.hidden, 10, args.weight_init_std, seed=args.seed, dtype=dtype)
    trainer = Trainer(
        net,
        x_train,
        t_train,
        x_test,
        t_test,
        iterations=iterations,
        batch_size=args.batch_size,
        learning_rate=args.lr,
        seed=args.seed,
    )
    config = {
        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
        "iterations": iterations,
        "iterations_per_epoch": per_epoch,
        "network": f"TwoLayerNet({x_train.shape[1]}, {args.hidden}, 10)",
        "data": data.spec,
        "data_source": data.source,
        "versions": library_versions(),
        "machine": machine(),
        "started": datetime.now().isoformat(timespec="seconds"),
    }
    print(
        f"Training {config['network']} on {data.source}: {iterations:,} iterations "
        f"({iterations / per_epoch:.4g} epochs of {per_epoch}), batch {args.batch_size}, lr {args.lr:g}, "
        f"{args.dtype}, seed {args.seed}",
        flush=True,
    )

    bar = tqdm(total=iterations, unit="it", disable=args.quiet, file=sys.stderr, mininterval=0.25, leave=False)
    epoch_step = max(1, round(iterations / per_epoch / MAX_EPOCH_LINES))
    epochs_total = iterations / per_epoch

    postfix = {"loss": "-", "train acc": "-", "test acc": "-"}

    def on_iteration(i: int, loss: float) -> None:
        bar.update(1)
        if i % 100 == 0:  # set_postfix costs more than an iteration: not every time
            postfix["loss"] = f"{loss:.3f}"
            bar.set_postfix(postfix, refresh=False)

    def on_evaluation(row: Evaluation) -> None:
        postfix.update({"train acc": f"{row.train_acc:.3f}", "test acc": f"{row.test_acc:.3f}"})
        bar.set_postfix(postfix, refresh=False)
        epoch = row.iteration // per_epoch
        if not args.quiet and (epoch % epoch_step == 0 or row.iteration == iterations):
            loss = f"{row.loss:.4f}" if row.loss is not None else "-"
            bar.write(
                f"epoch {row.epoch:>6.4g}/{epochs_total:.4g}  loss {loss:>6}  "
                f"train acc {row.train_acc:.4f}  test acc {row.test_acc:.4f}"
            )

    trainer.on_iteration, trainer.on_evaluation = on_iteration, on_evaluation
    code, started = 0, time.perf_counter()
    try:
        trainer.run()
    except TrainingDiverged as err:
        code = EXIT_DIVERGED
        message = f"{err} (--lr {args.lr:g} now; the book uses 0.1)"
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        trainer.history.status = f"interrupted at iteration {len(trainer.history.loss)}"
        message = f"interrupted at iteration {len(trainer.history.loss):,}; writing what was done"
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    if code:
        print(f"train.py: {message}", file=sys.stderr)

    config["seconds"] = round(seconds, 3)
    config["status"] = trainer.history.status
    try:
        write_run(args.out, trainer.history, net.params, config, plots=not args.no_plots)
    except OSError as err:  # the folder was writable when checked; a full disk, say, came later
        print(f"train.py: error: cannot write the run to {args.out} ({err.strerror}: {err.filename})", file=sys.stderr)
        return EXIT_USAGE
    history = trainer.history
    if history.evaluations:
        last = history.evaluations[-1]
        print(
            f"{history.status}: {len(history.loss):,} iterations in {seconds:.1f} s; "
            f"final train accuracy {last.train_acc:.4f}, test accuracy {last.test_acc:.4f}"
        )
    print(
        f"wrote {args.out}/ (history.json, config.json, params.npz"
        + ("" if args.no_plots else ", accuracy.png, loss.png")
        + ")"
    )
    return code


if __name__ == "__main__":
    sys.exit(main())
