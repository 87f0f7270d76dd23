import os

import numpy as np
import pytest

from ecapaddle import runtime  # first: ecapaddle's clear ImportError when Paddle is missing
import paddle


@pytest.fixture(autouse=True)
def _seed():
    paddle.seed(0)
    np.random.seed(0)


MKL_SWITCH_AT_START = os.environ.get("MKL_DEBUG_CPU_TYPE")


@pytest.fixture(autouse=True)
def _threads_and_mkl_switch_restored():
    """After every test: Paddle's thread count as the test found it, MKL_DEBUG_CPU_TYPE as at session start.

    `cli.main` and `course.setup` set both (the variable on AMD CPUs: runtime.use_fast_mkl), also from
    module-scoped fixtures. Left behind, the variable would make later tests' child processes run other MKL
    kernels than this process, whose MKL started without it."""
    threads = runtime.num_threads()
    yield
    runtime.set_num_threads(threads)
    if MKL_SWITCH_AT_START is None:
        os.environ.pop("MKL_DEBUG_CPU_TYPE", None)
    else:
        os.environ["MKL_DEBUG_CPU_TYPE"] = MKL_SWITCH_AT_START


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes tens of seconds (several processes); deselect with -m 'not slow'")
