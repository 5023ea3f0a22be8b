"""Checks for the exercises of lesson 04 (hyperparameters and the validation set).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import functools
import math

import torch
from torch.optim.lr_scheduler import StepLR

from . import (
    Mistake,
    check_close,
    expect,
    fail,
    passed,
    scheduler_trace,
    wrap_checkers,
    wrong_results,
    wrong_values,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker

# ---------------------------------------------------------------- exercise 1: the confusion matrix


def _counts(y_true, y_pred, num_classes):
    C = torch.zeros(num_classes, num_classes, dtype=torch.long)
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        C[t, p] += 1
    return C


def _without_minlength(y_true, y_pred, num_classes):
    return torch.bincount(y_true * num_classes + y_pred).reshape(num_classes, num_classes)


MINLENGTH = Mistake(
    _without_minlength,
    "bincount 要 minlength=num_classes²：最大的类别没有出现时，"
    "计数不到 num_classes² 个，reshape 不成方阵",
    "bincount needs minlength=num_classes**2: when the top classes never occur, "
    "it returns fewer counts, which do not reshape into a square",
)
NOT_INTEGER = Mistake(
    lambda t, p, k: _counts(t, p, k).float(),
    "数值对了，但应返回整数张量（例如 torch.long）：每个格子是个数，不是浮点数",
    "the values are right, but return an integer tensor (e.g. torch.long): each entry "
    "is a count, not a float",
)
MISTAKES["ex1_confusion_matrix"] = [
    Mistake(
        lambda t, p, k: _counts(t, p, k).T,
        "行列颠倒了：行 i 是真实类别，列 j 是预测类别，C[y_true, y_pred] += 1",
        "rows and columns are swapped: row i is the true class, column j the prediction, "
        "C[y_true, y_pred] += 1",
    ),
    Mistake(
        lambda t, p, k: _counts(t, p, k).float() / len(t),
        "不要归一化：每个格子是样本个数",
        "do not normalize: each entry is a count of samples",
    ),
    Mistake(
        lambda t, p, k: _counts(t, p, k).float() / _counts(t, p, k).sum(1, keepdim=True).clamp(1),
        "不要按行归一化：每个格子是样本个数",
        "do not normalize the rows: each entry is a count of samples",
    ),
    MINLENGTH,
    NOT_INTEGER,
]


def ex1_confusion_matrix(confusion_matrix):
    """``confusion_matrix(y_true, y_pred, num_classes)``: C[i, j] = the samples of class i
    predicted as j."""
    g = torch.Generator().manual_seed(3)
    y_true = torch.randint(0, 4, (200,), generator=g)  # 类别 4 没有出现 / class 4 never occurs
    keep = torch.rand(200, generator=g) < 0.6  # 60% 预测对 / 60% predicted right
    y_pred = torch.where(keep, y_true, torch.randint(0, 4, (200,), generator=g))
    try:
        got = confusion_matrix(y_true.clone(), y_pred.clone(), 5)
    except RuntimeError as e:
        if "invalid for input of size" in str(e):
            fail(MINLENGTH.zh, MINLENGTH.en)
        raise
    expect(
        isinstance(got, torch.Tensor),
        f"应返回 torch.Tensor，得到 {type(got).__name__}",
        f"return a torch.Tensor, got {type(got).__name__}",
    )
    check_close(
        got,
        _counts(y_true, y_pred, 5),
        name="confusion_matrix",
        rtol=0,
        atol=0,
        mistakes=wrong_values(MISTAKES["ex1_confusion_matrix"], y_true, y_pred, 5),
    )
    expect(not got.is_floating_point() and got.dtype != torch.bool, NOT_INTEGER.zh, NOT_INTEGER.en)
    passed(
        "练习 1 通过：行 = 真实类别，列 = 预测类别",
        "Exercise 1 passed: rows = true class, columns = prediction",
    )


# ---------------------------------------------------------------- exercise 2: StepLR's formula

MISTAKES["ex2_step_lr"] = [
    Mistake(
        lambda lr0, gamma, step_size, epoch: lr0 * gamma ** ((epoch + 1) // step_size),
        "早了一轮：第 0 轮用的就是 lr0，epoch 从 0 开始数",
        "one epoch early: epoch 0 uses lr0 itself; epochs count from 0",
    ),
    Mistake(
        lambda lr0, gamma, step_size, epoch: lr0 * gamma ** math.ceil(epoch / step_size),
        "用了向上取整：每满 step_size 轮才乘一次 gamma，用 epoch // step_size",
        "rounded up: gamma is applied once per full step_size epochs, use epoch // step_size",
    ),
    Mistake(
        lambda lr0, gamma, step_size, epoch: lr0 * gamma**epoch,
        "每轮都乘了 gamma：每 step_size 轮才乘一次",
        "gamma was applied every epoch: it is applied once every step_size epochs",
    ),
    Mistake(
        lambda lr0, gamma, step_size, epoch: lr0 * gamma * (epoch // step_size),
        "gamma 要作为指数的底：lr0 * gamma ** (epoch // step_size)",
        "gamma is raised to a power: lr0 * gamma ** (epoch // step_size)",
    ),
]


def _lrs(step_lr, lr0, gamma, step_size):
    """``step_lr``'s learning rate in each of the first 10 epochs."""
    lrs = [float(step_lr(lr0, gamma, step_size, epoch)) for epoch in range(10)]
    return torch.tensor(lrs, dtype=torch.float64)


def ex2_step_lr(step_lr):
    """``step_lr(lr0, gamma, step_size, epoch)``: StepLR's learning rate in epoch ``epoch``
    (counted from 0)."""
    for lr0, gamma, step_size in [(0.1, 0.5, 3), (1e-3, 0.1, 2), (0.05, 0.9, 1)]:
        lrs = functools.partial(_lrs, lr0=lr0, gamma=gamma, step_size=step_size)
        step_lr_torch = functools.partial(StepLR, step_size=step_size, gamma=gamma)
        check_close(
            lrs(step_lr),
            scheduler_trace(step_lr_torch, 10, lr0),
            name=f"step_lr(lr0={lr0}, gamma={gamma}, step_size={step_size})",
            rtol=1e-9,
            atol=1e-12,
            mistakes=wrong_results(MISTAKES["ex2_step_lr"], lrs),
        )
    passed(
        "练习 2 通过：与 StepLR 的 get_last_lr() 一致",
        "Exercise 2 passed: matches StepLR's get_last_lr()",
    )


wrap_checkers(globals())
