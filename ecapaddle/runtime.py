"""CPU settings of Paddle, made by explicit calls of the entry points (`cli.main`, `course.setup`) only.

Paddle computes on one core unless told otherwise: at import it sets OMP_NUM_THREADS=1 when the
variable is unset (and warns when it is set above 1). `use_all_cores()` gives Paddle every core this
process may run on, at run time and without that warning; `set_num_threads(n)` sets any other count.
"""
import contextlib
import os
import sys

# OMP_NUM_THREADS as set before Paddle was imported (ecapaddle/__init__ imports this module first);
# None when unset, or when Paddle was imported before ecapaddle and may have written it itself.
_REQUESTED = None if "paddle" in sys.modules else os.environ.get("OMP_NUM_THREADS")
_threads = None     # the count set here; None = Paddle's own (OMP_NUM_THREADS at its import)
MKL_AMD_SWITCH = ("MKL_DEBUG_CPU_TYPE", "5")
CPUINFO = "/proc/cpuinfo"


def available_cores():
    """CPUs this process may run on (os.sched_getaffinity: respects containers and taskset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:      # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def set_num_threads(threads):
    """Set the OpenMP/MKL thread count of Paddle's CPU kernels in this process; returns it."""
    global _threads
    from paddle.base import core    # not at the top: this module is imported before Paddle

    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    core.set_num_threads(threads)
    _threads = threads
    return threads


def requested_threads():
    """The thread count the user asked for with OMP_NUM_THREADS before Paddle started, or None."""
    return int(_REQUESTED) if _REQUESTED and _REQUESTED.isdigit() and int(_REQUESTED) > 0 else None


def use_all_cores():
    """Let Paddle's CPU kernels use every core this process may run on; returns the thread count."""
    return set_num_threads(available_cores())


def cpuinfo_field(name):
    """The first value of the field `name` ("vendor_id", "model name", ...) in /proc/cpuinfo; None when absent."""
    with contextlib.suppress(OSError), open(CPUINFO, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    return None


def use_fast_mkl():
    """On an AMD CPU, let MKL run its AVX2 kernels (MKL_DEBUG_CPU_TYPE=5) instead of its slow generic path;
    returns whether the switch is on. MKL reads it at its first call, so this must run before Paddle computes
    anything on the CPU. A value the user set is left alone."""
    name, value = MKL_AMD_SWITCH
    if name not in os.environ and cpuinfo_field("vendor_id") == "AuthenticAMD":
        os.environ[name] = value
    return os.environ.get(name) == value


def num_threads():
    """The thread count of Paddle's CPU kernels in this process: the one set here, else Paddle's own
    (OMP_NUM_THREADS at its import; Paddle sets 1 when it is unset)."""
    return _threads if _threads is not None else int(os.environ.get("OMP_NUM_THREADS") or 1)

