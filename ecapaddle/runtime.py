"""CPU runtime settings that must be in the environment before Paddle is imported.

Measured on the 2-core AMD EPYC (Zen 4) machines of this project (see benchmarks/README.md):
- Paddle's bundled MKL takes a slow code path on AMD CPUs unless MKL_DEBUG_CPU_TYPE=5.
- Paddle sets OMP_NUM_THREADS=1 when it is unset, so by default it uses one core.
Both are set only when the user has not set them, and only if Paddle is not imported yet.
Set ECAPADDLE_NO_CPU_TUNING=1 to leave the environment alone.
"""
import os
import sys

DEFAULTS = {"MKL_DEBUG_CPU_TYPE": "5", "OMP_NUM_THREADS": str(os.cpu_count() or 1)}


def apply_cpu_defaults(environ=os.environ):
    """Set the measured CPU defaults where unset. Returns what it set, {} when it did nothing."""
    if environ.get("ECAPADDLE_NO_CPU_TUNING") == "1" or "paddle" in sys.modules:
        return {}
    applied = {k: v for k, v in DEFAULTS.items() if k not in environ}
    environ.update(applied)
    return applied
