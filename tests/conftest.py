import os

import numpy as np
import pytest

import ecapaddle  # noqa: F401  (its clear ImportError when Paddle is missing, before the tests import paddle)
import paddle


@pytest.fixture(autouse=True)
def _seed():
    paddle.seed(0)
    np.random.seed(0)


MKL_SWITCH_AT_START = os.environ.get("MKL_DEBUG_CPU_TYPE")


@pytest.fixture(autouse=True)
def _mkl_switch_as_at_start():
    """`cli.main` and `course.setup` set MKL_DEBUG_CPU_TYPE on AMD CPUs (runtime.use_fast_mkl), also from
    module-scoped fixtures; reset it after every test, or the child processes of later tests would run other
    MKL kernels than this process, whose MKL started without it."""
    yield
    if MKL_SWITCH_AT_START is None:
        os.environ.pop("MKL_DEBUG_CPU_TYPE", None)
    else:
        os.environ["MKL_DEBUG_CPU_TYPE"] = MKL_SWITCH_AT_START


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes tens of seconds (several processes); deselect with -m 'not slow'")
