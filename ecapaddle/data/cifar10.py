"""CIFAR-10 (Krizhevsky, 2009, https://www.cs.toronto.edu/~kriz/cifar.html): find the archive, check it (a bad
file gives a sentence, not a pickle or zlib traceback), and load it with `paddle.vision.datasets.Cifar10`,
with the labels, class names and stratified subsets the trainer needs.

Lookup order of `find_cifar10` (the first hit wins): 1. the `path` argument (a file, or a directory
holding cifar-10-python.tar.gz); 2. $ECAPADDLE_CIFAR10 (same rules; a path given by 1 or 2 that does not
exist is an error, never a silent fall-through); 3. the AI Studio mount data/data152754/ under the current
directory and under /home/aistudio; 4. Paddle's download cache (where `Cifar10(download=True)` puts it);
5. with download=True only: Paddle's own downloader, into that cache.
"""
import gzip
import numbers
import os
import pickle
import tarfile
from collections import namedtuple

import numpy as np
import paddle
import paddle.dataset.common
import paddle.io
from paddle.vision.datasets import Cifar10
from paddle.vision.datasets.cifar import CIFAR10_MD5, CIFAR10_URL

from .archive_format import (ARCHIVE_NAME, ARCHIVE_ROOT, JPEG_REBUILD_MARKER, META, SYNTHETIC_MARKER, TEST_BATCH,
                             TRAIN_BATCHES)
from .transforms import build_transforms


OFFICIAL_PAGE = "https://www.cs.toronto.edu/~kriz/cifar.html"
ENV_VAR = "ECAPADDLE_CIFAR10"
AISTUDIO_RELATIVE = os.path.join("data", "data152754", ARCHIVE_NAME)
AISTUDIO_HOME = "/home/aistudio"
MODES = ("train", "test")
HOLDOUT = 5000          # validation images held out of the training split by default (`load_cifar10_holdout`)
OFFICIAL_SIZES = {"train": 50000, "test": 10000}    # images of each split in the official archive

ArchiveInfo = namedtuple("ArchiveInfo", "path n_train n_test classes kind")
ArchiveInfo.__doc__ = """What `validate_cifar10_archive` found. kind: "synthetic" (`make_synthetic_cifar10`'s),
"jpeg-rebuild" (JPEG re-encoded real images, so marked in its readme.html) or "cifar-10" (anything else)."""


class DatasetError(ValueError):
    """The dataset archive exists but cannot be used; the message says why and what to do."""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """No CIFAR-10 archive where one was expected; the message lists where we looked."""


def paddle_cache_path():
    """Where `paddle.vision.datasets.Cifar10(download=True)` stores the archive."""
    return os.path.join(paddle.dataset.common.DATA_HOME, "cifar", ARCHIVE_NAME)


def default_locations():
    """[(origin, path)] searched after the `path` argument and $ECAPADDLE_CIFAR10, in order."""
    return [("AI Studio dataset (current directory)", os.path.abspath(AISTUDIO_RELATIVE)),
            ("AI Studio dataset (home)", os.path.join(AISTUDIO_HOME, AISTUDIO_RELATIVE)),
            ("Paddle cache", paddle_cache_path())]


