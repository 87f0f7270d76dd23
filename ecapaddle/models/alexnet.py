"""AlexNet for 3 x 128 x 128 CIFAR-10 input, with optional channel attention after each conv.

The layout is the AI Studio course notebook's (see SPEC §2): five convolutions, each followed by
an optional attention layer and then ReLU, three max-pools, and a 1152-2048-2048-classes head.
"""
import functools
import numbers

import numpy as np
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

from ..layers.eca import eca_kernel_size
from ..layers.factory import create_attention
from ..layers.gate import ChannelGate, average_pool

# (in_channels, out_channels, kernel, stride, padding, max-pool after) per conv stage
STAGES = (
    (3, 48, 11, 4, 5, True),
    (48, 128, 5, 1, 2, True),
    (128, 192, 3, 1, 1, False),
    (192, 192, 3, 1, 1, False),
    (192, 128, 3, 1, 1, True),
)
INPUT_SIZE = 128
FEATURE_SIZE = 3            # spatial size of the last feature map for 128 x 128 input
NOTEBOOK_ECA_KERNELS = (3, 3, 5, 5, 3)
ORDERS = ("layers", "gates_after_pooling", "bias_after_pooling")      # see AlexNet.forward_features
# A channel gate g >= 0 (ChannelGate: sigmoid-based) commutes with ReLU and max-pooling, and these two with each
# other, exactly in floating point: relu(x * g) = relu(x) * g, maxpool(x * g) = maxpool(x) * g and
# maxpool(relu(x)) = relu(maxpool(x)) (all monotone, per channel); so does a per-channel bias b with max-pooling:
# maxpool(x + b) = maxpool(x) + b (rounding is monotone too).


def _conv_out(size, kernel, stride, padding):
    return (size + 2 * padding - kernel) // stride + 1


def feature_map_size(size):
    """Spatial size of the last feature map for an input of `size` pixels (per side)."""
    for _, _, kernel, stride, padding, pool in STAGES:
        size = _conv_out(size, kernel, stride, padding)
        if pool:
            size = _conv_out(size, 3, 2, 0) if size >= 3 else 0
    return size


