"""CPU runtime settings for Paddle, each one measured (benchmarks/README.md) and switchable off.

Settings that must be in the environment before Paddle is imported (`apply_cpu_defaults`):
- MKL_DEBUG_CPU_TYPE=5: Paddle's bundled MKL takes a slow code path on AMD CPUs without it
  (SPEC §4, Zen 4 machines); Intel CPUs ignore it.
- OMP_NUM_THREADS=<cores>: Paddle sets OMP_NUM_THREADS=1 when it is unset, so by default it
  uses one core.
Both are set only when the user has not set them, and only if Paddle is not imported yet.

Settings that act at run time:
- `tune_malloc`: glibc returns every large freed block to the OS, so each new activation
  tensor page-faults its memory in again; keeping freed memory in the process made
  element-wise ops up to 5x faster here (relu on [128, 48, 32, 32]: 11.7 -> 2.0 ms).
- `set_num_threads`: the OpenMP/MKL thread count of a running process.
- `set_onednn`: Paddle's oneDNN kernels (FLAGS_use_mkldnn / FLAGS_use_onednn).

Set ECAPADDLE_NO_CPU_TUNING=1 to leave everything alone, or ECAPADDLE_NO_MALLOC_TUNING=1 to
skip only the allocator setting; set OMP_NUM_THREADS or MKL_DEBUG_CPU_TYPE yourself to override
those (an empty MKL_DEBUG_CPU_TYPE= leaves MKL's default).
"""
import ctypes
import os
import sys

DEFAULTS = {"MKL_DEBUG_CPU_TYPE": "5", "OMP_NUM_THREADS": str(os.cpu_count() or 1)}
OPT_OUT = "ECAPADDLE_NO_CPU_TUNING"
MALLOC_OPT_OUT = "ECAPADDLE_NO_MALLOC_TUNING"

# glibc mallopt parameters (malloc.h) and values
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_GLIBC_DEFAULT_THRESHOLD = 128 * 1024
_TUNED_THRESHOLD = 1 << 30          # blocks up to 1 GiB come from (and return to) the heap

_malloc_tuned = False


def apply_cpu_defaults(environ=os.environ):
    """Set the measured CPU defaults where unset. Returns what it set, {} when it did nothing."""
    if environ.get(OPT_OUT) == "1" or "paddle" in sys.modules:
        return {}
    applied = {k: v for k, v in DEFAULTS.items() if k not in environ}
    environ.update(applied)
    return applied


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


def tune_malloc(enabled=True, environ=os.environ):
    """Keep freed memory in the process instead of returning it to the OS (glibc only).

    With `enabled`, blocks up to 1 GiB are served from the heap and the heap is not trimmed, so
    the activations of the next step reuse already mapped pages; the resident memory stays at
    the peak of the run instead of shrinking between steps. `enabled=False` undoes it: glibc's
    default thresholds (128 KiB) come back, though glibc's dynamic adjustment of them stays off.
    Returns True when the allocator is in the requested state; False on non-glibc systems or
    when opted out with ECAPADDLE_NO_CPU_TUNING=1 / ECAPADDLE_NO_MALLOC_TUNING=1 (enabled=True).
    """
    global _malloc_tuned
    if enabled and (environ.get(OPT_OUT) == "1" or environ.get(MALLOC_OPT_OUT) == "1"):
        return False
    if not enabled and not _malloc_tuned:
        return True                 # never changed here: glibc's own defaults are in place
    libc = _libc()
    if libc is None:
        return False
    threshold = _TUNED_THRESHOLD if enabled else _GLIBC_DEFAULT_THRESHOLD
    ok = libc.mallopt(_M_MMAP_THRESHOLD, threshold) == 1 and libc.mallopt(_M_TRIM_THRESHOLD, threshold) == 1
    _malloc_tuned = bool(enabled and ok)
    return ok


def set_num_threads(threads):
    """Set the OpenMP/MKL thread count of this process (OMP_NUM_THREADS only acts at start-up)."""
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    from paddle.base import core   # imported late: this module runs before paddle is imported

    core.set_num_threads(threads)


def set_onednn(enabled):
    """Switch Paddle's oneDNN (MKL-DNN) kernels on or off; returns the flags as set."""
    import paddle

    flags = {name: bool(enabled) for name in _onednn_flag_names()}
    paddle.set_flags(flags)
    return flags


def _onednn_flag_names():
    from paddle.base import core

    return [name for name in ("FLAGS_use_mkldnn", "FLAGS_use_onednn") if name in core.globals()]


def current_settings():
    """The state of every setting this module manages, for benchmark reports."""
    state = {name: os.environ.get(name) for name in (*DEFAULTS, "MKL_NUM_THREADS", "KMP_BLOCKTIME",
                                                      "KMP_AFFINITY", OPT_OUT, MALLOC_OPT_OUT)}
    state["malloc_tuned"] = _malloc_tuned
    if "paddle" in sys.modules:
        import paddle

        state.update(paddle.get_flags(_onednn_flag_names()))
    return state
