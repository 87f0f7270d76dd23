"""EMA: Efficient Multi-scale Attention with cross-spatial learning.

Ouyang et al. "Efficient Multi-Scale Attention Module with Cross-Spatial Learning". ICASSP 2023.
https://arxiv.org/abs/2305.13563; follows the authors' PyTorch EmaModule (github.com/YOLOonMe/EMA-attention-module).
"""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from .gate import check_feature_map, check_positive_int


class EMA(nn.Layer):
    """Efficient Multi-scale Attention (Ouyang et al., ICASSP 2023).

    The C channels are split into G = `factor` groups of C/G channels, folded into the batch
    (x -> g [N*G, C/G, H, W]); every group is processed with the same weights:

    1. 1x1 branch: pool g along W ([.., H, 1]) and along H ([.., 1, W]), run both through one
       shared 1x1 conv, gate g with the two sigmoids, then GroupNorm(C/G groups) -> x1.
    2. 3x3 branch: x2 = conv3x3(g).
    3. Cross-spatial learning: softmax over channels of the global mean of x1 weights the
       pixels of x2, and vice versa; the two [H, W] maps are summed -> w [N*G, 1, H, W].
    4. out = g * sigmoid(w), unfolded back to [N, C, H, W].

    `channels` C must be a multiple of `factor` G (paper default 32). Input [N, C, H, W]; output the same shape.
    """

    def __init__(self, channels, factor=32):
        super().__init__()
        check_positive_int(channels, "EMA channels")
        check_positive_int(factor, "EMA factor (the number of groups)")
        if channels % factor:
            fitting = max(d for d in range(1, factor + 1) if channels % d == 0)
            raise ValueError(
                f"EMA splits the channels into factor={factor} groups, so channels must be a multiple of it; "
                f"got channels={channels}. Use a factor that divides {channels}, e.g. factor={fitting}")
        self.channels = int(channels)
        self.groups = int(factor)
        group_channels = self.channels // self.groups
        self.conv1x1 = nn.Conv2D(group_channels, group_channels, 1)
        self.conv3x3 = nn.Conv2D(group_channels, group_channels, 3, padding=1)
        self.gn = nn.GroupNorm(group_channels, group_channels)

    def forward(self, x):
        check_feature_map(x, self.channels, "EMA", ranks=(4,))
        h, w = x.shape[2], x.shape[3]
        g = x.reshape([-1, self.channels // self.groups, h, w])                  # [N*G, C/G, H, W]
        pooled_h = g.mean(axis=3, keepdim=True)                                  # [N*G, C/G, H, 1]
        pooled_w = g.mean(axis=2, keepdim=True).transpose([0, 1, 3, 2])          # [N*G, C/G, W, 1]
        gates = self.conv1x1(paddle.concat([pooled_h, pooled_w], axis=2))
        gate_h, gate_w = paddle.split(gates, [h, w], axis=2)
        x1 = self.gn(g * F.sigmoid(gate_h) * F.sigmoid(gate_w.transpose([0, 1, 3, 2])))
        x2 = self.conv3x3(g)
        weights = (_channel_softmax(x1).matmul(x2.flatten(2))
                   + _channel_softmax(x2).matmul(x1.flatten(2)))                 # [N*G, 1, H*W]
        return (g * F.sigmoid(weights.reshape([-1, 1, h, w]))).reshape(x.shape)

    def extra_repr(self):
        return f"channels={self.channels}, factor={self.groups}"


def _channel_softmax(x):
    """Softmax over the channels of the global spatial mean: [B, C, H, W] -> [B, 1, C]."""
    return F.softmax(x.mean(axis=[2, 3]), axis=-1).unsqueeze(1)
