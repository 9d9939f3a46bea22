"""Train the chapter's TwoLayerNet on MNIST (book p.164-165), with a progress bar and a run folder.

    python train.py                       # the book's settings on the default data
    python train.py --data sample --epochs 20 --out runs/quick
    python train.py --help

Exit codes: 0 trained, 1 training diverged, 2 bad arguments or data, 130 interrupted (Ctrl-C).
Whatever happened, the run folder holds what was done up to then.
"""

import argparse
import os
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ch05.two_layer_net import TwoLayerNet
from common.trainer import Evaluation, PixelBatches, Trainer, TrainingDiverged, iterations_per_epoch
from datasets.mnist import DataError, data_spec, load_data_spec
from tooling.cli import OneLineArgumentParser, positive_float, positive_int
from tooling.runs import library_versions, machine, write_run

MAX_EPOCH_LINES = 20  # per-epoch lines printed at most; the history file keeps every epoch


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = OneLineArgumentParser(
        description="Train the two-layer network of chapter 5 with mini-batch SGD and hand-written backprop.",
        epilog="Exit codes: 0 trained, 1 diverged, 2 bad arguments or data, 130 interrupted.",
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
    parser.add_argument("--seed", type=int, default=0, help="seed for weights and batches (default 0)")
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
    problem = check_output_folder(args.out, args.overwrite)
    if problem:
        parser.error(problem)
    return args


def check_output_folder(folder: Path, overwrite: bool) -> str | None:
    """Why `folder` cannot take a run's files, or None when it can. Creates nothing: a
    mistake found later (bad data, say) leaves no empty folder behind."""
    if (folder / "history.json").exists() and not overwrite:
        return f"{folder} already holds a run; choose another --out or pass --overwrite"
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot write to the output folder {folder}: {existing} is a file; choose another --out"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"cannot write to the output folder {folder}: {existing} is not writable; choose another --out"
    return None


def load_data(args: argparse.Namespace):
    """The data set, with any fallback warning printed as one line."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # keep_pixels: batches are gathered from the uint8 images (PixelBatches in common/trainer.py).
        data = load_data_spec(args.data, data_home=args.data_home, keep_pixels=True)
    for warning in caught:
        print(f"note: {warning.message}", file=sys.stderr)
    return data


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        data = load_data(args)
    except DataError as err:
        print(f"train.py: error: {err}", file=sys.stderr)
        return 2
    (x_train, t_train), (x_test, t_test) = data
    dtype = np.dtype(args.dtype)
    if dtype != x_train.dtype:  # float64 on request; load_mnist gives float32
        x_train, x_test = x_train.astype(dtype), x_test.astype(dtype)

    per_epoch = iterations_per_epoch(len(x_train), args.batch_size)
    iterations = args.epochs * per_epoch if args.epochs else (args.iters or 10_000)
    net = TwoLayerNet(x_train.shape[1], args.hidden, 10, args.weight_init_std, seed=args.seed, dtype=dtype)
    try:
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
            # float64 batches come from x_train itself; float32 ones from the uint8 pixels
            batches=PixelBatches(data.pixels[0], x_train) if dtype == np.float32 else None,
        )
    except ValueError:
        print(
            f"train.py: error: --batch-size {args.batch_size} is larger than the {len(x_train):,} training images",
            file=sys.stderr,
        )
        return 2
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
        code = 1
        message = f"{err} (--lr {args.lr:g} now; the book uses 0.1)"
    except KeyboardInterrupt:
        code = 130
        trainer.history.status = f"interrupted at iteration {len(trainer.history.loss)}"
        message = f"interrupted at iteration {len(trainer.history.loss):,}; writing what was done"
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    if code:
        print(f"train.py: {message}", file=sys.stderr)

    config["seconds"] = round(seconds, 3)
    config["status"] = trainer.history.status
    write_run(args.out, trainer.history, net.params, config, plots=not args.no_plots)
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
