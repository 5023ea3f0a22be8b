"""The checkers of lesson 04: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson04 as check

PASS = {
    1: "✓ 练习 1 通过：行 = 真实类别，列 = 预测类别 / Exercise 1 passed: rows = true class, columns = "
    "prediction",
    2: "✓ 练习 2 通过：与 StepLR 的 get_last_lr() 一致 / Exercise 2 passed: matches StepLR's "
    "get_last_lr()",
}


def confusion(y_true, y_pred, num_classes):
    counts = torch.bincount(y_true * num_classes + y_pred, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def confusion_loop(y_true, y_pred, num_classes):
    C = torch.zeros(num_classes, num_classes, dtype=torch.int32)
    for t, p in zip(y_true, y_pred, strict=True):
        C[t, p] += 1
    return C


def step_lr(lr0, gamma, step_size, epoch):
    return lr0 * gamma ** (epoch // step_size)


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_confusion_matrix, confusion),
        (check.ex1_confusion_matrix, confusion_loop),
        (check.ex2_step_lr, step_lr),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_confusion_matrix, lambda t, p, k: confusion(t, p, 4), "shape (4, 4), expected"),
        (check.ex1_confusion_matrix, lambda t, p, k: confusion(t, p, k).tolist(), "got list"),
        (check.ex2_step_lr, lambda lr0, gamma, step_size, epoch: lr0, "does not match"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)
