import numpy as np
import paddle
import pytest

from ecapaddle import ECA, SE, AlexNet, AlexNetECA, LabelSmoothingCrossEntropy, count_parameters
from ecapaddle.export import export_model
from ecapaddle.models import alexnet as alexnet_module
from ecapaddle.layers import UnitGateECA


def test_exact_parameter_counts():
    assert count_parameters(AlexNet()) == 7_524_042
    assert count_parameters(AlexNetECA()) == 7_524_061
    assert count_parameters(AlexNetECA(kernel_sizes="adaptive")) == 7_524_042 + 3 + 5 + 5 + 5 + 5


def test_eca_sits_after_each_conv_before_relu():
    layers = list(AlexNetECA().features)
    convs = [i for i, layer in enumerate(layers) if isinstance(layer, paddle.nn.Conv2D)]
    assert len(convs) == 5
    for i in convs:
        assert isinstance(layers[i + 1], ECA) and isinstance(layers[i + 2], paddle.nn.ReLU)
    assert [layers[i + 1].kernel_size for i in convs] == [3, 3, 5, 5, 3]


@pytest.mark.parametrize("model_cls", [AlexNet, AlexNetECA])
def test_output_shapes(model_cls):
    model = model_cls(num_classes=7)
    model.eval()
    assert model(paddle.randn([2, 3, 128, 128])).shape == [2, 7]
    assert model.features(paddle.randn([1, 3, 128, 128])).shape == [1, 128, 3, 3]


def test_attention_by_name_or_by_stage_factory():
    named = AlexNet(attention="eca")                        # the adaptive rule per stage: 3, 5, 5, 5, 5
    assert [layer.kernel_size for layer in named.features if isinstance(layer, ECA)] == [3, 5, 5, 5, 5]
    assert count_parameters(named) == count_parameters(AlexNetECA(kernel_sizes="adaptive"))
    se = AlexNet(attention="se", attention_kwargs={"reduction": 8})
    assert [layer.reduction for layer in se.features if isinstance(layer, SE)] == [8] * 5
    by_stage = AlexNet(attention=lambda channels, stage: ECA(channels, kernel_size=2 * stage + 1))
    assert [layer.kernel_size for layer in by_stage.features if isinstance(layer, ECA)] == [1, 3, 5, 7, 9]
    assert all(isinstance(layer, UnitGateECA) for layer in AlexNetECA(unit_gate=True).features
               if isinstance(layer, ECA))
    with pytest.raises(ValueError, match="unknown attention kind 'cbam'"):
        AlexNet(attention="cbam")
    with pytest.raises(ValueError, match="attention_kwargs given for a model without attention"):
        AlexNet(attention_kwargs={"reduction": 8})


def test_wrong_input_size_is_a_clear_error():
    model = AlexNet()
    with pytest.raises(ValueError, match="expects 128 x 128 input"):
        model(paddle.randn([1, 3, 32, 32]))
    with pytest.raises(ValueError, match=r"\[N, 3, 128, 128\]"):
        model(paddle.randn([1, 1, 128, 128]))


def test_bad_kernel_sizes_argument():
    with pytest.raises(ValueError, match="one size per conv stage"):
        AlexNetECA(kernel_sizes=(3, 3))
    with pytest.raises(ValueError, match="'adaptive'"):
        AlexNetECA(kernel_sizes="auto")


@pytest.mark.parametrize("model_cls", [AlexNet, AlexNetECA])
def test_overfits_a_tiny_batch(model_cls):
    paddle.seed(1)
    model = model_cls(dropout=0.0)
    x = paddle.randn([8, 3, 128, 128])
    y = paddle.arange(8) % 4
    loss_fn = LabelSmoothingCrossEntropy(0.0)
    opt = paddle.optimizer.Adam(learning_rate=3e-4, parameters=model.parameters())
    losses = []
    for _ in range(25):
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert losses[-1] < 0.1 * losses[0], losses
    assert (model(x).argmax(1).numpy() == y.numpy()).all()


@pytest.mark.parametrize("build", [AlexNetECA, lambda: AlexNetECA(unit_gate=True), lambda: AlexNet(attention="se"),
                                   lambda: AlexNet(attention="constant_gate"), AlexNet])
def test_every_order_gives_the_same_features(build):
    paddle.seed(0)
    model = build()
    model.eval()
    images = paddle.randn([3, 3, 128, 128])
    in_layer_order = model.features(images).numpy()
    np.testing.assert_array_equal(model.forward_features(images, "layers").numpy(), in_layer_order)
    np.testing.assert_array_equal(model.forward_features(images, "gates_after_pooling").numpy(), in_layer_order)
    # the gate's mean gets the bias added after averaging: equal up to float rounding
    np.testing.assert_allclose(model.forward_features(images, "bias_after_pooling").numpy(), in_layer_order,
                               rtol=1e-5, atol=1e-6)


