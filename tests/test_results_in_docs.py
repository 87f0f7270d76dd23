"""The README's results block is the committed report of the paired experiment, word for word."""
import re
from pathlib import Path

import pytest

from ecapaddle.engine import load_history
from ecapaddle.report import load_predictions, report_text

REPO = Path(__file__).resolve().parents[1]
PAIRED = REPO / "figures" / "paired"
ORDER = ("alexnet", "alexnet_constgate", "alexnet_eca", "alexnet_eca_unitgate")


def readme_block():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- figures/paired/table\.md -->\n(.*?)<!-- end of figures/paired/table\.md -->", text, re.S)
    assert found, "README.md has no block between <!-- figures/paired/table.md --> markers"
    return found.group(1)


def test_readme_shows_the_committed_table():
    assert readme_block() == (PAIRED / "table.md").read_text(encoding="utf-8")


def test_committed_table_is_the_report_of_the_committed_runs():
    paths = sorted(PAIRED.glob("*/history.json"))
    if not paths:
        pytest.skip("no paired runs committed")
    runs = {p: load_history(p) for p in paths}
    histories = sorted(runs.values(), key=lambda h: (ORDER.index(h["model"]["name"]), h["config"]["seed"]))
    expected = report_text(histories, predictions=load_predictions(runs))
    assert (PAIRED / "table.md").read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("doc", ["README.md", "README_cn.md"])
def test_intervals_quoted_in_the_text_come_from_the_committed_table(doc):
    table = (PAIRED / "table.md").read_text(encoding="utf-8")
    text = (REPO / doc).read_text(encoding="utf-8").replace("−", "-")
    quoted = re.findall(r"[-+]\d+\.\d\d ± \d+\.\d\d", text)
    assert quoted, f"{doc} quotes no paired difference"
    assert [q for q in quoted if q not in table] == []
