"""SE, the ECA paper's ablation variants, ECA-NS, CECA and EMA against NumPy restatements of their papers."""
import re

import numpy as np
import paddle
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecapaddle.layers import (CECA, ECA, ECANS, EMA, SE, SEGC, ChannelGate, ConstantGate, SEVar1, SEVar2, SEVar3, UnitGateECA,
                              create_attention, eca_kernel_size, list_attentions)
from ecapaddle.utils import count_parameters


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def pooled(x):
    return x.reshape(x.shape[0], x.shape[1], -1).mean(axis=2)                 # [N, C]


def gate(x, logits):
    return x * sigmoid(logits).reshape(logits.shape + (1,) * (x.ndim - 2))


def band_logits(y, rows, circular=False):
    """z_i = sum_j rows[i, j] * y[i - pad + j]; outside the channels: 0, or wrap around if circular."""
    c, k = rows.shape
    pad = (k - 1) // 2
    z = np.zeros_like(y)
    for i in range(c):
        for j in range(k):
            col = i - pad + j
            if circular:
                z[:, i] += rows[i, j] * y[:, col % c]
            elif 0 <= col < c:
                z[:, i] += rows[i, j] * y[:, col]
    return z


def randomize(layer, rng):
    for p in layer.parameters():
        p.set_value(rng.standard_normal(p.shape).astype("float32"))
    return layer


def params(layer):
    return {name: p.numpy().astype("float64") for name, p in layer.named_parameters()}


def run(layer, x):
    return layer(paddle.to_tensor(x.astype("float32"))).numpy()


# -- forward against the definitions -------------------------------------------------------------

def test_se_matches_hu_et_al():
    rng = np.random.default_rng(0)
    layer = randomize(SE(32, reduction=4), rng)
    x = rng.standard_normal((3, 32, 5, 4))
    p = params(layer)
    hidden = np.maximum(pooled(x) @ p["fc1.weight"] + p["fc1.bias"], 0)
    expected = gate(x, hidden @ p["fc2.weight"] + p["fc2.bias"])
    np.testing.assert_allclose(run(layer, x), expected, atol=1e-5)


def test_se_var1_is_sigmoid_of_pooled_features():
    x = np.random.default_rng(1).standard_normal((2, 6, 3, 3))
    np.testing.assert_allclose(run(SEVar1(6), x), gate(x, pooled(x)), atol=1e-6)


def test_se_var2_weights_channels_independently():
    rng = np.random.default_rng(2)
    layer = randomize(SEVar2(6), rng)
    x = rng.standard_normal((2, 6, 4, 4))
    np.testing.assert_allclose(run(layer, x), gate(x, pooled(x) * params(layer)["weight"]), atol=1e-6)
    assert np.all(SEVar2(6).weight.numpy() == 1.0)        # starts as SE-Var1


def test_se_var3_is_one_full_fc():
    rng = np.random.default_rng(3)
    layer = randomize(SEVar3(8), rng)
    x = rng.standard_normal((2, 8, 3, 5))
    np.testing.assert_allclose(run(layer, x), gate(x, pooled(x) @ params(layer)["fc.weight"]), atol=1e-5)


@pytest.mark.parametrize("kwargs,groups", [({"groups": 4}, 4), ({"group_size": 2}, 6), ({}, 16)])
def test_se_gc_is_a_block_diagonal_matrix(kwargs, groups):
    channels = 48 if groups == 16 else 12
    rng = np.random.default_rng(4)
    layer = randomize(SEGC(channels, **kwargs), rng)
    assert layer.groups == groups
    size = channels // groups
    weight = params(layer)["conv.weight"][:, :, 0]                              # [C, C/G]
    matrix = np.zeros((channels, channels))
    for out in range(channels):
        start = out // size * size
        matrix[out, start:start + size] = weight[out]
    x = rng.standard_normal((2, channels, 3, 3))
    np.testing.assert_allclose(run(layer, x), gate(x, pooled(x) @ matrix.T), atol=1e-5)


@pytest.mark.parametrize("channels,k", [(10, 3), (7, 5), (3, 7), (16, 1)])
def test_eca_ns_is_a_band_matrix_with_own_rows(channels, k):
    rng = np.random.default_rng(channels + k)
    layer = randomize(ECANS(channels, kernel_size=k), rng)
    x = rng.standard_normal((2, channels, 4, 3))
    expected = gate(x, band_logits(pooled(x), params(layer)["weight"]))
    np.testing.assert_allclose(run(layer, x), expected, atol=1e-5)


