"""A small synthetic stand-in for CIFAR-10, written in the official archive format.

For tests, CI and offline demos. It is NOT CIFAR-10: its batches.meta carries b"ecapaddle_synthetic": True,
so `is_synthetic(path)` and `describe_source(path)` say so.

Each 32 x 32 RGB image of class c is a background of hue c / 10 (jittered, so that neighbouring classes
overlap), stripes of a class-specific orientation and frequency with a random phase (their mean over
images is zero: a linear model on raw pixels cannot use them, a convolutional network can), pixel noise
and a random occluding rectangle.
"""
import gzip
import io
import numbers
import os
import pickle
import tarfile

import numpy as np
from matplotlib.colors import hsv_to_rgb

from .archive_format import (ARCHIVE_NAME, ARCHIVE_ROOT, CIFAR10_CLASSES, META, SYNTHETIC_MARKER, TEST_BATCH,
                             TRAIN_BATCHES)
from .cifar10 import DatasetNotFoundError, describe_source, find_cifar10

SIZE = 32
# class -> (orientation in multiples of 18 degrees, stripe cycles per image); neighbours in hue
# get far-apart orientations so that colour and stripes carry complementary information
STRIPES = tuple(((3 * c) % 10, 2 + c % 3) for c in range(len(CIFAR10_CLASSES)))


def synthetic_images(labels, rng):
    """uint8 images [N, 32, 32, 3] (HWC) whose patterns depend on `labels` [N] (ints 0..9)."""
    labels = np.asarray(labels)
    n = len(labels)
    hue = (labels / 10 + rng.normal(0, 0.07, n)) % 1.0
    colour = hsv_to_rgb(np.stack([hue, rng.uniform(0.35, 0.9, n), rng.uniform(0.35, 0.9, n)], -1))   # [N, 3]
    orientation, cycles = np.array(STRIPES)[labels].T
    angle = (orientation * 18 + rng.uniform(-8, 8, n)) * np.pi / 180
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / SIZE
    along = xx[None] * np.cos(angle)[:, None, None] + yy[None] * np.sin(angle)[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None, None]
    stripes = rng.uniform(0.15, 0.3, n)[:, None, None] * np.sin(
        2 * np.pi * cycles[:, None, None] * along + phase)
    images = colour[:, None, None, :] + stripes[..., None] + rng.normal(0, 0.08, (n, SIZE, SIZE, 3))
    for image, (top, left, height, width) in zip(
            images, rng.integers([0, 0, 4, 4], [SIZE - 4, SIZE - 4, 12, 12], (n, 4))):
        image[top:top + height, left:left + width] = rng.uniform(0, 1, 3)
    return np.clip(images * 255, 0, 255).round().astype(np.uint8)


def _batch(label, images, labels, prefix):
    chw_rows = images.transpose(0, 3, 1, 2).reshape(len(images), -1)   # the CIFAR layout
    return pickle.dumps({b"batch_label": label.encode(), b"labels": [int(y) for y in labels],
                       b"data": np.ascontiguousarray(chw_rows),
                       b"filenames": [f"{prefix}_{i:05d}.png".encode() for i in range(len(labels))]}, protocol=2)


def make_synthetic_cifar10(path, n_train=500, n_test=100, seed=0):
    """Write a synthetic `cifar-10-python.tar.gz` of n_train + n_test images (each class equally often, +-1;
    the same bytes for the same seed) to `path` (an existing directory gets it inside); return `path`."""
    for name, value in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{name} must be a positive int, got {value!r}")
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, ARCHIVE_NAME)
    rng = np.random.default_rng(seed)
    # every class as often as possible, in random order
    train_labels, test_labels = (rng.permutation(np.arange(n) % len(CIFAR10_CLASSES)) for n in (n_train, n_test))
    train_images, test_images = synthetic_images(train_labels, rng), synthetic_images(test_labels, rng)

    files = {}
    bounds = np.linspace(0, n_train, len(TRAIN_BATCHES) + 1).astype(int)
    for i, name in enumerate(TRAIN_BATCHES):
        part = slice(bounds[i], bounds[i + 1])
        files[name] = _batch(f"synthetic training batch {i + 1} of 5", train_images[part],
                             train_labels[part], f"train{i + 1}")
    files[TEST_BATCH] = _batch("synthetic testing batch 1 of 1", test_images, test_labels, "test")
    files[META] = pickle.dumps({b"label_names": [c.encode() for c in CIFAR10_CLASSES],
                                b"num_cases_per_batch": int(bounds[1]), b"num_vis": 3072,
                                SYNTHETIC_MARKER: True}, protocol=2)
    files["readme.html"] = (b"Synthetic stand-in for CIFAR-10 written by "
                            b"ecapaddle.data.make_synthetic_cifar10; not CIFAR-10 images.\n")
    _write_archive_atomically(path, files)
    return path


def _write_archive_atomically(path, files):
    """gzip tar of {name: bytes} under cifar-10-batches-py/, with fixed timestamps (mtime 0)
    and no file name in the gzip header, so equal contents give equal bytes."""
    from ..utils import atomic_write_bytes

    archive = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=archive, mtime=0, compresslevel=1) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{ARCHIVE_ROOT}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    atomic_write_bytes(path, archive.getvalue())


def cifar10_or_synthetic(workdir, synthetic=False, path=None, n_train=1000, n_test=500, seed=0):
    """(archive path, `describe_source` of it): CIFAR-10 found by `find_cifar10(path)`, or else a synthetic archive
    written into `workdir`, when `synthetic` asks for one or, said loudly, when none is found without `path`."""
    archive = None
    if not synthetic:
        try:
            archive = find_cifar10(path)
        except DatasetNotFoundError as error:
            if path is not None:
                raise
            print(f"*** No real CIFAR-10 found: using a SYNTHETIC dataset instead. ***\n{error}")
    if archive is None:
        archive = make_synthetic_cifar10(os.path.join(workdir, "synthetic-" + ARCHIVE_NAME),
                                         n_train=n_train, n_test=n_test, seed=seed)
    return archive, describe_source(archive)
