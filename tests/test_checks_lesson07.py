"""The checkers of lesson 07: a right answer passes; each anticipated mistake gets its own hint."""

import bisect
import math

import pytest

from fmnist_core.checks import CheckFailed
from fmnist_core.checks import lesson07 as check


def fails_with(checker, answer, *hints):
    with pytest.raises(CheckFailed) as info:
        checker(answer)
    for hint in hints:
        assert hint in str(info.value), str(info.value)
    return str(info.value)


def half_cos(u):
    return (1 + math.cos(math.pi * u)) / 2


def unfinished(*args):
    raise NotImplementedError()


# ---------------------------------------------------------------- exercise 1: MultiStepLR

def multistep_right(t, lr0, milestones, gamma):
    return lr0 * gamma ** bisect.bisect_right(sorted(milestones), t)


def test_ex1_right_answer_passes(capsys):
    check.ex1_multistep_lr(multistep_right)
    assert "练习 1 通过" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda t, lr0, ms, g: lr0 * g ** sum(m < t for m in ms), "drops one step late"),
    (lambda t, lr0, ms, g: lr0 * g ** sum(m <= t + 1 for m in ms), "drops one step early"),
    (lambda t, lr0, ms, g: lr0 * (g if any(m <= t for m in ms) else 1), "once per milestone"),
    (lambda t, lr0, ms, g: lr0 * g * sum(m <= t for m in ms) if any(m <= t for m in ms) else lr0,
     "power k, don't multiply"),
    (lambda t, lr0, ms, g: lr0, "does not match"),
])
def test_ex1_mistakes_are_named(wrong, hint):
    fails_with(check.ex1_multistep_lr, wrong, hint)


def test_ex1_unfinished_raises():
    with pytest.raises(NotImplementedError):
        check.ex1_multistep_lr(unfinished)


# ---------------------------------------------------------------- exercise 2: cosine

def cosine_right(t, lr0, T_max, eta_min):
    return eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2


def test_ex2_right_answer_passes(capsys):
    check.ex2_cosine_lr(cosine_right)
    assert "练习 2 通过" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (lambda t, lr0, T, em: em + (lr0 - em) * half_cos(2 * t / T), "not cos(2π t / T_max)"),
    (lambda t, lr0, T, em: em + (lr0 - em) * half_cos(t / (2 * T)), "not cos(π t / (2 T_max))"),
    (lambda t, lr0, T, em: em + (lr0 - em) * half_cos(t / (T - 1)), "not T_max − 1"),
    (lambda t, lr0, T, em: em + lr0 * half_cos(t / T), "the amplitude is (lr0 − eta_min)"),
    (lambda t, lr0, T, em: lr0 * half_cos(t / T), "eta_min is missing"),
    (lambda t, lr0, T, em: em + (lr0 - em) * (1 + math.cos(math.pi * t / T)), "the ½ is missing"),
])
def test_ex2_mistakes_are_named(wrong, hint):
    fails_with(check.ex2_cosine_lr, wrong, hint)


def test_ex2_a_tensor_answer_is_fine():
    import torch

    def as_tensor(t, lr0, T_max, eta_min):
        return eta_min + (lr0 - eta_min) * (1 + torch.cos(torch.tensor(math.pi * t / T_max))) / 2
    check.ex2_cosine_lr(as_tensor)


# ---------------------------------------------------------------- exercise 3: warm-up + cosine

def warmup_cosine_right(t, lr0, warmup, total, start_factor):
    if t < warmup:
        return lr0 * (start_factor + (1 - start_factor) * t / warmup)
    return lr0 * half_cos((t - warmup) / (total - warmup))


def test_ex3_right_answer_passes(capsys):
    check.ex3_warmup_cosine_lr(warmup_cosine_right)
    assert "练习 3 通过" in capsys.readouterr().out


def _warm(t, lr0, W, sf):
    return lr0 * (sf + (1 - sf) * t / W)


