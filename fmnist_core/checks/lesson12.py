"""Checks for the exercises of lesson 12 (losses for multi-label, counts, uncertainty and sequences).

Each checker calls the learner's loss on seeded inputs, for every option and reduction, and
compares it with ``torch.nn``. Each exercise's anticipated mistakes are data, in ``MISTAKES``: a
wrong answer a learner might write, with its hint in Chinese and English. The checker runs the
wrong answers on its own inputs and, when the learner's answer gives what one of them gives,
shows that one's hint.
"""

import math

import torch
import torch.nn.functional as F

from . import (
    LOSS_FACTOR_HINT,
    CheckFailed,
    Mistake,
    check_close,
    passed,
    wrap_checkers,
    wrong_values,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker
REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


def _options(kwargs):
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if k != "weight") + (
        ", weight" if kwargs.get("weight") is not None else ""
    )


# ---------------------------------------------------------------- exercise 1: MultiLabelSoftMargin


def _ml_inputs():
    g = torch.Generator().manual_seed(12)
    x = 3 * torch.randn(6, 5, generator=g)
    y = (torch.rand(6, 5, generator=g) < 0.4).float()
    x[0, 0], y[0, 0], x[1, 1], y[1, 1] = 120.0, 0.0, -120.0, 1.0  # very wrong, extreme logits
    return x, y, torch.tensor([1.0, 2.0, 0.5, 1.5, 3.0])


def _soft_margin(*, naive=False, negative=True, per_class=torch.mean, weighted="times", none=None):
    """A MultiLabelSoftMarginLoss that the keyword arguments make wrong in one way."""

    def my_multilabel_soft_margin(x, y, weight=None, reduction="mean"):
        if naive:
            log_p, log_q = torch.log(torch.sigmoid(x)), torch.log(1 - torch.sigmoid(x))
        else:
            log_p, log_q = F.logsigmoid(x), F.logsigmoid(-x)
        loss = -(y * log_p + (1 - y) * log_q) if negative else -(y * log_p)
        if weight is not None and weighted != "ignored":
            loss = loss * weight
        if weight is not None and weighted == "normalized":
            per_sample = loss.sum(dim=-1) / weight.sum()
        else:
            per_sample = per_class(loss, dim=-1)
        if reduction == "none" and none is not None:
            return none(loss)
        return _reduce(per_sample, reduction)

    return my_multilabel_soft_margin


MISTAKES["ex1_multilabel_soft_margin"] = [
    # 第一条：只有默认值错时才会走到它 / first: reached only when just the default is wrong
    Mistake(
        lambda x, y, weight=None, reduction="sum": _soft_margin()(x, y, weight, reduction),
        "默认的 reduction 应该是 'mean'",
        "the default reduction should be 'mean'",
    ),
    Mistake(
        _soft_margin(naive=True),
        "log(sigmoid(x)) 在 |x| 很大时变成 -inf：用 F.logsigmoid，或 "
        "log σ(x) = min(x, 0) - log(1 + exp(-|x|))，log(1 - σ(x)) = log σ(-x)",
        "log(sigmoid(x)) becomes -inf for large |x|: use F.logsigmoid, or "
        "log σ(x) = min(x, 0) - log(1 + exp(-|x|)), and log(1 - σ(x)) = log σ(-x)",
    ),
    Mistake(
        _soft_margin(negative=False),
        "少了 y = 0 的那一项：每个类别是 -[y log σ(x) + (1 - y) log σ(-x)]",
        "the y = 0 term is missing: each class is -[y log σ(x) + (1 - y) log σ(-x)]",
    ),
    Mistake(
        _soft_margin(per_class=torch.sum),
        "每个样本的损失是 C 个类别的平均，不是总和：除以 C",
        "each sample's loss is the mean over its C classes, not the sum: divide by C",
    ),
    Mistake(
        _soft_margin(none=lambda loss: loss),
        "reduction='none' 要返回每个样本一个数，形状 (N,)：先对 C 个类别求平均",
        "reduction='none' returns one number per sample, shape (N,): first take the mean "
        "over the C classes",
    ),
    Mistake(
        _soft_margin(weighted="ignored"),
        "没有用 weight：每个类别的损失要乘以 weight[c]",
        "weight is not used: multiply each class's loss by weight[c]",
    ),
    Mistake(
        _soft_margin(weighted="normalized"),
        "weight 不归一化：乘上权重后仍除以 C，而不是除以权重之和",
        "weight is not normalized: after weighting, still divide by C, not by the sum of "
        "the weights",
    ),
]