def find_cifar10(path=None, download=False):
    """Path of a CIFAR-10 archive, searched in the order of the module docstring (not checked: see
    `validate_cifar10_archive`). Raises DatasetNotFoundError naming every place looked at and how to fix it."""
    if path is not None:
        return _explicit_archive(path, "path argument")
    if os.environ.get(ENV_VAR):
        return _explicit_archive(os.environ[ENV_VAR], f"${ENV_VAR}")
    looked = ["path argument: not given", f"${ENV_VAR}: not set"]
    for origin, candidate in default_locations():
        if os.path.isfile(candidate):
            return candidate
        looked.append(f"{origin}: {candidate} (not found)")
    if download:
        try:
            return paddle.dataset.common.download(CIFAR10_URL, "cifar", CIFAR10_MD5)
        except Exception as error:   # Paddle raises RuntimeError after retries, or httpx errors
            looked.append(f"download from {CIFAR10_URL}: failed ({type(error).__name__}: {error})")
            if os.path.exists(paddle_cache_path()):
                looked.append(f"  a partial download may remain at {paddle_cache_path()}: delete it")
    else:
        looked.append("download: not requested (download=False)")
    raise DatasetNotFoundError(
        "No CIFAR-10 archive found. Looked at, in order:\n  " + "\n  ".join(looked) +
        f"\nFix: set {ENV_VAR}=/path/to/{ARCHIVE_NAME}, pass path=..., or use download=True "
        "(needs network). For a quick offline stand-in, make_synthetic_cifar10(path) writes a "
        "small synthetic archive (not CIFAR-10). See data/README.md.")


def _explicit_archive(path, origin):
    path = os.path.expanduser(os.fspath(path))
    if os.path.isfile(path):
        return path
    if os.path.isdir(path):
        inside = os.path.join(path, ARCHIVE_NAME)
        if os.path.isfile(inside):
            return inside
        hint = ""
        if os.path.isdir(os.path.join(path, ARCHIVE_ROOT)):
            hint = (f" It holds an extracted {ARCHIVE_ROOT}/, but Paddle reads the archive: run "
                    f"`tar czf {ARCHIVE_NAME} {ARCHIVE_ROOT}` in {path}.")
        raise DatasetNotFoundError(
            f"{origin} {path} is a directory without {ARCHIVE_NAME}.{hint} "
            f"Point it at the archive file or at the directory that holds it.")
    raise DatasetNotFoundError(
        f"{origin} {path} does not exist. Point it at {ARCHIVE_NAME} (or its directory), "
        f"or leave it unset to search the default places (see find_cifar10).")


_validated = {}   # (realpath, size, mtime_ns) -> ArchiveInfo


def validate_cifar10_archive(path):
    """The `ArchiveInfo` of `path` after checking that it is a complete CIFAR-10 archive in the official layout.

    Reads the whole file once (cached by path, size and modification time) and unpickles every batch. Raises
    DatasetNotFoundError if it is missing, DatasetError if it is damaged or another dataset (e.g. CIFAR-100).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise DatasetNotFoundError(f"CIFAR-10 archive {path} does not exist. See find_cifar10 "
                                   f"for where it is searched and how to get it.")
    if os.path.isdir(path):
        raise DatasetError(f"{path} is a directory, not an archive file: pass the "
                           f"{ARCHIVE_NAME} inside it, or use find_cifar10(path=...).")
    stat = os.stat(path)
    key = (os.path.realpath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _validated:
        _validated[key] = _read_archive(path)
    return _validated[key]


def _read_archive(path):
    fix = f"Get a fresh copy: find_cifar10(download=True), or the official archive from {OFFICIAL_PAGE}."
    with open(path, "rb") as raw:
        if raw.read(2) != b"\x1f\x8b":
            raise DatasetError(f"{path} is not gzip-compressed (empty, or not the download?); {ARCHIVE_NAME} is a "
                               f".tar.gz. {fix}")
    members = {}
    try:
        with gzip.open(path, "rb") as stream:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    if member.isfile():
                        members[member.name] = _content(member.name, tar.extractfile(member).read())
            while stream.read(1 << 20):     # to the end, so that gzip checks its CRC and length
                pass
    except Exception as error:   # gzip, tar and pickle errors of a damaged file: one sentence, no traceback
        raise DatasetError(f"{path} is truncated or corrupt ({type(error).__name__}: {error}). {fix}") from None
    if not any(name.startswith(ARCHIVE_ROOT + "/") for name in members):
        what = "CIFAR-100" if any(name.startswith("cifar-100-python/") for name in members) else "another archive"
        raise DatasetError(f"{path} is {what}, not CIFAR-10: it holds no {ARCHIVE_ROOT}/. Get the official "
                           f"{ARCHIVE_NAME}.")
    names = [f"{ARCHIVE_ROOT}/{name}" for name in TRAIN_BATCHES + (TEST_BATCH, META)]
    missing = [name for name in names if name not in members]
    if missing:
        raise DatasetError(f"{path} lacks {', '.join(missing)}: it is incomplete. {fix}")
    meta = members[names[-1]]
    readme = members.get(f"{ARCHIVE_ROOT}/readme.html", b"")
    kind = "synthetic" if meta["synthetic"] else "jpeg-rebuild" if JPEG_REBUILD_MARKER in readme else "cifar-10"
    return ArchiveInfo(path, sum(members[name] for name in names[:5]), members[names[5]], meta["classes"], kind)


def _content(name, data):
    """What validation keeps of a member: a batch's image count, batches.meta's classes, other files' bytes."""
    folder, base = os.path.split(name)
    if folder == ARCHIVE_ROOT and base == META:
        meta = pickle.loads(data, encoding="bytes")
        return {"classes": tuple(c.decode() for c in meta[b"label_names"]),
                "synthetic": bool(meta.get(SYNTHETIC_MARKER))}
    if folder == ARCHIVE_ROOT and base in TRAIN_BATCHES + (TEST_BATCH,):
        return len(pickle.loads(data, encoding="bytes")[b"data"])
    return data


