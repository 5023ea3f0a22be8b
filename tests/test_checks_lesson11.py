"""The checkers of lesson 11: right answers pass (the anticipated mistakes are tested from the
checkers' own table by test_checks_mistakes.py); the cases a table cannot express are here."""

import pytest
import torch
import torch.nn.functional as F
from conftest import fails_with
from torch import nn

from fmnist_core.checks import lesson11 as check

# ---------------------------------------------------------------- exercise 1


def ranking_scratch(x1, x2, y, margin=0.0, reduction="mean"):
    loss = (-y * (x1 - x2) + margin).clamp_min(0)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.sum() / loss.numel()


def ranking_torch(x1, x2, y, margin=0.0, reduction="mean"):
    return nn.MarginRankingLoss(margin=margin, reduction=reduction)(x1, x2, y)


def test_ex1_right_answers_pass(capsys):
    check.ex1_margin_ranking(ranking_scratch)
    check.ex1_margin_ranking(ranking_torch)
    assert capsys.readouterr().out.count("练习 1 通过") == 2


def test_ex1_wrong_defaults():
    def answer(x1, x2, y, margin=0.0, reduction="sum"):
        return ranking_scratch(x1, x2, y, margin, reduction)

    fails_with(check.ex1_margin_ranking, answer, "the defaults should be margin=0.0")


# ---------------------------------------------------------------- exercise 2


def triplet_scratch(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    def d(u, v):
        return ((u - v + eps).abs() ** p).sum(-1) ** (1 / p)

    d_neg = d(a, neg)
    if swap:
        d_neg = torch.minimum(d_neg, d(pos, neg))
    loss = (d(a, pos) - d_neg + margin).clamp_min(0)
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def triplet_norm(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
    def d(u, v):
        return torch.linalg.vector_norm(u - v + eps, ord=p, dim=-1)

    d_neg = torch.minimum(d(a, neg), d(pos, neg)) if swap else d(a, neg)
    loss = F.relu(d(a, pos) - d_neg + margin)
    return {"none": loss, "sum": loss.sum()}.get(reduction, loss.mean())


def test_ex2_right_answers_pass(capsys):
    check.ex2_triplet(triplet_scratch)
    check.ex2_triplet(triplet_norm)
    check.ex2_triplet(lambda a, pos, neg, **kw: nn.TripletMarginLoss(**kw)(a, pos, neg))
    assert capsys.readouterr().out.count("练习 2 通过") == 3


def test_ex2_eps_added_to_the_distance_gets_the_eps_hint():
    # 另一种 eps 错误（加在距离上）与表中“忽略 eps”的错误数值相同 / the same values as "eps ignored"
    def answer(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean"):
        return triplet_scratch(a, pos, neg, margin, p, 0.0, swap, reduction) + 0 * eps

    fails_with(check.ex2_triplet, answer, "PyTorch adds it to every component of the difference")


# ---------------------------------------------------------------- exercise 3


def multi_margin_scratch(x, y, p=1, margin=1.0, weight=None):
    n, c = x.shape
    terms = (margin - x.gather(1, y[:, None]) + x).clamp_min(0) ** p
    if weight is not None:
        terms = terms * weight[y][:, None]
    terms = terms.scatter(1, y[:, None], 0.0)
    return (terms.sum(1) / c).mean()


def multi_margin_loop(x, y, p=1, margin=1.0, weight=None):
    total = 0.0
    for i in range(len(y)):
        t = int(y[i])
        for j in range(x.shape[1]):
            if j != t:
                h = max(0.0, margin - float(x[i, t]) + float(x[i, j])) ** p
                total += h * (1.0 if weight is None else float(weight[t]))
    return torch.tensor(total / x.shape[1] / len(y))


def test_ex3_right_answers_pass(capsys):
    check.ex3_multi_margin(multi_margin_scratch)
    check.ex3_multi_margin(multi_margin_loop)
    check.ex3_multi_margin(lambda x, y, **kw: nn.MultiMarginLoss(**kw)(x, y))
    assert capsys.readouterr().out.count("练习 3 通过") == 3


# ---------------------------------------------------------------- all


def test_the_wrong_variants_default_to_the_right_answers():
    # 表里的错误答案由同一个函数生成；不带错误开关时它必须就是正确答案
    # the table's wrong answers come from one generator; without a switch it is the right one
    x1, x2, y = check._ranking_inputs()
    for margin in (0.0, 0.5):
        for reduction in check.REDUCTIONS:
            kw = {"margin": margin, "reduction": reduction}
            got = check._ranking(x1, x2, y, **kw)
            torch.testing.assert_close(got, F.margin_ranking_loss(x1, x2, y, **kw))
    a, pos, neg = check._triplet_inputs()
    for kw in check.TRIPLET_CASES:
        torch.testing.assert_close(
            check._triplet(a, pos, neg, **kw), F.triplet_margin_loss(a, pos, neg, **kw)
        )
    x, y, w = check._multi_margin_inputs()
    for kw in ({}, {"p": 2, "margin": 0.7, "weight": w}):
        torch.testing.assert_close(check._multi_margin(x, y, **kw), F.multi_margin_loss(x, y, **kw))


def test_pass_lines_fit_in_100_characters(capsys):
    check.ex1_margin_ranking(ranking_scratch)
    check.ex2_triplet(triplet_scratch)
    check.ex3_multi_margin(multi_margin_scratch)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and max(len(line) for line in lines) <= 100, lines


def test_unfinished_exercise_raises_not_implemented():
    def unfinished(*args, **kwargs):
        raise NotImplementedError()

    for checker in (check.ex1_margin_ranking, check.ex2_triplet, check.ex3_multi_margin):
        with pytest.raises(NotImplementedError):
            checker(unfinished)
