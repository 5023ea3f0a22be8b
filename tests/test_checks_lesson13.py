"""The checkers of lesson 13: a right answer passes. Each anticipated mistake is in the checker's
``MISTAKES`` table, tested by test_checks_mistakes.py; here are the right answers and the cases a
table cannot express (in-place changes, an unfinished exercise, a division by zero, the reference
generators equal to torch.optim, the test gradients reaching both Rprop bounds)."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson13 as check
from fmnist_core.checks import optimizer_inputs, optimizer_run

MAX_HINT_LINE = 87


# ---------------------------------------------------------------- right answers, as a learner writes them


def adamax(p0, grads, lr, betas, eps):
    beta1, beta2 = betas
    p, m, u = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        u = torch.maximum(beta2 * u, g.abs() + eps)
        p = p - lr / (1 - beta1**t) * m / u
    return p


def rprop(p0, grads, lr, etas, step_sizes):
    eta_minus, eta_plus = etas
    p, prev, size = p0.clone(), torch.zeros_like(p0), torch.full_like(p0, lr)
    for g in grads:
        agree = g * prev
        factor = torch.ones_like(g)
        factor[agree > 0] = eta_plus
        factor[agree < 0] = eta_minus
        size = (size * factor).clamp(*step_sizes)
        g = torch.where(agree < 0, torch.zeros_like(g), g)
        p = p - g.sign() * size
        prev = g
    return p


def nadam(p0, grads, lr, betas, eps, momentum_decay):
    beta1, beta2 = betas
    p, m, v = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
    product = 1.0
    for t, g in enumerate(grads, start=1):
        mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        product *= mu
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        denom = (v / (1 - beta2**t)).sqrt() + eps
        step = (1 - mu) / (1 - product) * g + mu_next / (1 - product * mu_next) * m
        p = p - lr * step / denom
    return p


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_adamax, adamax, "练习 1 通过"),
        (check.ex2_rprop, rprop, "练习 2 通过"),
        (check.ex3_nadam, nadam, "练习 3 通过"),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    out = capsys.readouterr().out
    assert line in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


# ---------------------------------------------------------------- what a table cannot express


def in_place_adamax(p0, grads, lr, betas, eps):
    beta1, beta2 = betas
    m, u = torch.zeros_like(p0), torch.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        u = torch.maximum(beta2 * u, g.abs() + eps)
        p0 -= lr / (1 - beta1**t) * m / u
    return p0


def in_place_rprop(p0, grads, lr, etas, step_sizes):
    for g in grads:
        g.clamp_(-1, 1)  # 改了传进来的梯度 / changes the gradients passed in
    return rprop(p0, grads, lr, etas, step_sizes)


@pytest.mark.parametrize(
    "checker, answer",
    [(check.ex1_adamax, in_place_adamax), (check.ex2_rprop, in_place_rprop)],
)
def test_in_place_changes_are_named(checker, answer):
    fails_with(checker, answer, check.IN_PLACE)


@pytest.mark.parametrize("checker", [check.ex1_adamax, check.ex2_rprop, check.ex3_nadam])
def test_unfinished_exercise_raises(checker):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        checker(unfinished)


def test_step_count_from_zero_is_named():
    # enumerate(grads) without start=1: 1 − β1^0 = 0, a ZeroDivisionError with Python floats
    def adamax_from_zero(p0, grads, lr, betas, eps):
        beta1, beta2 = betas
        p, m, u = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
        for t, g in enumerate(grads):
            m = beta1 * m + (1 - beta1) * g
            u = torch.maximum(beta2 * u, g.abs() + eps)
            p = p - lr / (1 - beta1**t) * m / u
        return p

    fails_with(check.ex1_adamax, adamax_from_zero, check.NONFINITE)

    # with tensors instead: inf or nan
    def nadam_from_zero(p0, grads, lr, betas, eps, momentum_decay):
        beta1, beta2 = betas
        p, m, v = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
        for t, g in enumerate(grads):
            m = beta1 * m + (1 - beta1) * g
            v = beta2 * v + (1 - beta2) * g * g
            m_hat = m / torch.tensor(1 - beta1**t, dtype=p.dtype)
            p = p - lr * m_hat / ((v / torch.tensor(1 - beta2**t, dtype=p.dtype)).sqrt() + eps)
        return p

    fails_with(check.ex3_nadam, nadam_from_zero, check.NONFINITE)


def test_reference_generators_are_torch_optim():
    # the right answers the mistakes are variations of are torch.optim itself, on other inputs too
    p0, grads = optimizer_inputs(41, 12)
    torch.testing.assert_close(
        check._adamax(p0, grads, 0.02, (0.8, 0.9), 1e-3),
        optimizer_run(torch.optim.Adamax, p0, grads, lr=0.02, betas=(0.8, 0.9), eps=1e-3),
    )
    torch.testing.assert_close(
        check._nadam(p0, grads, 0.02, (0.8, 0.9), 1e-3, 0.004),
        optimizer_run(
            torch.optim.NAdam, p0, grads, lr=0.02, betas=(0.8, 0.9), eps=1e-3, momentum_decay=0.004
        ),
        rtol=1e-5,
        atol=1e-7,
    )
    p0, grads = check._rprop_data(seed=42)
    torch.testing.assert_close(
        check._rprop(p0, grads, 0.05, (0.4, 1.3), (1e-3, 0.2)),
        optimizer_run(
            torch.optim.Rprop, p0, grads, lr=0.05, etas=(0.4, 1.3), step_sizes=(1e-3, 0.2)
        ),
    )


def test_rprop_gradients_reach_both_bounds():
    # the clamp mistake is only visible if the step sizes reach Δmin and Δmax within the steps
    p0, grads = check._rprop_data()
    lr, etas, (lo, hi) = check.RPROP_ARGS
    p = p0.clone().requires_grad_(True)
    optimizer = torch.optim.Rprop([p], lr=lr, etas=etas, step_sizes=(lo, hi))
    for g in grads:
        p.grad = g.clone()
        optimizer.step()
    sizes = optimizer.state[p]["step_size"]
    assert sizes.max().item() == pytest.approx(hi) and sizes.min().item() == pytest.approx(lo)
    assert any((g == 0).any() for g in grads)  # exact zeros: the factor-1 case
