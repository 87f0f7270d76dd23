"""Data: CIFAR-10 lookup, checks and loading, a synthetic stand-in, transforms, mixup/cutmix."""
from .archive_format import CIFAR10_CLASSES
from .cifar10 import (ArchiveInfo, CIFAR10Subset, DatasetError, DatasetNotFoundError, describe_source, find_cifar10,
                      is_synthetic, load_cifar10, load_cifar10_holdout, load_cifar10_splits, stratified_indices,
                      validate_cifar10_archive)
from .mixup import MIX_MODES, mix_batch, mixed_loss
from .synthetic import cifar10_or_synthetic, make_synthetic_cifar10
from .transforms import IMAGENET_MEAN, IMAGENET_STD, TRANSFORM_PRESETS, build_transforms