class AlexNet(nn.Layer):
    """AlexNet of the course notebook; input [N, 3, 128, 128], output logits [N, num_classes].

    Args:
        num_classes: size of the output layer.
        dropout: dropout probability before the two hidden fully connected layers' outputs.
        attention: the attention after each conv and before its ReLU: a name of
            `ecapaddle.layers.list_attentions()` ("eca", "se", ...; built by `create_attention(name,
            channels, **attention_kwargs)`, as `add_attention` builds it), or a factory
            `attention(channels, stage) -> nn.Layer` called for each of the five conv stages
            (stage = 0..4). None gives the plain AlexNet (7,524,042 parameters for 10 classes).
        attention_kwargs: options of a named attention, e.g. {"reduction": 8} for "se".
    """

    # While gradients are recorded (training; `evaluate` runs under no_grad), stage 1's gate takes its mean from the
    # images (see forward_features); False pools the conv output instead: the same function, kept so that the
    # benchmark can compare the two (benchmarks/research.py, models alexnet_eca:bias_after_pooling/pooled_mean).
    gate_mean_from_images = True

    def __init__(self, num_classes=10, dropout=0.5, attention=None, attention_kwargs=None):
        super().__init__()
        if attention_kwargs and not isinstance(attention, str):
            raise ValueError(f"attention_kwargs given for a model without attention by name: {attention_kwargs}")
        if isinstance(attention, str):
            name, options = attention, attention_kwargs or {}
            attention = lambda channels, stage: create_attention(name, channels, **options)  # noqa: E731
        layers = []
        for stage, (c_in, c_out, kernel, stride, padding, pool) in enumerate(STAGES):
            layers.append(nn.Conv2D(c_in, c_out, kernel, stride=stride, padding=padding))
            if attention is not None:
                layers.append(attention(c_out, stage))
            layers.append(nn.ReLU())
            if pool:
                layers.append(nn.MaxPool2D(3, stride=2))
        self.features = nn.Sequential(*layers)
        flat = STAGES[-1][1] * FEATURE_SIZE * FEATURE_SIZE
        self.classifier = nn.Sequential(
            nn.Linear(flat, 2048), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(2048, 2048), nn.ReLU(), nn.Dropout(dropout),
            nn.Linear(2048, num_classes),
        )

    def forward(self, x):
        """x: [N, 3, H, W] with H, W giving a 3 x 3 last feature map (128 px) -> logits [N, classes].

        The same logits (up to float rounding of the gates' means) in every mode, computed in the order that is
        fastest there (`forward_features`): "bias_after_pooling" in dynamic mode (also when
        `paddle.jit.to_static` traces it by bytecode, as its default SOT mode does), "gates_after_pooling" in
        graphs traced from the source (`paddle.jit.save`, `ecapaddle.export`: oneDNN folds the conv bias into
        the conv there), and the layers' own order in dynamic mode while `features` or one of its layers has
        forward hooks (as `ecapaddle.gates`, `ecapaddle.plots` and FLOP counters register), so that the hooks run.
        """
        _check_image_batch(x)
        if not paddle.in_dynamic_mode():
            order = "gates_after_pooling"
        else:
            order = "layers" if self._features_hooked() else "bias_after_pooling"
        return self.classifier(self.forward_features(x, order).flatten(1))

    def _features_hooked(self):
        return any(layer._forward_pre_hooks or layer._forward_post_hooks for layer in [self.features, *self.features])

    def forward_features(self, x, order="layers"):
        """The conv stages: images [N, 3, 128, 128] -> features [N, 128, 3, 3], in the order `order`.

        Each stage is "conv, attention, ReLU, max-pool" in `features` ("layers": this order). A channel gate
        g >= 0 (a `ChannelGate` such as ECA or SE, whose forward is x * attention(x)) commutes with ReLU and
        max-pool, and so does a per-channel bias with max-pool (the note at the top of this file), so the same
        stage can run as
        - "gates_after_pooling": conv, max-pool, gate multiply, ReLU, the gate still computed from the conv
          output: the multiply and the ReLU read and write the 4.5-5.4x smaller pooled map in stages 1, 2 and 5,
          and Paddle Inference fuses them into one oneDNN op (issue 15); the same result bit for bit;
        - "bias_after_pooling": as "gates_after_pooling", and in the pooled stages the conv's bias is added
          after the max-pool (to the pooled map, and to the conv output's spatial mean for the gate). Paddle's
          dynamic-mode bias adds and their backward are slow on large maps (16 % of AlexNet's training step on
          CPU; training 12-16 % faster this way, benchmarks/README.md); the same result up to float rounding of
          the gate's mean. While gradients are recorded, a stage whose input needs none but whose conv weights do
          (stage 1: the images) takes that mean from its input (the conv is linear, `_channel_weights_of_conv`;
          `gate_mean_from_images`): no gradient pass over the largest conv output for the gate.
        Gates, and in "bias_after_pooling" the pooled stages' convs, are then not called as layers, so their
        forward hooks do not run. Stages with another kind of attention (EMA, a constant gate, a gate that
        overrides `forward`, or for "bias_after_pooling" `attention`) run in the layers' order, and so does all of
        `features` when it is not laid out as built (see `_stages`).
        """
        if order not in ORDERS:
            raise ValueError(f"order must be one of {ORDERS}, got {order!r}")
        stages = self._stages()
        if order == "layers" or stages is None:
            return self.features(x)
        for conv, attention, relu, pool in stages:
            gate = _reorderable_gate(attention, order)
            if order == "bias_after_pooling" and pool is not None and (gate is not None or attention is None):
                y = _conv_without_bias(conv, x)
                scale = None if gate is None else _channel_weights_of_conv(gate, conv, x, y, self.gate_mean_from_images)
                x = _scale_and_relu(pool(y) + conv.bias.reshape([1, -1, 1, 1]), scale, relu)
            elif gate is not None:
                y = conv(x)
                x = _scale_and_relu(y if pool is None else pool(y), gate.attention(y), relu)
            else:
                for layer in (conv, attention, relu, pool):
                    x = x if layer is None else layer(x)
        return x

    def _stages(self):
        """[(conv, attention or None, relu, max-pool or None)] per stage when every stage of `features` is exactly
        Conv2D (zero padding, NCHW, with a bias), optionally one attention layer, ReLU, optionally MaxPool2D, as
        built; None for any other layout (a layer added, moved or replaced by another type)."""
        layers, stages = list(self.features), []
        while layers:
            conv = layers.pop(0)
            if not _plain_conv(conv):
                return None
            attention = layers.pop(0) if layers and type(layers[0]) is not nn.ReLU else None
            if not layers or type(layers[0]) is not nn.ReLU:
                return None
            relu = layers.pop(0)
            pool = layers.pop(0) if layers and type(layers[0]) is nn.MaxPool2D else None
            stages.append((conv, attention, relu, pool))
        return stages


def _plain_conv(layer):
    """Whether `_conv_without_bias` computes `layer` minus its bias (Paddle's nn.Conv2D keeps its settings in
    these attributes in 2.x and 3.x; another layout falls back to the layers' order)."""
    return (type(layer) is nn.Conv2D and layer.bias is not None and getattr(layer, "_padding_mode", None) == "zeros"
            and getattr(layer, "_data_format", None) == "NCHW"
            and all(hasattr(layer, name) for name in ("_stride", "_padding", "_dilation", "_groups")))


