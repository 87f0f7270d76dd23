"""Models: the AlexNet family of the course notebook, attention injection, a name registry."""
from .alexnet import AlexNet, AlexNetECA
from .inject import add_attention, mobilenet_v2_kernel_size
from .migrate import load_notebook_weights
from .registry import create, list_models
