"""The checkers of lesson 07: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson07 as check
from fmnist_core.checks import optimizer_inputs, optimizer_run

PASS = {
    1: "✓ 练习 1 通过：带权重衰减的一步 SGD 正确 / Exercise 1 passed: SGD with weight decay",
    2: "✓ 练习 2 通过：动量与阻尼正确，学习率变化时也对 / Exercise 2 passed: momentum, dampening",
    3: "✓ 练习 3 通过：Nesterov 加权重衰减正确 / Exercise 3 passed: Nesterov with weight decay",
}


def sgd_momentum(p0, grads, lrs, momentum, dampening):
    p, b = p0.clone(), None
    for g, lr in zip(grads, lrs):
        b = g.clone() if b is None else momentum * b + (1 - dampening) * g
        p = p - lr * b
    return p


def sgd_nesterov(p0, grads, lr, momentum, weight_decay):
    p, b = p0.clone(), None
    for g in grads:
        g = g + weight_decay * p
        b = g.clone() if b is None else momentum * b + g
        p = p - lr * (g + momentum * b)
    return p


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_sgd_step, lambda p, g, lr, weight_decay: p - lr * (g + weight_decay * p), 1),
        (check.ex2_sgd_momentum, sgd_momentum, 2),
        (check.ex3_sgd_nesterov, sgd_nesterov, 3),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_mistakes_change_one_thing_of_torch_optim_sgd():
    # with nothing changed, the generators of the wrong answers are torch.optim.SGD
    p0, grads = optimizer_inputs(7, 5)
    lrs = [0.1, 0.1, 0.05, 0.05, 0.01]
    torch.testing.assert_close(
        check._momentum()(p0, grads, lrs, 0.9, 0.3),
        optimizer_run(torch.optim.SGD, p0, grads, lrs, lr=0.1, momentum=0.9, dampening=0.3),
    )
    torch.testing.assert_close(
        check._nesterov()(p0, grads, 0.05, 0.9, 0.2),
        optimizer_run(
            torch.optim.SGD, p0, grads, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.2
        ),
    )


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_sgd_step, lambda p, g, lr, wd: 0.0, "should be a torch.Tensor"),
        (check.ex2_sgd_momentum, lambda p0, *args: p0 * float("nan"), "nan or inf"),
        (check.ex3_sgd_nesterov, lambda *args: 2 * sgd_nesterov(*args), "a coefficient applied"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)
