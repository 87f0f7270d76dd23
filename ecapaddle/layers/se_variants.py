"""The SE variants of the ECA paper's ablation (Table 2): no dimension reduction, varying channel interaction.

Wang, Wu, Zhu, Li, Zuo, Hu. "ECA-Net: Efficient Channel Attention for Deep Convolutional
Neural Networks". CVPR 2020, section 3.2 and Table 2. https://arxiv.org/abs/1910.03151

Each variant is a `ChannelGate`, out = x * sigmoid(W y), y the spatial mean of x [N, C], with a different W:
| layer  | W                         | parameters | ResNet-50 top-1 (paper) |
|--------|---------------------------|------------|-------------------------|
| SEVar1 | identity                  | 0          | 76.00 |
| SEVar2 | diagonal                  | C          | 77.07 |
| SEVar3 | full C x C                | C^2        | 77.42 |
| SEGC   | block diagonal, G blocks  | C^2 / G    | 76.95 / 76.98 / 76.96 (SE-GC1/2/3) |
None has a bias, so the parameter counts are exactly the paper's formulas. The ECA-NS variant
(a band matrix with unshared rows) is in eca_ns.py.
"""
import paddle.nn as nn

from .gate import ChannelGate, check_positive_int


class SEVar1(ChannelGate):
    """SE-Var1: out = x * sigmoid(y); no parameters (`channels` is checked against the input)."""

    def excite(self, y):
        return y


class SEVar2(ChannelGate):
    """SE-Var2: out = x * sigmoid(w * y), one weight per channel (C parameters), starting at 1 (SE-Var1)."""

    def __init__(self, channels):
        super().__init__(channels)
        self.weight = self.create_parameter([self.channels], default_initializer=nn.initializer.Constant(1.0))

    def excite(self, y):
        return y * self.weight


class SEVar3(ChannelGate):
    """SE-Var3: out = x * sigmoid(y W), one fully connected layer C -> C without bias (C^2 parameters)."""

    def __init__(self, channels):
        super().__init__(channels)
        self.fc = nn.Linear(self.channels, self.channels, bias_attr=False)

    def excite(self, y):
        return self.fc(y)


class SEGC(ChannelGate):
    """SE-GC: out = x * sigmoid(GC_G(y)), a grouped 1x1 convolution over the channels (C^2 / G parameters).

    W is block diagonal: G = `groups` (default 16) independent (C/G x C/G) blocks, or C / `group_size`
    blocks. The paper's Table 2 uses SE-GC1 = 16 groups (`groups=16`), SE-GC2 = C/16 groups (`group_size=16`)
    and SE-GC3 = C/8 groups (`group_size=8`).
    """

    def __init__(self, channels, groups=None, group_size=None):
        super().__init__(channels)
        if groups is not None and group_size is not None:
            raise ValueError("SEGC takes groups=G or group_size=C/G, not both")
        if group_size is not None:
            _check_divisor(group_size, self.channels, "group_size")
            groups = self.channels // group_size
        elif groups is None:
            groups = 16
        _check_divisor(groups, self.channels, "groups")
        self.groups = int(groups)
        self.conv = nn.Conv1D(self.channels, self.channels, 1, groups=self.groups, bias_attr=False)

    def excite(self, y):
        return self.conv(y.unsqueeze(-1)).squeeze(-1)       # [N, C, 1] -> [N, C]

    def extra_repr(self):
        return f"channels={self.channels}, groups={self.groups}"


def _check_divisor(value, channels, name):
    check_positive_int(value, f"SEGC {name}")
    if channels % value:
        divisors = [d for d in range(1, channels + 1) if channels % d == 0]
        raise ValueError(f"SEGC {name} must be a divisor of channels={channels}, got {value!r}; "
                         f"divisors of {channels}: {divisors}")
