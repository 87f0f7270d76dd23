"""Small helpers shared by the models, the engine, the CLI and the notebooks."""
import contextlib
import itertools
import os
import random
from pathlib import Path

import numpy as np
import paddle

PARTIAL_SUFFIX = ".partial"          # temporary files and folders of a write in progress


def count_parameters(model, trainable_only=False):
    """Number of scalar parameters of a `paddle.nn.Layer` (all, or only trainable ones)."""
    return sum(int(np.prod(p.shape)) for p in model.parameters()
               if not (trainable_only and p.stop_gradient))


def seed_everything(seed):
    """Seed Python, NumPy and Paddle so that a CPU run is repeatable."""
    random.seed(seed)
    np.random.seed(seed)
    paddle.seed(seed)


def on_gpu():
    """True when Paddle computes on a GPU in this process."""
    return paddle.is_compiled_with_cuda() and paddle.get_device().startswith("gpu")


@contextlib.contextmanager
def eval_mode(model):
    """Put `model` in eval mode for the block and restore the mode of each of its layers afterwards."""
    modes = [(layer, layer.training) for layer in model.sublayers(include_self=True)]
    model.eval()
    try:
        yield model
    finally:
        if modes[0][1]:
            model.train()                      # Paddle's global train mode too
        for layer, training in modes:
            layer.training = training


def first_free_dir(base, create=False):
    """`base`, or base2, base3, ...: the first that does not exist or is an empty folder; with `create`,
    made (claimed with mkdir, so two runs starting together get two)."""
    base = Path(base)
    for n in itertools.count(1):
        path = base if n == 1 else base.with_name(f"{base.name}{n}")
        if path.exists() and not (path.is_dir() and not any(path.iterdir())):
            continue
        if create:
            try:
                path.mkdir(parents=True)
            except FileExistsError:
                if any(path.iterdir()):
                    continue
        return path


def group_by_model(histories):
    """{model name: [histories]} in first-seen order."""
    groups = {}
    for h in histories:
        groups.setdefault(h["model"]["name"], []).append(h)
    return groups


def write_synced(path, data):
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def fsync_directory(directory):
    if os.name != "posix":      # directories cannot be opened for fsync on Windows
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path, data):
    """Replace `path` by `data` so that readers see either the old or the new file, never a part."""
    directory, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(directory, f".{name}{PARTIAL_SUFFIX}")    # a leftover goes with the next save
    write_synced(temp, data)
    os.replace(temp, path)
    fsync_directory(directory)
