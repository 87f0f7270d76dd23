"""export_model -> paddle.jit.load and the paddle.inference predictor give the dynamic model's outputs."""
import numpy as np
import paddle
import pytest
from PIL import Image

from ecapaddle import AlexNetECA
from ecapaddle.export import (create_predictor, export_model, inference_transform, load_exported, model_files,
                              predict_images, run_predictor)
from ecapaddle.models import add_attention

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def check_round_trip(model, prefix, input_shape, batch):
    model.eval()
    x = np.random.default_rng(0).standard_normal((batch,) + tuple(input_shape[1:])).astype("float32")
    expected = model(paddle.to_tensor(x)).numpy()
    model_file, params_file = export_model(model, prefix, input_shape)
    assert model_file.endswith((".json", ".pdmodel")) and params_file.endswith(".pdiparams")
    np.testing.assert_allclose(load_exported(prefix)(paddle.to_tensor(x)).numpy(), expected, atol=1e-5)
    # oneDNN kernels round differently from the dynamic ones: equal up to float32 rounding, not bitwise.
    np.testing.assert_allclose(run_predictor(create_predictor(prefix), x), expected, atol=1e-5, rtol=1e-5)
    return expected


def test_alexnet_eca_round_trip(tmp_path):
    model = AlexNetECA()
    check_round_trip(model, tmp_path / "alexnet_eca", (None, 3, 128, 128), batch=3)
    model.train()
    export_model(model, tmp_path / "again")
    assert model.training                                     # exported in eval mode, then restored


def test_resnet18_eca_round_trip(tmp_path):
    model = add_attention(paddle.vision.models.resnet18(num_classes=10))
    check_round_trip(model, tmp_path / "resnet18_eca", (None, 3, 32, 32), batch=2)


@pytest.mark.parametrize("flag", ["FLAGS_use_mkldnn", "FLAGS_use_onednn"])
def test_load_exported_refuses_the_flag_that_crashes_it(tmp_path, flag):
    export_model(AlexNetECA(), tmp_path / "model")
    before = paddle.get_flags([flag])[flag]
    paddle.set_flags({flag: True})
    try:
        with pytest.raises(RuntimeError, match=f"{flag} is on.*create_predictor"):
            load_exported(tmp_path / "model")
    finally:
        paddle.set_flags({flag: before})
    assert load_exported(tmp_path / "model")(paddle.randn([1, 3, 128, 128])).shape == [1, 10]


def test_missing_export_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no exported model .* export_model"):
        model_files(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError, match="no exported model"):
        load_exported(tmp_path / "nothing")


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(1)
    paths = []
    for i, size in enumerate([(32, 32), (40, 24)]):          # a CIFAR-sized one and a non-square one
        path = folder / f"image{i}.png"
        Image.fromarray(rng.integers(0, 256, size + (3,), dtype=np.uint8)).save(path)
        paths.append(path)
    gray = folder / "gray.png"
    Image.fromarray(rng.integers(0, 256, (20, 20), dtype=np.uint8)).save(gray)
    return paths + [gray]


def test_inference_transform_is_resize_totensor_normalize(images):
    x = np.asarray(inference_transform(128)(Image.open(images[0]).convert("RGB")))
    assert x.shape == (3, 128, 128)
    raw = np.asarray(Image.open(images[0]).convert("RGB").resize((128, 128), Image.BILINEAR), "float32") / 255
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(x, ((raw - mean) / std).transpose(2, 0, 1), atol=1e-5)


def test_predict_images_with_a_model_and_with_an_export(tmp_path, images):
    model = AlexNetECA()
    model.classifier[-1].bias.set_value(paddle.linspace(-2.0, 2.5, 10))   # well separated class scores
    model.eval()
    results = predict_images(model, images, CLASSES, topk=5)
    assert len(results) == 3
    for top in results:
        probs = [p for _, p in top]
        assert len(top) == 5 and probs == sorted(probs, reverse=True)
        assert all(0 <= p <= 1 for p in probs) and sum(probs) <= 1 + 1e-6
        assert all(name in CLASSES for name, _ in top) and len({name for name, _ in top}) == 5
    everything = predict_images(model, images[:1], CLASSES, topk=10)[0]
    assert abs(sum(p for _, p in everything) - 1) < 1e-5
    assert [name for name, _ in everything[:5]] == [name for name, _ in results[0]]
    np.testing.assert_allclose([p for _, p in everything[:5]], [p for _, p in results[0]], atol=1e-6)

    export_model(model, tmp_path / "model")
    deployed = predict_images(tmp_path / "model", images, CLASSES, topk=5)
    assert [[name for name, _ in top] for top in deployed] == [[name for name, _ in top] for top in results]
    np.testing.assert_allclose([[p for _, p in top] for top in deployed],
                               [[p for _, p in top] for top in results], atol=1e-5)


def test_predict_images_errors(images):
    model = AlexNetECA()
    with pytest.raises(ValueError, match="topk must be between 1 and the number of classes"):
        predict_images(model, images, CLASSES, topk=11)
    with pytest.raises(ValueError, match="10 outputs but 3 class names"):
        predict_images(model, images, CLASSES[:3], topk=2)
    with pytest.raises(ValueError, match="at least one image"):
        predict_images(model, [], CLASSES)
