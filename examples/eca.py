"""ECA, Efficient Channel Attention, in plain Paddle: a layer to copy into your own model.

Wang, Wu, Zhu, Li, Zuo, Hu. "ECA-Net: Efficient Channel Attention for Deep Convolutional
Neural Networks". CVPR 2020. https://arxiv.org/abs/1910.03151
"""
import math

import paddle
import paddle.nn.functional as F


class ECA(paddle.nn.Layer):
    """out = x * sigmoid(conv(mean of x over H, W)); x and out [N, C, H, W].

    `conv` is a 1-D convolution along the channel axis: one shared odd kernel of size k, zero
    padding (k - 1) // 2, no bias; its k weights load from `ecapaddle.ECA`'s state dict and back.

    Args:
        channels: C; without kernel_size, k = |(log2(C) + b) / gamma|_odd (the paper's eq. 12).
        kernel_size: an odd k instead of the adaptive rule.
        gamma, b: the adaptive rule's constants (the paper's 2 and 1).
    """

    def __init__(self, channels=None, kernel_size=None, gamma=2, b=1):
        super().__init__()
        if kernel_size is None:
            t = int(abs((math.log2(channels) + b) / gamma))
            kernel_size = t if t % 2 else t + 1
        self.conv = paddle.nn.Conv1D(1, 1, kernel_size, padding=(kernel_size - 1) // 2, bias_attr=False)

    def forward(self, x):
        y = F.adaptive_avg_pool2d(x, 1).flatten(1)              # [N, C]
        y = self.conv(y.unsqueeze(1)).squeeze(1)                # [N, 1, C] -> [N, C]
        return x * F.sigmoid(y).unsqueeze([2, 3])               # gate [N, C, 1, 1]
