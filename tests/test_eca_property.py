"""Random shapes and kernel sizes thrown at ECA: it matches the NumPy definition or raises the documented error."""
import numpy as np
import paddle
from hypothesis import given, settings
from hypothesis import strategies as st

from ecapaddle import ECA

from test_eca import eca_reference


@settings(max_examples=60, deadline=None)
@given(kernel_size=st.integers(-3, 11), rank=st.integers(1, 6), channels=st.integers(1, 20),
       data=st.data())
def test_eca_matches_definition_or_raises_documented_error(kernel_size, rank, channels, data):
    try:
        layer = ECA(kernel_size=kernel_size)
    except ValueError as err:
        assert kernel_size < 1 or kernel_size % 2 == 0
        expected = "kernel_size must be a positive int" if kernel_size < 1 else "kernel_size must be a positive odd int"
        assert expected in str(err)
        return
    assert kernel_size >= 1 and kernel_size % 2 == 1
    shape = [data.draw(st.integers(1, 3)), channels] + [data.draw(st.integers(1, 5)) for _ in range(rank - 2)]
    shape = shape[:rank]
    x = np.random.default_rng(kernel_size * 31 + rank).standard_normal(shape).astype("float32")
    try:
        out = layer(paddle.to_tensor(x)).numpy()
    except ValueError as err:
        assert rank not in (3, 4, 5)
        assert f"got rank {rank}" in str(err)
        return
    assert rank in (3, 4, 5)
    np.testing.assert_allclose(out, eca_reference(x, layer.conv.weight.numpy().ravel()), atol=1e-6, rtol=1e-6)
