"""Put channel attention (ECA, SE, EMA, ...) into an existing Paddle model, in place.

Placement follows the ECA paper (Wang et al., CVPR 2020, section 4.1): in a residual block after the
block's last BatchNorm, before the residual addition; in MobileNetV2 after each projection BatchNorm.
"""
import numbers

import paddle.nn as nn
from paddle.vision.models import VGG
from paddle.vision.models.mobilenetv2 import InvertedResidual
from paddle.vision.models.resnet import BasicBlock, BottleneckBlock

from ..layers import create_attention

NORMS_AND_CONVS = (nn.BatchNorm1D, nn.BatchNorm2D, nn.BatchNorm3D, nn.SyncBatchNorm, nn.GroupNorm,
                   nn.Conv1D, nn.Conv2D, nn.Conv3D)
SUPPORTED_ARCHITECTURES = (
    "paddle.vision.models ResNet (BasicBlock: after bn2, BottleneckBlock: after bn3)",
    "paddle.vision.models MobileNetV2 (InvertedResidual: after the projection BatchNorm)",
    "paddle.vision.models VGG (after each convolution's ReLU)",
)


def mobilenet_v2_kernel_size(channels):
    """ECA-MobileNetV2's kernel size, to pass as kernel_size=: k = 1 for C < 96, else 3, as the paper states
    it (the released code tests `c <= 96`, so its three 96-channel blocks get k = 1 as well)."""
    return 1 if channels < 96 else 3


def add_attention(model, kind="eca", where=None, **kwargs):
    """Insert an attention layer at every standard place of `model`, in place, and return the model.

    Known architectures, found by their blocks: ResNet blocks get the attention after their last BatchNorm
    (`bn2` / `bn3` becomes Sequential(bn, attention), so its parameters move to `bn2.0.*`: load pretrained
    weights before); MobileNetV2 blocks at the end of their `conv`; VGG after each convolution's ReLU.

    Args:
        kind, **kwargs: the attention, as for `ecapaddle.layers.create_attention` (e.g. "eca", kernel_size=5).
        where: for any other model, the places after which to insert attention: a list of sublayer names
            (channels read from the layer's BatchNorm / Conv weight), or a predicate
            `where(name, layer) -> channels (int) | True (read them) | None (skip)`.

    `model._ecapaddle_attention` lists the names of the new layers.
    """
    if not isinstance(model, nn.Layer):
        raise TypeError(f"add_attention expects a paddle.nn.Layer, got {type(model).__name__}")
    if getattr(model, "_ecapaddle_attention", None):
        raise ValueError(f"this model already has attention layers ({len(model._ecapaddle_attention)}, "
                         f"first {model._ecapaddle_attention[0]!r}); build a fresh model to add another kind")
    places = _selected_places(model, where) if where is not None else _standard_places(model)
    # Build every layer before touching the model, so that a bad channel count leaves it unchanged.
    layers = [(place, create_attention(kind, channels, **kwargs)) for place, channels in places]
    names = []
    for place, layer in layers:
        if not model.training:
            layer.eval()
        names.append(place(layer))
    model._ecapaddle_attention = names
    return model


def _standard_places(model):
    """[(insert(layer) -> name, channels)] for the architectures add_attention knows."""
    sublayers = list(model.named_sublayers(include_self=True))
    if any(isinstance(layer, (BasicBlock, BottleneckBlock)) for _, layer in sublayers):
        return [_wrap(model, _join(name, "bn2" if isinstance(block, BasicBlock) else "bn3"))
                for name, block in sublayers if isinstance(block, (BasicBlock, BottleneckBlock))]
    if any(isinstance(layer, InvertedResidual) for _, layer in sublayers):
        return [_append(block.conv, _join(name, "conv"), _num_channels(block.conv[-1]))
                for name, block in sublayers if isinstance(block, InvertedResidual)]
    if isinstance(model, VGG):
        return _vgg_places(model)
    raise ValueError(
        f"add_attention does not know where to put attention in {type(model).__name__}. Supported: "
        + "; ".join(SUPPORTED_ARCHITECTURES)
        + ". For any other model pass where=[sublayer names] or where=lambda name, layer: channels or None. "
          "(ecapaddle's AlexNet takes attention directly: AlexNet(attention='eca') or AlexNetECA.)")


def _vgg_places(model):
    places, channels = [], None
    for index, layer in enumerate(model.features):
        if isinstance(layer, nn.Conv2D):
            channels = layer.weight.shape[0]
        elif isinstance(layer, nn.ReLU) and channels is not None:
            places.append(_wrap(model, f"features.{index}", channels))
            channels = None
    return places


def _selected_places(model, where):
    sublayers = dict(model.named_sublayers())
    if callable(where):
        picked = []
        for name, layer in sublayers.items():
            channels = where(name, layer)
            if channels is None or channels is False:
                continue
            picked.append((name, None if channels is True else channels))
        if not picked:
            raise ValueError("the where= predicate selected no sublayer (it returned None for all of them)")
    elif isinstance(where, (list, tuple)) and where and all(isinstance(n, str) for n in where):
        unknown = [n for n in where if n not in sublayers]
        if unknown:
            raise ValueError(f"where= names {unknown} are not sublayers of {type(model).__name__}; "
                             f"its sublayers are {list(sublayers)}")
        picked = [(name, None) for name in where]
    else:
        raise TypeError(f"where must be a non-empty list of sublayer names or a predicate "
                        f"(name, layer) -> channels | None, got {where!r}")
    return [_wrap(model, name, channels) for name, channels in picked]


def _wrap(model, name, channels=None):
    """Place that replaces sublayer `name` by Sequential(sublayer, attention)."""
    parent_name, _, child = name.rpartition(".")
    parent = dict(model.named_sublayers(include_self=True))[parent_name]
    target = getattr(parent, child)
    if channels is None:
        channels = _num_channels(target, name)
    elif isinstance(channels, bool) or not isinstance(channels, numbers.Integral) or channels < 1:
        raise ValueError(f"where= gave channels={channels!r} for {name!r}; it must be a positive int, True or None")

    def insert(attention):
        setattr(parent, child, nn.Sequential(target, attention))
        return f"{name}.1"

    return insert, channels


def _append(sequential, name, channels):
    """Place that appends the attention at the end of `sequential`."""
    def insert(attention):
        index = str(len(sequential))
        sequential.add_sublayer(index, attention)
        return f"{name}.{index}"

    return insert, channels


def _num_channels(layer, name=None):
    """Output channels of a BatchNorm / GroupNorm / convolution layer."""
    if isinstance(layer, NORMS_AND_CONVS) and layer.weight is not None:
        return int(layer.weight.shape[0])
    raise ValueError(f"cannot tell the channel count of sublayer {name!r} ({type(layer).__name__}); "
                     f"pass where=lambda name, layer: C if name == {name!r} else None")


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name
