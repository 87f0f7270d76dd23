"""load_notebook_weights: checkpoints of the AI Studio notebook's own AlexNet classes load into ours."""
import numpy as np
import paddle
import paddle.nn as nn
import pytest

from ecapaddle import AlexNet, AlexNetECA
from ecapaddle.models import load_notebook_weights


class NotebookECA(nn.Layer):
    """The notebook's ECA: pool, Conv1D across channels via squeeze/transpose, sigmoid, scale."""

    def __init__(self, k_size=3):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2D(1)
        self.conv = nn.Conv1D(1, 1, kernel_size=k_size, padding=(k_size - 1) // 2, bias_attr=False)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        y = self.avg_pool(x)                                             # [N, C, 1, 1]
        y = self.conv(y.squeeze(-1).transpose([0, 2, 1])).transpose([0, 2, 1]).unsqueeze(-1)
        return x * self.sigmoid(y).expand_as(x)


class NotebookAlexNet(nn.Layer):
    """The AI Studio notebook's AlexNet, written out layer by layer as the notebook did."""

    def __init__(self, num_classes=10, eca_kernels=None):
        super().__init__()

        def eca(i):
            return [NotebookECA(eca_kernels[i])] if eca_kernels else []

        self.features = nn.Sequential(
            nn.Conv2D(3, 48, kernel_size=11, stride=4, padding=5), *eca(0), nn.ReLU(), nn.MaxPool2D(3, 2),
            nn.Conv2D(48, 128, kernel_size=5, padding=2), *eca(1), nn.ReLU(), nn.MaxPool2D(3, 2),
            nn.Conv2D(128, 192, kernel_size=3, padding=1), *eca(2), nn.ReLU(),
            nn.Conv2D(192, 192, kernel_size=3, padding=1), *eca(3), nn.ReLU(),
            nn.Conv2D(192, 128, kernel_size=3, padding=1), *eca(4), nn.ReLU(), nn.MaxPool2D(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Linear(1152, 2048), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(2048, 2048), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(2048, num_classes),
        )

    def forward(self, x):
        return self.classifier(paddle.flatten(self.features(x), 1))


def notebook_checkpoint(tmp_path, eca_kernels=None, num_classes=10):
    paddle.seed(7)
    notebook = NotebookAlexNet(num_classes, eca_kernels)
    for p in notebook.parameters():          # make the ECA kernels and biases non-trivial too
        p.set_value(p.numpy() + 0.01 * np.random.default_rng(p.size).standard_normal(p.shape).astype("float32"))
    path = tmp_path / "best.pdparams"
    paddle.save(notebook.state_dict(), str(path))
    notebook.eval()
    return notebook, path


@pytest.mark.parametrize("ours,eca_kernels", [(AlexNetECA, (3, 3, 5, 5, 3)), (AlexNet, None)])
def test_notebook_checkpoint_gives_identical_outputs(tmp_path, ours, eca_kernels):
    notebook, path = notebook_checkpoint(tmp_path, eca_kernels)
    model = ours()
    assert load_notebook_weights(model, path) is model
    model.eval()
    x = paddle.randn([2, 3, 128, 128])
    np.testing.assert_allclose(model(x).numpy(), notebook(x).numpy(), atol=1e-6, rtol=1e-5)


def test_state_dict_of_arrays_is_accepted(tmp_path):
    notebook, _ = notebook_checkpoint(tmp_path, (3, 3, 5, 5, 3))
    state = {key: value.numpy() for key, value in notebook.state_dict().items()}
    model = load_notebook_weights(AlexNetECA(), state)
    np.testing.assert_array_equal(model.features[1].conv.weight.numpy(), state["features.1.conv.weight"])
    np.testing.assert_array_equal(model.classifier[6].bias.numpy(), state["classifier.6.bias"])


def test_eca_checkpoint_into_plain_alexnet(tmp_path):
    _, path = notebook_checkpoint(tmp_path, (3, 3, 5, 5, 3))
    with pytest.raises(ValueError, match=r"5 ECA kernels \(features.1.conv.weight.*load it into AlexNetECA"):
        load_notebook_weights(AlexNet(), path)


def test_plain_checkpoint_into_alexnet_eca(tmp_path):
    _, path = notebook_checkpoint(tmp_path)
    with pytest.raises(ValueError, match="no ECA kernels .* load it into AlexNet"):
        load_notebook_weights(AlexNetECA(), path)


def test_kernel_size_mismatch_names_keys_and_the_fitting_model(tmp_path):
    _, path = notebook_checkpoint(tmp_path, (3, 3, 5, 5, 3))
    model = AlexNetECA(kernel_sizes="adaptive")                 # (3, 5, 5, 5, 5)
    before = model.features[4].weight.numpy()
    with pytest.raises(ValueError) as error:
        load_notebook_weights(model, path)
    message = str(error.value)
    assert "features.5.conv.weight has shape [1, 1, 3] but features.5.conv.weight needs [1, 1, 5]" in message
    assert "AlexNetECA(num_classes=10, kernel_sizes=(3, 3, 5, 5, 3))" in message
    np.testing.assert_array_equal(model.features[4].weight.numpy(), before)   # nothing half-loaded


def test_class_count_mismatch(tmp_path):
    _, path = notebook_checkpoint(tmp_path, num_classes=100)
    with pytest.raises(ValueError, match=r"classifier.6.weight has shape \[2048, 100\].*AlexNet\(num_classes=100\)"):
        load_notebook_weights(AlexNet(), path)


def test_not_a_model_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint at"):
        load_notebook_weights(AlexNet(), tmp_path / "missing.pdparams")
    optimizer_state = {"LR_Scheduler": {"last_epoch": 3}, "linear_0.w_0_moment1_0": np.zeros((3, 3), "float32")}
    with pytest.raises(ValueError, match=r"keys \['LR_Scheduler', 'linear_0.w_0_moment1_0'\] are not conv.*\.pdopt"):
        load_notebook_weights(AlexNet(), optimizer_state)
