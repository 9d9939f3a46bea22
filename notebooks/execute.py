"""Run notebooks/ch05.ipynb top to bottom in a fresh kernel and store it with its outputs.

    pip install -r requirements-dev.txt      # nbclient and ipykernel
    python notebooks/execute.py              # rewrites notebooks/ch05.ipynb with fresh outputs
    python notebooks/execute.py --check      # runs it and writes nothing
    python notebooks/execute.py --thumbnails # README thumbnails (docs/notebook-*.png) from the stored outputs

The kernel starts in notebooks/, as `jupyter lab notebooks/ch05.ipynb` starts it. No timing
is recorded in the file, so two runs on one machine store the same bytes.
Exit codes: 0 ran, 1 a cell raised (nothing is written), 2 nbclient or ipykernel missing.
"""

import base64
import io
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

if __package__ in (None, ""):
    # Run as a file (python notebooks/execute.py, or from inside notebooks/), Python puts notebooks/ first on
    # sys.path: put the repository root before it, so this project's packages are the ones imported.
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tooling.atomic import atomic_path
from tooling.cli import OneLineArgumentParser

if TYPE_CHECKING:  # nbformat comes with the test tools; importing this file must not need it
    from nbformat import NotebookNode

NOTEBOOK = Path(__file__).with_name("ch05.ipynb")
MAX_BYTES = 1_500_000  # stored with its pictures, the file must stay easy to view and to clone
DOCS = Path(__file__).resolve().parents[1] / "docs"
# One picture from each part of the notebook, for the README: cell id -> docs/notebook-NAME.png.
THUMBNAILS = {
    "buy-apple-orange-graph": "graph",
    "relu": "relu",
    "train": "accuracy",
    "weights": "weights",
    "mistakes": "mistakes",
}


def execute_notebook(path: Path = NOTEBOOK, timeout: int = 600) -> "NotebookNode":
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


def write_thumbnails(nb: "NotebookNode", folder: Path = DOCS, width: int = 280) -> list[Path]:
    """Copies `width` pixels wide of the pictures that the cells of THUMBNAILS show, as folder/notebook-NAME.png."""
    from PIL import Image  # Pillow comes with matplotlib

    written = []
    for cell in nb.cells:
        if cell.get("id") not in THUMBNAILS:
            continue
        (png,) = [o.data["image/png"] for o in cell.outputs if "image/png" in o.get("data", {})]
        image = Image.open(io.BytesIO(base64.b64decode(png)))
        image.thumbnail((width, width * image.height // image.width))
        path = folder / f"notebook-{THUMBNAILS[cell.id]}.png"
        with atomic_path(path) as tmp:
            # 256 colours are plenty at this size and make the files several times smaller.
            image.convert("RGB").quantize(256).save(tmp, optimize=True)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(
        description="Execute notebooks/ch05.ipynb in a fresh kernel and store its outputs.",
        epilog="Exit codes: 0 ran, 1 a cell raised, 2 nbclient or ipykernel missing.",
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--check", action="store_true", help="run the notebook, write nothing")
    what.add_argument(
        "--thumbnails", action="store_true", help="run nothing: write docs/notebook-*.png from the stored outputs"
    )
    args = parser.parse_args(argv)
    try:
        import nbformat
        from nbclient.exceptions import CellExecutionError
    except ImportError as err:
        print(f"execute.py: error: {err.name} is missing; pip install -r requirements-dev.txt", file=sys.stderr)
        return 2
    if args.thumbnails:
        for path in write_thumbnails(nbformat.read(NOTEBOOK, as_version=4)):
            print(f"wrote {path.relative_to(DOCS.parent)}")
        return 0
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
