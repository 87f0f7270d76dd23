"""Batch-level mixup and cutmix on Paddle tensors.

- mixup (Zhang et al., ICLR 2018, https://arxiv.org/abs/1710.09412): x = lam * x_i + (1 - lam) * x_j,
  lam ~ Beta(alpha, alpha).
- cutmix (Yun et al., ICCV 2019, https://arxiv.org/abs/1905.04899): a box of area (1 - lam) * H * W,
  centred at random and clipped to the image, is pasted from x_j into x_i; lam is recomputed from the box.
In both, j is a random permutation of the batch and the loss is
lam * loss(logits, y_i) + (1 - lam) * loss(logits, y_j) (`mixed_loss`). Off by default: the course
notebook's "MixupImage" did nothing (see transforms.py).
"""
import numpy as np
import paddle

MIX_MODES = ("mixup", "cutmix")


def cutmix_box(height, width, lam, rng):
    """(top, bottom, left, right) of a box of area about (1 - lam) * height * width, its centre
    uniform over the image and its sides clipped to it (so the area can be smaller)."""
    ratio = np.sqrt(1.0 - lam)
    cut_h, cut_w = int(height * ratio), int(width * ratio)
    centre_y, centre_x = int(rng.uniform(0, height)), int(rng.uniform(0, width))
    top, bottom = np.clip([centre_y - cut_h // 2, centre_y + cut_h // 2], 0, height)
    left, right = np.clip([centre_x - cut_w // 2, centre_x + cut_w // 2], 0, width)
    return int(top), int(bottom), int(left), int(right)


def mix_batch(images, labels, alpha, mode="mixup", rng=None):
    """Mix a batch (images [N, C, H, W], labels [N] or [N, 1]) with a shuffled copy of itself.

    alpha: Beta(alpha, alpha) parameter of lam; 0 disables mixing (lam = 1). mode: "mixup" or "cutmix".
    rng: np.random.Generator or np.random.RandomState (a fresh unseeded Generator if None).
    Returns (mixed_images [N, C, H, W], labels_a, labels_b, lam): labels_a are `labels`, labels_b the
    labels of the images mixed in, lam (a float) the weight of labels_a.
    """
    if mode not in MIX_MODES:
        raise ValueError(f"mode must be one of {MIX_MODES}, got {mode!r}")
    if not alpha >= 0:
        raise ValueError(f"alpha must be >= 0 (0 disables mixing), got {alpha}")
    if not isinstance(images, paddle.Tensor) or images.ndim != 4:
        raise ValueError(f"images must be a paddle.Tensor [N, C, H, W], got "
                         f"{getattr(images, 'shape', type(images).__name__)}")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(f"{labels.shape[0]} labels for a batch of {images.shape[0]} images")
    if alpha == 0:
        return images, labels, labels, 1.0
    rng = np.random.default_rng() if rng is None else rng
    lam = float(rng.beta(alpha, alpha))
    permutation = paddle.to_tensor(rng.permutation(images.shape[0]), dtype="int64")
    shuffled = paddle.gather(images, permutation)
    labels_b = paddle.gather(labels, permutation)
    if mode == "mixup":
        return lam * images + (1.0 - lam) * shuffled, labels, labels_b, lam
    height, width = images.shape[2:]
    top, bottom, left, right = cutmix_box(height, width, lam, rng)
    mask = np.zeros([1, 1, height, width], dtype="float32")
    mask[..., top:bottom, left:right] = 1.0
    mask = paddle.to_tensor(mask, dtype=images.dtype)
    lam = 1.0 - (bottom - top) * (right - left) / (height * width)
    return images * (1.0 - mask) + shuffled * mask, labels, labels_b, lam


def mixed_loss(loss_fn, logits, labels_a, labels_b, lam):
    """lam * loss_fn(logits, labels_a) + (1 - lam) * loss_fn(logits, labels_b)."""
    return lam * loss_fn(logits, labels_a) + (1.0 - lam) * loss_fn(logits, labels_b)
