import numpy as np
import paddle
import paddle.nn.functional as F
import pytest

from ecapaddle import LabelSmoothingCrossEntropy


def numpy_loss(logits, labels, eps):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    nll = -log_p[np.arange(len(labels)), labels]
    return (1 - eps) * nll + eps * (-log_p.mean(axis=1))


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.3])
def test_matches_numpy_and_paddle_builtin(eps):
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((16, 10)).astype("float32") * 3
    labels = rng.integers(0, 10, 16)
    ours = LabelSmoothingCrossEntropy(eps)(paddle.to_tensor(logits), paddle.to_tensor(labels))
    builtin = F.cross_entropy(paddle.to_tensor(logits), paddle.to_tensor(labels), label_smoothing=eps)
    np.testing.assert_allclose(float(ours), numpy_loss(logits.astype("float64"), labels, eps).mean(), rtol=1e-5)
    np.testing.assert_allclose(float(ours), float(builtin), rtol=1e-5)


def test_reductions_and_label_shapes():
    rng = np.random.default_rng(1)
    logits = paddle.to_tensor(rng.standard_normal((5, 4)).astype("float32"))
    labels = rng.integers(0, 4, 5)
    per_sample = LabelSmoothingCrossEntropy(0.1, "none")(logits, paddle.to_tensor(labels.reshape(5, 1)))
    np.testing.assert_allclose(per_sample.numpy(), numpy_loss(logits.numpy(), labels, 0.1), rtol=1e-5)
    total = LabelSmoothingCrossEntropy(0.1, "sum")(logits, paddle.to_tensor(labels))
    np.testing.assert_allclose(float(total), per_sample.numpy().sum(), rtol=1e-5)


def test_bad_arguments():
    with pytest.raises(ValueError, match="epsilon"):
        LabelSmoothingCrossEntropy(1.0)
    with pytest.raises(ValueError, match="reduction"):
        LabelSmoothingCrossEntropy(0.1, "avg")
    with pytest.raises(ValueError, match=r"logits must be \[N, K\]"):
        LabelSmoothingCrossEntropy()(paddle.randn([2, 3, 4]), paddle.to_tensor([0, 1]))
