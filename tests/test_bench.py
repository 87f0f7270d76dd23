import json
import math

import numpy as np
import paddle
import pytest

from ecapaddle import bench
from ecapaddle.models import AlexNet, AlexNetECA


@pytest.fixture(scope="module")
def quick_report():
    return bench.run_benchmark(quick=True)


def _numbers(tree):
    if isinstance(tree, dict):
        for value in tree.values():
            yield from _numbers(value)
    elif isinstance(tree, list):
        for value in tree:
            yield from _numbers(value)
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        yield tree


def test_quick_report_schema_and_values(quick_report):
    report = json.loads(json.dumps(quick_report))          # JSON-serialisable as it is
    assert report["schema"] == bench.SCHEMA
    assert set(report["models"]) == {bench.BASE, bench.OURS, bench.NOTEBOOK}
    for entry in report["models"].values():
        for mode in bench.MODES:
            stats = entry[f"{mode}_img_s"]
            assert len(stats["repeats"]) == 1
            assert 0 < stats["min"] <= stats["median"] <= stats["max"] < 1e6
            assert 0 < entry[f"{mode}_fraction_of_peak"] < 1
    for key in ("eca_overhead_train", "eca_overhead_eval", "notebook_vs_ours_train", "notebook_vs_ours_eval"):
        assert math.isfinite(report["summary"][key]["median"])
    assert report["summary"]["notebook_vs_ours_train"]["median"] > 0
    assert all(math.isfinite(x) for x in _numbers(report))
    env = report["environment"]
    assert env["paddle"] == paddle.__version__ and env["cpu"]["cores"] >= 1
    assert len(env["load_average_before"]) == 3 and len(env["load_average_after"]) == 3
    assert {"OMP_NUM_THREADS", "MKL_DEBUG_CPU_TYPE", "FLAGS_use_mkldnn", "malloc_tuned"} <= set(env["runtime"])
    assert report["peak"]["gflops"] > 0 and report["peak"]["sgemm_gflops"] > 0
    assert report["flops"][bench.OURS]["train_gflop_per_img"] == pytest.approx(3 * 0.193818624)
    assert set(report["targets_met"]) >= {"eca_overhead_train<=3%", "tuned_vs_default_notebook_train>=3x"}


def test_quick_report_sections(quick_report):
    settings = quick_report["settings"]
    assert {"current", "onednn=True"} <= set(settings["img_s"])
    assert "to_static=True" in settings["img_s"] or "to_static=True" in settings["errors"]
    variants = quick_report["eca_variants"]
    assert [s["shape"][1:] for s in variants["shapes"]] == [[48, 32, 32], [128, 15, 15], [192, 7, 7], [128, 7, 7]]
    assert variants["fastest_forward_backward"] in variants["variants"]
    profile = quick_report["profile"]
    eca_layers = [row for row in profile["layers"][bench.OURS]["layers"] if row["type"] == "ECA"]
    assert len(eca_layers) == 5 and all(row["forward_backward_ms"] > 0 for row in eca_layers)
    assert {"pool:mean", "conv1d", "sigmoid", "multiply"} <= set(profile["eca_parts"][0]["parts"])
    predictor = quick_report["predictor"]
    if predictor["status"] == "ok":
        assert predictor["img_s"]["predictor:alexnet_eca"]["median"] > 0
        assert math.isfinite(predictor["eca_overhead_eval"][bench.OURS]["median"])
    else:
        assert predictor["reason"]
    pipeline = quick_report["pipeline"]
    assert pipeline["status"] in ("ok", "skipped")
    if pipeline["status"] == "ok":
        assert pipeline["img_s"]["alexnet_eca_train"] > 0
    else:
        assert pipeline["reason"]


def test_conv_and_linear_flops_by_hand():
    # AlexNet's first conv: 48 filters of 3 x 11 x 11 at each of 32 x 32 outputs, 2 FLOPs per multiply-add
    assert bench.conv_flops(3, 48, (11, 11), (32, 32)) == 2 * 48 * 32 * 32 * 3 * 11 * 11 == 35_684_352
    assert bench.conv_flops(8, 8, (3, 3), (5, 5), groups=8) == 2 * 8 * 25 * 1 * 9
    assert bench.linear_flops(1152, 2048) == 2 * 1152 * 2048 == 4_718_592


def test_count_flops_matches_hand_count_on_a_small_model():
    model = paddle.nn.Sequential(paddle.nn.Conv2D(3, 8, 3, stride=2, padding=1), paddle.nn.Flatten(),
                                 paddle.nn.Linear(8 * 4 * 4, 10))
    counted = bench.count_flops(model, input_size=8)
    assert [row["flops"] for row in counted["layers"]] == [2 * 8 * 16 * 3 * 9, 2 * 128 * 10]
    assert counted["attention_flops"] == 0


