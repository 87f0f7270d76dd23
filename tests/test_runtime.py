"""CPU threads set explicitly; importing ecapaddle changes nothing and says clearly when Paddle is missing."""
import json
import os
import subprocess
import sys

import paddle
import pytest

from ecapaddle import runtime

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _python(code, **env_changes):
    """Run `code` in a fresh interpreter without OMP_NUM_THREADS set; returns the finished process."""
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    env.update(env_changes, PYTHONPATH=REPO)
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


def test_import_changes_no_environment_variable_or_warning_filter():
    done = _python("import json, os, warnings\n"
                   "env, filters = dict(os.environ), list(warnings.filters)\n"
                   "import ecapaddle\n"
                   "changed = {k: v for k, v in os.environ.items() if env.get(k) != v}\n"
                   "print(json.dumps([changed, sorted(set(env) - set(os.environ)), warnings.filters == filters]))")
    assert done.returncode == 0, done.stderr
    changed, removed, same_filters = json.loads(done.stdout.strip().splitlines()[-1])
    assert changed == {"OMP_NUM_THREADS": "1"}      # Paddle's own, at its import: one thread unless told
    assert removed == [] and same_filters
    assert "OMP_NUM_THREADS" not in done.stderr and "ccache" not in done.stderr


@pytest.mark.parametrize("code, env, expected", [
    ("import ecapaddle", {"OMP_NUM_THREADS": "3"}, "3"),
    ("import ecapaddle", {}, "None"),                       # Paddle then writes OMP_NUM_THREADS=1 itself
    ("import paddle, ecapaddle", {"OMP_NUM_THREADS": "3"}, "None"),     # too late to tell who set it
])
def test_requested_threads_is_omp_num_threads_as_the_user_set_it(code, env, expected):
    done = _python(code + "; print(ecapaddle.runtime.requested_threads())", **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == expected


def test_import_without_paddle_says_how_to_install_it():
    done = _python("import sys; sys.modules['paddle'] = None; import ecapaddle")
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ecapaddle needs PaddlePaddle, which is not installed: run "
                           "`pip install paddlepaddle` (CPU) or `pip install paddlepaddle-gpu`")


def test_the_package_does_not_depend_on_a_paddle_build():
    tomllib = pytest.importorskip("tomllib")        # Python 3.11+
    with open(os.path.join(REPO, "pyproject.toml"), "rb") as f:
        dependencies = tomllib.load(f)["project"]["dependencies"]
    assert not [d for d in dependencies if d.lower().startswith("paddle")]


def test_use_all_cores_starts_more_threads():
    if not sys.platform.startswith("linux") or runtime.available_cores() < 2:
        pytest.skip("needs Linux (/proc/self/task) and 2 cores")
    done = _python("import os, paddle, ecapaddle\n"
                   "x = paddle.randn([8, 64, 64])\n"
                   "def threads():\n"
                   "    (x @ x).numpy()\n"
                   "    return len(os.listdir('/proc/self/task'))\n"
                   "one = threads()\n"
                   "n = ecapaddle.runtime.use_all_cores()\n"
                   "print(one, threads(), n, ecapaddle.runtime.num_threads())")
    assert done.returncode == 0, done.stderr
    one, more, n, reported = map(int, done.stdout.split()[-4:])
    assert more > one and n == reported == runtime.available_cores()


def test_available_cores_follows_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert runtime.available_cores() == 1
    monkeypatch.delattr(os, "sched_getaffinity")
    assert runtime.available_cores() == os.cpu_count()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_num_threads_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="positive int"):
        runtime.set_num_threads(bad)


def test_set_num_threads_keeps_results_and_is_reported():
    x = paddle.randn([8, 16])
    expected = (x @ x.T).numpy()
    assert runtime.set_num_threads(2) == 2
    assert paddle.allclose(x @ x.T, paddle.to_tensor(expected)).item()
    assert runtime.num_threads() == 2


@pytest.mark.parametrize("vendor, user_value, expected_value, on", [
    ("AuthenticAMD", None, "5", True),
    ("GenuineIntel", None, None, False),                    # MKL's fast path is already the default there
    ("AuthenticAMD", "0", "0", False),                      # the user's value wins
])
def test_use_fast_mkl_sets_the_amd_switch_only_on_amd_and_never_over_the_user(monkeypatch, vendor, user_value,
                                                                              expected_value, on):
    monkeypatch.setattr(runtime, "cpuinfo_field", lambda name: {"vendor_id": vendor}.get(name))
    monkeypatch.delenv("MKL_DEBUG_CPU_TYPE", raising=False)
    if user_value is not None:
        monkeypatch.setenv("MKL_DEBUG_CPU_TYPE", user_value)
    assert runtime.use_fast_mkl() is on
    assert os.environ.get("MKL_DEBUG_CPU_TYPE") == expected_value


def test_the_cpu_vendor_is_read_from_proc_cpuinfo():
    if not os.path.exists("/proc/cpuinfo"):
        pytest.skip("no /proc/cpuinfo")
    with open("/proc/cpuinfo") as f:
        expected = next(line.split(":", 1)[1].strip() for line in f if line.startswith("vendor_id"))
    assert runtime.cpuinfo_field("vendor_id") == expected


def test_cpuinfo_field_matches_the_whole_key(tmp_path, monkeypatch):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Some CPU\nmodel\t\t: 17\n\nprocessor\t: 1\nmodel\t\t: 18\n")
    monkeypatch.setattr(runtime, "CPUINFO", str(cpuinfo))
    assert runtime.cpuinfo_field("model") == "17"
    assert runtime.cpuinfo_field("model name") == "Some CPU"
    assert runtime.cpuinfo_field("cpu MHz") is None
    monkeypatch.setattr(runtime, "CPUINFO", str(tmp_path / "missing"))
    assert runtime.cpuinfo_field("model") is None


def test_the_cli_and_the_notebooks_switch_mkl_on_before_computing(monkeypatch, tmp_path):
    from ecapaddle import cli, course

    calls = []
    monkeypatch.setattr(runtime, "use_fast_mkl", lambda: calls.append("mkl") or False)
    assert cli.main(["make-synthetic", str(tmp_path / "tiny.tar.gz"), "--n-train", "10", "--n-test", "10"]) == 0
    course.setup("quick", work_dir=tmp_path, threads=None)
    assert calls == ["mkl", "mkl"]
