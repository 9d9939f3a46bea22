"""A training run's folder: what train.py writes, and how to read it back.

    runs/NAME/
        history.json   per-iteration loss, per-epoch evaluations, how the run ended
        config.json    arguments, seed, data source, library versions, machine
        params.npz     W1, b1, W2, b2 (load with allow_pickle=False)
        accuracy.png   train and test accuracy per epoch
        loss.png       training loss per iteration

Every file is written atomically, so a killed run leaves complete files or none.
"""

import json
import os
import platform
import sys
from importlib import metadata
from pathlib import Path

import numpy as np

from common.trainer import History
from tooling.atomic import atomic_path


class RunError(Exception):
    """A run folder is missing, incomplete or unreadable; the message names the file."""


def library_versions() -> dict[str, str]:
    versions = {"python": sys.version.split()[0]}
    for package in ("numpy", "matplotlib", "scikit-learn", "tqdm"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def machine() -> dict[str, str | int | None]:
    return {"platform": platform.platform(), "processor": platform.machine(), "cpus": os.cpu_count()}


def write_json(path: Path, data: dict) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=1, allow_nan=False) + "\n")


def write_run(folder: str | os.PathLike, history: History, params: dict, config: dict, plots: bool = True) -> None:
    """Write history, configuration, parameters (every array of `params`, by name) and,
    unless plots=False, both plots."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # NaN is not JSON: a diverged run's last loss is written as null.
    data = history.to_dict()
    data["loss"] = [x if np.isfinite(x) else None for x in data["loss"]]
    write_json(folder / "history.json", data)
    write_json(folder / "config.json", config)
    with atomic_path(folder / "params.npz") as tmp:
        np.savez(tmp, **params)
    if plots and history.evaluations:
        from tooling.plotting import plot_accuracy, plot_loss  # matplotlib only when there is a plot to draw

        source = config.get("data_source", "unknown data")
        plot_accuracy(history, source, folder / "accuracy.png")
        if history.loss:
            plot_loss(history, source, folder / "loss.png")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(f"{path} is missing: is {path.parent} a folder written by train.py?") from None
    except (OSError, ValueError) as err:
        raise RunError(f"{path} cannot be read ({err})") from None


def read_run(folder: str | os.PathLike) -> tuple[History, dict]:
    """(History, config) of a run folder."""
    folder = Path(folder)
    data = _read_json(folder / "history.json")
    try:
        data["loss"] = [float("nan") if x is None else x for x in data["loss"]]
        history = History.from_dict(data)
    except (KeyError, TypeError) as err:
        raise RunError(f"{folder / 'history.json'} is not a training history ({err!r})") from None
    return history, _read_json(folder / "config.json")


def read_params(folder: str | os.PathLike) -> dict[str, np.ndarray]:
    """The parameters of a run folder by name (W1, b1, W2, b2), loaded without unpickling anything."""
    path = Path(folder) / "params.npz"
    try:
        with np.load(path, allow_pickle=False) as f:
            return {key: f[key] for key in f.files}
    except FileNotFoundError:
        raise RunError(f"{path} is missing: is {path.parent} a folder written by train.py?") from None
    except (OSError, ValueError, KeyError) as err:
        raise RunError(f"{path} cannot be read ({err})") from None