def _conv_without_bias(conv, x):
    """conv(x) without adding conv.bias, with the layer's own stride, padding, dilation and groups."""
    return F.conv2d(x, conv.weight, stride=conv._stride, padding=conv._padding, dilation=conv._dilation,
                    groups=conv._groups)


def _channel_weights_of_conv(gate, conv, x, y, mean_from_input):
    """gate.attention(conv(x)) [N, C, 1, 1], given y = conv(x) without its bias [N, C, H, W].

    With `mean_from_input`, while gradients are recorded and x needs none but the conv weights do (AlexNet's stage 1:
    the images), the conv output's mean comes from x (`_conv_output_mean`), so the gate's gradient reaches the conv
    weights through [N, C_in k k] taps instead of through the whole conv output. Otherwise y is pooled: cheaper when
    no backward runs (no_grad) or when the gradient would go on into the input.
    """
    gate.check_input(y)
    from_input = mean_from_input and paddle.is_grad_enabled() and x.stop_gradient and not conv.weight.stop_gradient
    mean = _conv_output_mean(conv, x) if from_input else None
    return gate.attention_from_pooled((average_pool(y) if mean is None else mean) + conv.bias, y.ndim)


def _conv_output_mean(conv, x):
    """The spatial mean of `_conv_without_bias(conv, x)`, [N, C_out], computed from the input x [N, C_in, H, W];
    None unless the conv is a `_plain_conv` with groups 1 and a stride, padding and dilation that are an int or a
    pair each (and gives at least one output position).

    A convolution is linear: mean(conv(x))[n, o] = sum over c, u, v of weight[o, c, u, v] * taps[n, c, u, v], where
    taps[n, c, u, v] is the mean of the input pixels that kernel tap (u, v) meets over all output positions (zero
    padding included): x times a 0/1 matrix per spatial axis (`_tap_matrix`), over the number of outputs.
    """
    if not _plain_conv(conv) or conv._groups != 1:
        return None
    settings = [_pair(value) for value in (conv._stride, conv._padding, conv._dilation)]
    if None in settings:
        return None
    (stride_h, stride_w), (pad_h, pad_w), (dilation_h, dilation_w) = settings
    kernel_h, kernel_w = conv.weight.shape[2:]
    height, width = x.shape[2:]
    rows, outputs_h = _tap_matrix(height, kernel_h, stride_h, pad_h, dilation_h)
    cols, outputs_w = _tap_matrix(width, kernel_w, stride_w, pad_w, dilation_w)
    if outputs_h < 1 or outputs_w < 1:
        return None
    rows, cols = (paddle.to_tensor(matrix, dtype=x.dtype, place=x.place) for matrix in (rows, cols))
    # plain 2-D products: a matmul batched over N x C_in tiny matrices is far slower on CPU
    taps = paddle.matmul(x.reshape([-1, width]), cols)                                  # [N C_in H, kw]
    taps = taps.reshape([-1, height, kernel_w]).transpose([0, 2, 1]).reshape([-1, height])
    taps = paddle.matmul(taps, rows).reshape([-1, conv.weight.shape[1] * kernel_w * kernel_h])  # [N, C_in kw kh]
    weight = conv.weight.transpose([0, 1, 3, 2]).flatten(1)                              # [C_out, C_in kw kh]
    return paddle.matmul(taps, weight, transpose_y=True) / (outputs_h * outputs_w)


def _pair(value):
    """(a, b) from an int or a pair of ints, else None."""
    if isinstance(value, numbers.Integral):
        return int(value), int(value)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, numbers.Integral) for v in value):
        return int(value[0]), int(value[1])
    return None


@functools.lru_cache(maxsize=64)
def _tap_matrix(size, kernel, stride, padding, dilation):
    """([size, kernel] 0/1 float32 matrix, outputs): entry (i, u) is 1 if input position i meets kernel tap u at one
    of the conv's `outputs` positions along this axis (no position twice: stride >= 1)."""
    outputs = (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1
    matrix = np.zeros((size, kernel), "float32")
    for tap in range(kernel):
        positions = np.arange(max(outputs, 0)) * stride + tap * dilation - padding
        matrix[positions[(positions >= 0) & (positions < size)], tap] = 1.0
    return matrix, outputs


def _reorderable_gate(layer, order):
    """`layer` if `order` may apply it as a multiply by its channel weights, else None (see forward_features)."""
    if not isinstance(layer, ChannelGate) or type(layer).forward is not ChannelGate.forward:
        return None
    if order == "bias_after_pooling" and type(layer).attention is not ChannelGate.attention:
        return None         # the channel weights are computed from the mean: attention_from_pooled
    return layer


def _scale_and_relu(x, scale, relu):
    """relu(x * scale), without the multiply when scale is None."""
    return relu(x if scale is None else x * scale)


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