def _pooling_every_gate(model):
    model.gate_mean_from_images = False
    return model


@pytest.mark.parametrize("build", [AlexNet, AlexNetECA, lambda dropout: AlexNetECA(dropout=dropout, unit_gate=True),
                                   lambda dropout: AlexNet(dropout=dropout, attention="se"),
                                   lambda dropout: _pooling_every_gate(AlexNetECA(dropout=dropout))])
@pytest.mark.parametrize("order", ["gates_after_pooling", "bias_after_pooling"])
def test_every_order_gives_the_same_gradients(build, order):
    paddle.seed(0)
    model, images, labels = build(dropout=0.0), paddle.randn([4, 3, 128, 128]), paddle.to_tensor([0, 1, 2, 3])
    gradients = []
    for each in ("layers", order):
        loss = paddle.nn.functional.cross_entropy(model.classifier(model.forward_features(images, each).flatten(1)),
                                                  labels)
        loss.backward()
        gradients.append({name: p.grad.numpy().copy() for name, p in model.named_parameters()})
        model.clear_gradients()
    for name, grad in gradients[0].items():
        np.testing.assert_allclose(gradients[1][name], grad, rtol=1e-4, atol=1e-7, err_msg=name)


class ResidualECA(ECA):
    """A gate whose forward is not x * attention(x): no reordering may apply it as a multiply."""

    def forward(self, x):
        return x + x * self.attention(x)


class ShiftedECA(ECA):
    """A gate whose channel weights are not attention_from_pooled(mean): no bias_after_pooling for it."""

    def attention(self, x):
        return super().attention(x + 1.0)


def _changed_layouts():
    def insert(index, layer):
        return lambda model: model.features.insert(index, layer)

    def replace_conv(index, **settings):
        def change(model):
            conv = model.features[index]
            c_out, c_in, k, _ = conv.weight.shape
            model.features[index] = paddle.nn.Conv2D(c_in, c_out, k, **settings)
        return change

    def swap(i, j):
        def change(model):
            model.features[i], model.features[j] = model.features[j], model.features[i]
        return change

    return {
        "BatchNorm before a gate": insert(1, paddle.nn.BatchNorm2D(48)),
        "Dropout after a max-pool": insert(4, paddle.nn.Dropout2D(0.5)),
        "gate after its ReLU": swap(1, 2),
        "conv1 with other padding": replace_conv(0, stride=4, padding=4),
        "conv2 with dilation": replace_conv(4, padding=4, dilation=2),
        "first conv wrapped": lambda model: model.features.__setitem__(0, paddle.nn.Sequential(model.features[0])),
    }


def _assert_every_order_gives_the_layers_result(model):
    model.eval()
    images = paddle.randn([2, 3, 128, 128])
    expected = model.features(images).numpy()
    for order in ("gates_after_pooling", "bias_after_pooling"):
        np.testing.assert_allclose(model.forward_features(images, order).numpy(), expected, rtol=1e-5, atol=1e-6,
                                   err_msg=order)


@pytest.mark.parametrize("change", list(_changed_layouts()))
def test_features_laid_out_otherwise_give_the_same_result_in_every_order(change):
    paddle.seed(0)
    model = AlexNetECA()
    _changed_layouts()[change](model)
    _assert_every_order_gives_the_layers_result(model)


@pytest.mark.parametrize("gate", [ResidualECA, ShiftedECA])
def test_gates_that_change_forward_or_attention_give_the_same_result_in_every_order(gate):
    paddle.seed(0)
    _assert_every_order_gives_the_layers_result(AlexNet(attention=lambda channels, stage: gate(kernel_size=3)))


def test_forward_features_rejects_an_unknown_order():
    with pytest.raises(ValueError, match="order must be one of"):
        AlexNet().forward_features(paddle.randn([1, 3, 128, 128]), "fastest")


def test_dynamic_mode_adds_the_pooled_stages_biases_after_pooling(monkeypatch):
    model = AlexNetECA()
    model.eval()
    called = []
    forward = paddle.nn.Conv2D.forward
    monkeypatch.setattr(paddle.nn.Conv2D, "forward", lambda layer, x: called.append(layer) or forward(layer, x))
    model(paddle.randn([1, 3, 128, 128]))
    assert called == [model.features[8], model.features[11]]        # conv3 and conv4 (no max-pool after them)
    called.clear()
    handle = model.features.register_forward_post_hook(lambda layer, inputs, output: None)
    model(paddle.randn([1, 3, 128, 128]))
    assert len(called) == 5                                         # a hook on `features`: the layers in order
    handle.remove()


