"""Figures drawn from training histories (the JSON the engine writes) and from models.

Every function returns the matplotlib Figure and, given `path`, also saves it (the suffix,
.png or .svg, picks the format), so any figure can be redrawn without training again.
"""
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from .data.transforms import IMAGENET_MEAN, IMAGENET_STD
from .utils import group_by_model


def save_figure(fig, path, dpi=120):
    """Save `fig` to `path` (PNG or SVG by suffix) and return `fig`."""
    if path is not None:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return fig


def _colours(names):
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    return {name: cycle[i % len(cycle)] for i, name in enumerate(names)}


def _band(ax, x, runs, colour, label=None, style="-", **kwargs):
    """Mean over runs (rows of `runs`, [R, T]) as a line, min..max over runs as a shaded band."""
    runs = np.asarray(runs, dtype="float64")
    ax.plot(x, runs.mean(axis=0), style, color=colour, label=label, **kwargs)
    if len(runs) > 1:
        ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=colour, alpha=0.18, lw=0)


def plot_learning_curves(histories, path=None, title=None):
    """Training loss per logged step, and train / val accuracy per epoch, one colour per model.

    Lines are the mean over a model's runs (seeds); the shaded band spans their minimum to maximum
    (no band for a single run). Dashed = train accuracy, solid = validation accuracy. Runs of
    different lengths are drawn over the epochs (steps) they all have.
    """
    groups = group_by_model(histories)
    colours = _colours(groups)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(12, 4.2))
    for name, runs in groups.items():
        n_seeds = f" ({len(runs)} seeds)" if len(runs) > 1 else ""
        n_steps = min(len(h["steps"]) for h in runs)
        if n_steps:
            _band(ax_loss, [s["step"] for s in runs[0]["steps"][:n_steps]],
                  [[s["loss"] for s in h["steps"][:n_steps]] for h in runs], colours[name], name + n_seeds, lw=1)
        n_epochs = min(len(h["epochs"]) for h in runs)
        epochs = list(range(1, n_epochs + 1))
        _band(ax_acc, epochs, [[e["train_acc"] for e in h["epochs"][:n_epochs]] for h in runs], colours[name],
              style="--")
        _band(ax_acc, epochs, [[e["val_acc"] for e in h["epochs"][:n_epochs]] for h in runs], colours[name],
              f"{name}{n_seeds}", style="-o", ms=3)
    ax_loss.set(xlabel="training step", ylabel="loss (label smoothing 0.1)", title="training loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy",
               title="validation (solid) and train (dashed) accuracy; band: min..max over seeds")
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(textwrap.fill(title, 130), fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)


def plot_confusion_matrix(confusion, class_names, path=None, title="confusion matrix (rows: true class)"):
    """Row-normalised confusion matrix [K, K] (rows true, columns predicted) with counts in cells."""
    confusion = np.asarray(confusion)
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    im = ax.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    ticks = np.arange(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(ticks, class_names, fontsize=8)
    for i, j in np.ndindex(confusion.shape):
        ax.text(j, i, int(confusion[i, j]), ha="center", va="center", fontsize=6,
                color="white" if rates[i, j] > 0.5 else "black")
    ax.set(xlabel="predicted", ylabel="true", title=title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return save_figure(fig, path)


def to_display_image(image, mean=IMAGENET_MEAN, std=IMAGENET_STD):
    """A normalised [3, H, W] array back to an [H, W, 3] image in [0, 1]."""
    image = np.asarray(image, dtype="float32")
    image = image * np.asarray(std, "float32")[:, None, None] + np.asarray(mean, "float32")[:, None, None]
    return np.clip(image.transpose(1, 2, 0), 0, 1)


def plot_prediction_grid(images, labels, preds, class_names, path=None, cols=6, title=None):
    """Images [n, 3, H, W] (normalised) with 'true / predicted' titles, green when right, red when wrong."""
    n = len(images)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2 * cols, 2.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, image, label, pred in zip(axes.ravel(), images, labels, preds):
        ax.imshow(to_display_image(image))
        ax.set_title(f"{class_names[int(label)]} / {class_names[int(pred)]}", fontsize=8,
                     color="green" if int(label) == int(pred) else "red")
    fig.suptitle(title or "true / predicted", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path)


def eca_attention_weights(model, images):
    """Mean ECA gate per channel for each ECA layer of `model` on `images` [N, 3, H, W].

    Returns a list of (layer name, kernel weights [k], mean gate [C]) in forward order.
    """
    import paddle

    from .layers.eca import ECA

    found, hooks = [], []
    for name, layer in model.named_sublayers():
        if isinstance(layer, ECA):
            def hook(layer, inputs, output, name=name):
                gate = layer.attention(inputs[0]).reshape([inputs[0].shape[0], -1])
                found.append((name, layer.conv.weight.numpy().ravel(), gate.mean(axis=0).numpy()))
            hooks.append(layer.register_forward_post_hook(hook))
    if not hooks:
        raise ValueError(f"{type(model).__name__} has no ECA layer to show")
    was_training = model.training
    model.eval()
    try:
        with paddle.no_grad():
            model(images)
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    return found


def plot_eca_weights(model, images, path=None):
    """For each ECA stage: the learned kernel (left) and the mean channel gate on `images` (right)."""
    stages = eca_attention_weights(model, images)
    fig, axes = plt.subplots(len(stages), 2, figsize=(11, 1.8 * len(stages)), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 4]})
    for (name, kernel, gate), (ax_k, ax_g) in zip(stages, axes):
        ax_k.bar(np.arange(len(kernel)) - len(kernel) // 2, kernel, color="tab:orange")
        ax_k.set_title(f"{name}: kernel (k={len(kernel)})", fontsize=8)
        ax_k.axhline(0, color="k", lw=0.5)
        ax_g.bar(np.arange(len(gate)), gate, width=1.0)
        ax_g.set_ylim(0, 1)
        ax_g.set_title(f"{name}: mean sigmoid gate per channel (C={len(gate)})", fontsize=8)
    axes[-1, 0].set_xlabel("offset from the channel")
    axes[-1, 1].set_xlabel("channel")
    fig.tight_layout()
    return save_figure(fig, path)
