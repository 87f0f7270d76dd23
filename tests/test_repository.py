"""The repository names nothing that only the machine it was written on has (issue: nothing stale)."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SKIP_DIRS = {"runs", "data", "__pycache__", "venv", "build", "dist"}     # and every hidden folder (.git, caches)
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".npz", ".gz", ".pdparams", ".pdopt", ".pyc"}
# built from parts so that this file does not match itself
PRIVATE = re.compile("|".join([re.escape(".." + "/shared"), "work" + "place", re.escape("/" + "work/"),
                               re.escape("/" + "root/"), re.escape("/home/" + "user")]))


def repository_text_files():
    for path in REPO.rglob("*"):
        parts = path.relative_to(REPO).parts
        if path.is_file() and not set(parts) & SKIP_DIRS and path.suffix not in BINARY_SUFFIXES \
                and not any(p.endswith(".egg-info") or p.startswith(".") for p in parts[:-1]):
            yield path


def test_no_file_names_this_projects_machine():
    found = []
    for path in repository_text_files():
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{path.relative_to(REPO)}: {m.group(0)!r}" for m in PRIVATE.finditer(text)]
    assert not found, "files name paths that exist only on the machine that wrote them:\n" + "\n".join(found[:20])
