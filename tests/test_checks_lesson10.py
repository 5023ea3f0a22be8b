"""The checkers of lesson 10: right answers pass (the anticipated mistakes are tested from the
checker's own table in test_checks_mistakes.py); the special cases a table cannot express."""

import math

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson10 as check

MAX_HINT_LINE = 87


def unfinished(*args):
    raise NotImplementedError()


def passes(checker, answer, capsys, text):
    checker(answer)
    out = capsys.readouterr().out
    assert text in out and max(map(len, out.splitlines())) <= 100


# ---------------------------------------------------------------- exercise 1


def warmup_cosine_right(t, warmup, total):
    if t < warmup:
        return t / warmup
    return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (total - warmup)))


def warmup_cosine_min(t, warmup, total):
    # another right way: one expression, as a tensor
    p = torch.tensor((t - warmup) / (total - warmup), dtype=torch.float64).clamp(min=0)
    return torch.minimum(torch.tensor(t / warmup), 0.5 * (1 + torch.cos(math.pi * p)))


def test_ex1_right_answers_pass(capsys):
    passes(check.ex1_warmup_cosine, warmup_cosine_right, capsys, "练习 1 通过")
    passes(check.ex1_warmup_cosine, warmup_cosine_min, capsys, "Exercise 1 passed")


def test_ex1_other_mistakes_get_the_general_hint():
    fails_with(check.ex1_warmup_cosine, lambda t, W, T: 1.0, "does not match")
    fails_with(
        check.ex1_warmup_cosine,
        lambda t, W, T: 0.5 * warmup_cosine_right(t, W, T),
        "constant factor",
    )


# ---------------------------------------------------------------- exercise 2


def floor_right(eps, k):
    q = torch.full((k,), eps / k, dtype=torch.float64)
    q[0] += 1 - eps
    return -(q * q.log()).sum()


def floor_xlogy(eps, k):
    q = torch.full((k,), eps / k)
    q[0] += 1 - eps
    return -torch.special.xlogy(q, q).sum().item()


def test_ex2_right_answers_pass(capsys):
    passes(check.ex2_smoothing_floor, floor_right, capsys, "练习 2 通过")
    passes(check.ex2_smoothing_floor, floor_xlogy, capsys, "Exercise 2 passed")


def test_ex2_sign():
    fails_with(check.ex2_smoothing_floor, lambda eps, k: -floor_right(eps, k), "wrong sign")


# ---------------------------------------------------------------- exercise 3


def ema_weights_right(decay, T):
    w = torch.tensor([(1 - decay) * decay ** (T - k) for k in range(1, T + 1)])
    w[0] = decay ** (T - 1)
    return w


def ema_weights_simulated(decay, T):
    # run the rule on the unit vectors, as the checker does with AveragedModel
    ema = None
    for k in range(T):
        e = torch.zeros(T, dtype=torch.float64)
        e[k] = 1
        ema = e.clone() if ema is None else decay * ema + (1 - decay) * e
    return ema.tolist()


def test_ex3_right_answers_pass(capsys):
    passes(check.ex3_ema_weights, ema_weights_right, capsys, "练习 3 通过")
    passes(check.ex3_ema_weights, ema_weights_simulated, capsys, "Exercise 3 passed")


def test_ex3_wrong_length():
    fails_with(
        check.ex3_ema_weights,
        lambda d, T: ema_weights_right(d, T)[1:],
        "should return 6 numbers (one per snapshot), got 5",
    )


# ---------------------------------------------------------------- exercise 4


def test_ex4_right_answers_pass(capsys):
    passes(check.ex4_swa_update, lambda avg, w, n: avg + (w - avg) / (n + 1), capsys, "练习 4 通过")
    passes(
        check.ex4_swa_update, lambda avg, w, n: (n * avg + w) / (n + 1), capsys, "Exercise 4 passed"
    )


def test_ex4_division_by_n_is_named():
    fails_with(check.ex4_swa_update, lambda avg, w, n: avg + (w - avg) / n, check.EX4_NONFINITE)


@pytest.mark.parametrize(
    "checker",
    [
        check.ex1_warmup_cosine,
        check.ex2_smoothing_floor,
        check.ex3_ema_weights,
        check.ex4_swa_update,
    ],
)
def test_unfinished_raises(checker):
    with pytest.raises(NotImplementedError):
        checker(unfinished)
