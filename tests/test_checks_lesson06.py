"""The checkers of lesson 06: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
import torch.nn.functional as F

from fmnist_core.checks import lesson06 as check

PASS = {
    1: "✓ 练习 1 通过：my_bce 正确且数值稳定 / "
    "Exercise 1 passed: my_bce matches, stable on large logits",
    2: "✓ 练习 2 通过：my_ce 正确且数值稳定 / "
    "Exercise 2 passed: my_ce matches, stable on large logits",
    3: "✓ 练习 3 通过：my_grad 与 autograd 一致 / "
    "Exercise 3 passed: my_grad = (softmax - onehot) / N",
    4: "✓ 练习 4 通过：my_wce 正确，除以 Σ weight[y] / "
    "Exercise 4 passed: my_wce matches, divided by Σ weight[y]",
    5: "✓ 练习 5 通过：my_smooth 正确 / "
    "Exercise 5 passed: my_smooth gives label_smoothing's targets",
}


def stable_bce(x, y):
    return (x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).mean()


def stable_ce(x, y):
    shifted = x - x.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs[torch.arange(len(y)), y].mean()


def weighted_ce(x, y, w):
    nll = -x.log_softmax(dim=1)[torch.arange(len(y)), y]
    return (w[y] * nll).sum() / w[y].sum()


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_bce_with_logits, stable_bce, 1),
        (check.ex1_bce_with_logits, lambda x, y: stable_bce(x.double(), y), 1),
        (check.ex1_bce_with_logits, F.binary_cross_entropy_with_logits, 1),
        (check.ex2_cross_entropy, stable_ce, 2),
        (check.ex3_ce_grad, lambda x, y: (x.softmax(1) - F.one_hot(y, x.shape[1])) / len(y), 3),
        (check.ex4_weighted_ce, weighted_ce, 4),
        (check.ex4_weighted_ce, lambda x, y, w: F.cross_entropy(x, y, weight=w), 4),
        (check.ex5_smooth_targets, lambda y, c, eps: (1 - eps) * F.one_hot(y, c) + eps / c, 5),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"
