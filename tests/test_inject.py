"""add_attention on paddle.vision ResNet / MobileNetV2 / VGG and on user models; the model registry."""
import numpy as np
import paddle
import paddle.nn as nn
import pytest
from paddle.vision.models import mobilenet_v2, resnet18, resnet50, vgg11

from ecapaddle import AlexNet, AlexNetECA
from ecapaddle.layers import ECA, SE
from ecapaddle.models import add_attention, create, list_models, mobilenet_v2_kernel_size
from ecapaddle.utils import count_parameters

RESNET18_CHANNELS = [64, 64, 128, 128, 256, 256, 512, 512]


def attention_layers(model):
    layers = dict(model.named_sublayers())
    return [layers[name] for name in model._ecapaddle_attention]


def test_resnet50_gets_the_papers_80_and_86_parameters():
    adaptive = resnet50(num_classes=10)
    plain = count_parameters(adaptive)
    add_attention(adaptive)
    assert count_parameters(adaptive) - plain == 86           # 13 blocks k=5 + 3 blocks (2048 ch) k=7
    assert [layer.kernel_size for layer in attention_layers(adaptive)] == [5] * 13 + [7] * 3
    fixed = add_attention(resnet50(num_classes=10), kernel_size=5)
    assert count_parameters(fixed) - plain == 80              # 16 blocks x 5, the paper's figure
    assert isinstance(fixed.layer4[2].bn3, nn.Sequential) and isinstance(fixed.layer4[2].bn3[1], ECA)
    fixed.eval()
    assert fixed(paddle.randn([1, 3, 64, 64])).shape == [1, 10]


def test_resnet18_eca_placement_and_count():
    model = resnet18(num_classes=10)
    plain = count_parameters(model)
    assert add_attention(model) is model
    assert count_parameters(model) - plain == 3 + 3 + 5 * 6
    assert model._ecapaddle_attention[:2] == ["layer1.0.bn2.1", "layer1.1.bn2.1"]
    assert [layer.channels for layer in attention_layers(model)] == RESNET18_CHANNELS
    assert model(paddle.randn([2, 3, 32, 32])).shape == [2, 10]


class Zero(nn.Layer):
    def forward(self, x):
        return x * 0


def test_attention_sits_before_the_residual_addition():
    # With an attention that zeroes its input, a block with an identity shortcut returns relu(x):
    # the attention acts on the residual branch only, after its last BatchNorm.
    model = add_attention(resnet18(num_classes=10), kind=lambda channels: Zero())
    block = model.layer1[1]
    x = paddle.randn([2, 64, 8, 8])
    np.testing.assert_allclose(block(x).numpy(), np.maximum(x.numpy(), 0), atol=0)