@pytest.mark.parametrize("wrong, hint", [
    (lambda t, lr0, W, N, sf: lr0 * t / W if t < W else lr0 * half_cos((t - W) / (N - W)),
     "does not start at 0"),
    (lambda t, lr0, W, N, sf: lr0 * (sf + (1 - sf) * min(t / (W - 1), 1)) if t < W
     else lr0 * half_cos((t - W) / (N - W)), "not warmup − 1"),
    (lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0 * half_cos((t - W) / N),
     "T_max = total − warmup, not total"),
    (lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0 * half_cos(t / (N - W)),
     "use t − warmup, not t"),
    (lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0 * half_cos(t / N),
     "wrong clock and period"),
    (lambda t, lr0, W, N, sf: _warm(t, lr0, W, sf) if t < W else lr0, "does not match"),
])
def test_ex3_mistakes_are_named(wrong, hint):
    fails_with(check.ex3_warmup_cosine_lr, wrong, hint)


# ---------------------------------------------------------------- exercise 4: plateau

def plateau_right(metrics, lr, factor, patience, threshold, cooldown):
    best, bad, cool, out = math.inf, 0, 0, []
    for m in metrics:
        if m < best * (1 - threshold):
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
    check.ex4_plateau_lrs(plateau_right)
    assert "练习 4 通过" in capsys.readouterr().out


def plateau_variant(**kw):
    def answer(metrics, lr, factor, patience, threshold, cooldown):
        return check._plateau_rule(metrics, lr, factor, patience, threshold, cooldown, **kw)
    return answer


@pytest.mark.parametrize("kw, hint", [
    (dict(early=True), "not when they reach it"),
    (dict(thr="none"), "threshold is ignored"),
    (dict(thr="abs"), "relative by default"),
    (dict(use_cooldown=False), "cooldown is ignored"),
    (dict(reset=False), "reset the bad-epoch count"),
])
def test_ex4_mistakes_are_named(kw, hint):
    fails_with(check.ex4_plateau_lrs, plateau_variant(**kw), hint)


def test_ex4_the_wrong_variants_differ_from_pytorch_and_each_other():
    # 每个错误写法在测试序列上都与正确答案不同，且彼此不同 / each anticipated mistake is caught, distinctly
    outs = {}
    for kw in ({}, dict(early=True), dict(thr="none"), dict(thr="abs"), dict(use_cooldown=False),
               dict(reset=False)):
        outs[str(kw)] = tuple(v for case in check.EX4_CASES for v in check._plateau_rule(*case, **kw))
    assert len(set(outs.values())) == len(outs)
    ref = tuple(v for case in check.EX4_CASES for v in check._plateau_torch(*case))
    assert ref == pytest.approx(outs["{}"])


def test_ex4_wrong_length_is_named():
    fails_with(check.ex4_plateau_lrs, lambda m, lr, f, p, th, c: [lr], "one lr per metric value")


# ---------------------------------------------------------------- exercise 5: step count

def test_ex5_right_answer_passes(capsys):
    check.ex5_total_steps(lambda n, bs, epochs: epochs * math.ceil(n / bs))
    assert "练习 5 通过" in capsys.readouterr().out
    check.ex5_total_steps(lambda n, bs, epochs: epochs * ((n + bs - 1) // bs))


@pytest.mark.parametrize("wrong, hint", [
    (lambda n, bs, e: e * (n // bs), "the last, smaller batch is a step too"),
    (lambda n, bs, e: e * (n // bs + 1), "no extra batch"),
    (lambda n, bs, e: math.ceil(n / bs), "the epochs are missing"),
    (lambda n, bs, e: e * n, "should be 9380, got 600000"),
])
def test_ex5_mistakes_are_named(wrong, hint):
    fails_with(check.ex5_total_steps, wrong, hint)


def test_ex5_not_an_integer():
    fails_with(check.ex5_total_steps, lambda n, bs, e: "9380", "return one integer")
