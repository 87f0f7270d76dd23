"""SE: Squeeze-and-Excitation (its gate base, `ChannelGate`, is in gate.py).

Hu, Shen, Sun. "Squeeze-and-Excitation Networks". CVPR 2018. https://arxiv.org/abs/1709.01507
"""
import paddle.nn as nn
import paddle.nn.functional as F

from .gate import ChannelGate, check_positive_int


class SE(ChannelGate):
    """Squeeze-and-Excitation: out = x * sigmoid(Linear(C // r, C)(ReLU(Linear(C, C // r)(y)))), y the spatial
    mean of x [N, C], r = `reduction` (paper default 16; C // r must be >= 1).

    The Linear layers have biases, as in the paper's reference models: 2 * C * (C // r) + C // r + C
    parameters (the ECA paper's Table 2 counts the weights only, 2 * C^2 / r).
    """

    def __init__(self, channels, reduction=16):
        super().__init__(channels)
        check_positive_int(reduction, "SE reduction")
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