def test_other_kinds_on_resnet18():
    se = add_attention(resnet18(num_classes=10), "se")
    plain = count_parameters(resnet18(num_classes=10))
    assert count_parameters(se) - plain == sum(2 * c * (c // 16) + c // 16 + c for c in RESNET18_CHANNELS)
    assert all(isinstance(layer, SE) for layer in attention_layers(se))
    ema = add_attention(resnet18(num_classes=10), "ema", factor=32)
    assert count_parameters(ema) - plain == sum(10 * (c // 32) ** 2 + 4 * (c // 32) for c in RESNET18_CHANNELS)
    ema.eval()
    assert ema(paddle.randn([1, 3, 32, 32])).shape == [1, 10]


def test_mobilenet_v2_with_the_papers_kernel_rule():
    model = mobilenet_v2(num_classes=10)
    plain = count_parameters(model)
    add_attention(model, kernel_size=mobilenet_v2_kernel_size)
    layers = attention_layers(model)
    assert len(layers) == 17                                   # one per inverted residual block
    assert [(layer.channels, layer.kernel_size) for layer in layers][:2] == [(16, 1), (24, 1)]
    assert all(layer.kernel_size == (1 if layer.channels < 96 else 3) for layer in layers)
    assert count_parameters(model) - plain == 10 * 1 + 7 * 3
    assert "features.2.conv.3.weight" in model.state_dict()   # projection BN keeps its parameter names
    assert isinstance(model.features[2].conv[4], ECA)
    model.eval()
    assert model(paddle.randn([2, 3, 32, 32])).shape == [2, 10]


def test_vgg11_gets_attention_after_each_conv_relu():
    model = vgg11(num_classes=0)                               # features only: no 100M-parameter head
    model.eval()
    x = paddle.randn([1, 3, 32, 32])
    shape = model(x).shape
    names_before, plain = set(model.state_dict()), count_parameters(model)
    add_attention(model)
    assert len(model._ecapaddle_attention) == 8
    assert all(isinstance(model.features[int(name.split(".")[1])][0], nn.ReLU)
               for name in model._ecapaddle_attention)
    assert count_parameters(model) - plain == 3 + 5 * 7             # 64 channels k=3, 128..512 k=5
    assert names_before <= set(model.state_dict())                 # no parameter was renamed
    assert model(x).shape == shape


def test_user_model_by_names_and_by_predicate():
    def net():
        return nn.Sequential(nn.Conv2D(3, 8, 3), nn.BatchNorm2D(8), nn.ReLU(), nn.Conv2D(8, 16, 3), nn.ReLU(),
                             nn.AdaptiveAvgPool2D(1), nn.Flatten(), nn.Linear(16, 4))

    by_name = add_attention(net(), "eca", where=["1", "3"], kernel_size=3)
    assert by_name._ecapaddle_attention == ["1.1", "3.1"]
    assert [layer.channels for layer in attention_layers(by_name)] == [8, 16]
    assert count_parameters(by_name) - count_parameters(net()) == 6

    by_rule = add_attention(net(), "se", where=lambda name, layer: True if isinstance(layer, nn.Conv2D) else None,
                            reduction=4)
    assert by_rule._ecapaddle_attention == ["0.1", "3.1"]
    after_relu = add_attention(net(), where=lambda name, layer: 16 if name == "4" else None)
    assert [layer.channels for layer in attention_layers(after_relu)] == [16]
    for model in (by_name, by_rule, after_relu):
        assert model(paddle.randn([2, 3, 12, 12])).shape == [2, 4]


def test_eval_mode_is_kept():
    model = resnet18(num_classes=10)
    model.eval()
    add_attention(model, "se")
    assert all(not layer.training for layer in attention_layers(model))


def test_eval_mode_block_restores_each_layer():
    from ecapaddle.utils import eval_mode

    model = nn.Sequential(nn.Conv2D(3, 4, 3), nn.BatchNorm2D(4), nn.Dropout(0.5))
    model.train()
    model[1].eval()                                     # a frozen BatchNorm in a model being trained
    with eval_mode(model):
        assert not any(layer.training for layer in model.sublayers(include_self=True))
    assert [layer.training for layer in model.sublayers(include_self=True)] == [True, True, False, True]


def test_clear_errors():
    with pytest.raises(ValueError, match="Supported: paddle.vision.models ResNet"):
        add_attention(AlexNet())
    with pytest.raises(ValueError, match="unknown attention kind 'cbam'"):
        add_attention(resnet18(), "cbam")
    with pytest.raises(ValueError, match=r"where= names \['nope'\] are not sublayers"):
        add_attention(nn.Sequential(nn.Conv2D(3, 4, 3)), where=["nope"])
    with pytest.raises(ValueError, match="cannot tell the channel count of sublayer '1'"):
        add_attention(nn.Sequential(nn.Conv2D(3, 4, 3), nn.ReLU()), where=["1"])
    with pytest.raises(ValueError, match="selected no sublayer"):
        add_attention(nn.Sequential(nn.Conv2D(3, 4, 3)), where=lambda name, layer: None)
    model = add_attention(resnet18())
    with pytest.raises(ValueError, match="already has attention"):
        add_attention(model)


def test_a_failing_layer_leaves_the_model_unchanged():
    model = mobilenet_v2(num_classes=10)
    plain = count_parameters(model)
    with pytest.raises(ValueError, match="EMA splits the channels"):
        add_attention(model, "ema")                              # 16 and 24 channels: not multiples of 32
    assert count_parameters(model) == plain and not hasattr(model, "_ecapaddle_attention")


def test_resnet18_with_eca_trains():
    paddle.seed(3)
    model = add_attention(resnet18(num_classes=4))
    x = paddle.randn([8, 3, 32, 32])
    y = paddle.arange(8) % 4
    opt = paddle.optimizer.Adam(learning_rate=1e-3, parameters=model.parameters())
    eca_before = [layer.conv.weight.numpy() for layer in attention_layers(model)]
    losses = []
    for _ in range(8):
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        opt.clear_grad()
        losses.append(float(loss))
    assert losses[-1] < 0.5 * losses[0], losses
    eca_after = [layer.conv.weight.numpy() for layer in attention_layers(model)]
    assert all(np.abs(a - b).max() > 0 for a, b in zip(eca_after, eca_before))   # the ECA kernels learn too


# -- registry -------------------------------------------------------------------------------------

def test_registry_lists_and_builds():
    names = list_models()
    for name in ("alexnet", "alexnet_eca", "alexnet_eca_adaptive", "resnet18", "resnet18_eca", "resnet50_eca",
                 "mobilenet_v2_eca"):
        assert name in names
    assert count_parameters(create("alexnet")) == 7_524_042
    assert count_parameters(create("alexnet_eca")) == 7_524_061
    assert count_parameters(create("alexnet_eca_adaptive")) == 7_524_042 + 3 + 5 * 4
    assert isinstance(create("alexnet_eca"), AlexNetECA)
    assert create("alexnet", num_classes=100).classifier[-1].weight.shape == [2048, 100]
    r18 = create("resnet18_eca")
    assert r18.fc.weight.shape == [512, 10]
    assert count_parameters(r18) - count_parameters(create("resnet18")) == 36
    fixed = create("resnet18_eca", attention_kwargs={"kernel_size": 3})
    assert count_parameters(fixed) - count_parameters(create("resnet18")) == 24
    mnv2 = create("mobilenet_v2_eca")
    assert count_parameters(mnv2) - count_parameters(create("mobilenet_v2")) == 31
    assert [type(layer) for layer in create("alexnet_se").features if isinstance(layer, SE)] == [SE] * 5


def test_registry_errors():
    with pytest.raises(ValueError, match=r"unknown model 'resnet18_ecaa'. Did you mean 'resnet18_eca'\?.*alexnet"):
        create("resnet18_ecaa")
    with pytest.raises(ValueError, match="attention_kwargs given for a model without attention"):
        create("resnet18", attention_kwargs={"kernel_size": 3})
