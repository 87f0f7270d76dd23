"""Build models by name: `create("resnet18_eca")`, `list_models()`. The AlexNet family is the notebook's
(128 x 128 input); the others are paddle.vision.models with attention put in by `add_attention`."""
import difflib
from functools import partial

from paddle.vision import models as vision

from .alexnet import AlexNet, AlexNetECA
from .inject import add_attention, mobilenet_v2_kernel_size


def _vision(builder, attention=None, **attention_defaults):
    """paddle.vision.models `builder`, with `attention` added by add_attention when given."""
    def build(num_classes=10, attention_kwargs=None, **kwargs):
        model = builder(num_classes=num_classes, **kwargs)
        if attention is not None:
            add_attention(model, attention, **{**attention_defaults, **(attention_kwargs or {})})
        elif attention_kwargs:
            raise ValueError(f"attention_kwargs given for a model without attention: {attention_kwargs}")
        return model
    return build


MODELS = {
    "alexnet": AlexNet,
    "alexnet_eca": AlexNetECA,
    "alexnet_eca_adaptive": partial(AlexNetECA, kernel_sizes="adaptive"),
    "alexnet_eca_unitgate": partial(AlexNetECA, unit_gate=True),
    "alexnet_constgate": partial(AlexNet, attention="constant_gate"),
    "alexnet_se": partial(AlexNet, attention="se"),
    "resnet18": _vision(vision.resnet18),
    "resnet18_eca": _vision(vision.resnet18, "eca"),
    "resnet18_se": _vision(vision.resnet18, "se"),
    "resnet34": _vision(vision.resnet34),
    "resnet34_eca": _vision(vision.resnet34, "eca"),
    "resnet50": _vision(vision.resnet50),
    "resnet50_eca": _vision(vision.resnet50, "eca"),
    "resnet50_se": _vision(vision.resnet50, "se"),
    "mobilenet_v2": _vision(vision.mobilenet_v2),
    "mobilenet_v2_eca": _vision(vision.mobilenet_v2, "eca", kernel_size=mobilenet_v2_kernel_size),
    "vgg11": _vision(vision.vgg11),
    "vgg11_eca": _vision(vision.vgg11, "eca"),
}


def list_models():
    """Names accepted by `create`, sorted."""
    return sorted(MODELS)


def create(name, **kwargs):
    """Build the model `name` (see `list_models()`), by default for 10 classes, with random weights; kwargs go to
    its constructor (num_classes, dropout, kernel_sizes for AlexNetECA, ...; the paddle.vision models with
    attention take `attention_kwargs`, e.g. create("resnet50_eca", attention_kwargs={"kernel_size": 5}))."""
    if name not in MODELS:
        close = difflib.get_close_matches(str(name), MODELS, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"unknown model {name!r}.{hint} Available: {', '.join(list_models())}")
    kwargs.setdefault("num_classes", 10)
    return MODELS[name](**kwargs)
