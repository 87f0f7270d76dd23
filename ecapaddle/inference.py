"""Evaluation and prediction through Paddle Inference: export the model, run a CPU predictor.

The exported program run by a paddle.inference predictor (oneDNN and IR passes on) evaluates a
model on CPU several times faster than dynamic mode, with the same logits up to rounding
(benchmarks/README.md). The CLI's `evaluate` and `predict` use it on CPU unless given `--dynamic`,
and the CLI and the course hand `training_evaluator` to the training engine; on a GPU dynamic mode
is already fast and stays the default (`use_predictor`). The predictor never goes through
`paddle.jit.load`, so it is safe with FLAGS_use_mkldnn on.
"""
import contextlib
import functools
import os
import tempfile

import numpy as np
import paddle

from .engine.evaluate import evaluate, evaluate_logits
from .export import create_predictor, export_model, predict_images, run_predictor
from .utils import on_gpu

# `evaluate_auto` exports the model from this many images on; below, the export costs more than it saves
PREDICTOR_MIN_IMAGES = 1000


def use_predictor(dynamic=False):
    """Whether to evaluate through Paddle Inference: on CPU unless `dynamic` asks for dynamic mode."""
    return not dynamic and not on_gpu()


@contextlib.contextmanager
def exported(model, input_shape):
    """Export `model` (eval mode) to a temporary directory and yield its path prefix; the files go afterwards.

    input_shape: [N, C, H, W] of its input, None for a free axis (e.g. (None, 3, 128, 128)).
    """
    with tempfile.TemporaryDirectory(prefix="ecapaddle-predictor-") as directory:
        prefix = os.path.join(directory, "model")
        export_model(model, prefix, input_shape=input_shape)
        yield prefix


def evaluate_with_predictor(model, dataset, batch_size=256, threads=None, num_classes=None, loss_fn=None,
                            num_workers=0, progress=False, keep_probs=False):
    """`ecapaddle.engine.evaluate` through a Paddle Inference predictor on CPU; returns the same dict.

    Args:
        model: a classifier, images [N, 3, H, W] -> logits [N, K]; exported with the shape of
            dataset[0]'s image and a free batch axis.
        dataset: a `paddle.io.Dataset` of (image [3, H, W], int label); read in order, every item once.
        batch_size: images per predictor run.
        threads: CPU math threads of the predictor; None = every core this process may use.
        num_classes, loss_fn, num_workers, progress, keep_probs: as in `evaluate` (the loss,
            default plain cross entropy, is computed by Paddle from the predictor's logits).

    Returns dict(loss, acc, per_class_acc [K], confusion [K][K], img_s, n [, labels, preds, probs]).
    img_s counts the loop over the loader (data loading included), not the export.
    """
    if len(dataset) == 0:
        raise ValueError("cannot evaluate on an empty dataset")
    with exported(model, (None, *np.asarray(dataset[0][0]).shape)) as prefix:
        predictor = create_predictor(prefix, threads)
        return evaluate_logits(lambda images: paddle.to_tensor(run_predictor(predictor, images.numpy())), dataset,
                               batch_size, num_classes, loss_fn, num_workers, progress, keep_probs,
                               desc="eval (predictor)")


def evaluate_auto(model, dataset, threads=None, **kwargs):
    """`evaluate_with_predictor` for PREDICTOR_MIN_IMAGES images or more (where the export pays), else
    dynamic-mode `evaluate`; kwargs as for both."""
    if len(dataset) < PREDICTOR_MIN_IMAGES:
        return evaluate(model, dataset, **kwargs)
    return evaluate_with_predictor(model, dataset, threads=threads, **kwargs)


def training_evaluator(threads):
    """The `evaluator` of `ecapaddle.engine.train` for the CLI and the course: on CPU `evaluate_auto` with
    predictors of `threads` threads, None (dynamic-mode `evaluate`) on a GPU.

    Pass this process's own thread count: running a predictor sets the OpenMP thread count of the calling
    thread to the predictor's, so with the same count the training that follows keeps its threads.
    """
    return functools.partial(evaluate_auto, threads=threads) if use_predictor() else None


def predict_images_with_predictor(model, image_paths, class_names, topk=5, size=128, threads=None):
    """`ecapaddle.predict_images` for a Layer, run through a CPU predictor with `threads` threads
    (None = every available core); returns [[(class_name, probability), ...] per image]."""
    with exported(model, (None, 3, size, size)) as prefix:
        return predict_images(prefix, image_paths, class_names, topk=topk, size=size, cpu_threads=threads)
