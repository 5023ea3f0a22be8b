"""The checkers of lesson 04: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import CheckFailed
from fmnist_core.checks import lesson04 as check

# ---------------------------------------------------------------- exercise 1


def confusion_right(y_true, y_pred, num_classes):
    counts = torch.bincount(y_true * num_classes + y_pred, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def confusion_loop(y_true, y_pred, num_classes):
    C = torch.zeros(num_classes, num_classes, dtype=torch.int32)
    for t, p in zip(y_true, y_pred, strict=True):
        C[t, p] += 1
    return C


def test_ex1_right_answers_pass(capsys):
    check.ex1_confusion_matrix(confusion_right)
    check.ex1_confusion_matrix(confusion_loop)
    assert capsys.readouterr().out.count("Exercise 1 passed") == 2


@pytest.mark.parametrize("wrong, zh, en", check.EX1_MISTAKES)
def test_ex1_mistakes_are_named(wrong, zh, en):
    fails_with(check.ex1_confusion_matrix, wrong, (zh, en))


def no_minlength(y_true, y_pred, num_classes):
    return torch.bincount(y_true * num_classes + y_pred).reshape(num_classes, num_classes)


def float_counts(y_true, y_pred, num_classes):
    return confusion_right(y_true, y_pred, num_classes).float()


@pytest.mark.parametrize(
    "answer, hint",
    [
        (no_minlength, check.EX1_MINLENGTH),
        (float_counts, check.EX1_INTEGER),
    ],
)
def test_ex1_behaviour_mistakes_are_named(answer, hint):
    fails_with(check.ex1_confusion_matrix, answer, hint)


@pytest.mark.parametrize(
    "wrong, text",
    [
        (lambda t, p, k: confusion_right(t, p, 4), "has shape (4, 4), expected (5, 5)"),
        (lambda t, p, k: confusion_right(t, p, k).tolist(), "return a torch.Tensor"),
    ],
)
def test_ex1_shape_and_type(wrong, text):
    with pytest.raises(CheckFailed, match=text.replace("(", r"\(").replace(")", r"\)")):
        check.ex1_confusion_matrix(wrong)


# ---------------------------------------------------------------- exercise 2


def step_lr_right(lr0, gamma, step_size, epoch):
    return lr0 * gamma ** (epoch // step_size)


def test_ex2_right_answer_passes(capsys):
    check.ex2_step_lr(step_lr_right)
    assert "练习 2 通过" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, zh, en", check.EX2_MISTAKES)
def test_ex2_mistakes_are_named(wrong, zh, en):
    def answer(lr0, gamma, step_size, epoch):
        return wrong(lr0, gamma, step_size, torch.tensor(float(epoch), dtype=torch.float64)).item()

    fails_with(check.ex2_step_lr, answer, (zh, en))


def test_ex2_other_answers_get_the_general_hint():
    with pytest.raises(CheckFailed, match="does not match"):
        check.ex2_step_lr(lambda lr0, gamma, step_size, epoch: lr0)
