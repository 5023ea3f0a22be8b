"""The checkers of lesson 07: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson07 as check

MAX_HINT_LINE = 87


# ---------------------------------------------------------------- exercise 1


def sgd_step_right(p, g, lr, weight_decay):
    return p - lr * (g + weight_decay * p)


def test_ex1_right_answer_passes(capsys):
    check.ex1_sgd_step(sgd_step_right)
    out = capsys.readouterr().out
    assert "练习 1 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda p, g, lr, wd: p - lr * (g - wd * p), "weight decay has the wrong sign"),
        (lambda p, g, lr, wd: p - lr * g - wd * p, "not multiplied by the learning rate"),
        (lambda p, g, lr, wd: p - lr * g, "weight decay is missing"),
        (lambda p, g, lr, wd: p + lr * (g + wd * p), "the step goes uphill"),
        (lambda p, g, lr, wd: p - (g + wd * p), "the learning rate is missing"),
    ],
)
def test_ex1_mistakes_are_named(wrong, hint):
    fails_with(check.ex1_sgd_step, wrong, hint)


def test_ex1_in_place_update_is_caught():
    def in_place(p, g, lr, wd):
        p -= lr * (g + wd * p)
        return p

    fails_with(check.ex1_sgd_step, in_place, "in place")


def test_ex1_not_a_tensor_and_unfinished():
    fails_with(check.ex1_sgd_step, lambda p, g, lr, wd: 0.0, "should be a torch.Tensor")

    def unfinished(p, g, lr, wd):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check.ex1_sgd_step(unfinished)


# ---------------------------------------------------------------- exercise 2


def momentum_right(p0, grads, lrs, momentum, dampening):
    p, b = p0.clone(), None
    for g, lr in zip(grads, lrs):
        b = g.clone() if b is None else momentum * b + (1 - dampening) * g
        p = p - lr * b
    return p


def momentum_with(first=None, rule=None, sign=-1.0, fixed_lr=False):
    def answer(p0, grads, lrs, momentum, dampening):
        p, b = p0.clone(), None
        for g, lr in zip(grads, lrs):
            lr = lrs[0] if fixed_lr else lr
            if b is None:
                b = first(g, dampening) if first else g.clone()
            else:
                b = rule(b, g, momentum, dampening) if rule else momentum * b + (1 - dampening) * g
            p = p + sign * lr * b
        return p

    return answer


def momentum_textbook(p0, grads, lrs, momentum, dampening):
    p, v = p0.clone(), torch.zeros_like(p0)
    for g, lr in zip(grads, lrs):
        v = momentum * v - lr * g
        p = p + v
    return p


def test_ex2_right_answer_passes(capsys):
    check.ex2_sgd_momentum(momentum_right)
    out = capsys.readouterr().out
    assert "练习 2 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (momentum_with(sign=+1.0), "momentum has the wrong sign"),
        (momentum_textbook, "the textbook v = μv − ηg"),
        (momentum_with(first=lambda g, d: (1 - d) * g), "the first step must not be dampened"),
        (momentum_with(rule=lambda b, g, m, d: m * b + d * g), "dampening is inverted"),
        (
            momentum_with(rule=lambda b, g, m, d: (1 - d) * m * b + g),
            "dampening multiplies the wrong term",
        ),
        (momentum_with(rule=lambda b, g, m, d: m * b + g), "dampening is missing"),
        (momentum_with(fixed_lr=True), "the first learning rate throughout"),
    ],
)
def test_ex2_mistakes_are_named(wrong, hint):
    fails_with(check.ex2_sgd_momentum, wrong, hint)


def test_ex2_buffer_from_zero_is_the_first_step_mistake():
    def from_zero(p0, grads, lrs, momentum, dampening):
        p, b = p0.clone(), torch.zeros_like(p0)
        for g, lr in zip(grads, lrs):
            b = momentum * b + (1 - dampening) * g
            p = p - lr * b
        return p

    fails_with(check.ex2_sgd_momentum, from_zero, "starting from b = 0")


def test_ex2_textbook_with_dampening_in_the_velocity():
    def textbook_dampened(p0, grads, lrs, momentum, dampening):
        p, v = p0.clone(), None
        for g, lr in zip(grads, lrs):
            v = lr * g if v is None else momentum * v + (1 - dampening) * lr * g
            p = p - v
        return p

    fails_with(check.ex2_sgd_momentum, textbook_dampened, "holds no learning rate")


# ---------------------------------------------------------------- exercise 3


def nesterov_right(p0, grads, lr, momentum, weight_decay):
    p, b = p0.clone(), None
    for g in grads:
        g = g + weight_decay * p
        b = g.clone() if b is None else momentum * b + g
        p = p - lr * (g + momentum * b)
    return p


def nesterov_with(direction="nesterov", decay="gradient", sign=-1.0):
    def answer(p0, grads, lr, momentum, weight_decay):
        p, b = p0.clone(), None
        for g in grads:
            if decay == "gradient":
                g = g + weight_decay * p
            old = torch.zeros_like(p) if b is None else b
            b = g.clone() if b is None else momentum * b + g
            d = {
                "nesterov": g + momentum * b,
                "plain": b,
                "old": g + momentum * old,
                "swapped": momentum * g + b,
            }[direction]
            if decay == "after":
                d = d + weight_decay * p
            p = p + sign * lr * d
        return p

    return answer


def test_ex3_right_answer_passes(capsys):
    check.ex3_sgd_nesterov(nesterov_right)
    out = capsys.readouterr().out
    assert "练习 3 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (nesterov_with(direction="plain"), "this is plain momentum"),
        (nesterov_with(direction="old"), "this is plain momentum"),  # g + μ·b_old = b_new
        (nesterov_with(direction="swapped"), "μ multiplies the wrong term"),
        (nesterov_with(sign=+1.0), "momentum has the wrong sign"),
        (nesterov_with(decay="after"), "weight decay comes too late"),
        (nesterov_with(decay="none"), "weight decay is missing"),
    ],
)
def test_ex3_mistakes_are_named(wrong, hint):
    fails_with(check.ex3_sgd_nesterov, wrong, hint)


def test_reference_is_torch_sgd_and_mistakes_differ_from_it():
    # the reference really is torch.optim.SGD: compare with the rule written out here
    p0, grads = check._data(7, 5)
    lrs = [0.1, 0.1, 0.05, 0.05, 0.01]
    got = check.torch_sgd(p0, grads, lrs, momentum=0.9, dampening=0.3)
    torch.testing.assert_close(got, momentum_right(p0, grads, lrs, 0.9, 0.3))
    assert not torch.allclose(got, momentum_textbook(p0, grads, lrs, 0.9, 0.0))


# ---------------------------------------------------------------- hints: short lines, nan and inf


def test_wrap_keeps_lines_short_and_words_whole():
    en = (
        "the learning rate went into the momentum buffer (the textbook v = μv − ηg): PyTorch's "
        "buffer holds no learning rate; the current lr multiplies it only in the update p ← p − lr·b"
    )
    wrapped = check.wrap(en)
    assert max(map(len, wrapped.splitlines())) <= check.HINT_WIDTH
    assert wrapped.replace("\n  ", " ") == en
    zh = "学习率被放进了动量缓冲区（教科书写法 v = μv − ηg）：PyTorch 的缓冲区里没有学习率，" * 3
    lines = check.wrap(zh).splitlines()
    assert len(lines) > 1 and max(map(len, lines)) <= check.HINT_WIDTH
    assert not any(line.strip()[0] in "，。；：、）" for line in lines)


def test_a_non_finite_answer_gets_its_own_hint():
    fails_with(
        check.ex2_sgd_momentum, lambda p0, grads, lrs, mu, tau: p0 * float("nan"), "nan or inf"
    )
