"""ecapaddle.data on small synthetic archives written into tmp_path (no real data, no network)."""
import gzip
import hashlib
import io
import os
import pickle
import shutil
import tarfile

import numpy as np
import paddle
import paddle.dataset.common
import paddle.nn.functional as F
import paddle.vision.transforms as T
import pytest
from paddle.vision.datasets import Cifar10
from PIL import Image

from ecapaddle.data import (CIFAR10_CLASSES, IMAGENET_MEAN, IMAGENET_STD, TRANSFORM_PRESETS, DatasetError,
                            DatasetNotFoundError, build_transforms, cifar10_or_synthetic, describe_source,
                            find_cifar10, is_synthetic, load_cifar10, make_synthetic_cifar10,
                            mix_batch, mixed_loss, stratified_indices, validate_cifar10_archive)
from ecapaddle.data import cifar10 as cifar10_module
from ecapaddle.data.archive_format import ARCHIVE_NAME
from ecapaddle.data.cifar10 import AISTUDIO_RELATIVE, ENV_VAR

N_TRAIN, N_TEST = 200, 50


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return make_synthetic_cifar10(tmp_path_factory.mktemp("cifar") / ARCHIVE_NAME,
                                  n_train=N_TRAIN, n_test=N_TEST, seed=0)


def members_of(path):
    with tarfile.open(path) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}