def test_eca_ns_with_identical_rows_is_eca():
    rng = np.random.default_rng(5)
    eca = randomize(ECA(kernel_size=5), rng)
    ns = ECANS(20, kernel_size=5)
    ns.weight.set_value(np.tile(eca.conv.weight.numpy().reshape(1, 5), (20, 1)))
    x = rng.standard_normal((2, 20, 3, 3))
    np.testing.assert_allclose(run(ns, x), run(eca, x), atol=1e-6)


@pytest.mark.parametrize("channels,k", [(9, 3), (6, 5), (3, 7), (2, 9)])
def test_ceca_wraps_the_channel_axis(channels, k):
    rng = np.random.default_rng(channels * k)
    layer = randomize(CECA(kernel_size=k), rng)
    x = rng.standard_normal((2, channels, 3, 4))
    rows = np.tile(params(layer)["conv.weight"].reshape(1, k), (channels, 1))
    np.testing.assert_allclose(run(layer, x), gate(x, band_logits(pooled(x), rows, circular=True)), atol=1e-5)


def test_ceca_differs_from_eca_only_at_the_ends():
    rng = np.random.default_rng(6)
    eca = randomize(ECA(kernel_size=3), rng)
    ceca = CECA(kernel_size=3)
    ceca.set_state_dict(eca.state_dict())                 # same parameter layout
    x = rng.standard_normal((2, 10, 3, 3))
    diff = np.abs(run(ceca, x) - run(eca, x)).max(axis=(0, 2, 3))
    assert np.all(diff[1:-1] < 1e-6) and np.all(diff[[0, -1]] > 1e-4)


def test_eca_padding_argument():
    assert ECA(kernel_size=3).padding == "zeros"
    assert CECA(channels=2048).kernel_size == 7 and CECA(kernel_size=5).conv.weight.shape == [1, 1, 5]
    assert "circular" in repr(ECA(kernel_size=3, padding="circular")) and "circular" not in repr(ECA(kernel_size=3))
    with pytest.raises(ValueError, match="padding must be one of"):
        ECA(kernel_size=3, padding="reflect")


def ema_reference(x, layer):
    """The official EmaModule forward (YOLOonMe/EMA-attention-module) restated in NumPy."""
    p = params(layer)
    n, c, h, w = x.shape
    g = x.reshape(n * layer.groups, c // layer.groups, h, w)
    w1, b1 = p["conv1x1.weight"][:, :, 0, 0], p["conv1x1.bias"]
    hw = np.einsum("oi,bil->bol", w1, np.concatenate([g.mean(axis=3), g.mean(axis=2)], axis=2)) + b1[:, None]
    t = g * sigmoid(hw[:, :, :h])[..., None] * sigmoid(hw[:, :, h:])[:, :, None, :]
    mean, var = t.mean(axis=(2, 3), keepdims=True), t.var(axis=(2, 3), keepdims=True)
    x1 = (t - mean) / np.sqrt(var + 1e-5) * p["gn.weight"][:, None, None] + p["gn.bias"][:, None, None]
    padded = np.pad(g, ((0, 0), (0, 0), (1, 1), (1, 1)))
    x2 = sum(np.einsum("oi,bihw->bohw", p["conv3x3.weight"][:, :, i, j], padded[:, :, i:i + h, j:j + w])
             for i in range(3) for j in range(3)) + p["conv3x3.bias"][:, None, None]

    def channel_softmax(a):
        e = np.exp(a.mean(axis=(2, 3)))
        return e / e.sum(axis=1, keepdims=True)

    weights = (np.einsum("bc,bchw->bhw", channel_softmax(x1), x2)
               + np.einsum("bc,bchw->bhw", channel_softmax(x2), x1))
    return (g * sigmoid(weights)[:, None]).reshape(n, c, h, w)


@pytest.mark.parametrize("shape,factor", [((2, 16, 5, 7), 4), ((1, 64, 6, 6), 32), ((3, 6, 1, 4), 2)])
def test_ema_matches_the_official_module(shape, factor):
    rng = np.random.default_rng(shape[1])
    layer = randomize(EMA(shape[1], factor=factor), rng)
    x = rng.standard_normal(shape)
    np.testing.assert_allclose(run(layer, x), ema_reference(x, layer), atol=1e-5, rtol=1e-5)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 3), group_channels=st.integers(1, 4), factor=st.sampled_from([1, 2, 8, 32]),
       h=st.integers(1, 9), w=st.integers(1, 9))
def test_ema_keeps_the_shape_of_any_valid_input(n, group_channels, factor, h, w):
    x = paddle.randn([n, group_channels * factor, h, w])
    out = EMA(group_channels * factor, factor=factor)(x)
    assert out.shape == x.shape and bool(paddle.isfinite(out).all())


# -- parameter counts: the formulas of the papers ------------------------------------------------