def is_synthetic(path):
    """True if `path` is a synthetic archive written by `make_synthetic_cifar10`."""
    return validate_cifar10_archive(path).kind == "synthetic"


def describe_source(path):
    """One line saying whether the archive's data is real and where it came from (its file name and the place
    it was found at, no directories: the line goes into run histories), for logs and the CLI."""
    info = validate_cifar10_archive(path)
    real = os.path.realpath(path)
    origin = "given path"
    named = ([(f"${ENV_VAR}", os.environ[ENV_VAR])] if os.environ.get(ENV_VAR) else []) \
        + default_locations()
    for name, candidate in named:
        candidate = os.path.expanduser(candidate)
        if os.path.isdir(candidate):
            candidate = os.path.join(candidate, ARCHIVE_NAME)
        if os.path.realpath(candidate) == real:
            origin = name
            break
    what = {"synthetic": "SYNTHETIC data (not CIFAR-10: accuracies say nothing about CIFAR-10)",
            "jpeg-rebuild": "real CIFAR-10, JPEG re-encoded (accuracy close to, not equal to, "
                            "the official files)",
            "cifar-10": "real CIFAR-10"}[info.kind]
    return f"{what}: {os.path.basename(path)} [{origin}; {info.n_train} train / {info.n_test} test images]"


def stratified_indices(labels, size, seed=0):
    """Sorted indices of `size` items whose class proportions match those of `labels`: each class gets
    floor(size * share), the left-over items go to the largest remainders (ties broken by `seed`)."""
    labels = np.asarray(labels)
    if not 1 <= size <= len(labels):
        raise ValueError(f"subset size must be in 1..{len(labels)}, got {size}")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    quota = size * counts / len(labels)
    take = np.floor(quota).astype(int)
    order = rng.permutation(len(classes))
    order = order[np.argsort(-(quota - take)[order], kind="stable")]
    take[order[:size - take.sum()]] += 1
    chosen = [rng.choice(np.flatnonzero(labels == c), k, replace=False)
              for c, k in zip(classes, take)]
    return np.sort(np.concatenate(chosen))


class CIFAR10Subset(paddle.io.Subset):
    """Items `indices` of a `paddle.vision.datasets.Cifar10`, with `labels` (int64 [len(self)], in item order),
    `classes` (the class names), `info` (the archive's `ArchiveInfo`) and `mode` ("train" or "test"). Items
    are (image, label), label an int64 numpy scalar, so a DataLoader batch of labels is [N].
    """

    def __init__(self, dataset, indices, labels, info, mode):
        super().__init__(dataset, [int(i) for i in indices])
        self.labels = np.asarray(labels, dtype=np.int64)
        self.classes = info.classes
        self.info = info
        self.mode = mode


