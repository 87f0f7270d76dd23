"""Figures drawn from training histories (the JSON the engine writes) and from models.

Every function returns the matplotlib Figure and, given `path`, also saves it (.png or .svg by suffix).
"""
import itertools
import textwrap

import matplotlib.pyplot as plt
import numpy as np

from .data.transforms import IMAGENET_MEAN, IMAGENET_STD
from .utils import group_by_model


def save_figure(fig, path, dpi=120):
    """Save `fig` to `path` unless it is None; return `fig`."""
    if path is not None:
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
    return fig


def _band(ax, x, runs, colour, label=None, style="-", **kwargs):
    """Mean over runs (rows of `runs`, [R, T]) as a line, min..max over runs as a shaded band."""
    runs = np.asarray(runs, dtype="float64")
    ax.plot(x, runs.mean(axis=0), style, color=colour, label=label, **kwargs)
    if len(runs) > 1:
        ax.fill_between(x, runs.min(axis=0), runs.max(axis=0), color=colour, alpha=0.18, lw=0)


def plot_learning_curves(histories, path=None, title=None):
    """Training loss per logged step, and train (dashed) / val (solid) accuracy per epoch, one colour per model:
    the mean over a model's runs (seeds), with a band from their minimum to their maximum, over the epochs
    (steps) they all have."""
    groups = group_by_model(histories)
    colours = dict(zip(groups, itertools.cycle(plt.rcParams["axes.prop_cycle"].by_key()["color"])))
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
    smoothing = histories[0]["config"].get("label_smoothing")
    ax_loss.set(xlabel="training step", ylabel=f"loss (label smoothing {smoothing:g})" if smoothing else "loss",
                title="training loss")
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
    """(layer name, kernel weights [k], mean gate [C] over `images` [N, 3, H, W]) of each ECA layer of `model`,
    in forward order."""
    from .gates import record_gates
    from .layers.eca import ECA

    layers = dict(model.named_sublayers())
    return [(name, layers[name].conv.weight.numpy().ravel(), gates.mean(axis=0))
            for name, gates in record_gates(model, images, ECA).items()]


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
        ax_g.set_ylim(0, max(1.0, float(gate.max())))
        ax_g.set_title(f"{name}: mean gate per channel (C={len(gate)})", fontsize=8)
    axes[-1, 0].set_xlabel("offset from the channel")
    axes[-1, 1].set_xlabel("channel")
    fig.tight_layout()
    return save_figure(fig, path)


# ---- the ECA block, drawn (the idea of Fig. 2 of Wang et al., CVPR 2020, https://arxiv.org/abs/1910.03151) ----

CELL = 0.42                   # side of one channel's cell in a drawn vector [N, C]
DRAWN_CHANNELS = 8            # cells drawn per vector: C stands for any number of channels
MAP_SIDE, MAP_STEP = 1.9, 0.22   # side of one H x W slice of a drawn feature map, offset between slices


def _draw_feature_map(ax, x, y_mid, label, faces=("#9ecae1",) * 4):
    """A feature map [N, C, H, W] drawn as a stack of H x W slices from x, centred on y_mid; returns its right
    and top edges."""
    depth = (len(faces) - 1) * MAP_STEP
    bottom = y_mid - (MAP_SIDE + depth) / 2
    for i, colour in enumerate(faces):                         # back slice first
        offset = depth - i * MAP_STEP
        ax.add_patch(plt.Rectangle((x + offset, bottom + offset), MAP_SIDE, MAP_SIDE,
                                   facecolor=colour, edgecolor="k", lw=0.8))
    ax.text(x + MAP_SIDE / 2, bottom - 0.25, label, ha="center", va="top", fontsize=9)
    return x + MAP_SIDE + depth, bottom + MAP_SIDE + depth


def _draw_vector(ax, x, y_mid, label, channels=DRAWN_CHANNELS, colours=None):
    """A vector of `channels` cells in a column centred on (x, y_mid); returns the cells' centres, top to bottom."""
    top = y_mid + channels * CELL / 2
    colours = ["white"] * channels if colours is None else colours
    centres = [(x, top - (i + 0.5) * CELL) for i in range(channels)]
    for (_, y), colour in zip(centres, colours):
        ax.add_patch(plt.Rectangle((x - CELL / 2, y - CELL / 2), CELL, CELL, facecolor=colour, edgecolor="k", lw=0.8))
    ax.text(x, top - channels * CELL - 0.15, label, ha="center", va="top", fontsize=9)
    return centres


def _arrow(ax, start, end, text=""):
    """An arrow from `start` to `end`, with `text` written above its middle."""
    ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="-|>", color="k", lw=1.2))
    if text:
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.2, text, ha="center", va="bottom", fontsize=9)


def _connect(ax, sources, targets, colour="grey", lw=0.6):
    """A line from the right edge of each source cell to the left edge of its target cell."""
    for (x0, y0), (x1, y1) in zip(sources, targets):
        ax.plot([x0 + CELL / 2, x1 - CELL / 2], [y0, y1], color=colour, lw=lw)


