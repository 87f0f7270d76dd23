"""The pooled channel gate shared by SE, its variants, ECA-NS and ECA, and the layers' argument and input checks."""
import numbers

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

# Adaptive average pooling rather than x.mean(axis=[2, 3]): Paddle's CPU backward of a mean over several
# axes, and its oneDNN kernel under Paddle Inference, are much slower (measured in benchmarks/README.md).
ADAPTIVE_AVG_POOL = {3: F.adaptive_avg_pool1d, 4: F.adaptive_avg_pool2d, 5: F.adaptive_avg_pool3d}
LAYOUTS = {3: "[N, C, L]", 4: "[N, C, H, W]", 5: "[N, C, D, H, W]"}


def check_positive_int(value, name):
    """Raise TypeError unless `value` is an int (a bool is not), ValueError if it is below 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value}")


def check_feature_map(x, channels, layer_name, ranks=(3, 4, 5)):
    """Raise a clear error unless x is a floating-point [N, C, *spatial] tensor of one of `ranks`.

    C must equal `channels` unless `channels` is None (a layer for any C).
    """
    if x.ndim not in ranks:
        *others, last = [LAYOUTS[rank] for rank in ranks]
        expected = f"{', '.join(others)} or {last}" if others else last
        raise ValueError(
            f"{layer_name} expects a tensor {expected}; got rank {x.ndim} with shape {list(x.shape)}. "
            f"Add a batch axis with x.unsqueeze(0) for a single sample.")
    if not paddle.is_floating_point(x):
        raise TypeError(f"{layer_name} expects a floating-point tensor, got {x.dtype}; "
                        f"convert with x.astype('float32')")
    if channels is not None and x.shape[1] not in (channels, -1):
        raise ValueError(f"{layer_name} was built for {channels} channels but the input has {x.shape[1]} "
                         f"(shape {list(x.shape)}); build it with channels={x.shape[1]}")


def average_pool(x):
    """Mean over the spatial axes: [N, C, *spatial] -> [N, C]."""
    return ADAPTIVE_AVG_POOL[x.ndim](x, 1).flatten(1)


class ChannelGate(nn.Layer):
    """out = x * gate(excite(average_pool(x))), the pattern of SE, its ablation variants, ECA-NS and ECA.

    Subclasses define `excite`, the pooled descriptor y [N, C] -> logits [N, C], and may override `gate`, the
    logits -> the channel weights (sigmoid by default). `channels`: C, or None (any C) where `any_channels`.
    Input [N, C, L], [N, C, H, W] or [N, C, D, H, W]; output the same shape.
    """

    any_channels = False

    def __init__(self, channels):
        super().__init__()
        if channels is not None or not self.any_channels:
            check_positive_int(channels, f"{type(self).__name__} channels")
        self.channels = None if channels is None else int(channels)

    def excite(self, y):
        raise NotImplementedError

    def gate(self, logits):
        """The channel weights sigmoid(logits), in (0, 1): [N, C] -> [N, C]."""
        return F.sigmoid(logits)

    def attention(self, x):
        """The channel weights gate(excite(average_pool(x))), shape [N, C, 1, ...] (broadcastable to x)."""
        check_feature_map(x, self.channels, type(self).__name__)
        weights = self.gate(self.excite(average_pool(x)))                     # [N, C]
        # 0 copies the batch size: no Python ints from x.shape, so exported graphs keep it dynamic
        return weights.reshape([0, -1] + [1] * (x.ndim - 2))

    def forward(self, x):
        return x * self.attention(x)

    def extra_repr(self):
        return f"channels={self.channels}"


class ConstantGate(nn.Layer):
    """A control, not attention: out = x * value for every channel and image, with no parameter.

    A freshly built ECA gates every channel by about sigmoid(0) = 0.5 (the default `value`): a network
    whose stages are all scaled by 0.5 shows how much of a comparison comes from that scale alone.
    `channels` is ignored (accepted so that `create_attention("constant_gate", C)` works like the others).
    """

    def __init__(self, channels=None, value=0.5):
        super().__init__()
        self.value = float(value)

    def forward(self, x):
        return x * self.value

    def extra_repr(self):
        return f"value={self.value}"
