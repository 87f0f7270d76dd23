"""Every committed notebook is its jupytext source (notebooks/_build/NN_*.py), cell for cell."""
import sys
from pathlib import Path

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
