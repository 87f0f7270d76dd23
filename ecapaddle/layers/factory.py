"""Build any attention layer of this package by name, as timm's `create_attn`: `create_attention("eca", 64)`."""
import paddle.nn as nn

from .eca import CECA, ECA, UnitGateECA
from .eca_ns import ECANS
from .gate import ConstantGate
from .ema import EMA
from .se import SE
from .se_variants import SEGC, SEVar1, SEVar2, SEVar3

ATTENTIONS = {
    "eca": ECA, "ceca": CECA, "eca_unitgate": UnitGateECA, "eca_ns": ECANS, "se": SE, "se_var1": SEVar1,
    "se_var2": SEVar2, "se_var3": SEVar3, "se_gc": SEGC, "ema": EMA, "constant_gate": ConstantGate,
}


def list_attentions():
    """Names accepted by `create_attention`, sorted."""
    return sorted(ATTENTIONS)


def create_attention(kind, channels, **kwargs):
    """An attention layer for `channels` input channels: `ATTENTIONS[kind](channels, **kwargs)`.

    kind: a name of `list_attentions()` or a callable `kind(channels, **kwargs) -> nn.Layer`. kwargs: options
    of the layer, e.g. kernel_size=5 (ECA; also a function channels -> k), reduction=8 (SE), factor=16 (EMA).
    """
    if isinstance(kind, str):
        if kind not in ATTENTIONS:
            raise ValueError(f"unknown attention kind {kind!r}; choose one of {list_attentions()} "
                             f"or pass a callable channels -> nn.Layer")
        build = ATTENTIONS[kind]
    elif callable(kind):
        build = kind
    else:
        raise TypeError(f"kind must be an attention name or a callable channels -> nn.Layer, got {kind!r}")
    if callable(kwargs.get("kernel_size")):
        kwargs["kernel_size"] = kwargs["kernel_size"](channels)
    layer = build(channels, **kwargs)
    if not isinstance(layer, nn.Layer):
        raise TypeError(f"the attention factory returned {type(layer).__name__}, not a paddle.nn.Layer")
    return layer
