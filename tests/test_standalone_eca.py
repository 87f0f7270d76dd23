"""examples/eca.py, the ECA to copy into your own model: it computes what ecapaddle.ECA computes, and the READMEs
show it as it is."""
import importlib.util
from pathlib import Path

import numpy as np
import paddle
import pytest

import ecapaddle
from ecapaddle.layers import eca_kernel_size

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "eca.py"


def load_example():
    spec = importlib.util.spec_from_file_location("standalone_eca", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


standalone = load_example()


def forward_and_gradients(layer, x, upstream):
    """The output, the input gradient and the conv weight gradient of sum(layer(x) * upstream)."""
    x = paddle.to_tensor(x, stop_gradient=False)
    out = layer(x)
    (out * paddle.to_tensor(upstream)).sum().backward()
    return out.numpy(), x.grad.numpy(), layer.conv.weight.grad.numpy()


@pytest.mark.parametrize("arguments", [dict(channels=3), dict(channels=64), dict(channels=128), dict(channels=2048),
                                       dict(kernel_size=1), dict(kernel_size=5), dict(kernel_size=9)])
@pytest.mark.parametrize("shape_after_channels", [(7, 5), (1, 1)])
def test_standalone_eca_equals_ecapaddle_eca(arguments, shape_after_channels):
    channels = arguments.get("channels", 12)
    reference = ecapaddle.ECA(**arguments)
    copy = standalone.ECA(**arguments)
    copy.set_state_dict(reference.state_dict())
    rng = np.random.default_rng(channels)
    x = rng.standard_normal((3, channels) + shape_after_channels).astype("float32")
    upstream = rng.standard_normal(x.shape).astype("float32")
    expected = forward_and_gradients(reference, x, upstream)
    got = forward_and_gradients(copy, x, upstream)
    for name, copy_value, reference_value in zip(["output", "input gradient", "weight gradient"], got, expected):
        np.testing.assert_allclose(copy_value, reference_value, rtol=1e-6, atol=1e-7, err_msg=name)


def test_state_dicts_load_both_ways():
    copy = standalone.ECA(channels=256)
    assert list(copy.state_dict()) == list(ecapaddle.ECA(channels=256).state_dict()) == ["conv.weight"]
    copy.conv.weight.set_value(paddle.randn([1, 1, 5]))
    reference = ecapaddle.ECA(channels=256)
    reference.set_state_dict(copy.state_dict())
    np.testing.assert_array_equal(reference.conv.weight.numpy(), copy.conv.weight.numpy())


@pytest.mark.parametrize("gamma,b", [(2, 1), (1, 1), (3, 2)])
def test_adaptive_kernel_size_is_ecapaddles(gamma, b):
    for channels in list(range(1, 130)) + [256, 512, 1000, 1024, 2048, 4096]:
        layer = standalone.ECA(channels=channels, gamma=gamma, b=b)
        assert layer.conv.weight.shape[-1] == eca_kernel_size(channels, gamma, b), channels


def test_the_example_fits_in_40_lines():
    assert len(EXAMPLE.read_text(encoding="utf-8").splitlines()) <= 40


@pytest.mark.parametrize("readme", ["README.md", "README_cn.md"])
def test_readme_shows_the_example_verbatim(readme):
    code = EXAMPLE.read_text(encoding="utf-8")
    assert f"```python\n{code}```\n" in (REPO / readme).read_text(encoding="utf-8")
