"""The layout of the official Python CIFAR-10 archive, shared by the reader (cifar10.py) and the writer (synthetic.py).

`cifar-10-python.tar.gz` holds `cifar-10-batches-py/data_batch_1..5`, `test_batch` and `batches.meta`;
each batch pickles uint8 images [n, 3 * 32 * 32] (CHW row-major) and their labels.
"""
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
ARCHIVE_NAME = "cifar-10-python.tar.gz"
ARCHIVE_ROOT = "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
SYNTHETIC_MARKER = b"ecapaddle_synthetic"   # extra key in batches.meta of archives we generate
JPEG_REBUILD_MARKER = b"rebuilt from a JPEG copy"   # in readme.html of archives rebuilt from a JPEG copy
