"""ecapaddle: Efficient Channel Attention (ECA-Net) for PaddlePaddle, with the AlexNet / CIFAR-10 course."""
from .runtime import apply_cpu_defaults

CPU_SETTINGS_APPLIED = apply_cpu_defaults()   # before paddle is imported below

from .layers import ECA, eca_kernel_size  # noqa: E402
from .losses import LabelSmoothingCrossEntropy  # noqa: E402
from .models import AlexNet, AlexNetECA  # noqa: E402
from .utils import count_parameters, seed_everything  # noqa: E402

__version__ = "0.1.0"
__all__ = ["ECA", "eca_kernel_size", "AlexNet", "AlexNetECA", "LabelSmoothingCrossEntropy",
           "count_parameters", "seed_everything"]
