"""The checkers of lesson 05: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
import torch.nn.functional as F

from fmnist_core.checks import lesson05 as check

PASS = {
    1: "✓ 练习 1 通过：my_mse 与 nn.MSELoss 一致 / "
    "Exercise 1 passed: my_mse matches nn.MSELoss (mean, sum, none)",
    2: "✓ 练习 2 通过：my_huber 与 nn.HuberLoss 一致 / "
    "Exercise 2 passed: my_huber matches nn.HuberLoss",
    3: "✓ 练习 3 通过：my_l1_grad 与 autograd 一致（含误差为 0 处） / "
    "Exercise 3 passed: my_l1_grad matches autograd",
    4: "✓ 练习 4 通过：形状一致，没有广播 / Exercise 4 passed: same shapes, no broadcasting",
}


def l1_grad_by_autograd(pred, target):
    p = pred.clone().requires_grad_(True)
    F.l1_loss(p, target).backward()
    return p.grad


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_mse, lambda p, t, reduction="mean": F.mse_loss(p, t, reduction=reduction), 1),
        (check.ex2_huber, lambda p, t, delta=1.0: F.huber_loss(p, t, delta=delta), 2),
        (check.ex3_l1_grad, lambda p, t: torch.sign(p - t) / p.numel(), 3),
        (check.ex3_l1_grad, l1_grad_by_autograd, 3),
        (check.ex4_shapes, lambda p, t: F.mse_loss(p.squeeze(1), t), 4),
        (check.ex4_shapes, lambda p, t: F.mse_loss(p, t.unsqueeze(1)), 4),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"
