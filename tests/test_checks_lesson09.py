"""The checkers of lesson 09: a right answer passes; each anticipated mistake gets its own hint."""

import math

import pytest
from conftest import fails_with

from fmnist_core.checks import lesson09 as check

MAX_HINT_LINE = 87


def half_cos(u):
    return (1 + math.cos(math.pi * u)) / 2


def unfinished(*args):
    raise NotImplementedError()


# ---------------------------------------------------------------- exercise 1: PolynomialLR


def poly_right(t, lr0, total_iters, power):
    return lr0 * (1 - min(t, total_iters) / total_iters) ** power


def test_ex1_right_answer_passes(capsys):
    check.ex1_poly_lr(poly_right)
    out = capsys.readouterr().out
    assert "练习 1 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda t, lr0, T, p: lr0 * (1 - min(t, T - 1) / (T - 1)) ** p, "not total_iters − 1"),
        (lambda t, lr0, T, p: lr0 * (1 - t / T) ** p, "use min(t, total_iters)"),
        (lambda t, lr0, T, p: lr0 * (1 - min(t, T) / T), "power is missing"),
        (lambda t, lr0, T, p: lr0 * (1 - (min(t, T) / T) ** p), "not to t / T alone"),
        (lambda t, lr0, T, p: lr0 * (1 - min(t, T) / T) ** p / 2, "constant factor"),
    ],
)
def test_ex1_mistakes_are_named(wrong, hint):
    fails_with(check.ex1_poly_lr, wrong, hint)


def test_ex1_unfinished_raises():
    with pytest.raises(NotImplementedError):
        check.ex1_poly_lr(unfinished)


# ---------------------------------------------------------------- exercise 2: warm restarts


def restart_right(t, lr0, T_0, eta_min):
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * (t % T_0) / T_0)) / 2


def test_ex2_right_answer_passes(capsys):
    check.ex2_cosine_restart_lr(restart_right)
    out = capsys.readouterr().out
    assert "练习 2 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda t, lr0, T, em: em + (lr0 - em) * half_cos(t / T), "use t mod T_0"),
        (
            lambda t, lr0, T, em: em + (lr0 - em) * half_cos(2 * (t % T) / T),
            "not cos(2π T_cur / T_0)",
        ),
        (
            lambda t, lr0, T, em: em + (lr0 - em) * half_cos((t % (T + 1)) / T),
            "not t mod (T_0 + 1)",
        ),
        (lambda t, lr0, T, em: em + (lr0 - em) * half_cos((t % T) / (T - 1)), "not T_0 − 1"),
        (lambda t, lr0, T, em: lr0 * half_cos((t % T) / T), "eta_min is missing"),
        (
            lambda t, lr0, T, em: em + lr0 * half_cos((t % T) / T),
            "the amplitude is (lr0 − eta_min)",
        ),
    ],
)
def test_ex2_mistakes_are_named(wrong, hint):
    fails_with(check.ex2_cosine_restart_lr, wrong, hint)


def test_ex2_a_tensor_answer_is_fine():
    import torch

    def as_tensor(t, lr0, T_0, eta_min):
        return (
            eta_min + (lr0 - eta_min) * (1 + torch.cos(torch.tensor(math.pi * (t % T_0) / T_0))) / 2
        )

    check.ex2_cosine_restart_lr(as_tensor)


# ---------------------------------------------------------------- exercise 3: warm-up + linear decay


def warmup_linear_right(t, lr0, warmup, total, start_factor):
    if t < warmup:
        return lr0 * (start_factor + (1 - start_factor) * t / warmup)
    return lr0 * (1 - (t - warmup) / (total - warmup))


def test_ex3_right_answer_passes(capsys):
    check.ex3_warmup_linear_lr(warmup_linear_right)
    out = capsys.readouterr().out
    assert "练习 3 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


def _warm(t, lr0, W, sf):
    return lr0 * (sf + (1 - sf) * t / W)


