"""Named training recipes shared by the CLI (`--recipe NAME`) and the notebooks (`MODE = NAME`).

| recipe | data | what it is for |
|---|---|---|
| `quick` | a tiny synthetic archive in the CIFAR-10 format (unless a path is given) | tests, CI, a first look: seconds |
| `cpu`   | real CIFAR-10: 10,000 training images, 5,000 validation images held out of the training split, 8 epochs | the reduced real run that fits a 2-core CPU |
| `full`  | real CIFAR-10: all 50,000 training images, validated on the test split, 50 epochs | the original notebook's recipe, for a GPU |

Every recipe uses the notebook's optimiser and loss (Adam 1e-3, weight decay 1e-5, cosine annealing
stepped every batch, label smoothing 0.1); they differ in data, budget and loader settings.
"""
import dataclasses
from dataclasses import dataclass
from typing import Optional

from .data.cifar10 import HOLDOUT
from .engine import TrainConfig


@dataclass(frozen=True)
class Recipe:
    """Data, budget and optimiser settings of a training run.

    Args:
        synthetic: use a generated archive (synthetic_train + synthetic_test images) instead of CIFAR-10.
        train_subset: training images (class-stratified); None = all (after any validation hold-out).
        val_from: "train" holds `val_size` images out of the training split and evaluates the test split
            once at the end; "test" validates on the test split (the original notebook's protocol).
        val_subset, transforms: validation images (None: `val_size`'s default), augmentation preset.
        epochs, batch_size, lr, weight_decay, label_smoothing, num_workers, amp: as in `TrainConfig`.
    """
    name: str
    synthetic: bool = False
    synthetic_train: int = 0
    synthetic_test: int = 0
    train_subset: Optional[int] = None
    val_from: str = "train"
    val_subset: Optional[int] = None
    transforms: str = "notebook"
    epochs: int = TrainConfig.epochs            # the notebook's numbers, as TrainConfig has them
    batch_size: int = TrainConfig.batch_size
    lr: float = TrainConfig.lr
    weight_decay: float = TrainConfig.weight_decay
    label_smoothing: float = TrainConfig.label_smoothing
    num_workers: int = TrainConfig.num_workers
    amp: object = "auto"

    def __post_init__(self):
        if self.val_from not in ("train", "test"):
            raise ValueError(f"val_from must be 'train' or 'test', got {self.val_from!r}")
        for name in ("train_subset", "val_subset"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be None or a positive integer, got {value!r}")
        self.train_config()     # checks epochs, batch size, lr, ... with TrainConfig's messages

    @property
    def val_size(self):
        """Validation images of the recipe; None = the whole test split."""
        return self.val_subset or (HOLDOUT if self.val_from == "train" else None)

    def train_config(self, seed=42, **kwargs):
        """The `TrainConfig` of this recipe for `seed`; kwargs override its other fields (e.g. progress)."""
        shared = ("epochs", "batch_size", "lr", "weight_decay", "label_smoothing", "num_workers", "amp")
        return TrainConfig(seed=seed, **{name: getattr(self, name) for name in shared}, **kwargs)

    def describe(self):
        """Every number of the recipe, one line each."""
        data = (f"synthetic archive of {self.synthetic_train} + {self.synthetic_test} images" if self.synthetic
                else "CIFAR-10")
        val = (f"{self.val_size} images held out of the training split; test split evaluated once at the end"
               if self.val_from == "train" else
               f"the test split ({self.val_subset or 'all'} images): the original protocol, validation = test")
        return "\n".join([
            f"recipe {self.name}",
            f"  data: {data}",
            f"  training images: {self.train_subset or 'all'} (class-stratified)",
            f"  validation: {val}",
            f"  augmentation: {self.transforms}",
            f"  epochs {self.epochs}, batch {self.batch_size}, Adam lr {self.lr:g}, weight decay {self.weight_decay:g}, "
            f"cosine annealing stepped every batch, label smoothing {self.label_smoothing:g}",
            f"  loader workers {self.num_workers}, AMP {self.amp} (float16 on a GPU only)",
        ])


RECIPES = {
    "quick": Recipe("quick", synthetic=True, synthetic_train=384, synthetic_test=128, train_subset=256,
                    val_subset=128, transforms="fast", epochs=2, batch_size=32),
    "cpu": Recipe("cpu", train_subset=10000, epochs=8),
    "full": Recipe("full", val_from="test", val_subset=None, epochs=50, num_workers=4),
}


def get_recipe(name, **overrides):
    """The recipe `name` ("quick", "cpu" or "full") with `overrides` replacing its values."""
    if isinstance(name, Recipe):
        recipe = name
    elif name in RECIPES:
        recipe = RECIPES[name]
    else:
        raise ValueError(f"unknown recipe {name!r}; choose one of {', '.join(RECIPES)}")
    return dataclasses.replace(recipe, **overrides)


def recipe_datasets(recipe, archive, source=None):
    """(train set, validation set, test set or None, data_info) of `recipe` on the CIFAR-10 `archive`.

    Subsets are class-stratified with seed 0. data_info (stored in each run's history) says what the data
    was: kind, source (default `describe_source`), recipe, transforms, subset_seed, val_source, test_size.
    """
    from .data import describe_source, is_synthetic, load_cifar10_holdout, load_cifar10_splits

    info = {"kind": "SYNTHETIC (generated, not CIFAR-10)" if is_synthetic(archive) else "real CIFAR-10",
            "source": source or describe_source(archive),
            "recipe": recipe.name, "transforms": recipe.transforms, "subset_seed": 0, "val_source": recipe.val_from}
    if recipe.val_from == "test":
        train_set, val_set = load_cifar10_splits(archive, recipe.transforms, recipe.train_subset, recipe.val_size,
                                                 seed=0)
        return train_set, val_set, None, info
    train_set, val_set, test_set = load_cifar10_holdout(archive, recipe.transforms, recipe.train_subset,
                                                        recipe.val_size, seed=0)
    info["test_size"] = len(test_set)
    return train_set, val_set, test_set, info
