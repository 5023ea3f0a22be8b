"""The model, training helpers, plots, exercise checks and the install files."""

import os
import re
import subprocess
import sys
import tomllib
import warnings

import matplotlib
import pytest
import torch
from torch import nn

import fmnist_core as fc
from fmnist_core import checks, plot

matplotlib.use("Agg")


def test_course_model_shape_and_parameter_count():
    model = fc.NeuralNetwork()
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert (
        fc.count_parameters(model) == 784 * 512 + 512 + 512 * 512 + 512 + 512 * 10 + 10 == 669_706
    )


def test_set_seed_repeats_and_device_override(monkeypatch):
    fc.set_seed(3)
    a = torch.rand(3)
    fc.set_seed(3)
    assert torch.equal(a, torch.rand(3))
    monkeypatch.setenv("FMNIST_DEVICE", "cpu")
    assert fc.get_device() == torch.device("cpu")


def _toy_loaders():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(512, 1, 28, 28, generator=g)
    y = X.view(512, -1)[:, :10].argmax(1)  # a learnable rule
    return fc.TensorLoader(X, y, 64, shuffle=True, generator=g), fc.TensorLoader(X, y, 128)


def test_fit_learns_and_returns_a_history():
    fc.set_seed(0)
    train, test = _toy_loaders()
    model = fc.NeuralNetwork()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fc.fit(
        model,
        train,
        test,
        nn.CrossEntropyLoss(),
        opt,
        3,
        scheduler=sched,
        progress=False,
        verbose=False,
    )
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert set(history[0]) == {"epoch", "train_loss", "test_loss", "test_acc", "seconds"}
    assert history[-1]["train_loss"] < history[0]["train_loss"]
    assert history[-1]["test_acc"] > 0.5
    assert opt.param_groups[0]["lr"] == pytest.approx(1e-3 * 0.5**3)  # stepped once per epoch


def test_fit_with_one_hot_targets_and_per_batch_scheduler():
    fc.set_seed(0)
    train, test = _toy_loaders()
    model = fc.NeuralNetwork()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0)
    calls = []
    orig = sched.step
    sched.step = lambda *a: (calls.append(1), orig(*a))
    fc.fit(
        model,
        train,
        test,
        nn.MSELoss(),
        opt,
        1,
        scheduler=sched,
        scheduler_per_batch=True,
        target_fn=lambda y: nn.functional.one_hot(y, 10).float(),
        progress=False,
        verbose=False,
    )
    assert len(calls) == len(train)


def test_evaluate_counts_accuracy_exactly():
    X = torch.eye(10).repeat(3, 1)  # rows are one-hot vectors
    y = torch.arange(10).repeat(3)
    y[:5] = (y[:5] + 1) % 10  # 5 of 30 labels wrong for the identity model
    model = nn.Sequential(nn.Linear(10, 10, bias=False))
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(10))
    loss, acc = fc.evaluate(model, fc.TensorLoader(X, y, 7), nn.CrossEntropyLoss())
    assert acc == pytest.approx(25 / 30)
    assert loss == pytest.approx(nn.CrossEntropyLoss()(X, y).item(), rel=1e-5)


def test_label_falls_back_to_english_without_cjk(monkeypatch):
    monkeypatch.setattr(plot, "_cjk", "")
    assert fc.label("学习率", "learning rate") == "learning rate"
    assert fc.class_label(0) == "T-shirt/top"
    monkeypatch.setattr(plot, "_cjk", "Noto Sans CJK SC")
    assert fc.label("学习率", "learning rate") == "学习率 / learning rate"


