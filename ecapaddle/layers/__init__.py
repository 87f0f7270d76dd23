"""Channel-attention layers, one concept per file; `create_attention(name, channels)` builds any of them."""
from .eca import CECA, ECA, UnitGateECA, eca_kernel_size
from .eca_ns import ECANS
from .ema import EMA
from .factory import ATTENTIONS, create_attention, list_attentions
from .gate import ChannelGate, ConstantGate
from .se import SE
from .se_variants import SEGC, SEVar1, SEVar2, SEVar3
