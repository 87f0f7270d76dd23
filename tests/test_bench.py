"""`python -m ecapaddle bench` (a quick run: its numbers mean nothing, its schema and arithmetic do) and the
research harness benchmarks/research.py (FLOP counts, ECA variants)."""
import importlib.util
import json
import math
from pathlib import Path

import numpy as np
import paddle
import pytest

from ecapaddle import bench, runtime
from ecapaddle.models import AlexNet, AlexNetECA

RESEARCH_SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "research.py"


@pytest.fixture(scope="module")
def research():
    spec = importlib.util.spec_from_file_location("research", RESEARCH_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    assert bench.main(["--quick", "--output", str(out), "--quiet"]) == 0
    return json.loads(out.read_text())


@pytest.mark.slow
def test_quick_run_writes_the_headline_json(quick_report):
    assert quick_report["schema"] == bench.SCHEMA
    headline = quick_report["headline"]
    assert tuple(headline) == bench.HEADLINE_KEYS
    assert all(headline[key] > 0 for key in bench.HEADLINE_KEYS if "_img_s_" in key)
    assert all(math.isfinite(headline[key]) and headline[key] > -1 for key in headline)
    options = quick_report["options"]
    assert options["batch_size"] == bench.QUICK["batch_size"] and options["procs"] == bench.QUICK["procs"]
    assert options["threads"] >= 1 and quick_report["environment"]["cpu_model"]
    repeats = bench.QUICK["repeats"]
    for kind, per_model in quick_report["img_s"].items():
        for name, stats in per_model.items():
            assert len(stats["repeats"]) == repeats and 0 < stats["min"] <= stats["median"] <= stats["max"], (kind, name)


@pytest.mark.slow
def test_headline_is_computed_from_the_measured_pairs(quick_report):
    img_s, headline = quick_report["img_s"], quick_report["headline"]

    def overhead(kind):
        eca, base = img_s[kind][bench.OURS]["repeats"], img_s[kind][bench.BASE]["repeats"]
        return float(np.median([b / e - 1 for e, b in zip(eca, base)]))

    # the JSON keeps 4 decimals of each repeat
    assert headline["eca_overhead_train"] == pytest.approx(overhead("train_single_process"), abs=1e-3)
    assert headline["eca_overhead_eval_predictor"] == pytest.approx(overhead("eval_predictor"), abs=1e-3)
    assert headline["train_img_s_single_process"] == img_s["train_single_process"][bench.OURS]["median"]
    assert headline["train_img_s_data_parallel"] == img_s["train_data_parallel"][bench.OURS]["median"]
    assert headline["eval_img_s_dynamic"] == img_s["eval_dynamic"][bench.OURS]["median"]
    assert headline["eval_img_s_predictor"] == img_s["eval_predictor"][bench.OURS]["median"]
    assert quick_report["ratios"]["predictor_vs_dynamic_eval"] == pytest.approx(
        headline["eval_img_s_predictor"] / headline["eval_img_s_dynamic"])


def test_models_alternate_which_goes_first_and_ratios_come_from_the_medians(monkeypatch):
    """With stand-in runners (no model is built): the timed blocks' order and the arithmetic of the report."""
    calls = []

    class Dynamic:
        def __init__(self, name, batch_size, seed=0):
            self.name = name

        def seconds(self, mode, steps):
            calls.append((mode, self.name, runtime.num_threads()))
            return steps * (2.0 if mode == "train" else 0.5) * (1.02 if self.name == bench.OURS else 1.0)

    class Predictor:
        def __init__(self, name, batch_size, directory, threads, seed=0):
            self.name = name

        def seconds(self, steps):
            calls.append(("predictor", self.name, runtime.num_threads()))
            return steps * 0.1

    class Workers:
        def __init__(self, procs, batch_size, warmup, seed=0):
            self.global_batch = batch_size

        def images_per_second(self, steps):
            return 6.0

        def close(self):
            pass

    monkeypatch.setattr(bench, "DynamicRunner", Dynamic)
    monkeypatch.setattr(bench, "PredictorRunner", Predictor)
    monkeypatch.setattr(bench, "DataParallelWorkers", Workers)
    report = bench.run_benchmark(batch_size=8, repeats=2, steps=1, warmup=1, threads=2, procs=2)
    timed = calls[6:]                       # after the warm-up: 2 models x (train, eval, predictor)
    # 2 threads again after each one-thread block
    train_order = [name for mode, name, threads in timed if mode == "train" and threads == 2]
    assert train_order == [bench.BASE, bench.OURS, bench.OURS, bench.BASE]
    assert [name for mode, name, _ in timed if mode == "predictor"] == [bench.BASE, bench.OURS, bench.OURS, bench.BASE]
    one_thread_order = [name for mode, name, threads in timed if mode == "train" and threads == 1]
    assert one_thread_order == [bench.BASE, bench.OURS, bench.OURS, bench.BASE]
    ratios = report["ratios"]
    # 8 images in 2.04 s with 2 threads and with 1 (the stand-in ignores threads); 6 img/s over 2 procs
    assert ratios["single_process_thread_scaling"] == pytest.approx(1.0)
    assert ratios["data_parallel_efficiency"] == pytest.approx(6.0 / (2 * 8 / 2.04))
    assert ratios["data_parallel_vs_single_process_train"] == pytest.approx(6.0 / (8 / 2.04))
    assert report["headline"]["eca_overhead_train"] == pytest.approx(0.02)
    assert report["eca_overhead"]["train_single_process_1_thread"]["median"] == pytest.approx(0.02)
    summary = bench.format_summary(report).splitlines()
    assert [line.split()[-2:] for line in summary if "eca_overhead_train" in line] == [["+2.0", "%"], ["+2.0", "%"]]
    assert [line.split()[-1] for line in summary if "data_parallel_efficiency" in line] == [f"{6.0 / (2 * 8 / 2.04):.2f}"]


def test_paired_overhead_is_eca_time_over_base_time_minus_one():
    # 100 img/s with ECA against 103 without: ECA takes 1.03x the time
    assert bench.paired_overhead([100.0, 50.0], [103.0, 50.0]) == pytest.approx([0.03, 0.0])


@pytest.mark.slow
def test_data_parallel_workers_all_reduce_their_gradients():
    workers = bench.DataParallelWorkers(procs=2, batch_size=4, warmup=1, seed=0)
    try:
        assert workers.images_per_second(steps=2) > 0
        # each process trains on its own random images: only averaged gradients keep the weights equal
        checksums = [float(answer) for answer in workers.answers]
    finally:
        workers.close()
    assert checksums[0] == checksums[1] and checksums[0] > 0


@pytest.mark.parametrize("options, error, message", [
    (dict(batch_size=2, procs=4), ValueError, "batch_size 2 is smaller than procs 4"),
    (dict(repeats=0), ValueError, "repeats must be a positive int"),
    (dict(procs=1.5), ValueError, "procs must be a positive int"),
    (dict(batchsize=8), TypeError, "unknown benchmark options"),
])
def test_bad_options_raise_clear_errors(options, error, message):
    with pytest.raises(error, match=message):
        bench.run_benchmark(**options)


def test_bad_command_line_values_get_one_line(capsys):
    assert bench.main(["--repeats", "0"]) == 2
    assert capsys.readouterr().err == "error: repeats must be a positive int, got 0\n"


def test_flops_are_paddles_counts_plus_ecas(research):
    macs = [48 * 32 * 32 * 3 * 11 * 11,      # conv1 -> 32 x 32, max-pool -> 15
            128 * 15 * 15 * 48 * 5 * 5,      # conv2 -> 15 x 15, max-pool -> 7
            192 * 7 * 7 * 128 * 3 * 3,
            192 * 7 * 7 * 192 * 3 * 3,
            128 * 7 * 7 * 192 * 3 * 3]       # max-pool -> 3
    conv_bias_adds = 48 * 32 * 32 + 128 * 15 * 15 + 192 * 49 + 192 * 49 + 128 * 49
    fc = 1152 * 2048 + 2048 * 2048 + 2048 * 10
    counted = research.count_flops(AlexNet())
    assert counted["by_type"]["Conv2D"] == sum(macs) + conv_bias_adds     # paddle.flops counts conv bias adds
    assert counted["forward_macs"] == sum(macs) + conv_bias_adds + fc and counted["attention_ops"] == 0
    eca = research.count_flops(AlexNetECA())
    assert eca["forward_macs"] == counted["forward_macs"]
    # pooling adds + gating multiplies (2 C H W) and the 1-D conv (k C) per ECA layer
    chw_k = [(48, 32 * 32, 3), (128, 15 * 15, 3), (192, 49, 5), (192, 49, 5), (128, 49, 3)]
    assert eca["attention_ops"] == sum(2 * c * hw + k * c for c, hw, k in chw_k)


def test_every_eca_variant_equals_the_definition(research):
    checks = research.check_eca_variants([3, 11, 5, 4], kernel_size=5)
    assert set(checks) == set(research.eca_variant_names())
    for variant, errors in checks.items():
        assert errors["forward_max_abs_err"] < 1e-6, variant
        assert errors["grad_x_max_abs_diff"] < 1e-5 and errors["grad_w_max_rel_diff"] < 1e-5, variant


def test_notebook_model_has_the_same_parameters_as_ours(research):
    ours, notebook = research.build_model(research.OURS), research.build_model(research.NOTEBOOK)
    notebook.set_state_dict(ours.state_dict())
    ours.eval(), notebook.eval()
    x = paddle.randn([2, 3, 128, 128])
    np.testing.assert_allclose(notebook(x).numpy(), ours(x).numpy(), rtol=1e-5, atol=1e-5)


def test_research_models_in_a_forced_order_compute_the_same_function(research):
    paddle.seed(0)
    images, labels = paddle.randn([2, 3, 128, 128]), paddle.to_tensor([3, 7])
    results, state = {}, None
    for name in ("alexnet_eca:layers", "alexnet_eca:bias_after_pooling", "alexnet_eca:bias_after_pooling/pooled_mean"):
        model = research.build_model(name)
        state = state or model.state_dict()
        model.set_state_dict(state)
        model.eval()                                    # no dropout; gradients recorded: stage 1's mean from the images
        assert model.order == name.split(":")[1].split("/")[0]
        assert model.gate_mean_from_images is not name.endswith("/pooled_mean")
        logits = model(images)
        paddle.nn.functional.cross_entropy(logits, labels).backward()
        results[name] = logits.numpy(), model.features[0].weight.grad.numpy()
    reference = results.pop("alexnet_eca:layers")
    for name, (logits, conv1_gradient) in results.items():
        np.testing.assert_allclose(logits, reference[0], rtol=1e-5, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(conv1_gradient, reference[1], rtol=1e-4, atol=1e-7, err_msg=name)
    for wrong in ("alexnet_eca:layers/pooled", "alexnet_eca:layers/pooled_mean", "alexnet:bias_after_pooling/pooled_mean"):
        with pytest.raises(ValueError, match="unknown model"):
            research.build_model(wrong)


def test_to_static_matches_dynamic_for_alexnet_eca():
    dynamic = AlexNetECA(dropout=0.0)
    static = AlexNetECA(dropout=0.0)
    static.set_state_dict(dynamic.state_dict())
    static = paddle.jit.to_static(static)
    x = paddle.randn([2, 3, 128, 128])
    dynamic.eval(), static.eval()
    with paddle.no_grad():                              # evaluation first, as training loops do after a resume
        np.testing.assert_allclose(static(x).numpy(), dynamic(x).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(static(x).numpy(), dynamic(x).numpy(), rtol=1e-5, atol=1e-5)
    dynamic.train(), static.train()
    for model in (dynamic, static):
        model(x).square().mean().backward()
    for name in ("features.0.weight", "features.0.bias", "features.1.conv.weight", "classifier.6.weight"):
        np.testing.assert_allclose(static.state_dict()[name].grad.numpy(), dynamic.state_dict()[name].grad.numpy(),
                                   rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_research_quick_run_measures_every_section(research, tmp_path):
    out = tmp_path / "research.json"
    assert research.main(["--quick", "--models", research.BASE, research.OURS, "--threads", "1",
                          "--output", str(out), "--quiet"]) == 0
    report = json.loads(out.read_text())
    assert set(report["models"]) == {research.BASE, research.OURS}
    assert math.isfinite(report["summary"]["eca_overhead_train"]["median"])
    assert report["predictor"]["status"] == "ok" and report["pipeline"]["status"] == "ok"
    assert report["predictor"]["img_s"][f"predictor:{research.OURS}"]["median"] > 0
    eca_layers = [row for row in report["profile"]["layers"][research.OURS]["layers"] if row["type"] == "ECA"]
    assert len(eca_layers) == 5 and all(row["forward_backward_ms"] > 0 for row in eca_layers)
    assert report["flops"][research.OURS]["forward_gflop_per_img"] == pytest.approx(0.194, abs=1e-3)


@pytest.mark.slow
def test_compare_settings_runs_each_configuration_in_a_subprocess(research, monkeypatch):
    configs = research.compare_configs(2)
    monkeypatch.setattr(research, "compare_configs", lambda cores: {k: configs[k] for k in ("paddle_defaults", "tuned")})
    opts = dict(research.DEFAULTS, **research.QUICK, models=(research.OURS,), modes=("eval",))
    result = research.compare_settings(opts)
    default, tuned = result["configs"]["paddle_defaults"], result["configs"]["tuned"]
    # left unset, Paddle sets OMP_NUM_THREADS=1 at import: one core, the default being measured
    assert default["runtime"]["OMP_NUM_THREADS"] == "1" and default["runtime"]["MKL_DEBUG_CPU_TYPE"] is None
    assert tuned["runtime"]["OMP_NUM_THREADS"] == "2" and tuned["runtime"]["MKL_DEBUG_CPU_TYPE"] == "5"
    assert set(default["img_s"]) == {research.NOTEBOOK, research.OURS}
    assert result["ratios"]["tuned_vs_paddle_defaults_eval"] > 0
