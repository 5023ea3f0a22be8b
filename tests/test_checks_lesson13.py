"""The checkers of lesson 13: a right answer passes. Each anticipated mistake is in the checker's
``MISTAKES`` table, tested by test_checks_mistakes.py; here are the right answers and the cases a
table cannot express (the reference generator equal to torch.optim.RAdam, the cases telling the
mistakes apart, other wrong answers, the prediction computed from torch.optim.Rprop)."""

import math

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson13 as check

MAX_HINT_LINE = 87


# ---------------------------------------------------------------- right answers, as a learner writes them


def radam_first_adaptive_step(g, lr, betas, eps, max_steps):
    """From the formulas: with a constant g, m̂_t = g and v_t = (1 − β2^t)·g²."""
    beta1, beta2 = betas
    rho_inf = 2 / (1 - beta2) - 1
    for t in range(1, max_steps + 1):
        bc2 = 1 - beta2**t
        rho = rho_inf - 2 * t * beta2**t / bc2
        if rho > 5:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho))
            return t, -lr * r * g * math.sqrt(bc2) / (math.sqrt(bc2) * abs(g) + eps)
    return None


def radam_by_simulation(g, lr, betas, eps, max_steps):
    """Another right answer: run m and v step by step, as tensors, and return tensors."""
    beta1, beta2 = betas
    rho_inf = 2 / (1 - beta2) - 1
    m = v = torch.zeros((), dtype=torch.float64)
    for t in range(1, max_steps + 1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        if rho > 5:
            r = ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5
            m_hat = m / (1 - beta1**t)
            return torch.tensor(t), -lr * r * m_hat * (1 - beta2**t) ** 0.5 / (v.sqrt() + eps)
    return None


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_radam_first_step, radam_first_adaptive_step, "练习 1 通过"),
        (check.ex1_radam_first_step, radam_by_simulation, "练习 1 通过"),
        (check.ex2_rprop_max_step, lambda: 19, "练习 2 通过"),
        (check.ex2_rprop_max_step, lambda: torch.tensor(19), "练习 2 通过"),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    out = capsys.readouterr().out
    assert line in out and max(map(len, out.splitlines())) <= 100


# ---------------------------------------------------------------- what a table cannot express


def test_the_reference_generator_is_torch_optim_radam():
    # the right answer the mistakes vary, on the checker's cases and on others
    cases = check.RADAM_CASES + [
        (1.0, 1e-3, (0.9, 0.999), 1e-8, 100),  # the lesson's case: step 6, r_6 ≈ 0.0258
        (0.01, 0.05, (0.0, 0.68), 1e-2, 1000),
        (-7.0, 0.3, (0.99, 0.75), 1e-8, 1000),
        (1.0, 0.1, (0.9, 0.95), 1e-8, 3),  # no switch within 3 steps
    ]
    for case in cases:
        right, ours = check._radam_truth(*case), check._radam_first(*case)
        assert check._same(ours, right), (case, ours, right)
    assert check._radam_truth(*cases[len(check.RADAM_CASES)])[0] == 6


def test_every_mistake_shows_on_some_case():
    for m in check.MISTAKES["ex1_radam_first_step"][:-2]:  # not the endless loop, not torch's
        assert any(
            not check._same(m.answer(*case), check._radam_truth(*case))
            for case in check.RADAM_CASES
        ), m.en
    # the cases are not the lesson's: the switch comes at step 7 and 10, and never
    truths = [check._radam_truth(*case) for case in check.RADAM_CASES]
    assert [None if a is None else a[0] for a in truths] == [7, 6, 10, None]


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda *case: (6, 0.1), "the switch is not at step 6"),
        (lambda *case: None, "it does switch"),
        (lambda *case: 6, "return (t, move) or None"),
        (lambda *case: (6, float("nan")), "a finite number"),
        (
            lambda g, lr, betas, eps, n: (
                (radam_first_adaptive_step(g, lr, betas, eps, n) or (1, 0))
                if betas[1] > 0.6
                else (1, 0.0)
            ),
            "ρ∞ = 2/(1 − 0.6) − 1 = 4",
        ),
        (
            lambda *case: (lambda a: a and (a[0], 2 * a[1]))(radam_first_adaptive_step(*case)),
            "step 7 is right, the move",
        ),
    ],
)
def test_other_answers_get_the_reasoning(answer, hint):
    fails_with(check.ex1_radam_first_step, answer, hint)


def test_a_loop_that_never_ends_is_stopped():
    def waits_forever(g, lr, betas, eps, max_steps):
        beta2 = betas[1]
        rho_inf, t, rho = 2 / (1 - beta2) - 1, 0, 0.0
        while rho <= 5:
            t += 1
            rho = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
        return radam_first_adaptive_step(g, lr, betas, eps, max_steps)

    fails_with(check.ex1_radam_first_step, waits_forever, check.TIMEOUT)


def test_the_rprop_prediction_is_computed_by_torch_optim_rprop():
    assert check._rprop_max_step(**check.RPROP, g=check.RPROP_GRADIENT) == 19
    assert check._rprop_max_step(**check.RPROP, g=1e-3) == 19  # the size does not count
    assert check._rprop_max_step(lr=0.01, etas=(0.5, 1.2), step_sizes=(1e-6, 50)) == 48
    # the closed form of the hint
    assert 1 + math.ceil(math.log(1000) / math.log(1.5)) == 19


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda: 25, "not step 25. step 1 has no previous gradient"),
        (lambda: 19.0, "return one integer, got float"),
    ],
)
def test_other_predictions_get_the_reasoning(answer, hint):
    fails_with(check.ex2_rprop_max_step, answer, hint)
