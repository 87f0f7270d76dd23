"""Small helpers shared by the models, the engine and the notebooks."""
import contextlib
import random
from collections import OrderedDict

import numpy as np
import paddle


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
    """Put `model` in eval mode for the block and restore its previous mode afterwards."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        if was_training:
            model.train()


def group_by_model(histories):
    """{model name: [histories]} in first-seen order."""
    groups = OrderedDict()
    for h in histories:
        groups.setdefault(h["model"]["name"], []).append(h)
    return groups
