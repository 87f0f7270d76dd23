"""CPU threads of Paddle, set by an explicit call: importing ecapaddle changes nothing.

Paddle computes on one core unless told otherwise: at import it sets OMP_NUM_THREADS=1 when the
variable is unset (and prints a warning when it is set above 1). `use_all_cores()` (the CLI's
default `--threads auto`) gives this process's Paddle every core it may run on, at run time and
without that warning; `set_num_threads(n)` sets any other count.
"""
import os

from paddle.base import core

_threads = None     # the count set here; None = Paddle's own (OMP_NUM_THREADS at its import)


def available_cores():
    """CPUs this process may run on (os.sched_getaffinity: respects containers and taskset)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:      # macOS and Windows have no affinity call
        return os.cpu_count() or 1


def set_num_threads(threads):
    """Set the OpenMP/MKL thread count of Paddle's CPU kernels in this process; returns it."""
    global _threads
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive int, got {threads!r}")
    core.set_num_threads(threads)
    _threads = threads
    return threads


def use_all_cores():
    """Let Paddle's CPU kernels use every core this process may run on; returns the thread count."""
    return set_num_threads(available_cores())


def num_threads():
    """The thread count of Paddle's CPU kernels in this process."""
    return _threads if _threads is not None else int(os.environ.get("OMP_NUM_THREADS") or 1)


def current_settings():
    """The thread settings of this process, for run and benchmark reports."""
    return {"threads": num_threads(), "available_cores": available_cores(),
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS")}
