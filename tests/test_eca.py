import numpy as np
import paddle
import pytest

from ecapaddle import ECA, eca_kernel_size


def eca_reference(x, w):
    """ECA in NumPy: pool, zero-padded 1-D conv across channels (cross-correlation), sigmoid, scale."""
    n, c = x.shape[:2]
    k = w.size
    pad = (k - 1) // 2
    y = x.reshape(n, c, -1).mean(axis=2)                        # [N, C]
    y_pad = np.pad(y, ((0, 0), (pad, pad)))
    z = np.stack([(y_pad[:, i:i + k] * w).sum(axis=1) for i in range(c)], axis=1)
    gate = 1.0 / (1.0 + np.exp(-z))
    return x * gate.reshape((n, c) + (1,) * (x.ndim - 2))


def band_matrix(w, c):
    """The C x C band matrix of eq. 6-9: row i holds w at columns i - pad .. i + pad."""
    k = w.size
    pad = (k - 1) // 2
    band = np.zeros((c, c))
    for i in range(c):
        for j in range(k):
            col = i - pad + j
            if 0 <= col < c:
                band[i, col] = w[j]
    return band


def make_eca(k, rng, dtype="float32"):
    layer = ECA(kernel_size=k)
    layer.to(dtype=dtype)
    w = rng.standard_normal(k)
    layer.conv.weight.set_value(w.reshape(1, 1, k).astype(dtype))
    return layer, w


SHAPES = [(2, 16, 5, 7), (1, 64, 8, 8), (3, 7, 1, 1), (1, 2, 4, 4), (4, 5, 3), (2, 9, 2, 3, 4)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("k", [1, 3, 5, 7, 9])
def test_forward_matches_numpy_definition(shape, k):
    rng = np.random.default_rng(k * 100 + len(shape))
    layer, w = make_eca(k, rng)
    x = rng.standard_normal(shape).astype("float32")
    out = layer(paddle.to_tensor(x)).numpy()
    assert out.shape == x.shape
    np.testing.assert_allclose(out, eca_reference(x.astype("float64"), w.astype("float32")), atol=1e-6, rtol=1e-6)


def test_band_matrix_view_equals_convolution():
    rng = np.random.default_rng(1)
    layer, w = make_eca(5, rng)
    x = rng.standard_normal((3, 11, 4, 4)).astype("float32")
    y = x.mean(axis=(2, 3))
    gate = 1 / (1 + np.exp(-(y @ band_matrix(w.astype("float32"), 11).T)))
    np.testing.assert_allclose(layer(paddle.to_tensor(x)).numpy(), x * gate[:, :, None, None], atol=1e-6)


def test_channels_smaller_than_kernel():
    rng = np.random.default_rng(2)
    layer, w = make_eca(9, rng)
    x = rng.standard_normal((2, 3, 4, 4)).astype("float32")    # C=3 < k=9: only the centre taps see data
    np.testing.assert_allclose(layer(paddle.to_tensor(x)).numpy(), eca_reference(x, w), atol=1e-6)


@pytest.mark.parametrize("k", [1, 3, 5])
def test_gradients_match_finite_differences(k):
    rng = np.random.default_rng(k)
    layer, w = make_eca(k, rng, "float64")
    x = rng.standard_normal((2, 6, 3, 3))
    g = rng.standard_normal(x.shape)                # loss = sum(out * g)
    xt = paddle.to_tensor(x, stop_gradient=False)
    (layer(xt) * paddle.to_tensor(g)).sum().backward()
    loss = lambda x_, w_: (eca_reference(x_, w_) * g).sum()  # noqa: E731
    eps = 1e-6
    num_dx = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[idx] = eps
        num_dx[idx] = (loss(x + d, w) - loss(x - d, w)) / (2 * eps)
    num_dw = np.array([(loss(x, w + eps * e) - loss(x, w - eps * e)) / (2 * eps) for e in np.eye(k)])
    np.testing.assert_allclose(xt.grad.numpy(), num_dx, atol=1e-7, rtol=1e-6)
    np.testing.assert_allclose(layer.conv.weight.grad.numpy().ravel(), num_dw, atol=1e-7, rtol=1e-6)


def test_zero_weight_halves_the_input():
    layer = ECA(kernel_size=3)
    layer.conv.weight.set_value(paddle.zeros([1, 1, 3]))
    x = paddle.randn([2, 8, 5, 5])
    np.testing.assert_allclose(layer(x).numpy(), x.numpy() * 0.5, atol=1e-7)


def test_attention_is_invariant_to_spatial_permutation():
    layer = ECA(kernel_size=5)
    x = paddle.randn([2, 12, 6, 6])
    perm = np.random.default_rng(0).permutation(36)
    x_perm = paddle.to_tensor(x.numpy().reshape(2, 12, 36)[:, :, perm].reshape(2, 12, 6, 6))
    np.testing.assert_allclose(layer.attention(x).numpy(), layer.attention(x_perm).numpy(), atol=1e-6)
    # and the output is permuted the same way as the input
    np.testing.assert_allclose(layer(x).numpy().reshape(2, 12, 36)[:, :, perm],
                               layer(x_perm).numpy().reshape(2, 12, 36), atol=1e-6)


def test_parameter_count_is_k():
    for k in (1, 3, 5, 7):
        assert sum(int(np.prod(p.shape)) for p in ECA(kernel_size=k).parameters()) == k
    assert ECA(channels=2048).conv.weight.shape == [1, 1, 7]


@pytest.mark.parametrize("channels,k", [(64, 3), (128, 5), (256, 5), (512, 5), (1024, 5), (2048, 7)])
def test_adaptive_kernel_size_table(channels, k):
    assert eca_kernel_size(channels) == k
    assert ECA(channels=channels).kernel_size == k


def test_adaptive_rule_parameters():
    assert eca_kernel_size(64, gamma=1, b=1) == 7        # (6 + 1) / 1 = 7
    assert eca_kernel_size(4) == 1                        # (2 + 1) / 2 = 1.5 -> 1, no clamp to 3


@pytest.mark.parametrize("k", [2, 4])
def test_even_kernel_is_a_clear_error(k):
    with pytest.raises(ValueError, match=f"kernel_size must be a positive odd int .*, got {k}; use .* as {k + 1}"):
        ECA(kernel_size=k)


@pytest.mark.parametrize("k", [0, -3])
def test_non_positive_kernel_is_a_value_error(k):
    with pytest.raises(ValueError, match=f"kernel_size must be a positive int, got {k}"):
        ECA(kernel_size=k)


def test_bad_construction_and_input_errors():
    with pytest.raises(ValueError, match="needs kernel_size"):
        ECA()
    with pytest.raises(TypeError, match=r"ECA channels must be a positive int, got 64.0 \(float\)"):
        ECA(channels=64.0)
    with pytest.raises(ValueError, match="ECA channels must be a positive int, got 0"):
        ECA(channels=0)
    with pytest.raises(TypeError, match=r"kernel_size must be a positive int, got 3.0 \(float\)"):
        ECA(kernel_size=3.0)
    with pytest.raises(ValueError, match="gamma must be positive"):
        ECA(channels=64, gamma=0)
    layer = ECA(channels=16)
    with pytest.raises(ValueError, match="rank 2"):
        layer(paddle.randn([4, 16]))
    with pytest.raises(ValueError, match="built for 16 channels but the input has 8"):
        layer(paddle.randn([2, 8, 4, 4]))
    with pytest.raises(TypeError, match="floating-point"):
        layer(paddle.ones([2, 16, 4, 4], dtype="int64"))
