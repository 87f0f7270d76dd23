"""Evaluation of a classifier on a dataset: loss, accuracy, per-class accuracy, confusion, images/s."""
import time

import numpy as np
import paddle
import paddle.nn.functional as F
from tqdm.auto import tqdm

from ..utils import eval_mode


def check_labels(labels, num_classes):
    """Raise a clear ValueError if integer `labels` (NumPy) fall outside [0, num_classes)."""
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must be in [0, {num_classes}) for a model with {num_classes} outputs; this batch has "
            f"labels {labels.min()}..{labels.max()}. Build the model with num_classes={labels.max() + 1} "
            f"or more, or check the dataset's labels.")


def confusion_matrix(labels, preds, num_classes):
    """[K, K] int64 counts, rows = true class, columns = predicted class. labels, preds: [N] ints in [0, K)."""
    labels = np.asarray(labels, dtype="int64").reshape(-1)
    preds = np.asarray(preds, dtype="int64").reshape(-1)
    if labels.shape != preds.shape:
        raise ValueError(f"{labels.size} labels for {preds.size} predictions")
    both = np.concatenate([labels, preds])
    if both.size and (both.min() < 0 or both.max() >= num_classes):
        raise ValueError(f"labels and predictions must be in [0, {num_classes}), got {both.min()}..{both.max()}")
    return np.bincount(labels * num_classes + preds, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def per_class_accuracy(confusion):
    """Recall of each class from a confusion matrix; None for a class with no samples."""
    confusion = np.asarray(confusion)
    totals = confusion.sum(axis=1)
    return [float(confusion[k, k] / totals[k]) if totals[k] else None for k in range(len(totals))]


def evaluate(model, dataset, batch_size=256, num_classes=None, loss_fn=None, num_workers=0,
             amp=False, progress=False, keep_probs=False):
    """Evaluate the classifier `model` (logits [N, K]) in eval mode on `dataset` of (image [3, H, W], int label).

    num_classes: K of the confusion matrix (default: the model's output width); loss_fn: a loss that averages
    over the batch (default: cross entropy); amp: float16 autocast (GPU); progress: a tqdm bar.
    Returns dict(loss, acc, per_class_acc [K], confusion [K][K] (rows true class), img_s, n), with keep_probs
    also "labels" [N], "preds" [N] and "probs" [N, K] (softmax) as NumPy arrays; img_s includes data loading.
    """
    def forward(images):
        with paddle.amp.auto_cast(enable=amp):
            return model(images)

    with eval_mode(model), paddle.no_grad():
        return evaluate_logits(forward, dataset, batch_size, num_classes, loss_fn, num_workers, progress, keep_probs)


def evaluate_logits(forward, dataset, batch_size=256, num_classes=None, loss_fn=None, num_workers=0,
                    progress=False, keep_probs=False, desc="eval"):
    """The evaluation loop of `evaluate`, for any `forward(images [N, 3, H, W] tensor) -> logits [N, K]`
    (a model in dynamic mode, or a Paddle Inference predictor); arguments and result as for `evaluate`."""
    if len(dataset) == 0:
        raise ValueError("cannot evaluate on an empty dataset")
    loss_fn = loss_fn if loss_fn is not None else paddle.nn.CrossEntropyLoss()
    loader = paddle.io.DataLoader(dataset, batch_size=batch_size, shuffle=False, drop_last=False,
                                  num_workers=num_workers)
    labels, preds, probs, loss_sum = [], [], [], 0.0
    start = time.perf_counter()
    # a bar updated by hand, never wrapping the loader (see the note in train.py)
    with tqdm(total=len(loader), desc=desc, leave=False, disable=None if progress else True) as bar:
        for images, batch_labels in loader:
            logits = forward(images).astype("float32")
            batch_labels = batch_labels.reshape([-1])
            labels.append(batch_labels.numpy())
            check_labels(labels[-1], logits.shape[1])
            loss_sum += float(loss_fn(logits, batch_labels)) * batch_labels.shape[0]
            preds.append(logits.argmax(axis=1).numpy())
            if keep_probs:
                probs.append(F.softmax(logits, axis=1).numpy())
            num_classes = num_classes or logits.shape[1]
            bar.update()
    elapsed = time.perf_counter() - start
    labels, preds = np.concatenate(labels), np.concatenate(preds)
    confusion = confusion_matrix(labels, preds, num_classes)
    outputs = {"labels": labels, "preds": preds, "probs": np.concatenate(probs)} if keep_probs else {}
    return {**outputs,
            "loss": loss_sum / labels.size,
            "acc": float(np.trace(confusion) / labels.size),
            "per_class_acc": per_class_accuracy(confusion),
            "confusion": confusion.tolist(),
            "img_s": labels.size / elapsed,
            "n": int(labels.size)}
