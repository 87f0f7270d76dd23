"""Throughput of AlexNet vs AlexNet-ECA on CPU; see README.md here for what it measures and the results.

    python benchmarks/throughput.py [--quick] [--compare-settings] [--output FILE] [options]

The same as `python -m ecapaddle bench`; `--help` lists the options (ecapaddle/bench.py).
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's ecapaddle, installed or not

from ecapaddle.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
