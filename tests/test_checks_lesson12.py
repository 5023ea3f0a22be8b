"""The checkers of lesson 12: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import fails_with
from torch import nn

from fmnist_core.checks import lesson12 as check

PASS = {
    1: "✓ 练习 1 通过：与 nn.MultiLabelSoftMarginLoss 一致 / "
    "Exercise 1 passed: matches nn.MultiLabelSoftMarginLoss",
    2: "✓ 练习 2 通过：与 nn.PoissonNLLLoss 一致 / Exercise 2 passed: matches nn.PoissonNLLLoss",
    3: "✓ 练习 3 通过：与 nn.GaussianNLLLoss 一致 / Exercise 3 passed: matches nn.GaussianNLLLoss",
}


def soft_margin_by_nn(x, y, weight=None, reduction="mean"):
    return nn.MultiLabelSoftMarginLoss(weight=weight, reduction=reduction)(x, y)


def soft_margin_from_scratch(x, y, weight=None, reduction="mean"):
    log_sigmoid = x.clamp(max=0) - torch.log1p(torch.exp(-x.abs()))
    loss = -(y * log_sigmoid + (1 - y) * (log_sigmoid - x))  # log σ(-x) = log σ(x) - x
    loss = (loss if weight is None else loss * weight).mean(dim=-1)
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def poisson_by_nn(x, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    return nn.PoissonNLLLoss(log_input=log_input, full=full, eps=eps, reduction=reduction)(
        x, target
    )


def poisson_from_scratch(x, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
    loss = x.exp() - target * x if log_input else x - target * (x + eps).log()
    if full:
        t = target.clamp(min=2)  # no nan where the term is masked anyway
        stirling = t * t.log() - t + 0.5 * (2 * math.pi * t).log()
        loss = loss + stirling * (target > 1)
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def gaussian_by_nn(mu, target, var, full=False, eps=1e-6, reduction="mean"):
    return nn.GaussianNLLLoss(full=full, eps=eps, reduction=reduction)(mu, target, var)


def gaussian_from_scratch(mu, target, var, full=False, eps=1e-6, reduction="mean"):
    var = torch.as_tensor(var, dtype=mu.dtype)
    if var.dim() == mu.dim() - 1:
        var = var[..., None]
    var = var.clamp(min=eps)
    loss = 0.5 * (var.log() + (mu - target) ** 2 / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_multilabel_soft_margin, soft_margin_by_nn, 1),
        (check.ex1_multilabel_soft_margin, soft_margin_from_scratch, 1),
        (check.ex2_poisson_nll, poisson_by_nn, 2),
        (check.ex2_poisson_nll, poisson_from_scratch, 2),
        (check.ex3_gaussian_nll, gaussian_by_nn, 3),
        (check.ex3_gaussian_nll, gaussian_from_scratch, 3),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


@pytest.mark.parametrize(
    "checker",
    [check.ex1_multilabel_soft_margin, check.ex2_poisson_nll, check.ex3_gaussian_nll],
)
def test_an_unfinished_answer_raises(checker):
    def unfinished(*args, **kwargs):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        checker(unfinished)


def test_a_float_variance_that_is_not_handled_raises_the_learners_own_error():
    def no_float(mu, target, var, full=False, eps=1e-6, reduction="mean"):
        var = var.clamp(min=eps)  # AttributeError for a float
        return F.gaussian_nll_loss(mu, target, var, full=full, eps=eps, reduction=reduction)

    with pytest.raises(AttributeError):
        check.ex3_gaussian_nll(no_float)


def test_an_unrelated_runtime_error_is_not_turned_into_a_hint():
    def broken(mu, target, var, full=False, eps=1e-6, reduction="mean"):
        raise RuntimeError("something else")

    with pytest.raises(RuntimeError, match="something else"):
        check.ex3_gaussian_nll(broken)


def test_a_wrong_sign_is_named():
    fails_with(
        check.ex1_multilabel_soft_margin,
        lambda x, y, weight=None, reduction="mean": -soft_margin_by_nn(x, y, weight, reduction),
        "has the wrong sign",
    )
