"""`python -m ecapaddle bench`: the fields of its JSON, the arithmetic of its ratios and targets, its errors.

No test times anything: the quick run's numbers mean nothing, its schema and arithmetic do."""
import json
import math

import numpy as np
import pytest

from ecapaddle import bench, runtime
from ecapaddle.cli import main as cli_main


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    assert bench.main(["--quick", "--output", str(out), "--quiet"]) == 0
    return json.loads(out.read_text())


@pytest.mark.slow
def test_quick_run_writes_every_field(quick_report):
    assert quick_report["schema"] == bench.SCHEMA and quick_report["model"] == bench.OURS
    headline = quick_report["headline"]
    assert set(headline) == {"train_img_s", "eval_img_s_dynamic", "eval_img_s_predictor",
                             *(f"eca_overhead_{kind}" for kind in bench.KINDS)}
    assert all(headline[key] > 0 for key in headline if key.endswith("img_s") or "_img_s_" in key)
    assert all(math.isfinite(value) and value > -1 for value in headline.values())
    assert set(quick_report["ratios"]) == {"predictor_vs_dynamic_eval", "train_thread_scaling"}
    assert set(quick_report["targets"]) == {name for name, _, _ in bench.TARGETS}
    options = quick_report["options"]
    assert options == {**bench.DEFAULTS, **bench.QUICK, "threads": options["threads"]} and options["threads"] >= 1
    assert quick_report["environment"]["cpu_model"] and quick_report["elapsed_s"] > 0
    assert set(quick_report["img_s"]) == set(quick_report["eca_overhead"]) == set(bench.KINDS)
    for kind, per_model in quick_report["img_s"].items():
        assert set(per_model) == set(bench.MODELS), kind
        for name, stats in per_model.items():
            assert len(stats["repeats"]) == bench.QUICK["repeats"], (kind, name)
            assert 0 < stats["min"] <= stats["median"] <= stats["max"], (kind, name)


@pytest.mark.slow
def test_quick_run_computes_its_figures_from_the_measured_repeats(quick_report):
    img_s, headline, ratios = quick_report["img_s"], quick_report["headline"], quick_report["ratios"]
    for kind in bench.KINDS:
        eca, base = img_s[kind][bench.OURS]["repeats"], img_s[kind][bench.BASE]["repeats"]
        # the JSON keeps 4 decimals of each repeat
        assert headline[f"eca_overhead_{kind}"] == pytest.approx(
            np.median([b / e - 1 for e, b in zip(eca, base)]), abs=1e-3), kind
    ours = {kind: img_s[kind][bench.OURS]["median"] for kind in bench.KINDS}
    assert headline["train_img_s"] == ours["train"]
    assert headline["eval_img_s_dynamic"] == ours["eval_dynamic"]
    assert headline["eval_img_s_predictor"] == ours["eval_predictor"]
    assert ratios["predictor_vs_dynamic_eval"] == pytest.approx(ours["eval_predictor"] / ours["eval_dynamic"])
    assert ratios["train_thread_scaling"] == pytest.approx(ours["train"] / ours["train_1_thread"])
    assert quick_report["targets"] == bench.check_targets({**headline, **ratios})


class StandIns:
    """Stand-ins for the runners (no model is built): fixed seconds per step, and a log of the timed blocks."""

    def __init__(self, monkeypatch, eca_slowdown=1.02):
        self.calls = []
        calls = self.calls

        class Dynamic:
            def __init__(self, name, batch_size, seed=0):
                self.name = name

            def seconds(self, mode, steps):
                calls.append((mode, self.name, runtime.num_threads()))
                per_step = (2.0 if mode == "train" else 0.5) * (2.0 if runtime.num_threads() == 1 else 1.0)
                return steps * per_step * (eca_slowdown if self.name == bench.OURS else 1.0)

        class Predictor:
            def __init__(self, name, batch_size, directory, threads, seed=0):
                self.name = name

            def seconds(self, steps):
                calls.append(("predictor", self.name, runtime.num_threads()))
                return steps * 0.1 * (1.1 if self.name == bench.OURS else 1.0)

        monkeypatch.setattr(bench, "DynamicRunner", Dynamic)
        monkeypatch.setattr(bench, "PredictorRunner", Predictor)


