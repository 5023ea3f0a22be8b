"""The checkers of lesson 10: right answers pass (the anticipated mistakes are tested from the
checker's own table in test_checks_mistakes.py); the special cases a table cannot express."""

import copy

import pytest
import torch
from conftest import fails_with
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

from fmnist_core.checks import lesson10 as check

MAX_HINT_LINE = 87


def unfinished(*args):
    raise NotImplementedError()


def passes(checker, answer, capsys, text):
    checker(answer)
    out = capsys.readouterr().out
    assert text in out and max(map(len, out.splitlines())) <= 100


# ---------------------------------------------------------------- exercise 1


def test_ex1_right_answers_pass(capsys):
    passes(check.ex1_verdicts, lambda: (False, 8.66), capsys, "练习 1 通过")
    passes(check.ex1_verdicts, lambda: (False, 0.05 / (0.01 / 3**0.5)), capsys, "passed")
    passes(check.ex1_verdicts, lambda: (torch.tensor(False), torch.tensor(8.7)), capsys, "passed")


def test_ex1_the_prediction_is_what_the_notebook_computes():
    a, b = check.EX1_A, check.EX1_B
    d = torch.tensor(b, dtype=torch.float64) - torch.tensor(a, dtype=torch.float64)
    t = d.mean() / (d.std() / 3**0.5)
    assert abs(t.item() - check.RIGHT_T) < 1e-9 and t > check.EX1_T_CRITICAL
    assert not check._apart(a, b)  # the groups overlap


def test_ex1_other_answers():
    fails_with(check.ex1_verdicts, lambda: (False, 3.0), "t is not 3")
    fails_with(check.ex1_verdicts, lambda: 8.66, "return two things")
    fails_with(check.ex1_verdicts, lambda: ("no", 8.66), "should be True or False")
    fails_with(check.ex1_verdicts, lambda: (False, "8.66"), "should be one number")


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


# ---------------------------------------------------------------- exercise 5


def train_ema_right(model, batches, decay):
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    ema = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay))
    for X, y in batches:
        torch.nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        ema.update_parameters(model)
    return ema.module


def train_ema_by_hand(model, batches, decay):
    # another right answer: the EMA kept by hand in a copy of the model
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.05)
    average = None
    for X, y in batches:
        torch.nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()
        optimizer.zero_grad()
        with torch.no_grad():
            if average is None:
                average = copy.deepcopy(model)
            else:
                for a, p in zip(average.parameters(), model.parameters()):
                    a.mul_(decay).add_(p, alpha=1 - decay)
    return average


def test_ex5_right_answers_pass(capsys):
    passes(check.ex5_train_ema, train_ema_right, capsys, "练习 5 通过")
    passes(check.ex5_train_ema, train_ema_by_hand, capsys, "Exercise 5 passed")


def test_ex5_not_a_model():
    fails_with(check.ex5_train_ema, lambda model, batches, decay: 0.0, "return a model")


@pytest.mark.parametrize(
    "checker",
    [
        check.ex1_verdicts,
        check.ex2_smoothing_floor,
        check.ex3_ema_weights,
        check.ex4_swa_update,
        check.ex5_train_ema,
    ],
)
def test_unfinished_raises(checker):
    with pytest.raises(NotImplementedError):
        checker(unfinished)
