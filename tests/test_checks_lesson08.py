"""The checkers of lesson 08: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson08 as check

MAX_HINT_LINE = 87


# ---------------------------------------------------------------- exercise 1: RMSprop


def rmsprop_answer(
    eps_inside=False, no_sqrt=False, swap=False, correct=False, v_first=False, sign=-1.0
):
    def rmsprop(p0, grads, lr, alpha, eps):
        p, v = p0.clone(), torch.zeros_like(p0)
        for t, g in enumerate(grads, start=1):
            if v_first and t == 1:
                v = g**2
            elif swap:
                v = (1 - alpha) * v + alpha * g**2
            else:
                v = alpha * v + (1 - alpha) * g**2
            vv = v / (1 - alpha**t) if correct else v
            denom = (
                vv + eps
                if no_sqrt
                else (torch.sqrt(vv + eps) if eps_inside else torch.sqrt(vv) + eps)
            )
            p = p + sign * lr * g / denom
        return p

    return rmsprop


def test_ex1_right_answer_passes(capsys):
    check.ex1_rmsprop(rmsprop_answer())
    out = capsys.readouterr().out
    assert "练习 1 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


@pytest.mark.parametrize(
    "kw, hint",
    [
        ({"sign": +1.0}, "the step goes uphill"),
        ({"eps_inside": True}, "outside the square root"),
        ({"no_sqrt": True}, "the square root is missing"),
        ({"swap": True}, "α multiplies the wrong term"),
        ({"correct": True}, "has no bias correction"),
        ({"v_first": True}, "v starts at 0"),
    ],
)
def test_ex1_mistakes_are_named(kw, hint):
    fails_with(check.ex1_rmsprop, rmsprop_answer(**kw), hint)


def test_ex1_in_place_and_unfinished():
    def in_place(p0, grads, lr, alpha, eps):
        v = torch.zeros_like(p0)
        for g in grads:
            v = alpha * v + (1 - alpha) * g**2
            p0 -= lr * g / (v.sqrt() + eps)
        return p0

    fails_with(check.ex1_rmsprop, in_place, "in place")

    def unfinished(p0, grads, lr, alpha, eps):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check.ex1_rmsprop(unfinished)


# ---------------------------------------------------------------- exercise 2: Adam


def adam_answer(**kw):
    # the checker's own generator of right and wrong Adam steps: each mistake is written once
    return lambda p0, grads, lr, betas, eps: check._adam_variant(p0, grads, lr, betas, eps, **kw)


def test_ex2_right_answer_passes(capsys):
    check.ex2_adam(adam_answer())
    out = capsys.readouterr().out
    assert "练习 2 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


ADAM_MISTAKES = [
    ({"sign": +1.0}, "the step goes uphill"),
    ({"correct_m": False, "correct_v": False}, "bias correction is missing: divide m"),
    ({"correct_m": False}, "the bias correction of m is missing"),
    ({"correct_v": False}, "the bias correction of v is missing"),
    ({"t_offset": 1}, "off by one"),
    ({"eps_mode": "inside"}, "outside the square root"),
    ({"eps_mode": "before_correction"}, "ε is added too early"),
    ({"swap_beta": True}, "β multiplies the wrong term"),
]


@pytest.mark.parametrize("kw, hint", ADAM_MISTAKES)
def test_ex2_mistakes_are_named(kw, hint):
    fails_with(check.ex2_adam, adam_answer(**kw), hint)


# ---------------------------------------------------------------- exercise 3: AdamW


def adamw_answer(decay="decoupled", **kw):
    return lambda p0, grads, lr, betas, eps, wd: check._adam_variant(
        p0, grads, lr, betas, eps, wd, decay=decay, **kw
    )


def test_ex3_right_answer_passes(capsys):
    check.ex3_adamw(adamw_answer())
    out = capsys.readouterr().out
    assert "练习 3 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


@pytest.mark.parametrize(
    "decay, hint",
    [
        ("l2", "that is Adam's L2 weight_decay"),
        ("decoupled_no_lr", "not multiplied by the learning rate"),
        ("decoupled_wrong_sign", "the decay has the wrong sign"),
        ("decoupled_after", "the decay is in the wrong place"),
        ("none", "weight decay is missing"),
    ],
)
def test_ex3_decay_mistakes_are_named(decay, hint):
    fails_with(check.ex3_adamw, adamw_answer(decay), hint)


@pytest.mark.parametrize("kw, hint", ADAM_MISTAKES)
def test_ex3_adam_mistakes_are_named_too(kw, hint):
    fails_with(check.ex3_adamw, adamw_answer(**kw), hint)


def test_references_are_torch_optim():
    # the generator the right answers and the mistakes come from is torch.optim itself
    p0, grads = check._data(21)
    got = check.torch_run(
        torch.optim.AdamW, p0, grads, lr=0.05, betas=(0.9, 0.99), eps=1e-2, weight_decay=0.5
    )
    torch.testing.assert_close(
        got, check._adam_variant(p0, grads, 0.05, (0.9, 0.99), 1e-2, 0.5, decay="decoupled")
    )
    adam_l2 = check.torch_run(
        torch.optim.Adam, p0, grads, lr=0.05, betas=(0.9, 0.99), eps=1e-2, weight_decay=0.5
    )
    torch.testing.assert_close(
        adam_l2, check._adam_variant(p0, grads, 0.05, (0.9, 0.99), 1e-2, 0.5, decay="l2")
    )
    assert not torch.allclose(got, adam_l2)  # L2 and decoupled decay differ


# ---------------------------------------------------------------- the step count starting at 0


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex2_adam, adam_answer(t_offset=-1)),
        (check.ex3_adamw, adamw_answer(t_offset=-1)),
    ],
)
def test_step_count_from_zero_is_named(checker, answer):
    # enumerate(grads) without start=1: 1 − β^0 = 0, so the answer is inf or nan
    fails_with(checker, answer, "does the step count t start at 0?", "enumerate(grads, start=1)")
