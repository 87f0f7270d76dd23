import numpy as np
import pytest

import ecapaddle  # noqa: F401  (its clear ImportError when Paddle is missing, before the tests import paddle)
import paddle


@pytest.fixture(autouse=True)
def _seed():
    paddle.seed(0)
    np.random.seed(0)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes tens of seconds (several processes); deselect with -m 'not slow'")