def write_tar_gz(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return str(path)


# --- lookup ------------------------------------------------------------------------------------

@pytest.fixture
def places(tmp_path, monkeypatch):
    """Every default place moved into tmp_path; returns the archive path of each, in lookup order."""
    monkeypatch.delenv(ENV_VAR, raising=False)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setattr(cifar10_module, "AISTUDIO_HOME", str(tmp_path / "aistudio"))
    monkeypatch.setattr(paddle.dataset.common, "DATA_HOME", str(tmp_path / "paddle"))
    return {"argument": tmp_path / "arg" / ARCHIVE_NAME,
            "env": tmp_path / "env" / ARCHIVE_NAME,
            "aistudio_cwd": tmp_path / "cwd" / AISTUDIO_RELATIVE,
            "aistudio_home": tmp_path / "aistudio" / AISTUDIO_RELATIVE,
            "paddle_cache": tmp_path / "paddle" / "cifar" / ARCHIVE_NAME}


def test_cifar10_or_synthetic_falls_back_loudly_only_without_an_explicit_path(places, archive, tmp_path, capsys):
    path, source = cifar10_or_synthetic(tmp_path, n_train=20, n_test=10)       # nothing anywhere
    assert is_synthetic(path) and source.startswith("SYNTHETIC") and str(tmp_path) not in source
    assert "No real CIFAR-10 found" in capsys.readouterr().out
    places["paddle_cache"].parent.mkdir(parents=True)
    shutil.copy(archive, places["paddle_cache"])
    assert cifar10_or_synthetic(tmp_path)[0] == str(places["paddle_cache"])    # found: used as is
    assert is_synthetic(cifar10_or_synthetic(tmp_path / "w", synthetic=True, n_train=20, n_test=10)[0])
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        cifar10_or_synthetic(tmp_path, path=tmp_path / "missing.tar.gz")


def test_lookup_order(places, archive, monkeypatch):
    for place in places.values():
        place.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(archive, place)
    monkeypatch.setenv(ENV_VAR, str(places["env"]))
    assert find_cifar10(places["argument"]) == str(places["argument"])
    assert find_cifar10() == str(places["env"])
    monkeypatch.delenv(ENV_VAR)
    for name in ("aistudio_cwd", "aistudio_home", "paddle_cache"):
        assert os.path.samefile(find_cifar10(), places[name])
        assert "given path" not in describe_source(find_cifar10())
        places[name].unlink()
    with pytest.raises(DatasetNotFoundError):
        find_cifar10()


def test_directory_argument_and_env_var_find_the_archive_inside(places, archive, monkeypatch):
    places["env"].parent.mkdir()
    shutil.copy(archive, places["env"])
    assert find_cifar10(places["env"].parent) == str(places["env"])
    monkeypatch.setenv(ENV_VAR, str(places["env"].parent))
    assert find_cifar10() == str(places["env"])
    assert f"${ENV_VAR}" in describe_source(places["env"])


def test_nothing_found_lists_every_place_in_order_and_the_fixes(places):
    with pytest.raises(DatasetNotFoundError) as excinfo:
        find_cifar10()
    message = str(excinfo.value)
    looked = ["path argument", ENV_VAR, str(places["aistudio_cwd"]),
              str(places["aistudio_home"]), str(places["paddle_cache"]), "download=False"]
    positions = [message.index(item) for item in looked]
    assert positions == sorted(positions)
    for fix in (f"set {ENV_VAR}", "path=", "download=True"):
        assert fix in message
    assert isinstance(excinfo.value, FileNotFoundError)


@pytest.mark.parametrize("via_env", [False, True])
def test_explicit_missing_path_is_an_error_not_a_fall_through(places, archive, monkeypatch, via_env):
    places["paddle_cache"].parent.mkdir(parents=True)
    shutil.copy(archive, places["paddle_cache"])
    missing = str(places["argument"])
    if via_env:
        monkeypatch.setenv(ENV_VAR, missing)
    with pytest.raises(DatasetNotFoundError, match="does not exist") as excinfo:
        find_cifar10(None if via_env else missing)
    assert missing in str(excinfo.value)
    assert (ENV_VAR in str(excinfo.value)) == via_env


def test_empty_directory_and_extracted_directory(places, archive, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetNotFoundError, match=f"directory without {ARCHIVE_NAME}"):
        find_cifar10(empty)
    (empty / "cifar-10-batches-py").mkdir()
    with pytest.raises(DatasetNotFoundError, match="tar czf"):
        find_cifar10(empty)


def test_download_only_when_asked_and_failure_is_reported(places, archive, monkeypatch):
    calls = []

    def offline(url, module_name, md5sum, save_name=None):
        calls.append(url)
        raise RuntimeError(f"Cannot download {url} within retry limit 3")

    monkeypatch.setattr(paddle.dataset.common, "download", offline)
    with pytest.raises(DatasetNotFoundError):
        find_cifar10()
    assert calls == []
    with pytest.raises(DatasetNotFoundError, match="download from .* failed .*retry limit"):
        find_cifar10(download=True)
    assert len(calls) == 1

    def fake_download(url, module_name, md5sum, save_name=None):
        target = os.path.join(paddle.dataset.common.DATA_HOME, module_name, ARCHIVE_NAME)
        os.makedirs(os.path.dirname(target))
        return shutil.copy(archive, target)

    monkeypatch.setattr(paddle.dataset.common, "download", fake_download)
    assert os.path.samefile(find_cifar10(download=True), places["paddle_cache"])


# --- validation --------------------------------------------------------------------------------

def _truncated(path, out):
    data = open(path, "rb").read()
    out.write_bytes(data[:len(data) // 2])


def _corrupt(path, out):
    data = bytearray(open(path, "rb").read())
    middle = len(data) // 2
    data[middle:middle + 64] = np.random.default_rng(0).integers(0, 256, 64, dtype=np.uint8).tobytes()
    out.write_bytes(bytes(data))


def _not_gzip(path, out):
    out.write_bytes(b"<html>404 Not Found</html>")


def _empty(path, out):
    out.write_bytes(b"")


def _cifar100(path, out):
    batch = pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"fine_labels": [0, 1]})
    write_tar_gz(out, {"cifar-100-python/train": batch, "cifar-100-python/test": batch,
                       "cifar-100-python/meta": pickle.dumps({b"fine_label_names": []})})


def _missing_member(path, out):
    members = members_of(path)
    del members["cifar-10-batches-py/data_batch_3"]
    write_tar_gz(out, members)


def _garbage_pickle(path, out):
    members = members_of(path)
    members["cifar-10-batches-py/batches.meta"] = b"\x80\x02not a pickle"
    write_tar_gz(out, members)


@pytest.mark.parametrize("damage, expected", [
    (_truncated, "truncated"), (_corrupt, "corrupt"), (_not_gzip, "not gzip"),
    (_empty, "not gzip"), (_cifar100, "CIFAR-100"), (_missing_member, "data_batch_3"),
    (_garbage_pickle, "truncated or corrupt"),
])
def test_bad_archives_give_one_clear_error(archive, tmp_path, damage, expected):
    bad = tmp_path / ARCHIVE_NAME
    damage(archive, bad)
    with pytest.raises(DatasetError, match=expected) as excinfo:
        validate_cifar10_archive(bad)
    assert str(bad) in str(excinfo.value)
    error = excinfo.value                             # no pickle/tarfile/zlib traceback chained to it
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    with pytest.raises(DatasetError, match=expected):
        load_cifar10("test", path=bad)


def test_validate_missing_file_and_directory(tmp_path):
    with pytest.raises(DatasetNotFoundError, match="does not exist"):
        validate_cifar10_archive(tmp_path / "nope.tar.gz")
    with pytest.raises(DatasetError, match="is a directory"):
        validate_cifar10_archive(tmp_path)


def test_validation_is_cached_by_path_size_and_mtime(archive, tmp_path, monkeypatch):
    copy = shutil.copy(archive, tmp_path / ARCHIVE_NAME)
    reads = []
    real_read = cifar10_module._read_archive
    monkeypatch.setattr(cifar10_module, "_read_archive", lambda *a: reads.append(a) or real_read(*a))
    first = validate_cifar10_archive(copy)
    assert validate_cifar10_archive(copy) == first and len(reads) == 1
    os.utime(copy, ns=(0, 10**9))
    validate_cifar10_archive(copy)
    assert len(reads) == 2


# --- synthetic archive -------------------------------------------------------------------------

@pytest.mark.parametrize("mode, count", [("train", N_TRAIN), ("test", N_TEST)])
def test_synthetic_round_trip_through_paddle_cifar10(archive, mode, count):
    dataset = Cifar10(data_file=archive, mode=mode, download=False, backend="pil")
    assert len(dataset) == count
    image, label = dataset[0]
    assert image.size == (32, 32) and image.mode == "RGB"
    labels = np.array([int(label) for _, label in dataset.data])
    assert labels.min() >= 0 and labels.max() <= 9
    assert np.bincount(labels, minlength=10).tolist() == [count // 10] * 10


def test_synthetic_archive_has_the_official_layout(archive):
    members = members_of(archive)
    sizes = [len(pickle.loads(members[f"cifar-10-batches-py/data_batch_{i}"], encoding="bytes")[b"data"])
             for i in range(1, 6)]
    assert sizes == [N_TRAIN // 5] * 5
    batch = pickle.loads(members["cifar-10-batches-py/data_batch_1"], encoding="bytes")     # Paddle's way
    assert batch[b"data"].shape == (N_TRAIN // 5, 3072) and batch[b"data"].dtype == np.uint8
    meta = pickle.loads(members["cifar-10-batches-py/batches.meta"], encoding="bytes")
    assert [n.decode() for n in meta[b"label_names"]] == list(CIFAR10_CLASSES)
    with gzip.open(archive) as stream:
        stream.read()   # CRC and length check


def test_synthetic_is_deterministic_and_recognisable(archive, tmp_path):
    digest = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
    same = make_synthetic_cifar10(tmp_path / "same.tar.gz", n_train=N_TRAIN, n_test=N_TEST, seed=0)
    other = make_synthetic_cifar10(tmp_path / "other.tar.gz", n_train=N_TRAIN, n_test=N_TEST, seed=1)
    assert digest(same) == digest(archive) != digest(other)
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".partial"] == []
    assert is_synthetic(archive) and "SYNTHETIC" in describe_source(archive)
    members = members_of(archive)
    meta = pickle.loads(members["cifar-10-batches-py/batches.meta"], encoding="bytes")
    del meta[b"ecapaddle_synthetic"]
    members["cifar-10-batches-py/batches.meta"] = pickle.dumps(meta, protocol=2)
    real_looking = write_tar_gz(tmp_path / "real.tar.gz", members)
    assert not is_synthetic(real_looking)
    assert describe_source(real_looking).startswith("real CIFAR-10")


def test_synthetic_classes_differ_in_colour_and_stripes(archive):
    dataset = Cifar10(data_file=archive, mode="train", download=False, backend="pil")
    images = np.stack([np.asarray(dataset[i][0], np.float32) for i in range(len(dataset))])
    labels = np.array([int(dataset[i][1]) for i in range(len(dataset))])
    class_colours = np.stack([images[labels == c].mean(axis=(0, 1, 2)) for c in range(10)])
    assert np.ptp(class_colours, axis=0).max() > 60       # hue differs between classes
    assert images.std(axis=(1, 2)).mean() > 20            # and every image has texture


# --- load_cifar10 ------------------------------------------------------------------------------

def test_load_cifar10_items_labels_and_classes(archive):
    dataset = load_cifar10("test", path=archive)
    assert len(dataset) == N_TEST and dataset.classes == CIFAR10_CLASSES
    image, label = dataset[3]
    assert isinstance(image, Image.Image)
    assert label.dtype == np.int64 and label.shape == () and int(label) == dataset.labels[3]
    assert dataset.labels.tolist() == [int(dataset[i][1]) for i in range(len(dataset))]
    assert dataset.info.kind == "synthetic" and dataset.mode == "test"


def test_load_cifar10_with_a_preset_name_and_dataloader(archive):
    dataset = load_cifar10("train", path=archive, transform="fast", subset=32)
    images, labels = next(iter(paddle.io.DataLoader(dataset, batch_size=16)))
    assert images.shape == [16, 3, 128, 128] and images.dtype == paddle.float32
    assert labels.shape == [16] and labels.dtype == paddle.int64


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(mode="val"), ValueError, "mode must be one of"),
    (dict(subset=N_TEST + 1), ValueError, f"at most {N_TEST}"),
    (dict(subset=0), ValueError, "positive number of images"),
    (dict(subset=0.5), ValueError, "subset must be None or a positive number"),
    (dict(transform=42), TypeError, "transform must be"),
    (dict(transform="bogus"), ValueError, "valid presets: fast, notebook"),
])
def test_load_cifar10_rejects_bad_arguments(archive, kwargs, error, message):
    kwargs = {"mode": "test", **kwargs}
    with pytest.raises(error, match=message):
        load_cifar10(path=archive, **kwargs)


