"""ecapaddle: Efficient Channel Attention (ECA-Net) for PaddlePaddle, with the AlexNet / CIFAR-10 course."""
import warnings

from .runtime import apply_cpu_defaults

# Paddle warns at import that ccache (for building C++ extensions) is missing; irrelevant here.
warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)

CPU_SETTINGS_APPLIED = apply_cpu_defaults()   # before paddle is imported below

from .data import (CIFAR10_CLASSES, DatasetError, DatasetNotFoundError, build_transforms,  # noqa: E402
                   describe_source, find_cifar10, is_synthetic, load_cifar10, make_synthetic_cifar10)
from .engine import TrainConfig, evaluate, load_checkpoint, load_history, predict, train  # noqa: E402
from .export import create_predictor, export_model, load_exported, predict_images  # noqa: E402
from .layers import CECA, ECA, ECANS, EMA, SE, SEGC, SEVar1, SEVar2, SEVar3, eca_kernel_size  # noqa: E402
from .losses import LabelSmoothingCrossEntropy  # noqa: E402
from .models import AlexNet, AlexNetECA, add_attention, create, list_models, load_notebook_weights  # noqa: E402
from .utils import count_parameters, seed_everything  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    # layers
    "ECA", "CECA", "ECANS", "SE", "SEVar1", "SEVar2", "SEVar3", "SEGC", "EMA", "eca_kernel_size",
    # models
    "AlexNet", "AlexNetECA", "add_attention", "create", "list_models", "load_notebook_weights",
    "LabelSmoothingCrossEntropy", "count_parameters", "seed_everything",
    # data
    "CIFAR10_CLASSES", "find_cifar10", "load_cifar10", "make_synthetic_cifar10", "build_transforms",
    "describe_source", "is_synthetic", "DatasetError", "DatasetNotFoundError",
    # training, evaluation, export
    "TrainConfig", "train", "evaluate", "predict", "load_checkpoint", "load_history",
    "export_model", "load_exported", "create_predictor", "predict_images",
]
