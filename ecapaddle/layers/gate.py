"""The pooled channel gate that SE, its variants, ECA-NS and ECA share, and the input checks of the layers.

out = x * sigmoid(excite(pool(x))): `pool` averages over the spatial axes with Paddle's adaptive
average pooling, [N, C, *spatial] -> [N, C], and each layer defines `excite`, [N, C] -> [N, C].
"""
import numbers

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

# Not x.mean(axis=[2, 3]): in Paddle 3.3 the CPU backward of a mean over two axes is ~15x slower, and
# under Paddle Inference (oneDNN) it made AlexNet-ECA 3x slower (benchmarks/README.md).
ADAPTIVE_AVG_POOL = {3: F.adaptive_avg_pool1d, 4: F.adaptive_avg_pool2d, 5: F.adaptive_avg_pool3d}
LAYOUTS = {3: "[N, C, L]", 4: "[N, C, H, W]", 5: "[N, C, D, H, W]"}


def check_channels(channels, layer_name):
    """Raise a clear error unless `channels` is a positive int."""
    if isinstance(channels, bool) or not isinstance(channels, numbers.Integral) or channels < 1:
        raise ValueError(f"{layer_name} needs channels=C, a positive int; got {channels!r}")


def check_feature_map(x, channels, layer_name, ranks=(3, 4, 5)):
    """Raise a clear error unless x is a floating-point [N, C, *spatial] tensor with C = channels."""
    if x.ndim not in ranks:
        expected = " or ".join(LAYOUTS[r] for r in ranks)
        raise ValueError(
            f"{layer_name} expects a tensor {expected}; got rank {x.ndim} with shape {list(x.shape)}. "
            f"Add a batch axis with x.unsqueeze(0) for a single sample.")
    if not paddle.is_floating_point(x):
        raise TypeError(f"{layer_name} expects a floating-point tensor, got {x.dtype}; "
                        f"convert with x.astype('float32')")
    if x.shape[1] not in (channels, -1):
        raise ValueError(f"{layer_name} was built for {channels} channels but the input has {x.shape[1]} "
                         f"(shape {list(x.shape)}); build it with channels={x.shape[1]}")


def average_pool(x):
    """Mean over the spatial axes: [N, C, *spatial] -> [N, C]."""
    return ADAPTIVE_AVG_POOL[x.ndim](x, 1).flatten(1)


class ChannelGate(nn.Layer):
    """out = x * sigmoid(excite(average_pool(x))), the pattern of SE, its ablation variants, ECA-NS and ECA.

    Subclasses define `excite`, a map from the pooled descriptor y [N, C] to logits [N, C], and may
    override `check_input`.

    Args:
        channels: number of input channels C (a positive int). Subclasses whose class attribute
            `any_channels` is True also take None: a gate for any C (ECA built from k alone).

    Shapes: input [N, C, L], [N, C, H, W] or [N, C, D, H, W]; output the same shape.
    """

    any_channels = False

    def __init__(self, channels):
        super().__init__()
        if channels is not None or not self.any_channels:
            check_channels(channels, type(self).__name__)
        self.channels = None if channels is None else int(channels)

    def excite(self, y):
        raise NotImplementedError

    def check_input(self, x):
        check_feature_map(x, self.channels, type(self).__name__)

    def attention(self, x):
        """The channel weights sigmoid(excite(pool(x))), shape [N, C, 1, ...] (broadcastable to x)."""
        self.check_input(x)
        return self.attention_from_pooled(average_pool(x), x.ndim)

    def attention_from_pooled(self, pooled, ndim):
        """The channel weights from the spatial means `pooled` [N, C] of a rank-`ndim` input: [N, C, 1, ...]."""
        # 0 copies the batch size: no Python ints from x.shape, so exported graphs keep it dynamic
        return F.sigmoid(self.excite(pooled)).reshape([0, -1] + [1] * (ndim - 2))

    def forward(self, x):
        return x * self.attention(x)

    def extra_repr(self):
        return f"channels={self.channels}"


class ConstantGate(nn.Layer):
    """A control, not attention: out = x * value for every channel and image, with no parameter.

    A freshly built ECA gates every channel by about sigmoid(0) = 0.5. A network whose stages are all
    scaled by 0.5 and that has no attention shows how much of a comparison comes from that scale alone.

    Args:
        channels: ignored (accepted so that `create_attention("constant_gate", C)` works like the others).
        value: the constant gate (default 0.5, an untrained ECA's).

    Shapes: any input; output the same shape.
    """

    def __init__(self, channels=None, value=0.5):
        super().__init__()
        self.value = float(value)

    def forward(self, x):
        return x * self.value

    def extra_repr(self):
        return f"value={self.value}"

