"""ECA-NS: ECA without weight sharing, the band-matrix variant of the ECA paper's ablation.

Wang, Wu, Zhu, Li, Zuo, Hu. "ECA-Net: Efficient Channel Attention for Deep Convolutional
Neural Networks". CVPR 2020, eq. 6-7 and Table 2 (ECA-NS, k x C parameters, ResNet-50 top-1
77.35 against 77.43 for ECA with k = 3). https://arxiv.org/abs/1910.03151
"""
import math

import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .eca import check_kernel_size, eca_kernel_size
from .gate import ChannelGate


class ECANS(ChannelGate):
    """ECA-NS: out = x * sigmoid(W_k y) with W_k a C x C band matrix whose rows have their own k weights.

    z_i = sum_j weight[i, j] * y[i - (k-1)//2 + j] with zero padding at the ends, so channel i
    interacts with its k neighbours through k weights of its own (ECA shares one kernel across
    all rows; with identical rows ECA-NS equals ECA).

    `weight` [C, k] is initialised like the Conv1D of ECA, Normal(0, sqrt(2 / k)) per entry. Without
    `kernel_size` (odd), k follows from C by ECA's adaptive rule with `gamma` and `b`.
    """

    def __init__(self, channels, kernel_size=None, gamma=2, b=1):
        super().__init__(channels)
        if kernel_size is None:
            kernel_size = eca_kernel_size(self.channels, gamma, b)
        check_kernel_size(kernel_size)
        self.kernel_size = int(kernel_size)
        self.weight = self.create_parameter(
            [self.channels, self.kernel_size],
            default_initializer=nn.initializer.Normal(0.0, math.sqrt(2.0 / self.kernel_size)))

    def excite(self, y):
        pad = (self.kernel_size - 1) // 2
        padded = F.pad(y, [0, 0, pad, pad])                                   # [N, C + 2 pad]
        windows = paddle.stack([padded[:, j:j + self.channels] for j in range(self.kernel_size)], axis=-1)
        return (windows * self.weight).sum(axis=-1)                           # [N, C, k] -> [N, C]

    def extra_repr(self):
        return f"channels={self.channels}, kernel_size={self.kernel_size}"
