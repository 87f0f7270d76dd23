"""Load weights saved by the original AI Studio notebook into ecapaddle's AlexNet / AlexNetECA.

The notebook saved `model.state_dict()` (a `.pdparams` file) of its own AlexNet: convolutions, ECA
layers holding a Conv1D(1, 1, k, bias_attr=False) named `conv`, and linear layers. The weights are
matched by kind and order (i-th conv, i-th ECA kernel, i-th linear layer), not by key name, and every
key and shape is checked, so a layout change on either side gives a clear error, never skipped weights.
"""
import os

import numpy as np
import paddle
import paddle.nn as nn

from ..layers.eca import ECA

KINDS = ("conv", "eca", "linear")


def load_notebook_weights(model, path_or_state_dict):
    """Copy the notebook's weights (its `.pdparams` file, or a state dict of Tensors or arrays) into `model`, an
    AlexNet or AlexNetECA of the checkpoint's ECA kernel sizes and num_classes; return the model.

    Raises ValueError naming every key or shape that does not fit, and the model the checkpoint fits.
    """
    state = _load_state(path_or_state_dict)
    source, unexpected = _checkpoint_slots(state)
    if unexpected:
        raise ValueError(f"checkpoint keys {unexpected} are not conv, ECA or linear weights of the notebook's "
                         f"AlexNet; is this a model .pdparams file (not .pdopt optimizer state)?")
    target = _model_slots(model)
    _check_layer_counts(source, target)

    mapped, problems = {}, []
    params = model.state_dict()
    for kind in KINDS:
        for src, dst in zip(source[kind], target[kind]):
            for src_key, dst_key in zip(src, dst):
                value = state[src_key]
                value = value.numpy() if isinstance(value, paddle.Tensor) else np.asarray(value)
                expected = list(params[dst_key].shape)
                if list(value.shape) != expected:
                    problems.append(f"{src_key} has shape {list(value.shape)} but {dst_key} needs {expected}")
                mapped[dst_key] = value
    if problems:
        raise ValueError("checkpoint does not fit the model: " + "; ".join(problems)
                         + _hint(state, source))
    model.set_state_dict({key: paddle.to_tensor(value, dtype=params[key].dtype) for key, value in mapped.items()})
    return model


def _load_state(path_or_state_dict):
    if isinstance(path_or_state_dict, dict):
        return path_or_state_dict
    path = os.fspath(path_or_state_dict)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no checkpoint at {path!r}; pass the notebook's .pdparams file (e.g. best.pdparams)")
    state = paddle.load(path)
    if not isinstance(state, dict):
        raise ValueError(f"{path!r} holds a {type(state).__name__}, not a state dict saved with paddle.save")
    return state


def _natural_key(key):
    """Sort key putting features.2 before features.10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in str(key).split(".")]


def _checkpoint_slots(state):
    """Group the checkpoint's keys into per-layer key tuples of each kind, in layer order."""
    slots = {kind: [] for kind in KINDS}
    unexpected = []
    for key in sorted(state, key=_natural_key):
        ndim = len(getattr(state[key], "shape", ()))
        if not ndim:
            unexpected.append(key)
        elif key.endswith(".conv.weight") and ndim == 3:
            slots["eca"].append((key,))
        elif key.endswith(".weight") and ndim in (2, 4) and key[:-len("weight")] + "bias" in state:
            slots["conv" if ndim == 4 else "linear"].append((key, key[:-len("weight")] + "bias"))
        elif not (key.endswith(".bias") and key[:-len("bias")] + "weight" in state):
            unexpected.append(key)
    return slots, unexpected


def _model_slots(model):
    slots = {kind: [] for kind in KINDS}
    for name, layer in model.named_sublayers():
        if isinstance(layer, ECA):
            slots["eca"].append((f"{name}.conv.weight",))
        elif isinstance(layer, (nn.Conv2D, nn.Linear)) and layer.bias is not None:
            slots["conv" if isinstance(layer, nn.Conv2D) else "linear"].append((f"{name}.weight", f"{name}.bias"))
    filled = {key for kind in KINDS for keys in slots[kind] for key in keys}
    uncovered = [key for key in model.state_dict() if key not in filled]
    if uncovered:
        raise ValueError(f"load_notebook_weights fills AlexNet / AlexNetECA (conv, ECA and linear layers); "
                         f"{type(model).__name__} also has {uncovered}")
    return slots


def _check_layer_counts(source, target):
    eca_kernels = [key for (key,) in source["eca"]]
    if eca_kernels and not target["eca"]:
        raise ValueError(f"the checkpoint has {len(eca_kernels)} ECA kernels ({', '.join(eca_kernels)}), so it "
                         f"comes from the notebook's AlexNet-ECA, but the model has no ECA layer; "
                         f"load it into AlexNetECA")
    if target["eca"] and not eca_kernels:
        raise ValueError(f"the checkpoint has no ECA kernels (plain AlexNet) but the model has "
                         f"{len(target['eca'])} ECA layers; load it into AlexNet")
    for kind in KINDS:
        if len(source[kind]) != len(target[kind]):
            raise ValueError(f"the checkpoint has {len(source[kind])} {kind} layers "
                             f"({[keys[0] for keys in source[kind]]}) but the model has {len(target[kind])} "
                             f"({[keys[0] for keys in target[kind]]})")


def _hint(state, source):
    kernels = tuple(int(state[key].shape[-1]) for (key,) in source["eca"])
    classes = int(state[source["linear"][-1][0]].shape[-1])
    if kernels:
        return f". The checkpoint fits AlexNetECA(num_classes={classes}, kernel_sizes={kernels})"
    return f". The checkpoint fits AlexNet(num_classes={classes})"
