"""Deploy a trained model: static-graph export, reload, Paddle Inference predictor, top-k on image files.

`export_model` writes `<prefix>.json` (Paddle 3) or `<prefix>.pdmodel` (Paddle 2.x) plus `<prefix>.pdiparams`.
The paddle.inference predictor keeps its defaults (oneDNN and IR passes on).
"""
import os

import numpy as np
import paddle
from paddle import inference
from paddle.static import InputSpec
from PIL import Image, UnidentifiedImageError

from .data.transforms import build_transforms
from .runtime import available_cores
from .utils import eval_mode

MODEL_SUFFIXES = (".json", ".pdmodel")      # Paddle 3 (PIR) and Paddle 2.x program files
ONEDNN_FLAGS = ("FLAGS_use_mkldnn", "FLAGS_use_onednn")


def export_model(model, path_prefix, input_shape=(None, 3, 128, 128)):
    """Save `model` in eval mode with paddle.jit.save; return (model_file, params_file). input_shape: [N, C, H, W]
    of its float32 input, None (or -1) for a free axis."""
    path_prefix = os.fspath(path_prefix)
    spec = InputSpec([-1 if side is None else side for side in input_shape], "float32", "image")
    with eval_mode(model):
        paddle.jit.save(model, path_prefix, input_spec=[spec])
    return model_files(path_prefix)


def model_files(path_prefix):
    """(model_file, params_file) of an exported model, whichever program format it was saved in."""
    path_prefix = os.fspath(path_prefix)
    params_file = path_prefix + ".pdiparams"
    for suffix in MODEL_SUFFIXES:
        if os.path.isfile(path_prefix + suffix) and os.path.isfile(params_file):
            return path_prefix + suffix, params_file
    raise FileNotFoundError(f"no exported model at {path_prefix!r}: expected {path_prefix}.json or "
                            f"{path_prefix}.pdmodel, and {params_file}; write them with export_model(model, prefix)")


def load_exported(path_prefix):
    """The exported model as a paddle.jit.TranslatedLayer in eval mode (runs like a dynamic Layer)."""
    model_files(path_prefix)
    enabled = [flag for flag in ONEDNN_FLAGS if _flag_value(flag)]
    if enabled:
        raise RuntimeError(f"{', '.join(enabled)} is on: Paddle 3.3.1 crashes (segmentation fault) running a "
                           f"paddle.jit.load-ed program with it on CPU. Turn it off "
                           f"(paddle.set_flags({{{enabled[0]!r}: False}})) or use create_predictor(path_prefix), "
                           f"which runs oneDNN safely.")
    layer = paddle.jit.load(os.fspath(path_prefix))
    layer.eval()
    return layer


def create_predictor(path_prefix, cpu_threads=None):
    """A paddle.inference predictor of `cpu_threads` threads (None: every core this process may use, not Paddle
    Inference's default of one) for the model exported at `path_prefix`; run it with `run_predictor`."""
    config = inference.Config(*model_files(path_prefix))
    config.disable_glog_info()
    config.set_cpu_math_library_num_threads(int(cpu_threads or available_cores()))
    return inference.create_predictor(config)


def run_predictor(predictor, images):
    """Run a paddle.inference predictor on a float32 batch [N, C, H, W]; return its first output (ndarray)."""
    images = np.ascontiguousarray(images, dtype="float32")
    handle = predictor.get_input_handle(predictor.get_input_names()[0])
    handle.reshape(list(images.shape))
    handle.copy_from_cpu(images)
    predictor.run()
    return predictor.get_output_handle(predictor.get_output_names()[0]).copy_to_cpu()


def predict_images(model_or_prefix, image_paths, class_names, topk=5, size=128, cpu_threads=None):
    """Top-k classes of image files: [[(class_name, probability), ...] per image], most likely first.

    model_or_prefix: a paddle.nn.Layer (run in eval mode), or the prefix of an exported model (run with a
    predictor of `cpu_threads` threads). Each image gets `inference_transform(size)`; `class_names` has one
    name per model output.
    """
    image_paths = [os.fspath(path) for path in image_paths]
    if not image_paths:
        raise ValueError("predict_images needs at least one image path")
    if not 1 <= topk <= len(class_names):
        raise ValueError(f"topk must be between 1 and the number of classes ({len(class_names)}), got {topk}")
    transform = inference_transform(size)
    batch = []
    for path in image_paths:
        try:
            image = Image.open(path)
        except UnidentifiedImageError:
            raise ValueError(f"{path} is not an image file PIL can read; pass PNG, JPEG or other image files") from None
        with image:
            batch.append(np.asarray(transform(image), dtype="float32"))
    batch = np.stack(batch)
    if isinstance(model_or_prefix, paddle.nn.Layer):
        with eval_mode(model_or_prefix), paddle.no_grad():
            logits = model_or_prefix(paddle.to_tensor(batch)).numpy()
    else:
        logits = run_predictor(create_predictor(model_or_prefix, cpu_threads), batch)
    if logits.shape[-1] != len(class_names):
        raise ValueError(f"the model has {logits.shape[-1]} outputs but {len(class_names)} class names were given")
    probs = paddle.nn.functional.softmax(paddle.to_tensor(logits), axis=1).numpy()
    order = np.argsort(-probs, axis=1, kind="stable")[:, :topk]
    return [[(class_names[i], float(p[i])) for i in row] for p, row in zip(probs, order)]


def inference_transform(size=128):
    """PIL image -> float32 [3, size, size]: RGB, a bilinear resize to size x size (the same pixels as the
    notebook's Resize on square CIFAR-10 images, and any photo fits the fixed-size AlexNet head), then the
    notebook's test transform."""
    notebook_test = build_transforms("notebook", train=False, size=size)
    return lambda image: notebook_test(image.convert("RGB").resize((size, size), Image.BILINEAR))


def _flag_value(flag):
    try:
        return bool(paddle.get_flags([flag])[flag])
    except ValueError:                      # a Paddle build without this flag
        return False