def ex1_multilabel_soft_margin(my_multilabel_soft_margin):
    """``my_multilabel_soft_margin(x, y, weight=None, reduction="mean")`` must equal
    ``nn.MultiLabelSoftMarginLoss(weight=weight, reduction=reduction)``."""
    x, y, weight = _ml_inputs()
    cases = [{"weight": w, "reduction": r} for w in (None, weight) for r in REDUCTIONS] + [{}]
    for kw in cases:
        check_close(
            my_multilabel_soft_margin(x.clone(), y.clone(), **kw),
            F.multilabel_soft_margin_loss(x, y, **kw),
            name=f"my_multilabel_soft_margin({_options(kw)})",
            mistakes=wrong_values(MISTAKES["ex1_multilabel_soft_margin"], x, y, **kw),
            factor_hint=LOSS_FACTOR_HINT,
        )
    passed(
        "练习 1 通过：与 nn.MultiLabelSoftMarginLoss 一致",
        "Exercise 1 passed: matches nn.MultiLabelSoftMarginLoss",
    )


# ---------------------------------------------------------------- exercise 2: PoissonNLL


def _poisson_inputs():
    g = torch.Generator().manual_seed(13)
    rate = 1.2 + 4 * torch.rand(8, 3, generator=g)  # log λ > 0 too
    target = torch.poisson(rate, generator=g)
    target[0] = torch.tensor([0.0, 1.0, 2.5])  # 0, 1 and a non-integer
    target[1, 0] = 3.0
    return rate, target


def _stirling(target):
    return target * torch.log(target) - target + 0.5 * torch.log(2 * math.pi * target)


def _poisson(*, swap=False, eps_everywhere=False, no_eps=False, term=None):
    """A PoissonNLLLoss that the keyword arguments make wrong in one way; ``term(target)`` is
    what a wrong ``full=True`` adds."""

    def my_poisson_nll(x, target, log_input=True, full=False, eps=1e-8, reduction="mean"):
        if log_input != swap:
            loss = torch.exp(x) - target * x
            if eps_everywhere:
                loss = torch.exp(x) - target * torch.log(torch.exp(x) + eps)
        else:
            loss = x - target * torch.log(x if no_eps else x + eps)
        if full:
            stirling = torch.where(target > 1, _stirling(target), 0.0)
            loss = loss + (stirling if term is None else term(target))
        return _reduce(loss, reduction)

    return my_poisson_nll


