"""What channel-attention gates do image by image: per-image gates of every stage, summarised by class.

`ecapaddle.plots.eca_attention_weights` gives one mean gate per channel over a batch. That hides the
question attention is about: does a stage weight its channels differently for different images, and
does that difference follow the class? `gate_statistics` records the gate vector of every image at
every gate layer (ECA, CECA, UnitGateECA, SE and its variants, ECA-NS: any layer with an
`attention(x)` method) and `StageGates` summarises it:

| summary | what it is | reading |
|---|---|---|
| `mean()` [C] | mean gate of each channel over all images | the static part: a fixed rescaling of the channels |
| `class_means()` [K, C] | mean gate of each channel over the images of each class | a class's "profile" |
| `channel_spread()` | std over channels of `mean()` | how unevenly the stage weights its channels on average |
| `image_spread()` | std over images of each channel's gate, averaged over channels | how much the gates change from image to image |
| `class_spread()` | std over classes of `class_means()`, averaged over channels | how much the class profiles differ |
| `class_share()` | between-class variance / total variance of the gates (summed over channels) | the part of the image-to-image change that the class explains |

Standard deviations are population ones (ddof=0). `class_share` is the eta squared of a one-way
analysis of variance: 0 when every class has the same mean gates, 1 when the gates depend on the class
only. A gate is a function of the image, and images of one class look alike, so even gates with random
weights have a large class share: judge trained gates against the same statistics of untrained gates (the
model as built, before training) and of a control computed by this code, not against
`class_share_floor()`, which is only what gates independent of the image would give, (K - 1) / (N - 1).
"""
from dataclasses import dataclass

import numpy as np
import paddle

from .layers.gate import ChannelGate


@dataclass
class StageGates:
    """The gates of one attention layer on a set of images.

    Attributes:
        name: the layer's name in the model (`model.named_sublayers()`), e.g. "features.1".
        gates: [N, C] float64, the gate of every channel for every image.
        labels: [N] int64, the class of every image.
        num_classes: K, the number of classes (classes without images get NaN rows in `class_means`).
    """
    name: str
    gates: np.ndarray
    labels: np.ndarray
    num_classes: int

    @property
    def channels(self):
        return self.gates.shape[1]

    def mean(self):
        """[C]: mean gate of each channel over all images."""
        return self.gates.mean(axis=0)

    def class_counts(self):
        """[K]: number of images of each class."""
        return np.bincount(self.labels, minlength=self.num_classes)

    def class_means(self):
        """[K, C]: mean gate of each channel over the images of each class (NaN for a class without images)."""
        out = np.full((self.num_classes, self.channels), np.nan)
        for k in np.unique(self.labels):
            out[k] = self.gates[self.labels == k].mean(axis=0)
        return out

    def channel_spread(self):
        """std over channels of the mean gates: how unevenly the stage weights its channels on average."""
        return float(self.mean().std())

    def image_spread(self):
        """std over images of each channel's gate, averaged over channels: change from image to image."""
        return float(self.gates.std(axis=0).mean())

    def class_spread(self):
        """std over the classes present of each channel's class mean, averaged over channels."""
        means = self.class_means()
        return float(means[~np.isnan(means[:, 0])].std(axis=0).mean())

    def class_share(self):
        """Between-class variance / total variance of the gates, summed over channels (eta squared, in [0, 1])."""
        centred = self.gates - self.mean()
        total = float((centred ** 2).sum())
        if total == 0.0:
            return 0.0
        counts = self.class_counts()
        present = counts > 0
        between = float((counts[present, None] * (self.class_means()[present] - self.mean()) ** 2).sum())
        return between / total

    def class_share_floor(self):
        """Expected `class_share` of gates independent of the image: (classes present - 1) / (N - 1)."""
        present = int((self.class_counts() > 0).sum())
        return (present - 1) / max(len(self.labels) - 1, 1)

    def summary(self):
        """The scalar summaries as a dict (for a table)."""
        return {"stage": self.name, "channels": self.channels, "images": len(self.labels),
                "mean gate": float(self.mean().mean()), "channel spread": self.channel_spread(),
                "image spread": self.image_spread(), "class spread": self.class_spread(),
                "class share": self.class_share(), "class share floor": self.class_share_floor()}


def gate_statistics(model, dataset, batch_size=64, max_images=512, num_classes=None, layer_types=None):
    """Per-image gates of every gate layer of `model` on the first `max_images` items of `dataset`.

    Args:
        model: a `paddle.nn.Layer` containing gate layers (ECA, SE, ...). Run in eval mode without
            gradients; its training/eval state is restored afterwards.
        dataset: a sequence of (image [3, H, W] float32, label int) items, e.g. a validation set.
        batch_size: images per forward pass.
        max_images: use the first this many items (None: all). Take a class-stratified subset
            (`ecapaddle.data` sets are) so that every class is represented.
        num_classes: K; default the largest label + 1.
        layer_types: classes of the layers to record; default `ChannelGate` (ECA, CECA, UnitGateECA, SE and
            its variants, ECA-NS).

    Returns a list of `StageGates`, one per gate layer in forward order.
    """
    layer_types = (ChannelGate,) if layer_types is None else tuple(layer_types)
    count = len(dataset) if max_images is None else min(int(max_images), len(dataset))
    if count < 1:
        raise ValueError("gate_statistics needs at least one image")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    names, recorded, hooks = [], {}, []
    for name, layer in model.named_sublayers():
        if isinstance(layer, layer_types):
            def hook(layer, inputs, output, name=name):
                x = inputs[0]
                recorded[name].append(layer.attention(x).reshape([x.shape[0], -1]).numpy().astype("float64"))
            names.append(name)
            recorded[name] = []
            hooks.append(layer.register_forward_post_hook(hook))
    if not hooks:
        raise ValueError(f"{type(model).__name__} has no gate layer ({', '.join(t.__name__ for t in layer_types)})")
    labels = []
    was_training = model.training
    model.eval()
    try:
        with paddle.no_grad():
            for start in range(0, count, batch_size):
                items = [dataset[i] for i in range(start, min(start + batch_size, count))]
                model(paddle.to_tensor(np.stack([np.asarray(image, dtype="float32") for image, _ in items])))
                labels += [int(np.asarray(label).reshape(-1)[0]) for _, label in items]
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    labels = np.asarray(labels, dtype="int64")
    if labels.min() < 0:
        raise ValueError(f"labels must be >= 0, got {labels.min()}")
    num_classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.max() >= num_classes:
        raise ValueError(f"label {labels.max()} >= num_classes {num_classes}")
    return [StageGates(name, np.concatenate(recorded[name]), labels, num_classes) for name in names]


def gate_table(stages):
    """A Markdown table of `StageGates.summary()` for a list of stages."""
    lines = ["| stage | channels | images | mean gate | channel spread | image spread | class spread | "
             "class share (floor) |", "|---|---|---|---|---|---|---|---|"]
    for s in stages:
        row = s.summary()
        lines.append(f"| {row['stage']} | {row['channels']} | {row['images']} | {row['mean gate']:.3f} | "
                     f"{row['channel spread']:.4f} | {row['image spread']:.4f} | {row['class spread']:.4f} | "
                     f"{row['class share']:.3f} ({row['class share floor']:.3f}) |")
    return "\n".join(lines) + "\n"
