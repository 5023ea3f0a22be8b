"""The checkers of lesson 10: right answers pass (the anticipated mistakes are tested from the
checker's own table in test_checks_mistakes.py); the special cases a table cannot express."""

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


def resume_right(checkpoint, model, optimizer, scheduler):
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])


def resume_other_order(checkpoint, model, optimizer, scheduler):
    # another right answer: the scheduler first, and the model's tensors copied by hand
    scheduler.load_state_dict(checkpoint["scheduler"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(checkpoint["model"][name])
    return model, optimizer, scheduler


def buggy_resume(checkpoint, model, optimizer, scheduler):
    # the notebook's buggy cell, word for word
    model.load_state_dict(checkpoint["model"])
    for group, saved in zip(optimizer.param_groups, checkpoint["optimizer"]["param_groups"]):
        group["lr"] = saved["lr"]


def test_ex1_right_answers_pass(capsys):
    passes(check.ex1_resume, resume_right, capsys, "练习 1 通过")
    passes(check.ex1_resume, resume_other_order, capsys, "Exercise 1 passed")


def test_ex1_the_notebooks_buggy_cell_gets_both_hints():
    fails_with(check.ex1_resume, buggy_resume, "Two things restart", "OneCycleLR restarts")


def test_ex1_each_bug_changes_the_path():
    # the check can tell each mistake from the right answer and from each other
    right = check._uninterrupted_path()
    paths = [check._resumed_path(m.answer) for m in check.MISTAKES["ex1_resume"]]
    assert all((p - right).abs().max() > 1e-6 for p in paths)
    assert torch.equal(check._resumed_path(resume_right), right)  # bit for bit


def test_ex1_doing_nothing_fails():
    fails_with(check.ex1_resume, lambda *args: None, "does not match")


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
        check.ex1_resume,
        check.ex2_smoothing_floor,
        check.ex3_ema_weights,
        check.ex4_swa_update,
    ],
)
def test_unfinished_raises(checker):
    with pytest.raises(NotImplementedError):
        checker(unfinished)
