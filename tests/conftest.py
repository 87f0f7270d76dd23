import os

import numpy as np
import pytest

import ecapaddle  # noqa: F401  (its clear ImportError when Paddle is missing, before the tests import paddle)
import paddle


@pytest.fixture(autouse=True)
def _seed():
    paddle.seed(0)
    np.random.seed(0)


@pytest.fixture(autouse=True)
def _mkl_switch_unchanged():
    """`cli.main` and `course.setup` set MKL_DEBUG_CPU_TYPE on AMD CPUs (runtime.use_fast_mkl); undo it after
    each test, or the child processes of later tests would run other MKL kernels than this process."""
    value = os.environ.get("MKL_DEBUG_CPU_TYPE")
    yield
    if value is None:
        os.environ.pop("MKL_DEBUG_CPU_TYPE", None)
    else:
        os.environ["MKL_DEBUG_CPU_TYPE"] = value


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes tens of seconds (several processes); deselect with -m 'not slow'")
