"""The checkers of lesson 08: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch

from fmnist_core.checks import lesson08 as check
from fmnist_core.checks import optimizer_inputs, optimizer_run

PASS = {
    1: "✓ 练习 1 通过：与 torch.optim.RMSprop 一致 / Exercise 1 passed: matches torch.optim.RMSprop",
    2: "✓ 练习 2 通过：与 torch.optim.Adam 一致 / Exercise 2 passed: matches torch.optim.Adam",
    3: "✓ 练习 3 通过：与 torch.optim.AdamW 一致 / Exercise 3 passed: matches torch.optim.AdamW",
}


def rmsprop(p0, grads, lr, alpha, eps):
    p, v = p0.clone(), torch.zeros_like(p0)
    for g in grads:
        v = alpha * v + (1 - alpha) * g**2
        p = p - lr * g / (v.sqrt() + eps)
    return p


def adamw(p0, grads, lr, betas, eps, weight_decay=0.0):
    (b1, b2), p = betas, p0.clone()
    m, v = torch.zeros_like(p0), torch.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        p = p * (1 - lr * weight_decay)
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2
        p = p - lr * (m / (1 - b1**t)) / ((v / (1 - b2**t)).sqrt() + eps)
    return p


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_rmsprop, rmsprop, 1),
        (check.ex2_adam, adamw, 2),  # weight_decay=0: Adam
        (check.ex3_adamw, adamw, 3),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_mistakes_change_one_thing_of_torch_optim():
    # with nothing changed, the generators of the wrong answers are torch.optim itself
    p0, grads = optimizer_inputs(21, 10)
    hyper = {"lr": 0.05, "betas": (0.9, 0.99), "eps": 1e-2}
    torch.testing.assert_close(
        check._rmsprop()(p0, grads, 0.01, 0.9, 1e-2),
        optimizer_run(torch.optim.RMSprop, p0, grads, lr=0.01, alpha=0.9, eps=1e-2),
    )
    torch.testing.assert_close(
        check._adam_variant()(p0, grads, *hyper.values()),
        optimizer_run(torch.optim.Adam, p0, grads, **hyper),
    )
    adamw_ = optimizer_run(torch.optim.AdamW, p0, grads, **hyper, weight_decay=0.5)
    torch.testing.assert_close(
        check._adam_variant("decoupled")(p0, grads, *hyper.values(), 0.5), adamw_
    )
    adam_l2 = optimizer_run(torch.optim.Adam, p0, grads, **hyper, weight_decay=0.5)
    torch.testing.assert_close(check._adam_variant("l2")(p0, grads, *hyper.values(), 0.5), adam_l2)
    assert not torch.allclose(adamw_, adam_l2)  # L2 and decoupled decay differ