def test_plots_draw_without_glyph_warnings(tmp_path):
    import matplotlib.pyplot as plt

    history = [
        {"epoch": e, "train_loss": 1 / e, "test_loss": 1 / e, "test_acc": 0.5, "seconds": 1.0}
        for e in (1, 2)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph would raise here
        fig = fc.plot_histories({"a": history, "b": history})
        fig.savefig(tmp_path / "h.png")
        fig2 = fc.show_images(torch.rand(3, 1, 28, 28), [0, 6, 9], preds=[0, 0, 9], ncols=3)
        fig2.savefig(tmp_path / "g.png")
    plt.close("all")


def test_check_close_names_the_mistake():
    expected = torch.tensor([1.0, 2.0, 3.0])
    checks.check_close(expected.clone(), expected)  # right: no exception
    with pytest.raises(checks.CheckFailed, match="constant factor: 2"):
        checks.check_close(expected * 2, expected)
    with pytest.raises(checks.CheckFailed, match="wrong sign"):
        checks.check_close(-expected, expected)
    with pytest.raises(checks.CheckFailed, match=r"shape \(3, 1\)"):
        checks.check_close(expected.view(3, 1), expected)
    with pytest.raises(checks.CheckFailed, match="forgot the mean"):
        checks.check_close(
            expected + 1, expected, mistakes=[(expected + 1, "忘了求平均", "forgot the mean")]
        )
    with pytest.raises(checks.CheckFailed, match="should be a torch.Tensor"):
        checks.check_close([1, 2, 3], expected)
    with pytest.raises(checks.CheckFailed, match="does not match"):
        checks.check_close(torch.tensor([1.0, 0.0, 3.0]), expected)


def test_environment_yml_matches_pyproject(root):
    import yaml

    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((root / "environment.yml").read_text())
    assert "conda-forge" in env["channels"]
    deps = env["dependencies"]
    assert "pip" in deps
    (python,) = [d for d in deps if isinstance(d, str) and d.startswith("python")]
    assert python.replace("python", "") == project["requires-python"]
    (pip_section,) = [d["pip"] for d in deps if isinstance(d, dict)]
    # the same dependencies, through pyproject.toml, at the locked versions
    assert pip_section == ["-c requirements-lock.txt", '-e ".[dev]"']
    for req in project["dependencies"] + project["optional-dependencies"]["dev"]:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+>=[0-9.]+", req), f"{req}: a range, not an exact pin"


def test_readme_quick_start_is_what_ci_runs(root):
    readme = (root / "README.md").read_text()
    ci = (root / ".ci" / "run").read_text()
    quick = readme.split("## 快速开始 / Quick start")[1].split("\n## ")[0]
    steps = quick.split("### ")[0]  # the three numbered steps, before the install variants
    commands = re.findall(r"```bash\n\s*(.*?)\n\s*```", steps, re.S)
    lock = "-c requirements-lock.txt"
    assert commands == [f'pip install {lock} -e ".[dev]"', "jupyter lab", "pytest --nbval"]
    assert f'pip install {lock} -e ".[dev,teacher,site]"' in ci and ci.rstrip().endswith(
        "pytest --nbval"
    )
    for src in sorted((root / "notebooks").glob("[0-9][0-9]_*.py")):
        assert f"notebooks/{src.stem}.ipynb" in readme, (
            f"{src.stem} missing from the README's table"
        )


def test_cli_train_prints_final_accuracy(capsys, monkeypatch):
    from fmnist_core.__main__ import main

    assert main(["train", "--optimizer", "adam", "--epochs", "1", "--no-progress"]) == 0
    out = capsys.readouterr().out
    acc = float(re.search(r"final test accuracy: ([\d.]+)%", out).group(1))
    assert 75 < acc < 95


def test_plot_lang_en_forces_english(monkeypatch):
    monkeypatch.setattr(plot, "_cjk", None)
    monkeypatch.setenv("FMNIST_PLOT_LANG", "en")
    assert plot.use_cjk_font() == "" and fc.label("损失", "loss") == "loss"
    assert plot.cjk_font is plot.use_cjk_font  # the old name, still called by the lessons


def test_pad_counts_chinese_characters_as_two_columns():
    assert fc.text_width("T恤/上衣") == 8
    assert fc.pad("裤子", 6) == "裤子  " and fc.pad("ab", 4, ">") == "  ab"
    rows = [fc.pad(name, 14) + "|" for name in ("T恤/上衣", "Trouser", "短靴")]
    assert len({fc.text_width(r) for r in rows}) == 1


def test_fit_names_its_history_after_the_evaluation_data():
    from torch import nn

    X, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))
    model = fc.NeuralNetwork()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    loader = fc.TensorLoader(X, y, 32)
    h = fc.fit(
        model,
        loader,
        loader,
        nn.CrossEntropyLoss(),
        opt,
        1,
        progress=False,
        verbose=False,
        eval_name="val",
    )
    assert set(h[0]) == {"epoch", "train_loss", "val_loss", "val_acc", "seconds"}
    with pytest.raises(ValueError, match="eval_name"):
        fc.fit(model, loader, loader, nn.CrossEntropyLoss(), opt, 1, eval_name="dev")


