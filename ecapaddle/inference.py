"""Evaluation and prediction through Paddle Inference: export the model, run a CPU predictor.

On the project's 2-core CPU the exported program through a paddle.inference predictor (oneDNN
and IR passes on) evaluated AlexNet-ECA about 3-5x faster than dynamic mode, with logits equal
to about 1e-6 (issue 15). The CLI's `evaluate` and `predict` use it on CPU unless given
`--dynamic`; on a GPU dynamic mode is already fast and stays the default (`use_predictor`).
The predictor never goes through `paddle.jit.load`, so it is safe with FLAGS_use_mkldnn on.
"""
import contextlib
import os
import tempfile

import numpy as np
import paddle

from .engine.evaluate import evaluate, evaluate_logits
from .export import create_predictor, export_model, predict_images, run_predictor
from .runtime import available_cores, num_threads, threads_restored

# the engine's per-epoch validation uses the predictor from this many images on: exporting AlexNet-ECA and
# creating the predictor took about 2 s, against about 150 s (dynamic) vs 35 s (predictor) for 5,000
# validation images at 128 px, 1 thread, on the loaded 2-core machine of issue 15
PREDICTOR_MIN_IMAGES = 1000


def on_gpu():
    """True when Paddle computes on a GPU in this process."""
    return paddle.is_compiled_with_cuda() and paddle.get_device().startswith("gpu")


def use_predictor(dynamic=False):
    """Whether to evaluate through Paddle Inference: on CPU unless `dynamic` asks for dynamic mode."""
    return not dynamic and not on_gpu()


@contextlib.contextmanager
def exported_predictor(model, input_shape, threads=None):
    """Export `model` to a temporary directory and yield a CPU predictor for it (files removed after).

    Args:
        model: a paddle.nn.Layer; exported in eval mode, its own mode is left unchanged.
        input_shape: [N, C, H, W] of its input, None for a free axis (e.g. (None, 3, 128, 128)).
        threads: CPU math threads of the predictor; None = every core this process may use.

    This process's own thread count is set again afterwards (`ecapaddle.runtime.threads_restored`).
    """
    with threads_restored(), tempfile.TemporaryDirectory(prefix="ecapaddle-predictor-") as directory:
        prefix = os.path.join(directory, "model")
        export_model(model, prefix, input_shape=input_shape)
        yield create_predictor(prefix, cpu_threads=threads or available_cores())


def evaluate_with_predictor(model, dataset, batch_size=256, threads=None, num_classes=None, loss_fn=None,
                            num_workers=0, progress=False, keep_probs=False):
    """`ecapaddle.engine.evaluate` through a Paddle Inference predictor on CPU; returns the same dict.

    Args:
        model: a classifier, images [N, 3, H, W] -> logits [N, K]; exported with the shape of
            dataset[0]'s image and a free batch axis.
        dataset: a `paddle.io.Dataset` of (image [3, H, W], int label); read in order, every item once.
        batch_size: images per predictor run.
        threads: CPU math threads; None = every core this process may use (os.sched_getaffinity).
        num_classes, loss_fn, num_workers, progress, keep_probs: as in `evaluate` (the loss,
            default plain cross entropy, is computed by Paddle from the predictor's logits).

    Returns dict(loss, acc, per_class_acc [K], confusion [K][K], img_s, n [, labels, preds, probs]).
    img_s counts the loop over the loader (data loading included), not the export (about 1-2 s).
    """
    if len(dataset) == 0:
        raise ValueError("cannot evaluate on an empty dataset")
    image_shape = tuple(np.asarray(dataset[0][0]).shape)
    with exported_predictor(model, (None, *image_shape), threads) as predictor:
        return evaluate_logits(lambda images: paddle.to_tensor(run_predictor(predictor, images.numpy())), dataset,
                               batch_size, num_classes, loss_fn, num_workers, progress, keep_probs,
                               desc="eval (predictor)")


def evaluate_auto(model, dataset, amp=False, **kwargs):
    """`evaluate` for the training engine: through a predictor with this process's Paddle thread count on
    CPU without amp for PREDICTOR_MIN_IMAGES images or more (where the export pays), else dynamic mode."""
    if amp or not use_predictor() or len(dataset) < PREDICTOR_MIN_IMAGES:
        return evaluate(model, dataset, amp=amp, **kwargs)
    return evaluate_with_predictor(model, dataset, threads=num_threads(), **kwargs)


def predict_images_with_predictor(model, image_paths, class_names, topk=5, size=128, threads=None):
    """`ecapaddle.predict_images` for a Layer, run through a CPU predictor with `threads` threads
    (None = every available core); returns [[(class_name, probability), ...] per image]."""
    with threads_restored(), tempfile.TemporaryDirectory(prefix="ecapaddle-predictor-") as directory:
        prefix = os.path.join(directory, "model")
        export_model(model, prefix, input_shape=(None, 3, size, size))
        return predict_images(prefix, image_paths, class_names, topk=topk, size=size,
                              cpu_threads=threads or available_cores())