def test_alexnet_flops_by_hand():
    macs = [48 * 32 * 32 * 3 * 11 * 11,      # conv1 -> 32 x 32, max-pool -> 15
            128 * 15 * 15 * 48 * 5 * 5,      # conv2 -> 15 x 15, max-pool -> 7
            192 * 7 * 7 * 128 * 3 * 3,
            192 * 7 * 7 * 192 * 3 * 3,
            128 * 7 * 7 * 192 * 3 * 3,       # max-pool -> 3
            1152 * 2048, 2048 * 2048, 2048 * 10]
    assert 2 * sum(macs) == 193_818_624         # ~0.194 GFLOP per image (the issue says ~0.195)
    assert bench.count_flops(AlexNet())["forward_flops"] == 2 * sum(macs)
    eca = bench.count_flops(AlexNetECA())
    assert eca["forward_flops"] == 2 * sum(macs)
    # pooling adds + gating multiplies (2 C H W) and the 1-D conv (2 k C) per ECA layer
    chw_k = [(48, 32 * 32, 3), (128, 15 * 15, 3), (192, 49, 5), (192, 49, 5), (128, 49, 3)]
    assert eca["attention_flops"] == sum(2 * c * hw + 2 * k * c for c, hw, k in chw_k) == 211_744


def test_every_eca_variant_equals_the_definition():
    checks = bench.check_eca_variants([3, 11, 5, 4], kernel_size=5)
    assert set(checks) == set(bench.eca_variant_names())
    for variant, errors in checks.items():
        assert errors["forward_max_abs_err"] < 1e-6, variant
        assert errors["grad_x_max_abs_diff"] < 1e-5 and errors["grad_w_max_rel_diff"] < 1e-5, variant


def test_notebook_model_has_the_same_parameters_as_ours():
    ours, notebook = bench.build_model(bench.OURS), bench.build_model(bench.NOTEBOOK)
    notebook.set_state_dict(ours.state_dict())
    ours.eval(), notebook.eval()
    x = paddle.randn([2, 3, 128, 128])
    np.testing.assert_allclose(notebook(x).numpy(), ours(x).numpy(), rtol=1e-5, atol=1e-5)


def test_to_static_matches_dynamic_for_alexnet_eca():
    dynamic = AlexNetECA(dropout=0.0)
    static = AlexNetECA(dropout=0.0)
    static.set_state_dict(dynamic.state_dict())
    static = paddle.jit.to_static(static)
    x = paddle.randn([2, 3, 128, 128])
    dynamic.eval(), static.eval()
    np.testing.assert_allclose(static(x).numpy(), dynamic(x).numpy(), rtol=1e-5, atol=1e-5)
    dynamic.train(), static.train()
    for model in (dynamic, static):
        model(x).square().mean().backward()
    for name in ("features.0.weight", "features.1.conv.weight", "classifier.6.weight"):
        np.testing.assert_allclose(static.state_dict()[name].grad.numpy(), dynamic.state_dict()[name].grad.numpy(),
                                   rtol=1e-4, atol=1e-6)


def test_main_writes_json_single_thread_cpu_clock(tmp_path):
    out = tmp_path / "bench.json"
    assert bench.main(["--quick", "--models", "alexnet", "--modes", "eval", "--no-settings", "--no-eca-variants",
                       "--no-profile", "--no-pipeline", "--threads", "1", "--clock", "cpu",
                       "--output", str(out), "--quiet"]) == 0
    report = json.loads(out.read_text())
    assert list(report["models"]) == ["alexnet"] and report["models"]["alexnet"]["eval_img_s"]["median"] > 0
    assert report["options"]["clock"] == "cpu" and report["peak"]["threads_used"] == 1
    assert report["peak"]["gflops_threads_used"] == pytest.approx(report["peak"]["gflops"] / report["peak"]["cores"])
    assert report["pipeline"]["status"] == "skipped"


def test_compare_settings_runs_each_configuration_in_a_subprocess(monkeypatch):
    configs = bench.compare_configs(2)
    monkeypatch.setattr(bench, "compare_configs", lambda cores: {k: configs[k] for k in ("paddle_defaults", "tuned")})
    opts = dict(bench.DEFAULTS, **bench.QUICK, models=(bench.OURS,), modes=("eval",))
    result = bench.compare_settings(opts)
    default, tuned = result["configs"]["paddle_defaults"], result["configs"]["tuned"]
    # left unset, Paddle sets OMP_NUM_THREADS=1 at import: one core, the default being measured
    assert default["runtime"]["OMP_NUM_THREADS"] == "1" and default["runtime"]["malloc_tuned"] is False
    assert tuned["runtime"]["MKL_DEBUG_CPU_TYPE"] == "5" and tuned["runtime"]["malloc_tuned"] is True
    assert set(default["img_s"]) == {bench.NOTEBOOK, bench.OURS}
    assert result["ratios"]["tuned_vs_paddle_defaults_eval"] > 0
    assert result["ratios"]["tuned_ours_vs_default_notebook_eval"] > 0


@pytest.mark.parametrize("options, message", [
    (dict(input_size=64), "121..152 px"),
    (dict(models=("resnet",)), "unknown model"),
    (dict(models=("alexnet_eca:max+conv1d",)), "unknown model"),
    (dict(repeats=0), "repeats must be a positive int"),
    (dict(modes=("test",)), "modes must be"),
    (dict(clock="gpu"), "clock must be one of"),
])
def test_bad_options_raise_clear_errors(options, message):
    with pytest.raises(ValueError, match=message):
        bench.run_benchmark(**options)


def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError, match="unknown benchmark options"):
        bench.run_benchmark(batchsize=8)
