import numpy as np
import paddle
import paddle.nn as nn
import pytest

from ecapaddle import SE, AlexNet, AlexNetECA
from ecapaddle.gates import StageGates, gate_statistics, gate_table
from ecapaddle.layers import ECA
from ecapaddle.plots import eca_attention_weights


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def constant_images(values):
    """Images [2, 2, 2] whose two channels are constant: values [N, 2] -> dataset items."""
    return [np.broadcast_to(np.asarray(v, "float32")[:, None, None], (2, 2, 2)).copy() for v in values]


def test_hand_checked_gates_and_summaries():
    # ECA with k = 1 and weight 1: the gate of a channel is sigmoid(its spatial mean).
    eca = ECA(kernel_size=1)
    eca.conv.weight.set_value(paddle.ones_like(eca.conv.weight))
    model = nn.Sequential(eca)
    values = [[0.0, 1.0], [2.0, 1.0], [0.0, -1.0], [0.0, -3.0]]
    labels = [0, 0, 1, 1]
    dataset = list(zip(constant_images(values), labels))
    (stage,) = gate_statistics(model, dataset, batch_size=3, num_classes=3)    # batch 3: two batches

    expected = sigmoid(np.asarray(values))
    np.testing.assert_allclose(stage.gates, expected, rtol=1e-6)
    assert stage.name == "0" and stage.channels == 2 and stage.num_classes == 3
    np.testing.assert_array_equal(stage.labels, labels)
    np.testing.assert_allclose(stage.mean(), expected.mean(0), rtol=1e-6)
    means = stage.class_means()
    np.testing.assert_allclose(means[:2], [expected[:2].mean(0), expected[2:].mean(0)], rtol=1e-6)
    assert np.isnan(means[2]).all()                                            # class 2 has no image
    np.testing.assert_allclose(stage.image_spread(), expected.std(0).mean(), rtol=1e-6)
    np.testing.assert_allclose(stage.class_spread(), means[:2].std(0).mean(), rtol=1e-6)
    np.testing.assert_allclose(stage.channel_spread(), expected.mean(0).std(), rtol=1e-6)
    between = 2 * ((means[:2] - expected.mean(0)) ** 2).sum()
    np.testing.assert_allclose(stage.class_share(), between / ((expected - expected.mean(0)) ** 2).sum(), rtol=1e-6)
    assert stage.class_share_floor() == pytest.approx(1 / 3)
    assert gate_table([stage]).count("\n") == 3


def test_class_share_extremes():
    labels = np.array([0, 0, 1, 1])
    by_class = StageGates("s", np.array([[0.2], [0.2], [0.8], [0.8]]), labels, 2)
    assert by_class.class_share() == pytest.approx(1.0) and by_class.class_spread() == pytest.approx(0.3)
    not_by_class = StageGates("s", np.array([[0.2], [0.8], [0.2], [0.8]]), labels, 2)
    assert not_by_class.class_share() == pytest.approx(0.0) and not_by_class.image_spread() == pytest.approx(0.3)
    constant = StageGates("s", np.full((4, 3), 0.5), labels, 2)
    assert constant.class_share() == 0.0 and constant.image_spread() == 0.0


def alexnet_images(n=6):
    rng = np.random.default_rng(0)
    return [(rng.standard_normal((3, 128, 128)).astype("float32"), i % 3) for i in range(n)]


def test_alexnet_eca_stages_shapes_and_range():
    paddle.seed(0)
    model = AlexNetECA()
    model.train()
    dataset = alexnet_images()
    stages = gate_statistics(model, dataset, batch_size=4, max_images=5)
    assert model.training                                                      # state restored
    assert [s.channels for s in stages] == [48, 128, 192, 192, 128]
    for s in stages:
        assert s.gates.shape == (5, s.channels) and s.class_means().shape == (3, s.channels)
        assert ((s.gates > 0) & (s.gates < 1)).all()
    # the overall mean agrees with plots.eca_attention_weights on the same images
    images = paddle.to_tensor(np.stack([image for image, _ in dataset[:5]]))
    for s, (name, _, gate) in zip(stages, eca_attention_weights(model, images)):
        assert s.name == name
        np.testing.assert_allclose(s.mean(), gate, rtol=1e-5, atol=1e-6)


def test_unit_gate_starts_at_one_and_stays_in_0_2():
    model = AlexNetECA(unit_gate=True)
    stages = gate_statistics(model, alexnet_images(4))
    assert len(stages) == 5
    for s in stages:
        np.testing.assert_allclose(s.gates, 1.0)                               # zero-initialised conv: gate exactly 1
        assert s.image_spread() == 0.0 and s.class_share() == 0.0
    for _, layer in model.named_sublayers():
        if isinstance(layer, ECA):
            # small weights: in float32, 2 * sigmoid(z) rounds to 2.0 for large z
            layer.conv.weight.set_value(paddle.full_like(layer.conv.weight, 0.01))
    for s in gate_statistics(model, alexnet_images(4)):
        assert ((s.gates > 0) & (s.gates < 2)).all() and s.image_spread() > 0


def test_se_gates_and_errors():
    model = AlexNet(attention=lambda c, stage: SE(c, reduction=16))
    stages = gate_statistics(model, alexnet_images(2))
    assert [s.channels for s in stages] == [48, 128, 192, 192, 128]
    with pytest.raises(ValueError, match="no gate layer"):
        gate_statistics(AlexNet(), alexnet_images(2))
    with pytest.raises(ValueError, match="num_classes"):
        gate_statistics(AlexNetECA(), alexnet_images(3), num_classes=2)
