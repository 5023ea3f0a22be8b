"""The course covers every loss, optimizer and scheduler of the installed PyTorch.

A class counts as covered when some lesson has a code cell that names it and calls
``assert_close`` (a from-scratch version proved equal to PyTorch's). A new PyTorch release that
adds a class makes this test fail, naming it, until a lesson covers it.
"""

import importlib
import inspect
import re

import pytest
import torch
from conftest import ROOT, off_lock
from torch import nn, optim
from torch.optim import lr_scheduler

from fmnist_core.tooling.lessons import lesson_sources, read_py

# Deprecated classes only, each with the reason: none today.
# 只允许跳过 PyTorch 已弃用的类 / only classes PyTorch deprecates may be skipped
SKIP = {}


def losses():
    return sorted(
        name
        for name, obj in vars(nn).items()
        if inspect.isclass(obj) and issubclass(obj, nn.Module) and name.endswith("Loss")
    )


def optimizers():
    return sorted(
        name
        for name, obj in vars(optim).items()
        if inspect.isclass(obj) and issubclass(obj, optim.Optimizer) and obj is not optim.Optimizer
    )


def schedulers():
    bases = (lr_scheduler.LRScheduler, lr_scheduler.ReduceLROnPlateau)
    return sorted(
        name
        for name, obj in vars(lr_scheduler).items()
        if inspect.isclass(obj)
        and issubclass(obj, bases)
        and not name.startswith("_")
        and name != "LRScheduler"
    )


def _checkers_called(lesson, sources):
    """The sources of the exercise checkers a lesson calls (``check.exK_name(...)``)."""
    try:
        module = importlib.import_module(f"fmnist_core.checks.lesson{lesson[:2]}")
    except ModuleNotFoundError:
        return []
    called = set(re.findall(r"\bcheck\.(ex\w+)\(", "\n".join(sources)))
    return [
        inspect.getsource(inspect.unwrap(getattr(module, name)))
        for name in sorted(called)
        if hasattr(module, name)
    ]


def checked_sources(root):
    """Every piece of lesson code that compares with PyTorch, one string each:

    - a code cell that calls ``assert_close``, or a function the same lesson defines in a cell
      that calls ``assert_close`` (a checking helper such as lesson 09's ``check_schedule``);
    - the source of an exercise checker the lesson calls (it compares the learner's from-scratch
      answer with PyTorch, and tests/test_checks_mistakes.py proves it fails on wrong ones).
    """
    out = []
    for path in lesson_sources(root):
        sources = [c.source for c in read_py(path).cells if c.cell_type == "code"]
        asserting = [s for s in sources if "assert_close" in s]
        helpers = {name for s in asserting for name in re.findall(r"^def (\w+)\(", s, re.M)}
        calls = re.compile(r"\b(" + "|".join(helpers) + r")\(") if helpers else None
        out += [s for s in sources if "assert_close" in s or (calls and calls.search(s))]
        out += _checkers_called(path.stem, sources)
    return out


@pytest.fixture(scope="module")
def cells():
    return checked_sources(ROOT)


def uncovered(names, checked):
    """The names that no checking source names."""
    return [
        name
        for name in names
        if name not in SKIP and not any(re.search(rf"\b{name}\b", src) for src in checked)
    ]


@pytest.mark.parametrize(
    "family, names",
    [
        ("losses / 损失函数", losses),
        ("optimizers / 优化器", optimizers),
        ("schedulers / 学习率调度器", schedulers),
    ],
)
def test_every_class_is_checked_against_pytorch_in_a_lesson(family, names, cells):
    missing = uncovered(names(), cells)
    message = (
        f"torch {torch.__version__}: no lesson checks these {family} with assert_close: "
        + ", ".join(missing)
    )
    if missing and off_lock():
        # a maintainer's alarm for the locked release; on another release, a report only
        # 维护者的警报只针对锁定的版本；其他版本上只报告，不算学习者的环境出错
        pytest.skip(f"{message} (not the locked release / 不是锁定的版本)")
    assert not missing, message


def test_the_families_are_found():
    # the lists above come from the installed torch, never empty or accidentally tiny
    assert {"MSELoss", "CrossEntropyLoss", "TripletMarginLoss"} <= set(losses())
    assert {"SGD", "Adam", "LBFGS"} <= set(optimizers())
    assert {"StepLR", "OneCycleLR", "ReduceLROnPlateau", "LambdaLR"} <= set(schedulers())
    assert "LRScheduler" not in schedulers() and "Optimizer" not in optimizers()


def test_only_code_that_compares_counts(tmp_path):
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "98_fake.py").write_text(
        "# %%\nprint(nn.MSELoss()(a, b))\n\n"
        "# %%\ndef same(a, b):\n    torch.testing.assert_close(a, b)\n\n"
        "# %%\nsame(mine, nn.L1Loss()(a, b))\n\n"
        "# %%\ntorch.testing.assert_close(mine, nn.PoissonNLLLoss()(a, b))\n"
    )
    checked = checked_sources(tmp_path)
    assert uncovered(["MSELoss", "L1Loss", "PoissonNLLLoss", "NLLLoss"], checked) == [
        "MSELoss",
        "NLLLoss",
    ]
