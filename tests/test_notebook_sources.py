"""Every committed notebook is its jupytext source (notebooks/_build/NN_*.py), cell for cell; what `--check` reports."""
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
sys.path.insert(0, str(NOTEBOOKS))
import build_notebooks  # noqa: E402

SOURCES = sorted((NOTEBOOKS / "_build").glob("[0-9][0-9]_*.py"))


def test_every_source_has_its_notebook():
    assert len(SOURCES) == 7
    assert sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) == [p.stem for p in SOURCES]


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.stem)
def test_notebook_matches_its_source(source):
    assert build_notebooks.out_of_sync(source, NOTEBOOKS / (source.stem + ".ipynb")) == []


def test_a_changed_source_is_reported(tmp_path):
    source = tmp_path / SOURCES[0].name
    source.write_text(SOURCES[0].read_text(encoding="utf-8") + "\n# %%\nprint('new cell')\n", encoding="utf-8")
    problems = build_notebooks.out_of_sync(source, NOTEBOOKS / (SOURCES[0].stem + ".ipynb"))
    assert problems and "cells, the source has" in problems[0]


def test_check_reports_errors_local_paths_and_log_noise(tmp_path):
    nb = build_notebooks.build(SOURCES[0])
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"saved to {NOTEBOOKS}/x.png\n")]
    nb.cells[2].outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[])]
    nb.cells[3].outputs = [nbformat.v4.new_output("stream", name="stderr", text="I1206 10:00:00 loaded\n")]
    nbformat.write(nb, tmp_path / "dirty.ipynb")
    found = build_notebooks.problems(tmp_path / "dirty.ipynb")
    assert [message.split(":")[0] for message in found] == ["cell 1", "cell 2", "cell 3"], found
    assert "local path" in found[0] and "ValueError: bad" in found[1] and "log noise" in found[2]
    nbformat.write(build_notebooks.build(SOURCES[0]), tmp_path / "clean.ipynb")
    assert build_notebooks.problems(tmp_path / "clean.ipynb") == []