STIRLING_EVERYWHERE = (
    "斯特林项只加在 y > 1 处（y = 0 和 1 时 log y! = 0）：y = 0 时 y·log(y) 是 nan，"
    "用 torch.where(target > 1, 斯特林项, 0)",
    "the Stirling term is added only where y > 1 (log y! = 0 for y = 0 and 1): at y = 0, "
    "y·log(y) is nan; use torch.where(target > 1, stirling, 0)",
)
MISTAKES["ex2_poisson_nll"] = [
    Mistake(
        lambda x, target, log_input=True, full=False, eps=1e-8, reduction="sum": _poisson()(
            x, target, log_input, full, eps, reduction
        ),
        "默认的 reduction 应该是 'mean'",
        "the default reduction should be 'mean'",
    ),
    Mistake(
        _poisson(swap=True),
        "log_input 反了：log_input=True 时输入是 log λ，损失是 exp(x) - y·x；"
        "log_input=False 时输入是 λ，损失是 x - y·log(x + eps)",
        "log_input is the wrong way round: with log_input=True the input is log λ and the "
        "loss exp(x) - y·x; with log_input=False the input is λ and the loss x - y·log(x + eps)",
    ),
    Mistake(
        _poisson(eps_everywhere=True),
        "log_input=True 时不用 eps：损失就是 exp(x) - y·x",
        "with log_input=True there is no eps: the loss is exactly exp(x) - y·x",
    ),
    Mistake(
        _poisson(no_eps=True),
        "log_input=False 时要在对数里加 eps：x - y·log(x + eps)，否则 λ = 0 时是 -inf",
        "with log_input=False add eps inside the log: x - y·log(x + eps), or λ = 0 gives -inf",
    ),
    Mistake(
        _poisson(term=lambda t: 0.0),
        "full=True 时要加上 log(y!) 的斯特林近似（只在 y > 1 处）",
        "with full=True add Stirling's approximation of log(y!) (only where y > 1)",
    ),
    Mistake(
        _poisson(term=lambda t: torch.lgamma(t + 1)),
        "这是精确的 log(y!)：PyTorch 用的是斯特林近似 y·log(y) - y + 0.5·log(2πy)，只加在 y > 1 处",
        "this is the exact log(y!): PyTorch uses Stirling's approximation "
        "y·log(y) - y + 0.5·log(2πy), only where y > 1",
    ),
    Mistake(
        _poisson(term=lambda t: torch.where(t >= 1, _stirling(t), 0.0)),
        "y = 1 时不加斯特林项：条件是 y > 1，不是 y >= 1",
        "no Stirling term at y = 1: the condition is y > 1, not y >= 1",
    ),
    Mistake(_poisson(term=_stirling), *STIRLING_EVERYWHERE),
]


def ex2_poisson_nll(my_poisson_nll):
    """``my_poisson_nll(x, target, log_input=True, full=False, eps=1e-8, reduction="mean")``
    must equal ``nn.PoissonNLLLoss(log_input, full, eps=eps, reduction=reduction)``."""
    rate, target = _poisson_inputs()
    cases = [
        {"log_input": log_input, "full": full, "reduction": r}
        for log_input in (True, False)
        for full in (False, True)
        for r in REDUCTIONS
    ]
    cases += [{"log_input": False, "eps": 0.5}, {"log_input": True, "eps": 0.5}, {}]
    for kw in cases:
        x = rate.log() if kw.get("log_input", True) else rate.clone()
        if not kw.get("log_input", True):
            x[1, 0] = 0.0  # λ = 0 where y = 3: eps keeps log(0) away
        check_close(
            my_poisson_nll(x.clone(), target.clone(), **kw),
            F.poisson_nll_loss(x, target, **kw),
            name=f"my_poisson_nll({_options(kw)})",
            mistakes=wrong_values(MISTAKES["ex2_poisson_nll"], x, target, **kw),
            factor_hint=LOSS_FACTOR_HINT,
            nonfinite_hint=STIRLING_EVERYWHERE if kw.get("full") else None,
        )
    passed("练习 2 通过：与 nn.PoissonNLLLoss 一致", "Exercise 2 passed: matches nn.PoissonNLLLoss")


# ---------------------------------------------------------------- exercise 3: GaussianNLL


def _gaussian_inputs():
    g = torch.Generator().manual_seed(14)
    mu, target = torch.randn(6, 4, generator=g), torch.randn(6, 4, generator=g)
    var = 0.2 + torch.rand(6, 4, generator=g)
    var[0, 0] = 1e-9  # below eps
    var_short = 0.2 + torch.rand(6, generator=g)  # one per sample
    return mu, target, var, var_short