def test_models_take_turns_and_the_report_is_computed_from_the_blocks(monkeypatch):
    stand_ins, threads_before = StandIns(monkeypatch), runtime.num_threads()
    report = bench.run_benchmark(batch_size=8, repeats=2, steps=1, warmup=1, threads=2)
    assert runtime.num_threads() == threads_before                      # the caller's thread count again
    timed = stand_ins.calls[6:]             # after the warm-up: 2 models x (train, eval, predictor)
    assert [(mode, threads) for mode, _, threads in timed[:8]] == (
        [("train", 2)] * 2 + [("eval", 2)] * 2 + [("predictor", 2)] * 2 + [("train", 1)] * 2)
    for mode, threads in (("train", 2), ("eval", 2), ("predictor", 2), ("train", 1)):
        order = [name for m, name, t in timed if (m, t) == (mode, threads)]
        assert order == [bench.BASE, bench.OURS, bench.OURS, bench.BASE], (mode, threads)
    headline, ratios = report["headline"], report["ratios"]
    assert headline["train_img_s"] == pytest.approx(8 / 2.04)
    assert headline["eval_img_s_dynamic"] == pytest.approx(8 / 0.51)
    assert headline["eval_img_s_predictor"] == pytest.approx(8 / 0.11)
    for kind in ("train", "train_1_thread", "eval_dynamic"):
        assert headline[f"eca_overhead_{kind}"] == pytest.approx(0.02), kind
    assert headline["eca_overhead_eval_predictor"] == pytest.approx(0.1)
    assert ratios["predictor_vs_dynamic_eval"] == pytest.approx(0.51 / 0.11)
    assert ratios["train_thread_scaling"] == pytest.approx(2.0)
    assert report["targets"] == {
        "predictor_vs_dynamic_eval": {"value": pytest.approx(0.51 / 0.11), "min": 3.0, "met": True},
        "eca_overhead_train": {"value": pytest.approx(0.02), "max": 0.03, "met": True},
        "eca_overhead_eval_predictor": {"value": pytest.approx(0.1), "max": 0.05, "met": False}}
    summary = bench.format_summary(report).splitlines()
    assert [line.split()[-2:] for line in summary if line.startswith("  eca_overhead_train ")] == [["+2.0", "%"]]
    assert [line.split()[-1] for line in summary if "train_thread_scaling" in line] == ["2.00x"]
    assert "  target eca_overhead_eval_predictor <= 0.05: not met" in summary


def test_a_target_is_met_on_its_bound():
    figures = {"predictor_vs_dynamic_eval": 3.0, "eca_overhead_train": 0.03, "eca_overhead_eval_predictor": 0.0501}
    assert {name: t["met"] for name, t in bench.check_targets(figures).items()} == {
        "predictor_vs_dynamic_eval": True, "eca_overhead_train": True, "eca_overhead_eval_predictor": False}


def test_paired_overhead_is_eca_time_over_base_time_minus_one():
    # 100 img/s with ECA against 103 without: ECA takes 1.03x the time
    assert bench.paired_overhead([100.0, 50.0], [103.0, 50.0]) == pytest.approx([0.03, 0.0])


def test_the_json_goes_to_stdout_and_the_summary_to_stderr(monkeypatch, capsys):
    StandIns(monkeypatch)
    assert bench.main(["--batch-size", "4", "--repeats", "1", "--steps", "1", "--threads", "1"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["options"] == {**bench.DEFAULTS, "batch_size": 4, "repeats": 1, "steps": 1, "threads": 1}
    assert err.startswith("AlexNet-ECA, batch 4, 1 interleaved repeats x 1 steps, 1 thread(s)")


@pytest.mark.parametrize("options, error, message", [
    (dict(repeats=0), ValueError, "repeats must be a positive int"),
    (dict(threads=1.5), ValueError, "threads must be a positive int"),
    (dict(batch_size=True), ValueError, "batch_size must be a positive int"),
    (dict(batchsize=8), TypeError, "unknown benchmark options"),
    (dict(procs=2), TypeError, "unknown benchmark options"),
])
def test_bad_options_raise_clear_errors(options, error, message):
    with pytest.raises(error, match=message):
        bench.run_benchmark(**options)


def test_bad_command_line_values_get_one_line(capsys):
    assert bench.main(["--repeats", "0"]) == 2
    assert capsys.readouterr().err == "error: repeats must be a positive int, got 0\n"
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--procs", "2"])
    assert exit_info.value.code == 2 and "unrecognized arguments: --procs 2" in capsys.readouterr().err


def test_the_cli_hands_bench_to_the_benchmark(capsys):
    assert cli_main(["bench", "--steps", "0"]) == 2
    assert capsys.readouterr().err == "error: steps must be a positive int, got 0\n"
