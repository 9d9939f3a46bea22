"""What every script's command line shares: one-line usage errors, number types, progress on stderr."""

import argparse
import logging
import math
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr and exit code 2 (no usage dump)."""

    def error(self, message: str) -> None:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def int_at_least(minimum: int) -> Callable[[str], int]:
    """argparse type: a whole number of at least `minimum`, else a one-line usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


positive_int = int_at_least(1)
non_negative_int = int_at_least(0)


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive finite number, got {text}")
    return value


class _StderrProgress(logging.Handler):
    """INFO records as lines on stderr. Records with `progress` = (done, total) bytes drive a
    tqdm bar; after a record with `timer` set, the seconds count up until the next record.
    Bars and timers only on a terminal, and not when quiet: a log file gets the lines alone."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(logging.DEBUG)
        self.quiet = quiet
        self.bar: tqdm | None = None
        self.counting_bytes = False  # the bar counts bytes (else it is a timer)
        self.ticking = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._show(record)
        except Exception:  # a display problem must never reach the download that logged
            self.handleError(record)

    def _show(self, record: logging.LogRecord) -> None:
        progress = getattr(record, "progress", None)
        if progress is None and record.levelno < logging.INFO:
            return
        if progress is not None and self.counting_bytes:
            self.bar.update(progress[0] - self.bar.n)
            return
        self.close_bar()
        if progress is not None:
            self.bar, self.counting_bytes = self._bar(total=progress[1], unit="B", unit_scale=True), True
            self.bar.update(progress[0])
            return
        print(record.getMessage(), file=sys.stderr, flush=True)
        if getattr(record, "timer", False):
            self.bar = self._bar(bar_format="{elapsed}")
            self.ticking = threading.Event()  # one per timer: the last one's thread may still be waking
            threading.Thread(target=self._tick, args=(self.bar, self.ticking), daemon=True).start()

    def _bar(self, **kwargs) -> tqdm:
        # disable=None: no bar unless stderr is a terminal
        return tqdm(file=sys.stderr, leave=False, disable=True if self.quiet else None, **kwargs)

    @staticmethod
    def _tick(bar: tqdm, stop: threading.Event) -> None:
        while not stop.wait(1.0):
            bar.refresh()

    def close_bar(self) -> None:
        self.ticking.set()
        if self.bar is not None:
            self.bar.close()
        self.bar, self.counting_bytes = None, False


@contextmanager
def report_progress(logger: str = "datasets", quiet: bool = False) -> Iterator[None]:
    """Within the block, what the library logs to `logger` (a download's announcement, its
    bytes, its phases) is shown on stderr; library code itself never prints."""
    target = logging.getLogger(logger)
    handler = _StderrProgress(quiet)
    level = target.level
    target.addHandler(handler)
    target.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        handler.close_bar()
        target.removeHandler(handler)
        target.setLevel(level)
