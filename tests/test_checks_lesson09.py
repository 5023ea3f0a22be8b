"""The checkers of lesson 09: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import math

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson09 as check

PASS = {
    1: "✓ 练习 1 通过：PolynomialLR 的公式正确 / Exercise 1 passed: PolynomialLR's formula",
    2: "✓ 练习 2 通过：热重启余弦正确 / Exercise 2 passed: the warm-restart cosine",
    3: "✓ 练习 3 通过：与 SequentialLR 一致 / Exercise 3 passed: matches SequentialLR",
    4: "✓ 练习 4 通过：与 ReduceLROnPlateau 一致 / Exercise 4 passed: matches ReduceLROnPlateau",
    5: "✓ 练习 5 通过：步数正确 / Exercise 5 passed: the step count is right",
}


def poly_lr(t, lr0, total_iters, power):
    return lr0 * (1 - min(t, total_iters) / total_iters) ** power


def restart_lr(t, lr0, T_0, eta_min):
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * (t % T_0) / T_0)) / 2


def restart_lr_tensor(t, lr0, T_0, eta_min):
    return eta_min + (lr0 - eta_min) * (1 + torch.cos(torch.tensor(math.pi * (t % T_0) / T_0))) / 2


def warmup_linear_lr(t, lr0, warmup, total, start_factor):
    if t < warmup:
        return lr0 * (start_factor + (1 - start_factor) * t / warmup)
    return lr0 * (1 - (t - warmup) / (total - warmup))


def plateau_max_lrs(metrics, lr, factor, patience, threshold, cooldown):
    best, bad, cool, out = -math.inf, 0, 0, []
    for m in metrics:
        if m > best * (1 + threshold):
            best, bad = m, 0
        else:
            bad += 1
        if cool > 0:
            cool -= 1
            bad = 0
        if bad > patience:
            lr *= factor
            cool, bad = cooldown, 0
        out.append(lr)
    return out


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_poly_lr, poly_lr, 1),
        (check.ex2_cosine_restart_lr, restart_lr, 2),
        (check.ex2_cosine_restart_lr, restart_lr_tensor, 2),
        (check.ex3_warmup_linear_lr, warmup_linear_lr, 3),
        (check.ex4_plateau_max_lrs, plateau_max_lrs, 4),
        (check.ex5_total_steps, lambda n, bs, epochs: epochs * math.ceil(n / bs), 5),
        (check.ex5_total_steps, lambda n, bs, epochs: epochs * ((n + bs - 1) // bs), 5),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_plateau_mistakes_change_one_thing_of_reduce_lr_on_plateau():
    # with nothing changed, the generator of the wrong answers is ReduceLROnPlateau itself
    for case in check.EX4_CASES:
        assert check._plateau_rule()(*case) == pytest.approx(check._plateau_torch(*case))


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_poly_lr, lambda *args: poly_lr(*args) / 2, "constant factor: 0.5 times"),
        (
            check.ex3_warmup_linear_lr,
            lambda t, lr0, W, N, sf: warmup_linear_lr(t, lr0, W, N, sf) if t < W else lr0,
            "does not match",
        ),
        (check.ex4_plateau_max_lrs, lambda m, lr, *args: [lr], "one lr per metric value"),
        (check.ex5_total_steps, lambda n, bs, e: e * n, "should be 9380, got 600000"),
        (check.ex5_total_steps, lambda n, bs, e: "9380", "return one integer"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)
