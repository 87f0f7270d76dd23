"""Per-image transforms for CIFAR-10 at the model's input size, built from paddle.vision.transforms.

Presets (`TRANSFORM_PRESETS`; `build_transforms(preset, train, size)`):

- "notebook", the AI Studio course notebook's recipe:
    train: Resize(130) -> ColorJitter(0.2, 0.2, 0.2) -> RandomResizedCrop(128, scale=(0.6, 1))
           -> RandomHorizontalFlip -> RandomRotation(20) -> ToTensor -> Normalize(ImageNet)
    test:  Resize(128) -> ToTensor -> Normalize(ImageNet)
  (for another `size`: Resize(round(size * 130 / 128)), crop and test resize to `size`).
  The notebook also listed paddlex.transforms.MixupImage between RandomRotation and ToTensor.
  In PaddleX 2.x that transform returns a single (non-sequence) sample unchanged, so in this
  per-image pipeline it did nothing and the published results were obtained without mixup; it
  is left out here (and PaddleX 3.x no longer has it). Real batch-level mixup is in mixup.py.
- "fast", cheap augmentation for CPU runs:
    train: RandomCrop(32, padding=4) -> RandomHorizontalFlip -> Resize(size) -> ToTensor -> Normalize
    test:  the same as "notebook".

"ToTensor -> Normalize(mean, std)" is done as Transpose (HWC -> CHW) -> Normalize(255 * mean,
255 * std): the same numbers (to 1e-6) as a numpy float32 array instead of a Paddle tensor, which
is cheaper per image and keeps Paddle ops out of DataLoader worker processes. The DataLoader
stacks the arrays into a float32 tensor [N, 3, size, size]. Per image, either preset costs a small
fraction of an AlexNet training step on a CPU ("fast" about half of "notebook").
"""
import numbers

import paddle.vision.transforms as T

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def to_normalized_chw():
    """ToTensor -> Normalize(ImageNet mean/std) for uint8 HWC images, as numpy float32 [3, H, W]."""
    return [T.Transpose((2, 0, 1)),
            T.Normalize([255 * m for m in IMAGENET_MEAN], [255 * s for s in IMAGENET_STD])]


def _eval_transforms(size):
    return [T.Resize(size)] + to_normalized_chw()


def _notebook(train, size):
    if not train:
        return _eval_transforms(size)
    return [T.Resize(round(size * 130 / 128)),
            T.ColorJitter(0.2, 0.2, 0.2),
            T.RandomResizedCrop(size, scale=(0.6, 1.0)),
            T.RandomHorizontalFlip(),
            T.RandomRotation(20)] + to_normalized_chw()


def _fast(train, size):
    if not train:
        return _eval_transforms(size)
    return [T.RandomCrop(32, padding=4), T.RandomHorizontalFlip(), T.Resize(size)] \
        + to_normalized_chw()


TRANSFORM_PRESETS = {"notebook": _notebook, "fast": _fast}


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
    return T.Compose(TRANSFORM_PRESETS[preset](bool(train), int(size)))