def _decay(t, lr0, W, N):
    return lr0 * (1 - (t - W) / (N - W))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (
            lambda t, lr0, W, N, sf: lr0 * t / W if t < W else _decay(t, lr0, W, N),
            "does not start at 0",
        ),
        (
            lambda t, lr0, W, N, sf: (
                lr0 * (sf + (1 - sf) * t / (W - 1)) if t < W else _decay(t, lr0, W, N)
            ),
            "not warmup − 1",
        ),
        (
            lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0 * (1 - (t - W) / N),
            "wrong length",
        ),
        (
            lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0 * (1 - t / (N - W)),
            "use t − warmup, not t",
        ),
        (
            lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0 * (1 - t / N),
            "wrong clock and length",
        ),
        (lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0, "does not match"),
    ],
)
def test_ex3_mistakes_are_named(wrong, hint):
    fails_with(check.ex3_warmup_linear_lr, wrong, hint)


# ---------------------------------------------------------------- exercise 4: plateau, mode="max"


def plateau_max_right(metrics, lr, factor, patience, threshold, cooldown):
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


def test_ex4_right_answer_passes(capsys):
    check.ex4_plateau_max_lrs(plateau_max_right)
    out = capsys.readouterr().out
    assert "练习 4 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE


def plateau_variant(**kw):
    def answer(metrics, lr, factor, patience, threshold, cooldown):
        return check._plateau_rule(metrics, lr, factor, patience, threshold, cooldown, **kw)

    return answer


@pytest.mark.parametrize(
    "kw, hint",
    [
        (dict(better="rel_min"), "wrong direction"),
        (dict(better="sign_max"), "the threshold goes the wrong way"),
        (dict(better="inf_max"), "best starts at the wrong value"),
        (dict(early=True), "not when they reach it"),
        (dict(better="none_max"), "threshold is ignored"),
        (dict(better="abs_max"), "relative by default"),
        (dict(use_cooldown=False), "cooldown is ignored"),
        (dict(reset=False), "reset the count of epochs without improvement"),
    ],
)
def test_ex4_mistakes_are_named(kw, hint):
    fails_with(check.ex4_plateau_max_lrs, plateau_variant(**kw), hint)


def test_ex4_each_mistake_differs_from_pytorch_and_from_the_others():
    ref = tuple(v for case in check.EX4_CASES for v in check._plateau_torch(*case))
    assert tuple(
        v for case in check.EX4_CASES for v in check._plateau_rule(*case)
    ) == pytest.approx(ref)
    outs = {
        k: tuple(v for case in check.EX4_CASES for v in check._plateau_rule(*case, **kw))
        for k, kw in check.EX4_VARIANTS.items()
    }
    assert all(out != pytest.approx(ref) for out in outs.values())
    assert len(set(outs.values())) == len(outs)


def test_ex4_wrong_length_is_named():
    fails_with(
        check.ex4_plateau_max_lrs, lambda m, lr, f, p, th, c: [lr], "one lr per metric value"
    )


# ---------------------------------------------------------------- exercise 5: step count


def test_ex5_right_answer_passes(capsys):
    check.ex5_total_steps(lambda n, bs, epochs: epochs * math.ceil(n / bs))
    out = capsys.readouterr().out
    assert "练习 5 通过" in out and max(map(len, out.splitlines())) <= MAX_HINT_LINE
    check.ex5_total_steps(lambda n, bs, epochs: epochs * ((n + bs - 1) // bs))


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda n, bs, e: e * (n // bs), "the last, smaller batch is a step too"),
        (lambda n, bs, e: e * (n // bs + 1), "no extra batch"),
        (lambda n, bs, e: math.ceil(n / bs), "the epochs are missing"),
        (
            lambda n, bs, e: math.ceil(e * n / bs),
            "the last, smaller batch of every epoch is a step of its own",
        ),
        (lambda n, bs, e: e * n, "should be 9380, got 600000"),
    ],
)
def test_ex5_mistakes_are_named(wrong, hint):
    fails_with(check.ex5_total_steps, wrong, hint)


def test_ex5_not_an_integer():
    fails_with(check.ex5_total_steps, lambda n, bs, e: "9380", "return one integer")
