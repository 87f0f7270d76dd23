"""What channel-attention gates do image by image: per-image gates of every stage, summarised by class.

Does a stage weight its channels differently for different images, and does that follow the class? A
mean gate per channel hides it. `gate_statistics` records the gate vector of every image at every gate
layer (a `ChannelGate`) and `StageGates` summarises it. Standard deviations are population ones (ddof=0).

Images of one class look alike, so even gates with random weights have a large `class_share`: judge
trained gates against untrained gates and a control, not against `class_share_floor()`.
"""
from dataclasses import dataclass

import numpy as np
import paddle

from .layers.gate import ChannelGate
from .utils import eval_mode


@dataclass
class StageGates:
    """The gates [N, C] (float64) of the attention layer `name` (as in `model.named_sublayers()`) on N images
    of classes `labels` [N] (int64) out of `num_classes` K."""
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
        return float(np.nanstd(self.class_means(), axis=0).mean())

    def class_share(self):
        """Between-class variance / total variance of the gates, summed over channels: the eta squared of a
        one-way analysis of variance, 0 when every class has the same mean gates, 1 when only the class counts."""
        total = float(((self.gates - self.mean()) ** 2).sum())
        if total == 0.0:
            return 0.0
        # classes without images have NaN means and count 0: nansum leaves them out
        return float(np.nansum(self.class_counts()[:, None] * (self.class_means() - self.mean()) ** 2)) / total

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


def record_gates(model, images, layer_type=ChannelGate):
    """{layer name: gates [N, C] float64} of every `layer_type` layer of `model` on `images` [N, 3, H, W], in
    forward order; the model runs in eval mode without gradients, and keeps its mode."""
    recorded, hooks = {}, []
    for name, layer in model.named_sublayers():
        if isinstance(layer, layer_type):
            def hook(layer, inputs, output, name=name):
                x = inputs[0]
                recorded[name] = layer.attention(x).reshape([x.shape[0], -1]).numpy().astype("float64")
            hooks.append(layer.register_forward_post_hook(hook))
    if not hooks:
        raise ValueError(f"{type(model).__name__} has no {layer_type.__name__} layer (no gate layer to record)")
    try:
        with eval_mode(model), paddle.no_grad():
            model(images)
    finally:
        for h in hooks:
            h.remove()
    return recorded


def gate_statistics(model, dataset, batch_size=64, max_images=512, num_classes=None):
    """`StageGates` of every gate layer of `model`, in forward order, on the first `max_images` (None: all)
    items of `dataset`, (image [3, H, W] float32, label int) items, e.g. a class-stratified validation set
    so that every class is represented; num_classes (K) defaults to the largest label + 1."""
    count = len(dataset) if max_images is None else min(int(max_images), len(dataset))
    if count < 1:
        raise ValueError("gate_statistics needs at least one image")
    batches, labels = [], []
    for start in range(0, count, batch_size):
        items = [dataset[i] for i in range(start, min(start + batch_size, count))]
        batches.append(record_gates(model, paddle.to_tensor(np.stack([np.asarray(x, "float32") for x, _ in items]))))
        labels += [int(np.asarray(label).reshape(-1)[0]) for _, label in items]
    labels = np.asarray(labels, dtype="int64")
    if labels.min() < 0:
        raise ValueError(f"labels must be >= 0, got {labels.min()}")
    num_classes = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.max() >= num_classes:
        raise ValueError(f"label {labels.max()} >= num_classes {num_classes}")
    return [StageGates(name, np.concatenate([b[name] for b in batches]), labels, num_classes) for name in batches[0]]


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