@pytest.mark.parametrize("channels", [64, 256, 2048])
def test_parameter_counts_follow_the_papers(channels):
    c = channels
    assert count_parameters(SE(c)) == 2 * c * (c // 16) + c // 16 + c           # weights 2C^2/r, plus biases
    assert count_parameters(SE(c, reduction=4)) == 2 * c * (c // 4) + c // 4 + c
    assert count_parameters(SEVar1(c)) == 0
    assert count_parameters(SEVar2(c)) == c
    assert count_parameters(SEVar3(c)) == c * c
    assert count_parameters(SEGC(c, groups=16)) == c * c // 16                 # SE-GC1: C^2 / 16
    assert count_parameters(SEGC(c, group_size=16)) == 16 * c                  # SE-GC2: G = C/16 -> 16 C
    assert count_parameters(SEGC(c, group_size=8)) == 8 * c                    # SE-GC3: G = C/8 -> 8 C
    assert count_parameters(ECANS(c, kernel_size=3)) == 3 * c                  # k x C
    assert count_parameters(ECANS(c)) == ECA(channels=c).kernel_size * c
    assert count_parameters(CECA(channels=c)) == count_parameters(ECA(channels=c))
    g = c // 32
    assert count_parameters(EMA(c)) == (g * g + g) + (9 * g * g + g) + 2 * g  # conv1x1, conv3x3, GroupNorm


# -- shapes, gradients and errors ----------------------------------------------------------------

FAMILY = [lambda c: SE(c, reduction=2), SEVar1, SEVar2, SEVar3, lambda c: SEGC(c, groups=2), ECANS,
          lambda c: CECA(channels=c), lambda c: EMA(c, factor=4)]


@pytest.mark.parametrize("make", FAMILY)
@pytest.mark.parametrize("shape", [(2, 8, 5, 3), (1, 16, 1, 1)])
def test_shape_is_preserved_and_every_parameter_learns(make, shape):
    layer = make(shape[1])
    x = paddle.randn(shape)
    x.stop_gradient = False
    out = layer(x)
    assert out.shape == x.shape
    (out * paddle.randn(shape)).sum().backward()
    assert x.grad is not None and float(x.grad.abs().sum()) > 0
    for name, p in layer.named_parameters():
        assert p.grad is not None, name


@pytest.mark.parametrize("make", [SEVar2, ECANS, lambda c: SE(c, reduction=2)])
def test_channel_gates_accept_1d_and_3d_feature_maps(make):
    for shape in [(2, 8, 7), (2, 8, 2, 3, 4)]:
        assert make(8)(paddle.randn(shape)).shape == list(shape)


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="no hidden units"):
        SE(8, reduction=16)
    with pytest.raises(ValueError, match="positive int"):
        SE(0)
    with pytest.raises(ValueError, match="divisor of channels=12"):
        SEGC(12, groups=5)
    with pytest.raises(ValueError, match="not both"):
        SEGC(12, groups=2, group_size=6)
    with pytest.raises(ValueError, match="kernel_size must be a positive odd int"):
        ECANS(8, kernel_size=4)
    with pytest.raises(ValueError, match=r"multiple of it; got channels=48.*factor=24"):
        EMA(48, factor=32)
    with pytest.raises(ValueError, match="multiple of it"):
        EMA(16, factor=32)                                 # C/G < 1
    with pytest.raises(ValueError, match="built for 8 channels but the input has 4"):
        SEVar3(8)(paddle.randn([2, 4, 3, 3]))
    with pytest.raises(ValueError, match=r"EMA expects a tensor \[N, C, H, W\]"):
        EMA(8, factor=2)(paddle.randn([2, 8, 5]))
    with pytest.raises(TypeError, match="floating-point"):
        SE(8, reduction=2)(paddle.ones([1, 8, 2, 2], dtype="int64"))


CHANNEL_ARGUMENTS = {"SE": SE, "SEVar1": SEVar1, "SEVar2": SEVar2, "SEVar3": SEVar3, "SEGC": SEGC, "ECANS": ECANS,
                     "EMA": EMA, "ECA": lambda c: ECA(channels=c), "CECA": lambda c: CECA(channels=c),
                     "UnitGateECA": lambda c: UnitGateECA(channels=c), "eca_kernel_size": eca_kernel_size}


@pytest.mark.parametrize("name", CHANNEL_ARGUMENTS)
@pytest.mark.parametrize("channels,error", [(16.0, TypeError), (True, TypeError), ("16", TypeError),
                                            (0, ValueError), (-16, ValueError)])
def test_every_layer_rejects_bad_channels_with_the_same_error(name, channels, error):
    with pytest.raises(error, match=re.escape(f"channels must be a positive int, got {channels!r}")):
        CHANNEL_ARGUMENTS[name](channels)


@pytest.mark.parametrize("build,error", [
    (lambda: SE(16, reduction=2.0), TypeError), (lambda: SE(16, reduction=0), ValueError),
    (lambda: SEGC(16, groups=2.0), TypeError), (lambda: SEGC(16, group_size=0), ValueError),
    (lambda: EMA(16, factor=True), TypeError), (lambda: EMA(16, factor=-2), ValueError),
    (lambda: ECANS(16, kernel_size=3.0), TypeError)])
def test_other_int_arguments_follow_the_same_rule(build, error):
    with pytest.raises(error, match="must be a positive int"):
        build()


@pytest.mark.parametrize("layer", [SE(8, reduction=2), SEVar1(8), ECANS(8), ECA(channels=8), ECA(kernel_size=3)],
                         ids=["SE", "SEVar1", "ECANS", "ECA(channels)", "ECA(kernel_size)"])
def test_every_gate_checks_its_input_the_same_way(layer):
    name = type(layer).__name__
    expected = re.escape(f"{name} expects a tensor [N, C, L], [N, C, H, W] or [N, C, D, H, W]; got rank 2")
    with pytest.raises(ValueError, match=expected):
        layer(paddle.randn([2, 8]))
    with pytest.raises(TypeError, match=f"{name} expects a floating-point tensor"):
        layer(paddle.ones([2, 8, 3, 3], dtype="int64"))
    if layer.channels is None:                             # ECA built from k alone gates any C
        assert layer(paddle.randn([2, 5, 3, 3])).shape == [2, 5, 3, 3]
    else:
        with pytest.raises(ValueError, match=f"{name} was built for 8 channels but the input has 5"):
            layer(paddle.randn([2, 5, 3, 3]))


# -- the factory and the shared gate -------------------------------------------------------------

def test_create_attention_builds_every_layer_by_name():
    assert list_attentions() == sorted(["eca", "ceca", "eca_unitgate", "eca_ns", "se", "se_var1", "se_var2",
                                        "se_var3", "se_gc", "ema", "constant_gate"])
    expected = {"eca": ECA, "ceca": CECA, "eca_unitgate": UnitGateECA, "eca_ns": ECANS, "se": SE, "se_var1": SEVar1,
                "se_var2": SEVar2, "se_var3": SEVar3, "se_gc": SEGC, "ema": EMA, "constant_gate": ConstantGate}
    x = paddle.randn([2, 64, 4, 4])
    for name in list_attentions():
        layer = create_attention(name, 64)
        assert type(layer) is expected[name] and layer(x).shape == x.shape, name
    assert create_attention("eca", 64, kernel_size=lambda c: 7).kernel_size == 7
    assert create_attention("se", 64, reduction=4).fc1.weight.shape == [64, 16]
    assert isinstance(create_attention(lambda channels: SEVar1(channels), 8), SEVar1)
    with pytest.raises(ValueError, match="unknown attention kind 'cbam'"):
        create_attention("cbam", 8)
    with pytest.raises(TypeError, match="not a paddle.nn.Layer"):
        create_attention(lambda channels: None, 8)


def test_se_variants_and_eca_share_the_adaptive_pooling_gate():
    for layer in (ECA(kernel_size=3), CECA(kernel_size=3), UnitGateECA(kernel_size=3), SE(16, reduction=4),
                  SEVar1(16), SEGC(16, groups=4), ECANS(16)):
        assert isinstance(layer, ChannelGate), type(layer).__name__
    # ECA's gate is sigmoid(conv(mean over H, W)), so with a centred one-weight kernel it is SE-Var1 times w
    eca = ECA(kernel_size=3)
    eca.conv.weight.set_value(np.array([[[0.0, 1.0, 0.0]]], dtype="float32"))
    x = np.random.default_rng(7).standard_normal((2, 16, 5, 3))
    np.testing.assert_allclose(run(eca, x), run(SEVar1(16), x), atol=1e-6)


@pytest.mark.parametrize("shape", [(2, 12, 5), (2, 12, 4, 3), (1, 12, 2, 3, 2)])
def test_unit_gate_eca_is_twice_ecas_gate_with_the_same_weights(shape):
    rng = np.random.default_rng(8)
    unit = randomize(UnitGateECA(kernel_size=5), rng)
    eca = ECA(kernel_size=5)
    eca.set_state_dict(unit.state_dict())
    x = rng.standard_normal(shape)
    xt = paddle.to_tensor(x.astype("float32"))
    np.testing.assert_array_equal(unit.attention(xt).numpy(), 2 * eca.attention(xt).numpy())
    rows = np.tile(params(unit)["conv.weight"].reshape(1, 5), (12, 1))
    np.testing.assert_allclose(run(unit, x), 2 * gate(x, band_logits(pooled(x), rows)), atol=1e-5)
    assert np.all(UnitGateECA(channels=64).conv.weight.numpy() == 0)

