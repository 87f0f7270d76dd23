"""Repository-wide pytest set-up.

`python -m pytest` also runs the notebooks through nbval (see pyproject.toml). Their kernels
inherit this process's environment, so setting ECAPADDLE_MODE=quick here makes every notebook's
`MODE` cell choose the quick recipe (a tiny synthetic dataset, seconds per notebook, nothing
written into the repository). Run `ECAPADDLE_MODE=cpu python -m pytest notebooks` to execute the reduced real recipe
(real CIFAR-10 needed; long).
"""
import os

os.environ.setdefault("ECAPADDLE_MODE", "quick")

# Notebook sources and Jupyter's autosave copies are not notebooks to test.
collect_ignore_glob = ["notebooks/_build/*", "**/.ipynb_checkpoints/*"]
