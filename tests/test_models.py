import numpy as np
import paddle
import pytest

from ecapaddle import ECA, SE, AlexNet, AlexNetECA, LabelSmoothingCrossEntropy, count_parameters
from ecapaddle.models import create
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


FAMILY = ("alexnet", "alexnet_eca", "alexnet_eca_unitgate", "alexnet_constgate")


@pytest.mark.parametrize("seed", [42, 7])
def test_the_family_starts_from_the_same_shared_weights_for_a_seed(seed):
    def shared_weights(name):
        paddle.seed(seed)
        return [(type(layer).__name__, param.numpy()) for layer in create(name).sublayers()
                if isinstance(layer, (paddle.nn.Conv2D, paddle.nn.Linear)) for param in layer.parameters()]

    reference = shared_weights("alexnet")
    assert [kind for kind, _ in reference] == ["Conv2D"] * 10 + ["Linear"] * 6     # weight and bias of each
    for name in FAMILY[1:]:
        weights = shared_weights(name)
        assert [kind for kind, _ in weights] == [kind for kind, _ in reference]
        for i, ((_, value), (_, expected)) in enumerate(zip(weights, reference)):
            np.testing.assert_array_equal(value, expected, err_msg=f"{name}: shared parameter {i}")
    paddle.seed(seed + 1)
    assert not np.array_equal(create("alexnet").features[0].weight.numpy(), reference[0][1])


def test_forward_hooks_see_every_layer_that_runs():
    model = AlexNetECA()
    model.eval()
    seen = []
    for layer in model.features:
        layer.register_forward_post_hook(lambda layer, inputs, output: seen.append(type(layer).__name__))
    logits = model(paddle.randn([2, 3, 128, 128]))
    assert seen == [type(layer).__name__ for layer in model.features]
    assert logits.shape == [2, 10]
