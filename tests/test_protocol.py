"""The experiment protocol: validation held out of the training split, one final test evaluation,
predictions saved with each run, and the gate-scale control model."""
import json

import numpy as np
import paddle
import pytest

from ecapaddle import AlexNet, AlexNetECA, TrainConfig, count_parameters, create, evaluate, train
from ecapaddle.cli import main as cli_main
from ecapaddle.data import load_cifar10_holdout, make_synthetic_cifar10
from ecapaddle.engine import load_history
from ecapaddle.layers import ECA, UnitGateECA, create_attention
from ecapaddle.utils import seed_everything


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    return make_synthetic_cifar10(tmp_path_factory.mktemp("data") / "cifar-10-python.tar.gz", n_train=300, n_test=60)


def test_holdout_validation_is_disjoint_stratified_and_deterministic(archive):
    train_set, val_set, test_set = load_cifar10_holdout(archive, "fast", train_subset=100, val_size=50, seed=3)
    assert (len(train_set), len(val_set), len(test_set)) == (100, 50, 60)
    assert not set(train_set.indices) & set(val_set.indices)
    assert train_set.mode == val_set.mode == "train" and test_set.mode == "test"
    assert np.bincount(val_set.labels, minlength=10).tolist() == [5] * 10
    assert np.bincount(train_set.labels, minlength=10).tolist() == [10] * 10
    first, again = val_set[7][0], val_set[7][0]          # evaluation transform: no randomness
    np.testing.assert_array_equal(first, again)
    assert first.shape == (3, 128, 128)
    same = load_cifar10_holdout(archive, "fast", train_subset=100, val_size=50, seed=3)
    assert same[0].indices == train_set.indices and same[1].indices == val_set.indices


def test_holdout_asks_for_no_more_than_there_is(archive):
    with pytest.raises(ValueError, match="train_subset=260 asks for more images than the 250 left in the training split after holding out 50"):
        load_cifar10_holdout(archive, "fast", train_subset=260, val_size=50)
    with pytest.raises(ValueError, match="leaves no training images"):
        load_cifar10_holdout(archive, "fast", val_size=300)


class Blobs(paddle.io.Dataset):
    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, 3, n).astype("int64")
        self.images = (rng.normal(0, 1, (n, 3, 8, 8)) + self.labels[:, None, None, None]).astype("float32")
        self.indices = list(range(100, 100 + n))

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i], self.labels[i]


def tiny_net():
    seed_everything(0)
    return paddle.nn.Sequential(paddle.nn.Flatten(), paddle.nn.Linear(192, 16), paddle.nn.ReLU(),
                                paddle.nn.Linear(16, 3))


@pytest.mark.slow
def test_train_evaluates_the_test_set_once_with_final_and_best_weights(tmp_path):
    model, test_set = tiny_net(), Blobs(40, seed=2)
    config = TrainConfig(epochs=3, batch_size=16, lr=0.05, seed=1, progress=False)
    history = train(model, Blobs(96, seed=0), Blobs(32, seed=1), config, out_dir=tmp_path, test_set=test_set)
    final = evaluate(model, test_set, loss_fn=None)           # the model keeps its final weights
    assert history["test"]["n"] == 40 and history["test"]["final"]["acc"] == pytest.approx(final["acc"])
    assert history["test"]["best"]["epoch"] == history["best"]["epoch"]
    assert load_history(tmp_path / "history.json")["test"] == json.loads(json.dumps(history["test"]))
    saved = np.load(tmp_path / "predictions.npz")
    np.testing.assert_array_equal(saved["label"], test_set.labels)
    np.testing.assert_array_equal(saved["index"], test_set.indices)
    assert (saved["pred"] == saved["top5_class"][:, 0]).all() and saved["top5_class"].shape == (40, 3)
    assert np.mean(saved["pred"] == saved["label"]) == pytest.approx(final["acc"])
    probs = saved["top5_prob"].astype("float32")
    assert (np.diff(probs, axis=1) <= 0).all() and probs.sum(axis=1) == pytest.approx(1, abs=2e-3)


def test_unit_gate_eca_starts_as_the_identity_with_ecas_parameters():
    layer = UnitGateECA(channels=64)
    assert [p.shape for p in layer.parameters()] == [p.shape for p in ECA(channels=64).parameters()] == [[1, 1, 3]]
    x = paddle.randn([2, 64, 5, 5])
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    layer.conv.weight.set_value(paddle.full([1, 1, 3], 5.0))
    gates = layer.attention(paddle.rand([2, 64, 5, 5]))
    assert float(gates.min()) > 0 and float(gates.max()) < 2 and float(gates.max()) > 1.9


def test_unit_gate_alexnet_computes_alexnets_function_at_initialisation():
    control, base = create("alexnet_eca_unitgate"), AlexNet()
    assert count_parameters(control) == count_parameters(AlexNetECA()) == 7_524_061
    shared = [p for p in control.parameters() if p.shape != [1, 1, 3] and p.shape != [1, 1, 5]]
    for source, target in zip(base.parameters(), shared):
        target.set_value(source)
    control.eval(), base.eval()
    x = paddle.randn([2, 3, 128, 128])
    np.testing.assert_allclose(control(x).numpy(), base(x).numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.slow
def test_cli_train_records_the_protocol_and_the_test_accuracy(archive, tmp_path):
    out = tmp_path / "run"
    cli_main(["train", "--model", "alexnet", "--data", str(archive), "--train-subset", "60", "--val-subset", "30",
              "--epochs", "1", "--batch-size", "30", "--transforms", "fast", "--out", str(out), "--no-progress"])
    history = load_history(out / "history.json")
    assert history["data"]["val_source"] == "train" and history["data"]["test_size"] == 60
    assert (history["data"]["train_size"], history["data"]["val_size"]) == (60, 30)
    assert 0 <= history["test"]["final"]["acc"] <= 1 and (out / "predictions.npz").is_file()


def test_constant_gate_control_scales_every_stage_by_one_half():
    control, base = create("alexnet_constgate"), AlexNet()
    assert count_parameters(control) == count_parameters(base) == 7_524_042
    x = paddle.rand([1, 8, 3, 3])
    np.testing.assert_array_equal(create_attention("constant_gate", 8)(x).numpy(), 0.5 * x.numpy())
    for source, target in zip(base.parameters(), control.parameters()):
        target.set_value(source)
    features = lambda model: model.features(paddle.ones([1, 3, 128, 128]) * 0.1)   # noqa: E731
    np.testing.assert_allclose(features(control).numpy(), features(base).numpy() / 2 ** 5, rtol=1e-5, atol=1e-7)
