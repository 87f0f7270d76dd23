"""Channel-attention layers, one concept per file."""
from .eca import ECA, eca_kernel_size

__all__ = ["ECA", "eca_kernel_size"]
