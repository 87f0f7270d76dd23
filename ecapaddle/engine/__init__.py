"""Training engine: the notebook's training loop, evaluation, checkpoints and the history record."""
from .checkpoint import (CheckpointError, CheckpointMismatchError, RunExistsError, checkpoint_exists,
                         load_checkpoint, read_checkpoint_meta, save_checkpoint)
from .evaluate import confusion_matrix, evaluate, per_class_accuracy
from .history import HistoryError, load_history, save_history, validate_history
from .train import NonFiniteLossError, TrainConfig, TrainingInterrupted, config_changes, train
