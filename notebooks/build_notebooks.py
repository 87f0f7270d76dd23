"""Build the course notebooks from their sources in notebooks/_build/, and optionally run them.

Each source `_build/NN_name.py` is a plain Python file in jupytext's "percent" format (which VS Code
reads too): `# %%` starts a code cell, `# %% [markdown]` a markdown cell whose lines are written as
`# text`; jupytext turns it into the notebook. Editing the sources and rebuilding keeps the notebooks
reviewable as diffs; `--check` fails when a saved notebook's cells differ from its source.

    python notebooks/build_notebooks.py                      # write notebooks/*.ipynb without outputs
    python notebooks/build_notebooks.py --execute --quick    # ... and run them in quick mode (seconds each)
    python notebooks/build_notebooks.py --execute --mode cpu 02   # run 02 with MODE = "cpu"
    python notebooks/build_notebooks.py --execute 02 04      # run only those, in the mode of $ECAPADDLE_MODE
    python notebooks/build_notebooks.py --check              # check the saved notebooks (errors, size, paths)

The notebooks' `MODE` cell reads $ECAPADDLE_MODE ("quick" when unset); `--mode` and `--quick` set it
for the run. Executed notebooks are saved with
their outputs; `--check` then fails on an error output, a notebook over 2 MB, a local absolute path
(the checkout, the home directory, the Python environment, /tmp) in a source or an output, cells that
differ from the source, or third-party log noise (Paddle's OMP_NUM_THREADS warning, glog lines, oneDNN
messages) in an output.
"""
import argparse
import os
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat

NOTEBOOKS = Path(__file__).resolve().parent
SOURCES = NOTEBOOKS / "_build"
REPO = NOTEBOOKS.parent
MAX_BYTES = 2_000_000
MODES = ("quick", "cpu", "full")
# third-party log lines that must not reach the saved outputs
NOISE = re.compile(r"PLEASE USE OMP_NUM_THREADS WISELY|WARNING: OMP_NUM_THREADS set to|^[IWEF]\d{4} \d\d:\d\d:\d\d"
                   r"|oneDNN v\d|--- Running analysis|=== optimize|IProgress not found|No ccache found", re.MULTILINE)
KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}


def build(source):
    """An nbformat v4 notebook (no outputs) from a percent-format source file, read by jupytext."""
    nb = jupytext.read(source, fmt="py:percent")
    nb.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    for i, cell in enumerate(nb.cells):
        cell.metadata = {}
        cell["id"] = f"{source.stem[:2]}-{i:03d}"       # stable ids: rebuilding gives the same file
    return nb


def out_of_sync(source, target):
    """Cells where the saved notebook `target` differs from its source (empty list: in sync)."""
    saved, built = nbformat.read(target, as_version=4).cells, build(source).cells
    if len(saved) != len(built):
        return [f"{len(saved)} cells, the source has {len(built)}"]
    return [f"cell {i} differs from its source" for i, (a, b) in enumerate(zip(saved, built))
            if a.cell_type != b.cell_type or a.source != b.source]


def execute(nb, timeout):
    """Run `nb` in a fresh kernel with notebooks/ as working directory (as Jupyter and nbval do)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(NOTEBOOKS)}}).execute()
    return nb


def problems(path):
    """What is wrong with a saved notebook: error outputs, size, local absolute paths, log noise."""
    found = []
    size = path.stat().st_size
    if size > MAX_BYTES:
        found.append(f"{size / 1e6:.2f} MB > {MAX_BYTES / 1e6:.0f} MB")
    nb = nbformat.read(path, as_version=4)
    local = sorted({str(REPO), str(Path.home()), sys.prefix, "/tmp/"})   # paths that exist only on this computer
    for i, cell in enumerate(nb.cells):
        shown = [marker for marker in local if marker in cell.source]
        if shown:                # one message per cell, even when the checkout itself lies under /tmp
            found.append(f"cell {i}: source shows a local path ({shown[-1]!r})")
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {i}: {output.get('ename')}: {output.get('evalue')}")
            text = output.get("text", "") + str(output.get("data", {}).get("text/plain", ""))
            shown = [marker for marker in local if marker in text]
            if shown:
                found.append(f"cell {i}: output shows a local path ({shown[-1]!r})")
            noise = NOISE.search(text)
            if noise:
                found.append(f"cell {i}: third-party log noise in an output ({noise.group(0)!r})")
    return found


def set_mode(mode):
    """Make executed notebooks run in `mode` (their MODE cell reads $ECAPADDLE_MODE)."""
    os.environ["ECAPADDLE_MODE"] = mode


def current_mode():
    return os.environ.get("ECAPADDLE_MODE") or "quick (the MODE cell's default)"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("only", nargs="*", help="build only notebooks whose name starts with these prefixes")
    parser.add_argument("--execute", action="store_true", help="run each notebook and save it with its outputs")
    parser.add_argument("--quick", action="store_true", help="run in quick mode (same as --mode quick)")
    parser.add_argument("--mode", choices=MODES, help="the notebooks' MODE for the run (sets $ECAPADDLE_MODE)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds per cell (default 3600)")
    parser.add_argument("--check", action="store_true", help="only check the saved notebooks")
    args = parser.parse_args(argv)
    if args.quick and args.mode not in (None, "quick"):
        parser.error("--quick and --mode %s contradict each other" % args.mode)
    if args.quick or args.mode:
        set_mode(args.mode or "quick")
    sources = sorted(p for p in SOURCES.glob("[0-9][0-9]_*.py") if not args.only or p.name.startswith(tuple(args.only)))
    if not sources:
        raise SystemExit(f"no notebook sources match {args.only} in {SOURCES}")
    failed = False
    for source in sources:
        target = NOTEBOOKS / (source.stem + ".ipynb")
        if not args.check:
            nb = build(source)
            if args.execute:
                mode = current_mode()
                start = time.perf_counter()
                try:
                    execute(nb, args.timeout)
                except Exception as error:               # the partly executed notebook is still written, to inspect
                    print(f"{target.name}: execution failed: {type(error).__name__}: {str(error)[-2000:]}")
                print(f"{target.name}: executed ({mode} mode) in {time.perf_counter() - start:.0f} s")
            nbformat.write(nb, target)
        found = problems(target) + out_of_sync(source, target)
        failed |= bool(found)
        print(f"{target.name}: " + ("; ".join(found) if found else f"ok ({target.stat().st_size / 1e3:.0f} kB)"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
