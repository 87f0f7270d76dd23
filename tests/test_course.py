"""ecapaddle.course: the notebooks' mode switch, exercise checks and run folders (no training here)."""
import math

import pytest

from ecapaddle import course
from ecapaddle.recipes import get_recipe


def test_setup_takes_the_mode_from_the_environment_and_names_the_valid_ones(monkeypatch, tmp_path):
    monkeypatch.delenv("ECAPADDLE_MODE", raising=False)
    assert course.setup(work_dir=tmp_path / "a", threads=None).mode == "quick"
    monkeypatch.setenv("ECAPADDLE_MODE", "cpu")
    assert course.setup(work_dir=tmp_path / "b", figures_dir=tmp_path / "figures", threads=None).recipe.name == "cpu"
    with pytest.raises(ValueError, match="'quick', 'cpu', 'full'"):
        course.setup("gpu")


def test_setup_reports_the_notebooks_own_budget(tmp_path, capsys):
    from ecapaddle.recipes import get_recipe

    own = get_recipe("cpu", train_subset=2000, epochs=4)
    assert course.setup("cpu", work_dir=tmp_path, figures_dir=tmp_path / "figures", threads=None, recipe=own).recipe is own
    assert "MODE = 'cpu': REDUCED real run (2,000 of 50,000 training images, 4 of 50 epochs)" in capsys.readouterr().out


def test_check_asserts_and_waits_for_an_answer(capsys):
    course.check(..., 5, "k")
    assert "not answered yet" in capsys.readouterr().out
    course.check(5, 5, "k")
    course.check(0.5003, 0.50029, "floor")                          # numbers within the relative tolerance
    course.check((101, 100), [101, 100], "pair")                    # sequences compare by their items
    with pytest.raises(AssertionError, match="not right"):
        course.check(3, 5, "k")


def test_smoothed_target_entropy_is_the_loss_floor():
    assert course.smoothed_target_entropy(0.0, 10) == 0.0
    q_true, q_other = 0.91, 0.01
    expected = -q_true * math.log(q_true) - 9 * q_other * math.log(q_other)
    assert course.smoothed_target_entropy(0.1, 10) == pytest.approx(expected)
    with pytest.raises(ValueError):
        course.smoothed_target_entropy(1.0, 10)


def test_recipe_label_says_what_is_reduced():
    assert course.recipe_label(get_recipe("quick")).startswith("QUICK")
    cpu = course.recipe_label(get_recipe("cpu"))
    assert "REDUCED" in cpu and "10,000 of 50,000" in cpu and "8 of 50 epochs" in cpu
    assert "original notebook's recipe" in course.recipe_label(get_recipe("full"))


def test_committed_histories_missing_folder_is_empty(tmp_path):
    assert course.committed_histories("headline", figures_dir=tmp_path) == []


def test_live_run_resumes_an_interrupted_run_and_reuses_a_finished_one(tmp_path, monkeypatch, capsys):
    import importlib

    import numpy as np

    from ecapaddle.engine.history import without_wall_time

    from ecapaddle import runtime

    train_module = importlib.import_module("ecapaddle.engine.train")      # the package exports the function `train`
    runtime.set_num_threads(1)          # bitwise repeatable on one thread (conftest restores the count)

    reference = course.live_run(["alexnet"], "quick", seeds=[0], runs_dir=tmp_path / "reference")
    run_epoch, ran = train_module._Run.run_epoch, []

    def stop_at_epoch_2(run, epoch):
        if epoch == 2:
            raise KeyboardInterrupt
        run_epoch(run, epoch)

    def recording(run, epoch):
        ran.append(epoch)
        run_epoch(run, epoch)

    monkeypatch.setattr(train_module._Run, "run_epoch", stop_at_epoch_2)
    with pytest.raises(KeyboardInterrupt):
        course.live_run(["alexnet"], "quick", seeds=[0], runs_dir=tmp_path / "runs")
    monkeypatch.setattr(train_module._Run, "run_epoch", recording)
    resumed = course.live_run(["alexnet"], "quick", seeds=[0], runs_dir=tmp_path / "runs")
    assert ran == [2]                                        # epoch 1 came from the checkpoint
    def numbers(history):            # the run's numbers: no wall time, no folder of its VisualDL log
        history = without_wall_time(history)
        history["config"].pop("visualdl_dir")
        return history

    assert numbers(resumed.history("alexnet")) == numbers(reference.history("alexnet"))

    capsys.readouterr()
    reused = course.live_run(["alexnet"], "quick", seeds=[0], runs_dir=tmp_path / "runs")
    assert ran == [2] and "reused the finished run" in capsys.readouterr().out
    assert reused.history("alexnet") == resumed.history("alexnet")
    expected = reference.model("alexnet").state_dict()
    for name, value in reused.model("alexnet").state_dict().items():
        np.testing.assert_array_equal(value.numpy(), expected[name].numpy(), err_msg=name)

    with pytest.raises(ValueError, match="another lr"):
        course.live_run(["alexnet"], get_recipe("quick", lr=0.01), seeds=[0], runs_dir=tmp_path / "runs")
