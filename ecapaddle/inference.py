"""Evaluation and prediction through Paddle Inference: export the model, run a CPU predictor.

On CPU, the exported program run by a paddle.inference predictor evaluates several times faster than
dynamic mode, with the same logits up to rounding; on a GPU dynamic mode is already fast (`use_predictor`).
"""
import contextlib
import functools
import os
import tempfile

import numpy as np
import paddle

from .engine.evaluate import evaluate_logits
from .export import create_predictor, export_model, predict_images, run_predictor
from .utils import on_gpu


def use_predictor(dynamic=False):
    """Whether to evaluate through Paddle Inference: on CPU unless `dynamic` asks for dynamic mode."""
    return not dynamic and not on_gpu()


@contextlib.contextmanager
def exported(model, input_shape):
    """Export `model` (input_shape as for `export_model`) to a temporary directory and yield its path prefix."""
    with tempfile.TemporaryDirectory(prefix="ecapaddle-predictor-") as directory:
        prefix = os.path.join(directory, "model")
        export_model(model, prefix, input_shape=input_shape)
        yield prefix


def evaluate_with_predictor(model, dataset, batch_size=256, threads=None, num_classes=None, loss_fn=None,
                            num_workers=0, progress=False, keep_probs=False):
    """`ecapaddle.engine.evaluate` through a Paddle Inference predictor of `threads` CPU threads (None: every
    core this process may use); the other arguments and the result are `evaluate`'s.

    The model is exported with the shape of dataset[0]'s image and a free batch axis; img_s counts the loop
    over the loader, not the export.
    """
    if len(dataset) == 0:
        raise ValueError("cannot evaluate on an empty dataset")
    with exported(model, (None, *np.asarray(dataset[0][0]).shape)) as prefix:
        predictor = create_predictor(prefix, threads)
        return evaluate_logits(lambda images: paddle.to_tensor(run_predictor(predictor, images.numpy())), dataset,
                               batch_size, num_classes, loss_fn, num_workers, progress, keep_probs,
                               desc="eval (predictor)")


def training_evaluator(threads):
    """The `evaluator` of `ecapaddle.engine.train` for the CLI and the course: on CPU `evaluate_with_predictor`
    with `threads` threads, None (dynamic-mode `evaluate`) on a GPU.

    Pass this process's own thread count: running a predictor sets the OpenMP thread count of the calling
    thread to the predictor's, so with the same count the training that follows keeps its threads.
    """
    return functools.partial(evaluate_with_predictor, threads=threads) if use_predictor() else None


def predict_images_with_predictor(model, image_paths, class_names, topk=5, size=128, threads=None):
    """`ecapaddle.predict_images` for a Layer, run through a CPU predictor with `threads` threads
    (None = every available core); returns [[(class_name, probability), ...] per image]."""
    with exported(model, (None, 3, size, size)) as prefix:
        return predict_images(prefix, image_paths, class_names, topk=topk, size=size, cpu_threads=threads)
