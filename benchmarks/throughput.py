"""The throughput benchmark of AlexNet and AlexNet-ECA on CPU; the same as `python -m ecapaddle bench`.

    python benchmarks/throughput.py [--quick] [--output FILE] [options]

`--help` lists the options (the code is ecapaddle/bench.py); benchmarks/README.md explains the figures.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))   # this checkout's ecapaddle, installed or not

from ecapaddle.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