def _gaussian(*, half=0.5, constant=0.5, clamp=True, std=False, unsqueeze=True):
    """A GaussianNLLLoss that the keyword arguments make wrong in one way."""

    def my_gaussian_nll(mu, target, var, full=False, eps=1e-6, reduction="mean"):
        if isinstance(var, float):
            var = torch.full_like(mu, var)
        elif unsqueeze and var.shape == mu.shape[:-1]:
            var = var.unsqueeze(-1)
        if clamp:
            var = var.clamp(min=eps)
        if std:  # var used as a standard deviation σ
            loss = torch.log(var) + (mu - target) ** 2 / (2 * var**2)
        else:
            loss = half * (torch.log(var) + (mu - target) ** 2 / var)
        if full:
            loss = loss + constant * math.log(2 * math.pi)
        return _reduce(loss, reduction)

    return my_gaussian_nll


UNSQUEEZE = (
    "var 的形状是 (N,)、输入是 (N, D) 时，先 var.unsqueeze(-1) 变成 (N, 1)：每个样本一个方差",
    "for var of shape (N,) and an input (N, D), first var.unsqueeze(-1) to (N, 1): one "
    "variance per sample",
)
MISTAKES["ex3_gaussian_nll"] = [
    Mistake(
        lambda mu, target, var, full=False, eps=1e-6, reduction="sum": _gaussian()(
            mu, target, var, full, eps, reduction
        ),
        "默认的 reduction 应该是 'mean'",
        "the default reduction should be 'mean'",
    ),
    Mistake(
        _gaussian(half=1.0),
        "少了 1/2：ℓ = 0.5·(log σ² + (μ - y)²/σ²)",
        "the 1/2 is missing: ℓ = 0.5·(log σ² + (μ - y)²/σ²)",
    ),
    Mistake(
        _gaussian(constant=1.0),
        "full=True 时加的是 0.5·log(2π)，不是 log(2π)",
        "full=True adds 0.5·log(2π), not log(2π)",
    ),
    Mistake(
        _gaussian(constant=0.0),
        "full=True 时要加上常数 0.5·log(2π)",
        "with full=True add the constant 0.5·log(2π)",
    ),
    Mistake(
        _gaussian(clamp=False),
        "方差要先截断到不小于 eps：var.clamp(min=eps)",
        "clamp the variance to at least eps first: var.clamp(min=eps)",
    ),
    Mistake(
        _gaussian(std=True),
        "var 是方差 σ²，不是标准差 σ：ℓ = 0.5·(log var + (μ - y)²/var)",
        "var is the variance σ², not the standard deviation σ: ℓ = 0.5·(log var + (μ - y)²/var)",
    ),
    Mistake(_gaussian(unsqueeze=False), *UNSQUEEZE),
]


def ex3_gaussian_nll(my_gaussian_nll):
    """``my_gaussian_nll(mu, target, var, full=False, eps=1e-6, reduction="mean")`` must equal
    ``nn.GaussianNLLLoss(full=full, eps=eps, reduction=reduction)(mu, target, var)``."""
    mu, target, var, var_short = _gaussian_inputs()
    cases = [
        (v, {"full": full, "reduction": r})
        for v in (var, var_short, 0.7)
        for full in (False, True)
        for r in REDUCTIONS
    ]
    cases += [(var, {"eps": 0.1}), (var_short, {"eps": 0.3, "full": True}), (var, {})]
    for v, kw in cases:
        given = v.clone() if isinstance(v, torch.Tensor) else v
        shape = tuple(v.shape) if isinstance(v, torch.Tensor) else "float"
        try:
            got = my_gaussian_nll(mu.clone(), target.clone(), given, **kw)
        except RuntimeError as e:
            if shape == (6,) and "must match the size" in str(e):
                raise CheckFailed(*UNSQUEEZE) from None
            raise
        check_close(
            got,
            F.gaussian_nll_loss(mu, target, v, **kw),
            name=f"my_gaussian_nll(var {shape}, {_options(kw)})",
            mistakes=wrong_values(MISTAKES["ex3_gaussian_nll"], mu, target, v, **kw),
            factor_hint=LOSS_FACTOR_HINT,
        )
    passed(
        "练习 3 通过：与 nn.GaussianNLLLoss 一致", "Exercise 3 passed: matches nn.GaussianNLLLoss"
    )


wrap_checkers(globals())
