"""AlexNet for 3 x 128 x 128 CIFAR-10 images, with optional channel attention after each conv.

The layout is the one of the course's original AI Studio notebook: five convolutions, each followed by an optional
attention layer and then ReLU, three max-pools, and a 1152-2048-2048-classes classifier with dropout.
"""
import paddle.nn as nn

from ..layers.eca import eca_kernel_size
from ..layers.factory import create_attention

# (in_channels, out_channels, kernel, stride, padding, max-pool after) per conv stage
STAGES = (
    (3, 48, 11, 4, 5, True),
    (48, 128, 5, 1, 2, True),
    (128, 192, 3, 1, 1, False),
    (192, 192, 3, 1, 1, False),
    (192, 128, 3, 1, 1, True),
)
INPUT_SIZE = 128
NOTEBOOK_ECA_KERNELS = (3, 3, 5, 5, 3)


def feature_map_size(size):
    """Side of the last feature map for a square input of `size` pixels (3 for 128)."""
    for _, _, kernel, stride, padding, pool in STAGES:
        size = (size + 2 * padding - kernel) // stride + 1
        if pool:
            size = max((size - 3) // 2 + 1, 0)             # MaxPool2D(3, stride=2)
    return size


FEATURE_SIZE = feature_map_size(INPUT_SIZE)


class AlexNet(nn.Layer):
    """AlexNet of the course notebook: images [N, 3, 128, 128] -> logits [N, num_classes].

    Each conv stage is conv -> attention (optional) -> ReLU -> max-pool (stages 1, 2 and 5).

    Args:
        num_classes: size of the output layer.
        dropout: dropout probability after the two hidden fully connected layers.
        attention: the attention after each conv and before its ReLU: a name of
            `ecapaddle.layers.list_attentions()` ("eca", "se", ...; built by `create_attention(name,
            channels, **attention_kwargs)`), or a factory `attention(channels, stage) -> nn.Layer` called
            for each of the five conv stages (stage = 0..4). None gives the plain AlexNet
            (7,524,042 parameters for 10 classes).
        attention_kwargs: options of a named attention, e.g. {"reduction": 8} for "se".
    """

    def __init__(self, num_classes=10, dropout=0.5, attention=None, attention_kwargs=None):
        super().__init__()
        if attention_kwargs and not isinstance(attention, str):
            raise ValueError(f"attention_kwargs given for a model without attention by name: {attention_kwargs}")
        if isinstance(attention, str):
            name, options = attention, attention_kwargs or {}
            attention = lambda channels, stage: create_attention(name, channels, **options)  # noqa: E731

        # The convs and the classifier are created before any attention layer, so that after the same
        # paddle.seed every model of the family starts from the same weights in the layers they share.
        convs = [nn.Conv2D(c_in, c_out, kernel, stride=stride, padding=padding)
                 for c_in, c_out, kernel, stride, padding, _ in STAGES]
        classifier = nn.Sequential(
            nn.Linear(STAGES[-1][1] * FEATURE_SIZE * FEATURE_SIZE, 2048), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(2048, 2048), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(2048, num_classes),
        )
        layers = []
        for stage, (conv, (_, c_out, _, _, _, pool)) in enumerate(zip(convs, STAGES)):
            layers.append(conv)
            if attention is not None:
                layers.append(attention(c_out, stage))
            layers.append(nn.ReLU())
            if pool:
                layers.append(nn.MaxPool2D(3, stride=2))
        self.features = nn.Sequential(*layers)
        self.classifier = classifier

    def forward(self, x):
        """x: images [N, 3, 128, 128] -> logits [N, num_classes]."""
        _check_image_batch(x)
        return self.classifier(self.features(x).flatten(1))


def _check_image_batch(x):
    if x.ndim != 4 or x.shape[1] not in (3, -1):
        raise ValueError(f"AlexNet expects images [N, 3, 128, 128], got shape {list(x.shape)}")
    for side in x.shape[2:]:
        if side != -1 and feature_map_size(side) != FEATURE_SIZE:
            raise ValueError(
                f"AlexNet expects {INPUT_SIZE} x {INPUT_SIZE} input (its classifier needs a "
                f"{FEATURE_SIZE} x {FEATURE_SIZE} last feature map); got {list(x.shape[2:])}, which gives "
                f"{feature_map_size(side)}. Resize the images to {INPUT_SIZE} px (see ecapaddle.data transforms).")


class AlexNetECA(AlexNet):
    """AlexNet with ECA after each conv and before its ReLU (7,524,061 parameters for 10 classes).

    Args:
        num_classes, dropout: as for `AlexNet`.
        kernel_sizes: five odd ECA kernel sizes, one per conv stage. The default (3, 3, 5, 5, 3)
            is the notebook's; "adaptive" uses the paper's rule per stage (3, 5, 5, 5, 5).
        unit_gate: use `UnitGateECA` (gate 2 * sigmoid, starting at exactly 1) instead of `ECA`
            (gate sigmoid, starting near 0.5): the gate-scale control of the experiment. Same
            parameters; at initialisation the network computes the same function as `AlexNet`.
    """

    def __init__(self, num_classes=10, kernel_sizes=NOTEBOOK_ECA_KERNELS, dropout=0.5, unit_gate=False):
        channels = [stage[1] for stage in STAGES]
        if isinstance(kernel_sizes, str):
            if kernel_sizes != "adaptive":
                raise ValueError(f"kernel_sizes must be 5 odd ints or 'adaptive', got {kernel_sizes!r}")
            kernel_sizes = tuple(eca_kernel_size(c) for c in channels)
        kernel_sizes = tuple(kernel_sizes)
        if len(kernel_sizes) != len(STAGES):
            raise ValueError(f"kernel_sizes needs one size per conv stage ({len(STAGES)}), got {kernel_sizes}")
        self.kernel_sizes = kernel_sizes
        kind = "eca_unitgate" if unit_gate else "eca"
        super().__init__(num_classes, dropout,
                         attention=lambda c, stage: create_attention(kind, c, kernel_size=kernel_sizes[stage]))