def test_a_cjk_font_installed_after_matplotlib_cached_its_fonts_is_found(monkeypatch):
    from matplotlib import font_manager

    system = font_manager.findSystemFonts()
    if not any("CJK" in p or "cjk" in p for p in system):
        pytest.skip("no CJK font on this machine (fonts-noto-cjk installs one)")
    if not hasattr(font_manager, "FontPath"):  # FontPath and .ttc faces: matplotlib 3.11
        pytest.skip(
            f"matplotlib {matplotlib.__version__} reads only the first face of a .ttc collection "
            "(Noto Sans CJK JP, which CJK_FONTS names after the SC faces); not checked there"
        )
    cjk_files = {f.fname for f in font_manager.fontManager.ttflist if f.name in plot.CJK_FONTS}
    stale = [f for f in font_manager.fontManager.ttflist if f.fname not in cjk_files]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)  # a cache made before the font
    monkeypatch.setattr(plot, "_cjk", None)
    monkeypatch.delenv("FMNIST_PLOT_LANG", raising=False)
    monkeypatch.delenv("FMNIST_HIDE_CJK_FONTS", raising=False)
    assert fc.use_cjk_font() in plot.CJK_FONTS


HIDDEN = """
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
import fmnist_core as fc
from matplotlib import font_manager

assert fc.use_cjk_font() == ""
fonts = font_manager.fontManager.ttflist
assert fonts, "no fonts left at all"
assert not any(ord("中") in font_manager.get_font(f.fname).get_charmap() for f in fonts)
# what the lessons draw through the fallback: English only, no warning
fig = fc.show_images(torch.zeros(2, 1, 28, 28), [0, 1], preds=[0, 2])
fig.axes[0].set_xlabel(fc.label("轮次", "epoch"))
fig.savefig("ok.png")
history = [{"epoch": 1, "train_loss": 1.0, "val_acc": 0.5}]
fc.plot_histories({"a": history}).savefig("ok2.png")
# text that bypasses the fallback fails where it is drawn
fig, ax = plt.subplots()
ax.set_title("constant）")
try:
    fig.savefig("bad.png")
except UserWarning as e:
    print("raised:", e)
"""


def test_hidden_cjk_fonts_fail_any_figure_text_that_bypasses_the_fallback(tmp_path):
    # what CI runs the lessons with: a machine without a CJK font (a new Debian or Ubuntu)
    env = {**os.environ, "FMNIST_HIDE_CJK_FONTS": "1", "MPLCONFIGDIR": str(tmp_path)}
    env.pop("FMNIST_PLOT_LANG", None)
    run = subprocess.run(
        [sys.executable, "-c", HIDDEN], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert "Glyph" not in run.stderr, run.stderr  # the fallback drew no missing glyph
    assert "raised: Glyph 65289 (\\N{FULLWIDTH RIGHT PARENTHESIS}) missing" in run.stdout


KINDS = ("predict", "debug", "transfer", "implement")


def test_readme_lists_each_lessons_exercise_kinds(root):
    from fmnist_core.tooling.lessons import exercise_kinds, lesson_sources, lesson_time, read_py

    readme = (root / "README.md").read_text(encoding="utf-8")
    section = readme.split("### 练习与用时 / Exercises and time")[1].split("\n## ")[0]
    rows = {
        m[0]: ([int(m[1]), int(m[2] or 0)], [int(n) for n in m[3:]])
        for m in re.findall(
            r"^\| (\d\d) \| (\d+)(?: \+ (\d+))? \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|",
            section,
            re.M,
        )
    }
    totals = [0] * len(KINDS)
    for src in lesson_sources(root):
        kinds = exercise_kinds(src)
        counts = [kinds.count(k) for k in KINDS]
        time = list(lesson_time(read_py(src).cells) or ())
        assert rows.get(src.name[:2]) == (time, counts), (
            f"README's row of {src.stem}: {time}, {counts}"
        )
        totals = [a + b for a, b in zip(totals, counts)]
    total_row = re.search(
        r"^\| 合计 / total \| \| (\d+) \| (\d+) \| (\d+) \| (\d+) \|", section, re.M
    )
    assert total_row and [int(n) for n in total_row.groups()] == totals