def test_gates_are_reordered_unless_dynamic_mode_has_hooks_on_a_feature_layer(tmp_path, monkeypatch):
    model = AlexNetECA()
    model.eval()
    images = paddle.randn([1, 3, 128, 128])
    layer_calls = []
    call = ECA.__call__                 # not ECA.forward: a gate with another forward is never reordered
    monkeypatch.setattr(ECA, "__call__", lambda layer, x: layer_calls.append("call") or call(layer, x))
    model(images)
    assert layer_calls == []                                    # no hooks: gates after pooling
    conv_outputs = []
    handle = model.features[0].register_forward_post_hook(lambda layer, inputs, output: conv_outputs.append(output))
    model(images)
    assert len(conv_outputs) == 1 and len(layer_calls) == 5     # a hook on a conv: every layer in its place
    handle.remove()
    layer_calls.clear()
    hooked = []
    for layer in model.features:
        if isinstance(layer, ECA):
            layer.register_forward_post_hook(lambda layer, inputs, output: hooked.append(layer))
    export_model(model, tmp_path / "model")
    assert hooked == [] and layer_calls == []                   # export: gates after pooling, hooks or not
    model(images)
    assert len(hooked) == len(layer_calls) == 5                 # dynamic mode with hooks: the layers in place


@pytest.mark.parametrize("size, settings", [
    ((128, 128), dict(kernel_size=11, stride=4, padding=5)),        # AlexNet's conv1
    ((15, 15), dict(kernel_size=5, padding=2)),
    ((17, 20), dict(kernel_size=(3, 5), stride=(2, 1), padding=[1, 0], dilation=(1, 2))),
    ((9, 12), dict(kernel_size=3, stride=3)),
    ((10, 11), dict(kernel_size=(2, 3), stride=5, padding=(4, 5))),   # stride > kernel, padding > kernel
])
def test_conv_output_mean_from_the_input_matches_paddles_conv_and_pooling(size, settings):
    paddle.seed(0)
    conv = paddle.nn.Conv2D(3, 8, **settings)
    x = paddle.randn([2, 3, *size])
    x.stop_gradient = False
    readout = paddle.randn([2, 8])
    results = []
    for mean in (lambda: paddle.nn.functional.adaptive_avg_pool2d(conv(x), 1).flatten(1) - conv.bias,
                 lambda: alexnet_module._conv_output_mean(conv, x)):
        value = mean()
        (value * readout).sum().backward()
        results.append((value.numpy(), x.grad.numpy().copy(), conv.weight.grad.numpy().copy()))
        x.clear_gradient(), conv.clear_gradients()
    for expected, got, name in zip(results[0], results[1], ("mean", "x gradient", "weight gradient")):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("settings", [dict(groups=3), dict(padding="SAME"), dict(padding=[1, 1, 0, 2]),
                                      dict(padding=1, padding_mode="reflect"), dict(data_format="NHWC"),
                                      dict(kernel_size=9)])                    # no output position on 8 x 8
def test_conv_output_mean_declines_other_conv_settings(settings):
    conv = paddle.nn.Conv2D(3, 6, **{"kernel_size": 3, **settings})
    assert alexnet_module._conv_output_mean(conv, paddle.randn([1, 3, 8, 8])) is None


def test_training_takes_the_first_gate_mean_from_the_images_only(monkeypatch):
    model, calls = AlexNetECA(), []
    conv_output_mean = alexnet_module._conv_output_mean
    monkeypatch.setattr(alexnet_module, "_conv_output_mean",
                        lambda conv, x: calls.append(conv) or conv_output_mean(conv, x))
    model(paddle.randn([2, 3, 128, 128]))
    assert calls == [model.features[0]]         # later stages' inputs need gradients: the mean of the conv output
    calls.clear()
    with paddle.no_grad():
        model(paddle.randn([2, 3, 128, 128]))
    assert calls == []                          # evaluation: pooling the conv output is cheaper
    model.features[0].weight.stop_gradient = True   # conv1 frozen: nothing to spare
    model(paddle.randn([2, 3, 128, 128]))
    assert calls == []
    model.features[0].weight.stop_gradient = False
    model.gate_mean_from_images = False           # the benchmark's comparison: pool the conv output in training too
    model(paddle.randn([2, 3, 128, 128]))
    assert calls == []
