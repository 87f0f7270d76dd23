"""Channel-attention layers, one concept per file."""
from .eca import CECA, ECA, UnitGateECA, eca_kernel_size
from .eca_ns import ECANS
from .ema import EMA
from .se import SE
from .se_variants import SEGC, SEVar1, SEVar2, SEVar3

__all__ = ["ECA", "CECA", "UnitGateECA", "eca_kernel_size", "SE", "SEVar1", "SEVar2", "SEVar3", "SEGC", "ECANS", "EMA"]