def test_stratified_subset_is_balanced_and_seeded(archive):
    first = load_cifar10("train", path=archive, subset=100, seed=1)
    assert len(first) == 100 and np.bincount(first.labels, minlength=10).tolist() == [10] * 10
    assert first.labels.tolist() == [int(first[i][1]) for i in range(len(first))]
    assert load_cifar10("train", path=archive, subset=100, seed=1).indices == first.indices
    assert load_cifar10("train", path=archive, subset=100, seed=2).indices != first.indices


def test_stratified_indices_keeps_class_proportions():
    labels = np.repeat([0, 1, 2], [50, 30, 20])
    assert np.bincount(labels[stratified_indices(labels, 10, seed=0)]).tolist() == [5, 3, 2]
    picked = stratified_indices(labels, 11, seed=0)
    assert len(np.unique(picked)) == 11 and np.all(np.diff(picked) > 0)
    with pytest.raises(ValueError, match="1..100"):
        stratified_indices(labels, 101)


# --- transforms --------------------------------------------------------------------------------

@pytest.mark.parametrize("preset", sorted(TRANSFORM_PRESETS))
@pytest.mark.parametrize("train", [True, False])
def test_transforms_output_shape_dtype_and_range(archive, preset, train):
    dataset = load_cifar10("test", path=archive, transform=build_transforms(preset, train), subset=20)
    images = np.stack([dataset[i][0] for i in range(len(dataset))])
    assert images.shape == (20, 3, 128, 128) and images.dtype == np.float32
    lowest = (0 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    highest = (1 - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    per_channel = images.transpose(1, 0, 2, 3).reshape(3, -1)
    assert np.all(per_channel.min(1) >= lowest - 1e-5) and np.all(per_channel.max(1) <= highest + 1e-5)
    assert abs(images.mean()) < 1.5


def test_test_transform_matches_paddle_to_tensor_normalize(archive):
    image = load_cifar10("test", path=archive)[0][0]
    reference = T.Compose([T.Resize(128), T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)])
    for preset in TRANSFORM_PRESETS:
        np.testing.assert_allclose(build_transforms(preset, train=False)(image),
                                   reference(image).numpy(), atol=1e-5)


def test_mean_coloured_image_normalises_to_zero_and_size_follows_the_model():
    mean_colour = np.round(np.array(IMAGENET_MEAN) * 255).astype(np.uint8)
    image = Image.fromarray(np.tile(mean_colour, (32, 32, 1)))
    out = build_transforms("fast", train=False, size=64)(image)
    assert out.shape == (3, 64, 64)
    assert np.abs(out).max() < 0.01
    assert build_transforms("notebook", train=True, size=96)(image).shape == (3, 96, 96)
    with pytest.raises(ValueError, match="size must be a positive int"):
        build_transforms("fast", size=0)


# --- mixup / cutmix ----------------------------------------------------------------------------

class FixedLambda:
    """A numpy-like generator whose Beta draws return a fixed lam."""

    def __init__(self, lam, seed=0):
        self.lam, self.rng = lam, np.random.default_rng(seed)

    def beta(self, a, b):
        return self.lam

    def __getattr__(self, name):
        return getattr(self.rng, name)


def _batch(n=8, size=16):
    """Image i is constant i + 1, so every mixed pixel tells which images it came from."""
    images = paddle.to_tensor(np.arange(1, n + 1, dtype=np.float32)[:, None, None, None]
                              * np.ones([1, 3, size, size], np.float32))
    return images, paddle.arange(n, dtype="int64")


@pytest.mark.parametrize("mode", ["mixup", "cutmix"])
def test_mix_with_lam_one_or_alpha_zero_is_the_identity(mode):
    images, labels = _batch()
    for mixed, labels_a, _, lam in (mix_batch(images, labels, 0.4, mode, rng=FixedLambda(1.0)),
                                    mix_batch(images, labels, 0.0, mode)):
        assert lam == 1.0
        np.testing.assert_array_equal(mixed.numpy(), images.numpy())
        np.testing.assert_array_equal(labels_a.numpy(), labels.numpy())


def test_mixup_pixels_are_the_convex_combination():
    images, labels = _batch()
    mixed, labels_a, labels_b, lam = mix_batch(images, labels, 0.4, "mixup", rng=np.random.default_rng(3))
    assert 0.0 < lam < 1.0
    partner = labels_b.numpy()                       # labels are arange, so labels_b is the permutation
    assert sorted(partner.tolist()) == list(range(8))
    expected = lam * images.numpy() + (1 - lam) * images.numpy()[partner]
    np.testing.assert_allclose(mixed.numpy(), expected, rtol=1e-6)
    lowest = np.minimum(images.numpy(), images.numpy()[partner])
    highest = np.maximum(images.numpy(), images.numpy()[partner])
    assert np.all(mixed.numpy() >= lowest - 1e-6) and np.all(mixed.numpy() <= highest + 1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_cutmix_box_area_matches_lam(seed):
    images, labels = _batch()
    mixed, _, labels_b, lam = mix_batch(images, labels, 1.0, "cutmix", rng=np.random.RandomState(seed))
    mixed, own, partner = mixed.numpy(), images.numpy(), images.numpy()[labels_b.numpy()]
    from_partner = (mixed == partner) & (own != partner)
    assert np.all((mixed == own) | (mixed == partner))
    for i in np.flatnonzero(labels_b.numpy() != labels.numpy()):
        assert from_partner[i].mean() == pytest.approx(1 - lam)
        rows, cols = np.nonzero(from_partner[i, 0])
        if len(rows):                                # the pasted region is one rectangle
            assert len(rows) == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)


def test_mix_batch_is_seeded_and_checks_arguments():
    images, labels = _batch()
    first = mix_batch(images, labels, 0.4, "cutmix", rng=np.random.default_rng(7))
    second = mix_batch(images, labels, 0.4, "cutmix", rng=np.random.default_rng(7))
    np.testing.assert_array_equal(first[0].numpy(), second[0].numpy())
    assert first[3] == second[3]
    with pytest.raises(ValueError, match="mode must be one of"):
        mix_batch(images, labels, 0.4, "mosaic")
    with pytest.raises(ValueError, match="alpha must be >= 0"):
        mix_batch(images, labels, -1.0)
    with pytest.raises(ValueError, match="labels for a batch"):
        mix_batch(images, labels[:3], 0.4)


def test_mixed_loss_formula():
    logits = paddle.randn([6, 10])
    labels_a = paddle.to_tensor([0, 1, 2, 3, 4, 5], dtype="int64")
    labels_b = paddle.to_tensor([9, 8, 7, 6, 5, 4], dtype="int64")
    loss = mixed_loss(F.cross_entropy, logits, labels_a, labels_b, 0.3)
    expected = 0.3 * F.cross_entropy(logits, labels_a) + 0.7 * F.cross_entropy(logits, labels_b)
    np.testing.assert_allclose(float(loss), float(expected), rtol=1e-6)
    assert float(mixed_loss(F.cross_entropy, logits, labels_a, labels_b, 1.0)) == \
        pytest.approx(float(F.cross_entropy(logits, labels_a)))
