"""ECA: Efficient Channel Attention.

Wang, Wu, Zhu, Li, Zuo, Hu. "ECA-Net: Efficient Channel Attention for Deep
Convolutional Neural Networks". CVPR 2020. https://arxiv.org/abs/1910.03151
"""
import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .gate import ChannelGate, check_positive_int

PADDINGS = ("zeros", "circular")


def eca_kernel_size(channels, gamma=2, b=1):
    """The paper's adaptive kernel size k = psi(C) = |(log2(C) + b) / gamma|_odd (eq. 12).

    t = int(|(log2(C) + b) / gamma|), k = t if t is odd else t + 1.
    Examples with gamma=2, b=1: 64 -> 3, 128 -> 5, 256 -> 5, 512 -> 5, 2048 -> 7.
    Unlike timm, k is not clamped to 3: very small C gives k = 1.
    """
    check_positive_int(channels, "channels")
    if gamma <= 0:
        raise ValueError(f"gamma must be positive, got {gamma!r}")
    t = int(abs((math.log2(channels) + b) / gamma))
    return t if t % 2 else t + 1


def check_kernel_size(kernel_size):
    """Raise TypeError unless kernel_size is an int, ValueError unless it is positive and odd."""
    check_positive_int(kernel_size, "kernel_size")
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be a positive odd int so that the zero padding (k-1)//2 keeps the "
            f"channel count, got {kernel_size}; use an odd size such as {kernel_size + 1}, "
            f"or pass channels=C to derive it with the adaptive rule")


class ECA(ChannelGate):
    """Efficient Channel Attention (ECA-Net, CVPR 2020).

    For x of shape [N, C, *spatial] (spatial = (L,), (H, W) or (D, H, W)):

    1. y = mean of x over the spatial axes        -> [N, C]   (no dimensionality reduction)
    2. y = 1-D convolution of y along the channel axis with one shared kernel of odd size k,
       zero padding (k - 1) // 2, no bias         -> [N, C]
       (equivalently y @ B.T, B a C x C band matrix whose rows hold the same k weights)
    3. out = x * sigmoid(y)[:, :, None, ...]      -> [N, C, *spatial]

    The layer has exactly k parameters (`conv.weight`, shape [1, 1, k]); the sub-layer name
    `conv` matches the official code and the AI Studio notebook, so their weights load directly.

    Args:
        channels: number of input channels C. Used to derive k by the adaptive rule when
            `kernel_size` is None, and to check the input's channel count.
        kernel_size: odd k, the number of neighbouring channels each channel interacts with.
            Overrides the adaptive rule.
        gamma, b: parameters of the adaptive rule `eca_kernel_size` (paper defaults 2 and 1).
        padding: "zeros" (the paper's zero padding, default) or "circular" (CECA, as timm's
            CecaModule: the channel axis wraps around, so the first and last channels are
            neighbours and every channel sees k real inputs). The parameters are the same.

    Shapes: input [N, C, L], [N, C, H, W] or [N, C, D, H, W]; output the same shape.
    """

    any_channels = True

    def __init__(self, channels=None, kernel_size=None, gamma=2, b=1, padding="zeros"):
        super().__init__(channels)
        if padding not in PADDINGS:
            raise ValueError(f"ECA padding must be one of {PADDINGS}, got {padding!r}")
        if kernel_size is None:
            if channels is None:
                raise ValueError("ECA needs kernel_size=k (odd) or channels=C to derive k with the adaptive rule")
            kernel_size = eca_kernel_size(self.channels, gamma, b)
        check_kernel_size(kernel_size)
        self.kernel_size = int(kernel_size)
        self.padding = padding
        self.conv = nn.Conv1D(1, 1, self.kernel_size, padding=(self.kernel_size - 1) // 2,
                              padding_mode=padding, bias_attr=False)

    def excite(self, y):
        """The 1-D convolution along the channels: y [N, C] -> logits [N, C]."""
        return self.conv(y.unsqueeze(1)).squeeze(1)                         # [N, 1, C] -> [N, C]

    def extra_repr(self):
        circular = ", padding='circular'" if self.padding == "circular" else ""
        return f"channels={self.channels}, kernel_size={self.kernel_size}{circular}"


class CECA(ECA):
    """Circular ECA: `ECA(..., padding="circular")`, the variant timm calls CecaModule.

    Args and shapes as for `ECA`; `conv.weight` has the same [1, 1, k] layout, so ECA
    weights load into CECA and back.
    """

    def __init__(self, channels=None, kernel_size=None, gamma=2, b=1):
        super().__init__(channels, kernel_size, gamma, b, padding="circular")


class UnitGateECA(ECA):
    """ECA whose gate starts at 1: out = x * 2 * sigmoid(conv(pool(x))), conv weights initialised to 0.

    A control for the AlexNet experiment: a freshly built ECA gates every channel by about
    sigmoid(0) = 0.5, which halves the activations of each stage of a network without BatchNorm.
    This form has the same k parameters and weight layout as `ECA`, but at initialisation its gate
    is exactly 1, so a network using it computes the same function as the network without
    attention; any difference after training comes from what the gate learns.

    Args and shapes as for `ECA`.
    """

    def __init__(self, channels=None, kernel_size=None, gamma=2, b=1, padding="zeros"):
        super().__init__(channels, kernel_size, gamma, b, padding)
        self.conv.weight.set_value(paddle.zeros_like(self.conv.weight))

    def gate(self, logits):
        """The channel weights 2 * sigmoid(logits), in (0, 2): exactly 1 where the logits are 0."""
        return 2.0 * F.sigmoid(logits)
