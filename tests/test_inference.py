"""Paddle Inference evaluation and prediction give what dynamic mode gives (AlexNet-ECA, 8 synthetic images)."""
import numpy as np
import paddle
import pytest
from PIL import Image

import ecapaddle.inference
from ecapaddle import runtime
from ecapaddle import (CIFAR10_CLASSES, TrainConfig, create, evaluate, load_cifar10, make_synthetic_cifar10,
                       predict_images, train)
from ecapaddle.export import run_predictor
from ecapaddle.inference import (evaluate_auto, evaluate_with_predictor, exported_predictor,
                                 predict_images_with_predictor, use_predictor)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    archive = make_synthetic_cifar10(tmp_path_factory.mktemp("data") / "tiny.tar.gz", n_train=10, n_test=10, seed=3)
    return load_cifar10("test", archive, "notebook", subset=8)


@pytest.fixture(scope="module")
def model():
    paddle.seed(1)
    return create("alexnet_eca")


def test_predictor_logits_match_dynamic_mode(model, dataset):
    images = np.stack([np.asarray(dataset[i][0], dtype="float32") for i in range(4)])
    model.eval()
    with paddle.no_grad():
        dynamic = model(paddle.to_tensor(images)).numpy()
    with exported_predictor(model, (None, *images.shape[1:]), threads=1) as predictor:
        inferred = run_predictor(predictor, images)
    np.testing.assert_allclose(inferred, dynamic, atol=1e-4, rtol=0)


def test_evaluate_with_predictor_matches_evaluate(model, dataset):
    model.train()
    dynamic = evaluate(model, dataset, batch_size=3, keep_probs=True)
    inferred = evaluate_with_predictor(model, dataset, batch_size=3, threads=1, keep_probs=True)
    assert model.training, "the model's train mode is restored"
    assert set(inferred) == set(dynamic)
    np.testing.assert_array_equal(inferred["labels"], dynamic["labels"])
    np.testing.assert_array_equal(inferred["preds"], dynamic["preds"])
    np.testing.assert_allclose(inferred["probs"], dynamic["probs"], atol=1e-5)
    assert inferred["n"] == 8 and inferred["confusion"] == dynamic["confusion"]
    assert (inferred["acc"], inferred["per_class_acc"]) == (dynamic["acc"], dynamic["per_class_acc"])
    assert inferred["loss"] == pytest.approx(dynamic["loss"], abs=1e-5)
    assert inferred["img_s"] > 0


def test_evaluate_with_predictor_refuses_an_empty_dataset(model):
    with pytest.raises(ValueError, match="empty dataset"):
        evaluate_with_predictor(model, [], batch_size=2)


def test_predict_images_with_predictor_matches_dynamic_mode(model, tmp_path):
    image = tmp_path / "img.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)).save(image)
    dynamic = predict_images(model, [image], CIFAR10_CLASSES, topk=3)[0]
    inferred = predict_images_with_predictor(model, [image], CIFAR10_CLASSES, topk=3, threads=1)[0]
    assert [name for name, _ in inferred] == [name for name, _ in dynamic]
    np.testing.assert_allclose([p for _, p in inferred], [p for _, p in dynamic], atol=1e-5)


def test_predictor_is_the_cpu_default():
    assert use_predictor() is True and use_predictor(dynamic=True) is False


class Blobs(paddle.io.Dataset):
    """n images [3, 8, 8] whose mean brightness gives their class (0..3)."""

    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, 4, n)
        self.images = (rng.standard_normal((n, 3, 8, 8)) + self.labels[:, None, None, None]).astype("float32")

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], np.int64(self.labels[i])


def small_net():
    paddle.seed(0)
    return paddle.nn.Sequential(paddle.nn.Conv2D(3, 4, 3), paddle.nn.ReLU(), paddle.nn.AdaptiveAvgPool2D(1),
                                paddle.nn.Flatten(), paddle.nn.Linear(4, 4))


def test_engine_validation_goes_through_the_predictor_from_the_threshold_on(monkeypatch):
    config = TrainConfig(epochs=1, batch_size=8, lr=1e-2, progress=False)
    data, val = Blobs(32, seed=0), Blobs(12, seed=1)
    dynamic = train(small_net(), data, val, config)["epochs"][0]
    calls = []
    monkeypatch.setattr(ecapaddle.inference, "PREDICTOR_MIN_IMAGES", 10)
    monkeypatch.setattr(ecapaddle.inference, "evaluate_with_predictor",
                        lambda *args, **kwargs: calls.append(kwargs["threads"]) or evaluate_with_predictor(*args, **kwargs))
    inferred = train(small_net(), data, val, config)["epochs"][0]
    assert calls == [1]
    assert (inferred["train_loss"], inferred["val_acc"]) == (dynamic["train_loss"], dynamic["val_acc"])
    assert inferred["val_loss"] == pytest.approx(dynamic["val_loss"], abs=1e-5)


def test_final_test_evaluation_goes_through_the_predictor_too(monkeypatch):
    config = TrainConfig(epochs=1, batch_size=8, lr=1e-2, progress=False)
    data, val, test = Blobs(32, seed=0), Blobs(12, seed=1), Blobs(12, seed=2)
    dynamic = train(small_net(), data, val, config, test_set=test)["test"]
    calls = []
    monkeypatch.setattr(ecapaddle.inference, "PREDICTOR_MIN_IMAGES", 10)
    monkeypatch.setattr(ecapaddle.inference, "evaluate_with_predictor",
                        lambda *args, **kwargs: calls.append(len(args[1])) or evaluate_with_predictor(*args, **kwargs))
    inferred = train(small_net(), data, val, config, test_set=test)["test"]
    assert calls == [len(val), len(test)]                           # one validation, one test evaluation
    assert inferred["final"]["acc"] == dynamic["final"]["acc"]
    assert inferred["final"]["loss"] == pytest.approx(dynamic["final"]["loss"], abs=1e-5)


def test_evaluate_auto_stays_dynamic_below_the_threshold(model, dataset):
    assert len(dataset) < ecapaddle.inference.PREDICTOR_MIN_IMAGES
    assert evaluate_auto(model, dataset, batch_size=4)["loss"] == evaluate(model, dataset, batch_size=4)["loss"]


def test_predictor_evaluation_sets_this_process_thread_count_again(model, dataset, monkeypatch):
    # a predictor run leaves dynamic mode slower until the thread count is set again (runtime.threads_restored)
    set_threads, calls = runtime.set_num_threads, []
    set_threads(2)
    monkeypatch.setattr(runtime, "set_num_threads", lambda n: calls.append(n) or set_threads(n))
    evaluate_with_predictor(model, dataset, batch_size=4, threads=1)
    assert calls == [2]