def load_cifar10(mode="train", path=None, transform=None, subset=None, seed=0, download=False):
    """CIFAR-10's `mode` split ("train" or "test") of the archive `find_cifar10(path, download)` finds, as a
    `CIFAR10Subset` of `subset` class-stratified items (chosen with `seed`; None: all). transform: a callable
    applied to each PIL image, a preset name of `TRANSFORM_PRESETS` (built for this mode at 128 px), or None.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if isinstance(transform, str):
        transform = build_transforms(transform, train=mode == "train")
    elif transform is not None and not callable(transform):
        raise TypeError(f"transform must be callable, a preset name or None, got {transform!r}")
    archive = find_cifar10(path, download=download)
    info = validate_cifar10_archive(archive)
    total = info.n_train if mode == "train" else info.n_test
    size = _subset_size(subset, total, "subset", f"of the {mode} split of {archive}")
    dataset = Cifar10(data_file=archive, mode=mode, transform=transform, download=False,
                      backend="pil")
    labels = np.fromiter((label for _, label in dataset.data), dtype=np.int64, count=total)
    indices = np.arange(total) if subset is None else stratified_indices(labels, size, seed)
    return CIFAR10Subset(dataset, indices, labels[indices], info, mode)


def load_cifar10_splits(path, transforms="notebook", train_subset=None, val_subset=None, seed=0, size=128):
    """(train set, test set) of the archive at `path` with a transform preset's train / test pipelines;
    `train_subset` / `val_subset` as `load_cifar10`'s `subset`."""
    return (load_cifar10("train", path, build_transforms(transforms, train=True, size=size),
                         subset=train_subset, seed=seed),
            load_cifar10("test", path, build_transforms(transforms, train=False, size=size),
                         subset=val_subset, seed=seed))


def _subset_size(subset, total, name, where):
    """The number of images `subset` (None for all, or a count) asks for out of the `total` images in `where`."""
    if subset is None:
        return total
    if isinstance(subset, bool) or not isinstance(subset, numbers.Integral) or subset < 1:
        raise ValueError(f"{name} must be None or a positive number of images, got {subset!r}")
    if subset > total:
        raise ValueError(f"{name}={subset} asks for more images than the {total} {where}; pass at most {total}")
    return int(subset)


def load_cifar10_holdout(path, transforms="notebook", train_subset=None, val_size=HOLDOUT, seed=0, size=128):
    """(train, validation, test) sets: `val_size` class-stratified images of the training split validate, the
    training set is `train_subset` class-stratified images (None: all) of the rest, the test split is left for
    one final evaluation. Validation and test get the `transforms` preset's evaluation pipeline, training its
    augmentation; `seed` seeds both stratified choices.
    """
    train_full = load_cifar10("train", path, build_transforms(transforms, train=True, size=size))
    labels = train_full.labels
    n_val = _subset_size(val_size, len(labels), "val_size", "of the training split")
    if n_val >= len(labels):
        raise ValueError(f"val_size={val_size} leaves no training images out of {len(labels)}; pass a smaller val_size")
    val_indices = stratified_indices(labels, n_val, seed)
    pool = np.setdiff1d(np.arange(len(labels)), val_indices)
    n_train = _subset_size(train_subset, len(pool), "train_subset",
                           f"left in the training split after holding out {n_val} validation images")
    train_indices = pool[stratified_indices(labels[pool], n_train, seed)]
    eval_transform = build_transforms(transforms, train=False, size=size)
    val_base = load_cifar10("train", path, eval_transform)
    info = train_full.info
    return (CIFAR10Subset(train_full.dataset, train_indices, labels[train_indices], info, "train"),
            CIFAR10Subset(val_base.dataset, val_indices, labels[val_indices], info, "train"),
            load_cifar10("test", path, eval_transform))
