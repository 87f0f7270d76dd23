"""Per-image transforms for CIFAR-10 at the model's input size, built from paddle.vision.transforms.

Presets (`TRANSFORM_PRESETS`): "notebook", the AI Studio course notebook's augmentation, and "fast", cheap
augmentation for CPU runs; both test with Resize(size). The notebook also listed paddlex.transforms.MixupImage
after RandomRotation; in PaddleX 2.x it returns a single (non-sequence) sample unchanged, so it did nothing
and the published results were obtained without mixup. It is left out here (mixup.py has real batch-level mixup).

"ToTensor -> Normalize(mean, std)" is done as Transpose (HWC -> CHW) -> Normalize(255 * mean, 255 * std): the
same numbers as a numpy array instead of a Paddle tensor, cheaper and without Paddle ops in loader workers.
"""
import numbers

import paddle.vision.transforms as T

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def _notebook(size):
    return [T.Resize(round(size * 130 / 128)),
            T.ColorJitter(0.2, 0.2, 0.2),
            T.RandomResizedCrop(size, scale=(0.6, 1.0)),
            T.RandomHorizontalFlip(),
            T.RandomRotation(20)]


def _fast(size):
    return [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.Resize(size)]


TRANSFORM_PRESETS = {"notebook": _notebook, "fast": _fast}      # the training augmentation of each preset


def build_transforms(preset="notebook", train=True, size=128):
    """A `paddle.vision.transforms.Compose` for 32 x 32 PIL images -> float32 [3, size, size].

    Args:
        preset: a key of `TRANSFORM_PRESETS` ("notebook" or "fast").
        train: the augmenting training pipeline (True) or the deterministic test one (False).
        size: output side in pixels; it must match the model (128 for the course's AlexNet).
    """
    if preset not in TRANSFORM_PRESETS:
        raise ValueError(f"unknown transform preset {preset!r}; "
                         f"valid presets: {', '.join(sorted(TRANSFORM_PRESETS))}")
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
        raise ValueError(f"size must be a positive int (the model's input side), got {size!r}")
    steps = TRANSFORM_PRESETS[preset](int(size)) if train else [T.Resize(int(size))]
    return T.Compose(steps + [T.Transpose((2, 0, 1)),
                              T.Normalize([255 * m for m in IMAGENET_MEAN], [255 * s for s in IMAGENET_STD])])
