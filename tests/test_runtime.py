import json
import os
import subprocess
import sys

import paddle
import pytest

from ecapaddle import runtime

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def paddle_not_imported(monkeypatch):
    """apply_cpu_defaults acts only before paddle is imported; pretend it is not."""
    monkeypatch.delitem(sys.modules, "paddle")


def test_sets_the_measured_defaults_in_an_empty_environment(paddle_not_imported):
    environ = {}
    applied = runtime.apply_cpu_defaults(environ)
    assert applied == {"MKL_DEBUG_CPU_TYPE": "5", "OMP_NUM_THREADS": str(os.cpu_count())}
    assert environ == applied


def test_respects_variables_the_user_set(paddle_not_imported):
    environ = {"OMP_NUM_THREADS": "1", "MKL_DEBUG_CPU_TYPE": ""}
    assert runtime.apply_cpu_defaults(environ) == {}
    assert environ == {"OMP_NUM_THREADS": "1", "MKL_DEBUG_CPU_TYPE": ""}
    environ = {"OMP_NUM_THREADS": "1"}
    assert runtime.apply_cpu_defaults(environ) == {"MKL_DEBUG_CPU_TYPE": "5"}
    assert environ["OMP_NUM_THREADS"] == "1"


def test_opt_out_variable_leaves_the_environment_alone(paddle_not_imported):
    environ = {runtime.OPT_OUT: "1"}
    assert runtime.apply_cpu_defaults(environ) == {}
    assert environ == {runtime.OPT_OUT: "1"}


def test_does_nothing_once_paddle_is_imported():
    assert "paddle" in sys.modules
    environ = {}
    assert runtime.apply_cpu_defaults(environ) == {}
    assert environ == {}


def _fresh_interpreter(env_changes):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_DEBUG_CPU_TYPE", runtime.OPT_OUT)}
    env.update(env_changes, PYTHONPATH=REPO)
    code = ("import json, os, ecapaddle, paddle; print(json.dumps([ecapaddle.CPU_SETTINGS_APPLIED, "
            "os.environ.get('OMP_NUM_THREADS'), os.environ.get('MKL_DEBUG_CPU_TYPE')]))")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_applies_defaults_before_paddle_sees_the_environment():
    # Paddle would set OMP_NUM_THREADS=1 if it were still unset when paddle is imported
    applied, threads, mkl = _fresh_interpreter({})
    assert threads == str(os.cpu_count()) and mkl == "5" and applied == {"MKL_DEBUG_CPU_TYPE": "5", "OMP_NUM_THREADS": threads}
    applied, threads, mkl = _fresh_interpreter({runtime.OPT_OUT: "1"})
    assert applied == {} and threads == "1" and mkl is None


glibc = pytest.mark.skipif(runtime._libc() is None, reason="tune_malloc needs glibc")


@glibc
def test_tune_malloc_switches_and_respects_opt_outs():
    was_tuned = runtime.current_settings()["malloc_tuned"]
    try:
        assert runtime.tune_malloc(True, environ={}) is True
        assert runtime.current_settings()["malloc_tuned"] is True
        assert runtime.tune_malloc(False, environ={}) is True
        assert runtime.current_settings()["malloc_tuned"] is False
        assert runtime.tune_malloc(True, environ={runtime.OPT_OUT: "1"}) is False
        assert runtime.tune_malloc(True, environ={runtime.MALLOC_OPT_OUT: "1"}) is False
        assert runtime.current_settings()["malloc_tuned"] is False
    finally:
        runtime.tune_malloc(was_tuned, environ={})


def test_tune_malloc_keeps_results_identical():
    x = paddle.randn([64, 48, 32, 32])
    before = paddle.nn.functional.relu(x).numpy()
    was_tuned = runtime.current_settings()["malloc_tuned"]
    try:
        runtime.tune_malloc(not was_tuned, environ={})
        assert (paddle.nn.functional.relu(x).numpy() == before).all()
    finally:
        runtime.tune_malloc(was_tuned, environ={})


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="positive int"):
        runtime.set_num_threads(bad)


def test_set_num_threads_and_onednn_switch_at_run_time():
    threads = int(os.environ.get("OMP_NUM_THREADS", 1))
    x = paddle.randn([8, 16])
    expected = (x @ x.T).numpy()
    try:
        runtime.set_num_threads(1)
        assert paddle.allclose(x @ x.T, paddle.to_tensor(expected)).item()
        flags = runtime.set_onednn(True)
        assert flags and all(flags.values())
        assert all(paddle.get_flags(list(flags)).values())
    finally:
        runtime.set_num_threads(threads)
        runtime.set_onednn(False)
    assert not any(paddle.get_flags(list(flags)).values())


def test_current_settings_reports_every_setting():
    state = runtime.current_settings()
    assert {"MKL_DEBUG_CPU_TYPE", "OMP_NUM_THREADS", "malloc_tuned", "FLAGS_use_mkldnn"} <= set(state)
