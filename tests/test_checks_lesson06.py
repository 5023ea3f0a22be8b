"""The checkers of lesson 06: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
import torch.nn.functional as F
from conftest import fails_with

from fmnist_core.checks import lesson06 as check

# Exercise 1: BCEWithLogitsLoss


def test_ex1_right_answers_pass(capsys):
    check.ex1_bce_with_logits(
        lambda x, y: (x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).mean()
    )
    check.ex1_bce_with_logits(lambda x, y: F.binary_cross_entropy_with_logits(x, y))
    assert capsys.readouterr().out.count("练习 1 通过") == 2


def test_ex1_unstable_log_sigmoid():
    def answer(x, y):
        p = torch.sigmoid(x)
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

    fails_with(check.ex1_bce_with_logits, answer, "log(sigmoid(x)) underflows")


def test_ex1_clamped_log_like_bceloss():
    fails_with(
        check.ex1_bce_with_logits,
        lambda x, y: F.binary_cross_entropy(torch.sigmoid(x), y),
        "wrong on large logits (numerically unstable)",
    )


def test_ex1_float64_log_sigmoid():
    # float64 delays the underflow but does not avoid it: the check uses |x| >= 1000
    def answer(x, y):
        p = torch.sigmoid(x.double())
        return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()

    fails_with(check.ex1_bce_with_logits, answer, "log(sigmoid(x)) underflows")


def test_ex1_float64_naive_softplus():
    def answer(x, y):
        x = x.double()
        return (torch.log1p(torch.exp(-x)) + (1 - y) * x).mean()

    fails_with(check.ex1_bce_with_logits, answer, "underflows")


def test_ex1_float64_stable_answer_passes(capsys):
    def answer(x, y):
        x = x.double()
        return (x.clamp(min=0) - x * y + torch.log1p(torch.exp(-x.abs()))).mean()

    check.ex1_bce_with_logits(answer)
    assert "练习 1 通过" in capsys.readouterr().out


def test_ex1_epsilon_inside_log():
    def answer(x, y):
        p = torch.sigmoid(x)
        return -(y * torch.log(p + 1e-7) + (1 - y) * torch.log(1 - p + 1e-7)).mean()

    fails_with(check.ex1_bce_with_logits, answer, "numerically unstable")


def test_ex1_sum():
    fails_with(
        check.ex1_bce_with_logits,
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum"),
        "(wrong reduction)",
    )


def test_ex1_divided_by_samples_only():
    fails_with(
        check.ex1_bce_with_logits,
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum") / x.shape[0],
        "divided by the number of samples only",
    )


def test_ex1_sign():
    fails_with(
        check.ex1_bce_with_logits,
        lambda x, y: -F.binary_cross_entropy_with_logits(x, y),
        "the sign is flipped",
    )


def test_ex1_missing_negative_term():
    fails_with(
        check.ex1_bce_with_logits,
        lambda x, y: (-y * torch.log(torch.sigmoid(x))).mean(),
        "the term (1 - y)·log(1 - σ(x)) is missing",
    )


# Exercise 2: cross-entropy


def stable_ce(x, y):
    shifted = x - x.max(dim=1, keepdim=True).values
    log_probs = shifted - shifted.exp().sum(dim=1, keepdim=True).log()
    return -log_probs[torch.arange(len(y)), y].mean()


def test_ex2_right_answer_passes(capsys):
    check.ex2_cross_entropy(stable_ce)
    assert "练习 2 通过" in capsys.readouterr().out


def test_ex2_overflow():
    def answer(x, y):
        probs = x.exp() / x.exp().sum(dim=1, keepdim=True)
        return -probs[torch.arange(len(y)), y].log().mean()

    fails_with(check.ex2_cross_entropy, answer, "exp overflows")


def test_ex2_overflow_in_float64():
    # no max subtraction, in float64: right for logits in the hundreds, wrong at |x| >= 1000
    def answer(x, y):
        x = x.double()
        log_probs = x - x.exp().sum(dim=1, keepdim=True).log()
        return -log_probs[torch.arange(len(y)), y].mean()

    fails_with(check.ex2_cross_entropy, answer, "exp overflows")


def test_ex2_softmax_first():
    fails_with(
        check.ex2_cross_entropy, lambda x, y: stable_ce(x.softmax(dim=1), y), "a softmax first"
    )


def test_ex2_sum():
    fails_with(check.ex2_cross_entropy, lambda x, y: stable_ce(x, y) * len(y), "(wrong reduction)")


def test_ex2_divided_by_n_times_c():
    fails_with(
        check.ex2_cross_entropy, lambda x, y: stable_ce(x, y) / x.shape[1], "you divided by N × C"
    )


def test_ex2_sign():
    fails_with(check.ex2_cross_entropy, lambda x, y: -stable_ce(x, y), "the sign is flipped")


def test_ex2_missing_logsumexp():
    fails_with(
        check.ex2_cross_entropy,
        lambda x, y: -x[torch.arange(len(y)), y].mean(),
        "the log-sum-exp term is missing",
    )


# Exercise 3: the gradient of cross-entropy


def test_ex3_right_answer_passes(capsys):
    check.ex3_ce_grad(lambda x, y: (x.softmax(dim=1) - F.one_hot(y, x.shape[1])) / len(y))
    assert "练习 3 通过" in capsys.readouterr().out


def test_ex3_missing_mean():
    fails_with(
        check.ex3_ce_grad, lambda x, y: x.softmax(dim=1) - F.one_hot(y, x.shape[1]), "a missing 1/N"
    )


def test_ex3_sign():
    fails_with(
        check.ex3_ce_grad,
        lambda x, y: (F.one_hot(y, x.shape[1]) - x.softmax(dim=1)) / len(y),
        "the sign is flipped",
    )


def test_ex3_forgot_onehot():
    fails_with(
        check.ex3_ce_grad, lambda x, y: x.softmax(dim=1) / len(y), "forgot to subtract the one-hot"
    )


def test_ex3_divided_by_n_times_c():
    fails_with(
        check.ex3_ce_grad,
        lambda x, y: (x.softmax(dim=1) - F.one_hot(y, x.shape[1])) / x.numel(),
        "you divided by N × C",
    )


# Exercise 4: weighted cross-entropy


def test_ex4_right_answer_passes(capsys):
    def answer(x, y, w):
        nll = -x.log_softmax(dim=1)[torch.arange(len(y)), y]
        return (w[y] * nll).sum() / w[y].sum()

    check.ex4_weighted_ce(answer)
    assert "练习 4 通过" in capsys.readouterr().out


def test_ex4_divided_by_n():
    def answer(x, y, w):
        return (w[y] * F.cross_entropy(x, y, reduction="none")).mean()

    fails_with(check.ex4_weighted_ce, answer, "divide by Σ weight[y]")


def test_ex4_weight_ignored():
    fails_with(check.ex4_weighted_ce, lambda x, y, w: F.cross_entropy(x, y), "weight is not used")


def test_ex4_sum():
    fails_with(
        check.ex4_weighted_ce,
        lambda x, y, w: F.cross_entropy(x, y, weight=w, reduction="sum"),
        "you returned the sum",
    )


def test_ex4_all_class_weights():
    def answer(x, y, w):
        return (w[y] * F.cross_entropy(x, y, reduction="none")).sum() / w.sum()

    fails_with(check.ex4_weighted_ce, answer, "the denominator is the sum over all classes")


# Exercise 5: label smoothing


def test_ex5_right_answer_passes(capsys):
    check.ex5_smooth_targets(lambda y, c, eps: (1 - eps) * F.one_hot(y, c).float() + eps / c)
    assert "练习 5 通过" in capsys.readouterr().out


def test_ex5_spread_over_other_classes():
    def answer(y, c, eps):
        onehot = F.one_hot(y, c).float()
        return onehot * (1 - eps) + (1 - onehot) * eps / (c - 1)

    fails_with(check.ex5_smooth_targets, answer, "you spread eps over the other C - 1 classes")


def test_ex5_right_class_without_share():
    def answer(y, c, eps):
        onehot = F.one_hot(y, c).float()
        return onehot * (1 - eps) + (1 - onehot) * eps / c

    fails_with(check.ex5_smooth_targets, answer, "the right class lacks its eps/C")


def test_ex5_eps_not_divided():
    fails_with(
        check.ex5_smooth_targets,
        lambda y, c, eps: F.one_hot(y, c).float() * (1 - eps) + eps,
        "each other class gets eps/C, not eps",
    )


def test_pass_lines_fit_in_100_characters(capsys):
    check.ex1_bce_with_logits(lambda x, y: F.binary_cross_entropy_with_logits(x, y))
    check.ex2_cross_entropy(stable_ce)
    check.ex3_ce_grad(lambda x, y: (x.softmax(dim=1) - F.one_hot(y, x.shape[1])) / len(y))
    check.ex4_weighted_ce(lambda x, y, w: F.cross_entropy(x, y, weight=w))
    check.ex5_smooth_targets(lambda y, c, eps: (1 - eps) * F.one_hot(y, c).float() + eps / c)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and max(len(line) for line in lines) <= 100, lines


def test_unfinished_exercise_raises_not_implemented():
    def unfinished(*args, **kwargs):
        raise NotImplementedError()

    for checker in (
        check.ex1_bce_with_logits,
        check.ex2_cross_entropy,
        check.ex3_ce_grad,
        check.ex4_weighted_ce,
        check.ex5_smooth_targets,
    ):
        with pytest.raises(NotImplementedError):
            checker(unfinished)
