"""Label-smoothing cross entropy (Szegedy et al., "Rethinking the Inception Architecture", CVPR 2016)."""
import paddle
import paddle.nn as nn
import paddle.nn.functional as F

REDUCTIONS = ("mean", "sum", "none")


class LabelSmoothingCrossEntropy(nn.Layer):
    """loss = (1 - epsilon) * NLL(p, y) + epsilon * mean over classes of -log p, epsilon in [0, 1).

    The same as `F.cross_entropy(logits, y, label_smoothing=epsilon)`, written out so that the formula of
    the course notebook is visible. logits [N, K], labels [N] or [N, 1] (int) -> a scalar, reduced over
    the batch by `reduction` ("mean" or "sum"), or [N] for reduction="none".
    """

    def __init__(self, epsilon=0.1, reduction="mean"):
        super().__init__()
        if not 0.0 <= epsilon < 1.0:
            raise ValueError(f"epsilon must be in [0, 1), got {epsilon}")
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.epsilon = epsilon
        self.reduction = reduction

    def forward(self, logits, labels):
        if logits.ndim != 2:
            raise ValueError(f"logits must be [N, K], got shape {list(logits.shape)}")
        labels = labels.reshape([-1, 1]).astype("int64")
        if labels.shape[0] != logits.shape[0]:
            raise ValueError(f"{labels.shape[0]} labels for {logits.shape[0]} rows of logits")
        log_probs = F.log_softmax(logits, axis=-1)
        nll = -paddle.take_along_axis(log_probs, labels, axis=1).squeeze(1)
        uniform = -log_probs.mean(axis=-1)
        loss = (1.0 - self.epsilon) * nll + self.epsilon * uniform
        if self.reduction == "mean":
            return loss.mean()
        if self.reduction == "sum":
            return loss.sum()
        return loss

    def extra_repr(self):
        return f"epsilon={self.epsilon}, reduction={self.reduction}"
