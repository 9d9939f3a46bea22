"""Run notebooks/ch05.ipynb top to bottom in a fresh kernel and store it with its outputs.

    pip install -r requirements-dev.txt      # nbclient and ipykernel
    python notebooks/execute.py              # rewrites notebooks/ch05.ipynb with fresh outputs
    python notebooks/execute.py --check      # runs it and writes nothing

The kernel starts in notebooks/, as `jupyter lab notebooks/ch05.ipynb` starts it. No timing
is recorded in the file, so two runs on one machine store the same bytes.
Exit codes: 0 ran, 1 a cell raised (nothing is written), 2 nbclient or ipykernel missing.
"""

import sys
import time
from pathlib import Path

if __package__ in (None, ""):
    # Run as `python notebooks/execute.py`, Python puts notebooks/ first on sys.path; insert
    # the repository root first so `tooling` resolves to ours.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tooling.atomic import atomic_path
from tooling.cli import OneLineArgumentParser

NOTEBOOK = Path(__file__).with_name("ch05.ipynb")
MAX_BYTES = 1_500_000  # stored with its pictures, the file must stay easy to view and to clone


def execute_notebook(path: Path = NOTEBOOK, timeout: int = 600):
    """Execute every cell of the notebook at `path` in a fresh python3 kernel; returns the executed
    nbformat.NotebookNode. Raises nbclient.exceptions.CellExecutionError at the first cell that fails."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=timeout,
        record_timing=False,  # timestamps would change the file on every run
        # ipykernel 7 warns on stderr that a local kernel talks over unencrypted TCP: noise here.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(path.parent)}},  # the kernel's working directory
    )
    client.execute()
    return nb


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(
        description="Execute notebooks/ch05.ipynb in a fresh kernel and store its outputs.",
        epilog="Exit codes: 0 ran, 1 a cell raised, 2 nbclient or ipykernel missing.",
    )
    parser.add_argument("--check", action="store_true", help="run the notebook, write nothing")
    args = parser.parse_args(argv)
    try:
        import nbformat
        from nbclient.exceptions import CellExecutionError
    except ImportError as err:
        print(f"execute.py: error: {err.name} is missing; pip install -r requirements-dev.txt", file=sys.stderr)
        return 2
    start = time.perf_counter()
    try:
        nb = execute_notebook(NOTEBOOK)
    except CellExecutionError as err:
        # The last line of nbclient's message names the exception; the cell's traceback is above it.
        print(f"execute.py: a cell failed: {str(err).strip().splitlines()[-1]}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start
    if args.check:
        print(f"{NOTEBOOK.name}: every cell ran in {seconds:.1f} s")
        return 0
    with atomic_path(NOTEBOOK) as tmp:
        nbformat.write(nb, tmp)
    size = NOTEBOOK.stat().st_size
    print(f"{NOTEBOOK.name}: every cell ran in {seconds:.1f} s; stored with outputs, {size / 1e6:.2f} MB")
    if size > MAX_BYTES:
        print(f"execute.py: warning: larger than {MAX_BYTES / 1e6:.1f} MB: make the figures smaller", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
