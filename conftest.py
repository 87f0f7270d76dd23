"""Repository-wide pytest set-up.

`python -m pytest` also runs the notebooks through nbval (see pyproject.toml). Their kernels
inherit this process's environment, so setting ECAPADDLE_QUICK here makes every notebook run
its quick mode (a tiny synthetic dataset, seconds per notebook, nothing written into the repo).
Run `ECAPADDLE_QUICK=0 python -m pytest notebooks` to execute the full, reduced configuration.
"""
import os

os.environ.setdefault("ECAPADDLE_QUICK", "1")

# Notebook sources and Jupyter's autosave copies are not notebooks to test.
collect_ignore_glob = ["notebooks/_build/*", "**/.ipynb_checkpoints/*"]
