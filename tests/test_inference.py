"""Paddle Inference evaluation and prediction give what dynamic mode gives (AlexNet-ECA, 8 synthetic images)."""
import numpy as np
import paddle
import pytest
from PIL import Image

import ecapaddle.inference
from ecapaddle import (CIFAR10_CLASSES, TrainConfig, create, evaluate, load_cifar10, make_synthetic_cifar10,
                       predict_images, train)
from ecapaddle.export import create_predictor, run_predictor
from ecapaddle.inference import (evaluate_with_predictor, exported, predict_images_with_predictor, training_evaluator,
                                 use_predictor)

ON_GPU = paddle.get_device().startswith("gpu")


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
    with exported(model, (None, *images.shape[1:])) as prefix:
        inferred = run_predictor(create_predictor(prefix, cpu_threads=1), images)
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


def test_predictor_is_the_default_on_cpu_only():
    assert use_predictor() is not ON_GPU and use_predictor(dynamic=True) is False


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


def test_the_engine_validates_and_tests_with_the_evaluator_it_is_given():
    config = TrainConfig(epochs=1, batch_size=8, lr=1e-2, progress=False)
    data, val, test = Blobs(32, seed=0), Blobs(12, seed=1), Blobs(10, seed=2)
    dynamic = train(small_net(), data, val, config, test_set=test)
    calls = []

    def evaluator(model, dataset, **kwargs):
        calls.append(len(dataset))
        return evaluate_with_predictor(model, dataset, threads=1, **kwargs)

    inferred = train(small_net(), data, val, config, test_set=test, evaluator=evaluator)
    assert calls == [len(val), len(test)]                           # one validation, one test evaluation
    epoch, dynamic_epoch = inferred["epochs"][0], dynamic["epochs"][0]
    assert (epoch["train_loss"], epoch["val_acc"]) == (dynamic_epoch["train_loss"], dynamic_epoch["val_acc"])
    assert epoch["val_loss"] == pytest.approx(dynamic_epoch["val_loss"], abs=1e-5)
    assert inferred["test"]["final"]["acc"] == dynamic["test"]["final"]["acc"]
    assert inferred["test"]["final"]["loss"] == pytest.approx(dynamic["test"]["final"]["loss"], abs=1e-5)


def test_training_evaluator_runs_the_predictor_on_cpu(model, dataset, monkeypatch):
    calls = []
    def recorded(*args, **kwargs):
        calls.append(kwargs["threads"])
        return evaluate_with_predictor(*args, **kwargs)

    monkeypatch.setattr(ecapaddle.inference, "evaluate_with_predictor", recorded)
    evaluator = training_evaluator(threads=1)
    if ON_GPU:
        assert evaluator is None, "on a GPU the engine's own dynamic-mode evaluation is used"
        return
    dynamic = evaluate(model, dataset, batch_size=4)["loss"]
    assert evaluator(model, dataset, batch_size=4)["loss"] == pytest.approx(dynamic, abs=1e-5)
    assert calls == [1]
