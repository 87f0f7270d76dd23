"""Models: the AlexNet family of the course notebook."""
from .alexnet import AlexNet, AlexNetECA

__all__ = ["AlexNet", "AlexNetECA"]