def _draw_eca_excitation(ax, pooled, y_mid):
    """ECA's excitation: a 1-D convolution across the channels, k = 3 neighbours feeding each output."""
    mixed = _draw_vector(ax, 7.9, y_mid, "conv1d(y)\n[N, C]")
    _connect(ax, pooled, mixed, colour="lightgrey")             # every output channel has such inputs ...
    target = DRAWN_CHANNELS // 2
    neighbours = pooled[target - 1:target + 2]                  # ... drawn in full for one of them
    for (x, y), colour in zip(neighbours + [mixed[target]], ["tab:orange"] * 3 + ["tab:red"]):
        ax.add_patch(plt.Rectangle((x - CELL / 2, y - CELL / 2), CELL, CELL, facecolor=colour, edgecolor="k", lw=0.8))
    _connect(ax, neighbours, [mixed[target]] * 3, colour="tab:red", lw=1.4)
    ax.text(6.2, y_mid + 2.0, "1-D conv across channels,\nkernel size k (here k = 3),\nzero padding (k − 1) / 2",
            ha="center", va="top", fontsize=8.5)
    ax.text(6.2, y_mid - 2.55, "each output channel sees its k\nneighbours, with the same k weights",
            ha="center", va="top", fontsize=8, color="tab:red")


def _draw_se_excitation(ax, pooled, y_mid):
    """SE's excitation: FC (C -> C/r) -> ReLU -> FC (C/r -> C), every channel connected to every other."""
    hidden = _draw_vector(ax, 6.2, y_mid, "ReLU\n[N, C/r]", channels=2, colours=["#d9d9d9"] * 2)
    excited = _draw_vector(ax, 7.9, y_mid, "[N, C]")
    for cell in pooled:
        _connect(ax, [cell] * len(hidden), hidden)
    for cell in hidden:
        _connect(ax, [cell] * len(excited), excited)
    ax.text(5.35, y_mid + 1.75, "FC\nC → C/r", ha="center", va="bottom", fontsize=8.5)
    ax.text(7.05, y_mid + 1.75, "FC\nC/r → C", ha="center", va="bottom", fontsize=8.5)


def _draw_gate_block(ax, y_mid, title, draw_excitation):
    """One block centred on height y_mid: x -> pooling -> excitation -> sigmoid -> gate -> x * gate."""
    ax.text(0, y_mid + 3.0, title, fontsize=11, weight="bold")
    right, top = _draw_feature_map(ax, 0.2, y_mid, "input x\n[N, C, H, W]")
    _arrow(ax, (right + 0.1, y_mid), (4.1, y_mid), "global\naverage\npooling")
    pooled = _draw_vector(ax, 4.5, y_mid, "y\n[N, C]")
    draw_excitation(ax, pooled, y_mid)                          # y [N, C] -> logits [N, C], drawn up to x = 8.1
    _arrow(ax, (8.3, y_mid), (10.3, y_mid), "sigmoid")
    shades = np.array([0.4, 0.7, 0.15, 0.6, 0.1, 0.75, 0.3, 0.5])[:DRAWN_CHANNELS]   # one gate in (0, 1) per channel
    _draw_vector(ax, 10.7, y_mid, "gate\n[N, C, 1, 1]", colours=plt.cm.Oranges(shades))
    # the channel-wise product: x comes over the top of the block, the gate from the left
    x_times, radius, skip = 12.2, 0.35, y_mid + 2.5
    ax.add_patch(plt.Circle((x_times, y_mid), radius, facecolor="white", edgecolor="k", lw=1.2))
    ax.text(x_times, y_mid, "×", ha="center", va="center", fontsize=14)
    ax.text(x_times, y_mid - radius - 0.1, "channel-wise\nmultiply", ha="center", va="top", fontsize=8)
    _arrow(ax, (10.7 + CELL / 2, y_mid), (x_times - radius, y_mid))
    ax.plot([1.5, 1.5, x_times], [top, skip, skip], color="k", lw=1.2)
    ax.text(x_times + 0.1, skip - 0.12, "x", ha="left", va="top", fontsize=9, style="italic")
    _arrow(ax, (x_times, skip), (x_times, y_mid + radius))
    _arrow(ax, (x_times + radius, y_mid), (13.1, y_mid))
    _draw_feature_map(ax, 13.1, y_mid, "out = x · gate\n[N, C, H, W]",          # channels rescaled by their gates
                      faces=[plt.cm.Blues(v) for v in (0.25, 0.45, 0.3, 0.6)])


def draw_eca_block(ax=None, se=True, path=None):
    """The ECA block (after the paper's Fig. 2) and, below it for contrast, the SE block (if `se`), drawn on
    `ax` (a new figure when None); returns the Figure (saved to `path` if given)."""
    x_limits, y_limits = (-0.2, 16.0), (-9.1 if se else -3.2, 3.5)
    if ax is None:                             # 13 inches wide, and the height that keeps the drawing's proportions
        _, ax = plt.subplots(figsize=(13, 13 * np.ptp(y_limits) / np.ptp(x_limits)))
    _draw_gate_block(ax, 0.0, "ECA: k parameters (one kernel shared by all channels)", _draw_eca_excitation)
    if se:
        _draw_gate_block(ax, -6.6, "SE, for contrast: 2C²/r weights, every channel mixed with all others through C/r",
                         _draw_se_excitation)
    ax.set(xlim=x_limits, ylim=y_limits, aspect="equal")
    ax.axis("off")
    return save_figure(ax.figure, path)
