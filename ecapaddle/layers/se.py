"""SE: Squeeze-and-Excitation, and the pooled channel gate that SE, its variants and ECA share.

Hu, Shen, Sun. "Squeeze-and-Excitation Networks". CVPR 2018. https://arxiv.org/abs/1709.01507
"""
import numbers

import paddle
import paddle.nn as nn
import paddle.nn.functional as F


def check_channels(channels, layer_name):
    """Raise a clear error unless `channels` is a positive int."""
    if isinstance(channels, bool) or not isinstance(channels, numbers.Integral) or channels < 1:
        raise ValueError(f"{layer_name} needs channels=C, a positive int; got {channels!r}")


def check_feature_map(x, channels, layer_name, ranks=(3, 4, 5)):
    """Raise a clear error unless x is a floating-point [N, C, *spatial] tensor with C = channels."""
    if x.ndim not in ranks:
        layouts = {3: "[N, C, L]", 4: "[N, C, H, W]", 5: "[N, C, D, H, W]"}
        expected = " or ".join(layouts[r] for r in ranks)
        raise ValueError(
            f"{layer_name} expects a tensor {expected}; got rank {x.ndim} with shape {list(x.shape)}. "
            f"Add a batch axis with x.unsqueeze(0) for a single sample.")
    if not paddle.is_floating_point(x):
        raise TypeError(f"{layer_name} expects a floating-point tensor, got {x.dtype}; "
                        f"convert with x.astype('float32')")
    if x.shape[1] not in (channels, -1):
        raise ValueError(f"{layer_name} was built for {channels} channels but the input has {x.shape[1]} "
                         f"(shape {list(x.shape)}); build it with channels={x.shape[1]}")


class ChannelGate(nn.Layer):
    """The pattern shared by SE, its ablation variants and ECA: out = x * sigmoid(excite(pool(x))).

    Subclasses define `excite`, a map from the pooled descriptor y [N, C] to logits [N, C].

    Args:
        channels: number of input channels C.

    Shapes: input [N, C, L], [N, C, H, W] or [N, C, D, H, W]; output the same shape.
    """

    def __init__(self, channels):
        super().__init__()
        check_channels(channels, type(self).__name__)
        self.channels = int(channels)

    def excite(self, y):
        raise NotImplementedError

    def attention(self, x):
        """The channel weights sigmoid(excite(pool(x))), shape [N, C, 1, ...] (broadcastable to x)."""
        check_feature_map(x, self.channels, type(self).__name__)
        pooled = x.mean(axis=list(range(2, x.ndim)), keepdim=True)         # [N, C, 1, ...]
        logits = self.excite(pooled.reshape([-1, self.channels]))           # [N, C]
        return F.sigmoid(logits).reshape(pooled.shape)

    def forward(self, x):
        return x * self.attention(x)

    def extra_repr(self):
        return f"channels={self.channels}"


class SE(ChannelGate):
    """Squeeze-and-Excitation (Hu et al., CVPR 2018).

    y = mean of x over the spatial axes [N, C] -> Linear(C, C // r) -> ReLU -> Linear(C // r, C)
    -> sigmoid -> out = x * y[:, :, None, None].

    The two fully connected layers are `paddle.nn.Linear` with biases, as in the paper's
    reference models: 2 * C * (C // r) + C // r + C parameters (the ECA paper's Table 2 counts
    the weights only, 2 * C^2 / r).

    Args:
        channels: number of input channels C.
        reduction: reduction ratio r (paper default 16); the hidden width is C // r and must be >= 1.

    Shapes: input [N, C, L], [N, C, H, W] or [N, C, D, H, W]; output the same shape.
    """

    def __init__(self, channels, reduction=16):
        super().__init__(channels)
        if isinstance(reduction, bool) or not isinstance(reduction, numbers.Integral) or reduction < 1:
            raise ValueError(f"SE reduction must be a positive int, got {reduction!r}")
        hidden = self.channels // reduction
        if hidden < 1:
            raise ValueError(f"SE with {self.channels} channels and reduction={reduction} has no hidden units "
                             f"(C // r = 0); use reduction <= {self.channels}")
        self.reduction = int(reduction)
        self.fc1 = nn.Linear(self.channels, hidden)
        self.fc2 = nn.Linear(hidden, self.channels)

    def excite(self, y):
        return self.fc2(F.relu(self.fc1(y)))

    def extra_repr(self):
        return f"channels={self.channels}, reduction={self.reduction}"
