"""ecapaddle: Efficient Channel Attention (ECA-Net) for PaddlePaddle, with the AlexNet / CIFAR-10 course."""
import warnings

from . import runtime  # noqa: F401  (first: it reads OMP_NUM_THREADS before Paddle's import sets it)

try:
    with warnings.catch_warnings():     # Paddle warns at import that ccache (for C++ extensions) is missing
        warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
        import paddle  # noqa: F401
except ModuleNotFoundError as error:
    if error.name != "paddle":
        raise
    raise ImportError("ecapaddle needs PaddlePaddle, which is not installed: run `pip install paddlepaddle` (CPU) "
                      "or `pip install paddlepaddle-gpu` (GPU; pick the CUDA build at "
                      "https://www.paddlepaddle.org.cn/install)") from None

from .data import (CIFAR10_CLASSES, DatasetError, DatasetNotFoundError, build_transforms,
                   describe_source, find_cifar10, is_synthetic, load_cifar10, make_synthetic_cifar10)
from .engine import TrainConfig, evaluate, load_checkpoint, load_history, train
from .export import create_predictor, export_model, load_exported, predict_images
from .layers import (CECA, ECA, ECANS, EMA, SE, SEGC, ConstantGate, SEVar1, SEVar2, SEVar3, UnitGateECA,
                     create_attention, eca_kernel_size, list_attentions)
from .losses import LabelSmoothingCrossEntropy
from .models import AlexNet, AlexNetECA, add_attention, create, list_models, load_notebook_weights
from .recipes import RECIPES, Recipe, get_recipe
from .runtime import set_num_threads, use_all_cores
from ._version import __version__  # noqa: F401
from .utils import count_parameters, seed_everything
