"""Checks for the exercises of lesson 06 (classification losses).

As in lesson 05, with the anticipated mistakes in ``MISTAKES``. Numerical stability is tested on
logits of size 1000 and more, where ``exp`` overflows even in ``float64``: only an answer that
is stable by construction passes.
"""

from functools import partial

import torch
import torch.nn.functional as F

from . import (
    LOSS_FACTOR_HINT,
    Mistake,
    check_answer,
    check_close,
    expect,
    fail,
    passed,
    wrap_checkers,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker
_check = partial(check_answer, factor_hint=LOSS_FACTOR_HINT)


def _same(got, expected):
    return (
        isinstance(got, torch.Tensor)
        and got.shape == expected.shape
        and torch.allclose(got.detach().double(), expected.double(), rtol=1e-4, atol=1e-6)
    )


def _logits(seed, n, c, classes):
    """Logits (n, c) and targets: class indices below ``classes``, as floats when (n, c)."""
    g = torch.Generator().manual_seed(seed)
    x = 3 * torch.randn(n, c, generator=g)
    if classes == 2:
        return x, torch.randint(0, 2, (n, c), generator=g).float()
    return x, torch.randint(0, classes, (n,), generator=g)


# ---------------------------------------------------------------- exercise 1: BCEWithLogitsLoss


def _naive_bce(dtype=torch.float32, eps=0.0):
    def my_bce(x, y):
        p = torch.sigmoid(x.to(dtype))
        return -(y * torch.log(p + eps) + (1 - y) * torch.log(1 - p + eps)).mean()

    return my_bce


def _naive_softplus_float64(x, y):
    x = x.double()
    return (torch.log1p(torch.exp(-x)) + (1 - y) * x).mean()


STABLE_BCE = "max(x, 0) - x·y + log1p(exp(-|x|))"
UNDERFLOW = (
    f"log(sigmoid(x)) 在很大的 logits 上下溢成 inf/nan：改用 {STABLE_BCE}",
    f"log(sigmoid(x)) underflows to inf/nan: use {STABLE_BCE}",
)
UNSTABLE = (
    f"普通输入上对，很大的 logits 上错（数值不稳定）：用 {STABLE_BCE}",
    f"wrong on large logits (numerically unstable): use {STABLE_BCE}",
)
MISTAKES["ex1_bce_with_logits"] = [
    Mistake(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum"),
        "返回了总和：默认 reduction='mean'，要除以元素个数 N（错误的 reduction）",
        "you returned the sum: 'mean' divides by the number of elements (wrong reduction)",
    ),
    Mistake(
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="sum") / x.shape[0],
        "只除以了样本数：'mean' 要除以所有元素的个数 N × C",
        "you divided by the number of samples only: 'mean' divides by all N × C elements",
    ),
    Mistake(
        lambda x, y: -F.binary_cross_entropy_with_logits(x, y),
        "符号反了：损失是 -[y·log σ(x) + (1 - y)·log(1 - σ(x))]",
        "the sign is flipped: the loss is -[y·log σ(x) + (1 - y)·log(1 - σ(x))]",
    ),
    Mistake(
        lambda x, y: (-y * torch.log(torch.sigmoid(x))).mean(),
        "少了 (1 - y)·log(1 - σ(x)) 那一项：负样本也要算损失",
        "the term (1 - y)·log(1 - σ(x)) is missing: the negatives have a loss too",
    ),
    # 普通输入上都对，只在很大的 logits 上错 / right on ordinary inputs, wrong on large logits
    Mistake(_naive_bce(), *UNDERFLOW),
    Mistake(_naive_bce(torch.float64), *UNDERFLOW),  # float64 only delays the underflow
    Mistake(_naive_softplus_float64, *UNDERFLOW),
    Mistake(lambda x, y: F.binary_cross_entropy(torch.sigmoid(x), y), *UNSTABLE),
    Mistake(_naive_bce(eps=1e-7), *UNSTABLE),
]


def ex1_bce_with_logits(my_bce):
    """``my_bce(x, y)``: ``nn.BCEWithLogitsLoss()`` (mean), stable on large logits."""
    x, y = _logits(0, 6, 4, classes=2)
    expected = F.binary_cross_entropy_with_logits(x, y)
    _check(my_bce, (x, y), expected, MISTAKES["ex1_bce_with_logits"], name="my_bce")
    # the same answer on large logits: a log of a sigmoid breaks here, even in float64
    x_big = torch.tensor([[-1000.0, -120.0, -40.0, 0.0, 20.0, 40.0, 120.0, 1500.0]])
    y_big = torch.tensor([[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    got = my_bce(x_big.clone(), y_big.clone())
    if not _same(got, F.binary_cross_entropy_with_logits(x_big, y_big)):
        expect(isinstance(got, torch.Tensor) and torch.isfinite(got.detach()).all(), *UNDERFLOW)
        fail(*UNSTABLE)
    passed(
        "练习 1 通过：my_bce 正确且数值稳定",
        "Exercise 1 passed: my_bce matches, stable on large logits",
    )


# ---------------------------------------------------------------- exercise 2: cross-entropy


def _ce_exp_probs(x, y):
    probs = x.exp() / x.exp().sum(dim=1, keepdim=True)
    return -probs[torch.arange(len(y)), y].log().mean()


def _ce_no_max_float64(x, y):  # right for logits in the hundreds, wrong at |x| >= 1000
    x = x.double()
    return -(x - x.exp().sum(dim=1, keepdim=True).log())[torch.arange(len(y)), y].mean()


OVERFLOW = (
    "很大的 logits 上 exp 上溢了（得到 inf、nan 或错的值）：先减去每行的最大值（log-sum-exp 技巧）",
    "exp overflows on large logits (inf, nan or wrong): subtract each row's max first",
)
MISTAKES["ex2_cross_entropy"] = [
    Mistake(
        lambda x, y: F.cross_entropy(x, y, reduction="sum"),
        "返回了总和：'mean' 要除以样本数 N（错误的 reduction）",
        "you returned the sum: 'mean' divides by the number of samples N (wrong reduction)",
    ),
    Mistake(
        lambda x, y: F.cross_entropy(x, y) / x.shape[1],
        "除以了 N × C：交叉熵的 'mean' 只除以样本数 N",
        "you divided by N × C: the 'mean' of cross-entropy divides by the N samples only",
    ),
    Mistake(
        lambda x, y: F.cross_entropy(x.softmax(dim=1), y),
        "先做了 softmax：交叉熵的输入是 logits，内部已经有 log_softmax",
        "a softmax first: cross-entropy takes logits, it has a log_softmax inside",
    ),
    Mistake(
        lambda x, y: -F.cross_entropy(x, y),
        "符号反了：损失是 -log softmax(x)[y]",
        "the sign is flipped: the loss is -log softmax(x)[y]",
    ),
    Mistake(
        lambda x, y: -x[torch.arange(len(y)), y].mean(),
        "少了 log-sum-exp 那一项：-x[y] 之外还要加 log Σ exp(x)",
        "the log-sum-exp term is missing: add log Σ exp(x) to -x[y]",
    ),
    Mistake(_ce_exp_probs, *OVERFLOW),
    Mistake(_ce_no_max_float64, *OVERFLOW),
]


def ex2_cross_entropy(my_ce):
    """``my_ce(logits, target)``: ``nn.CrossEntropyLoss()`` (mean, class indices), stable."""
    x, y = _logits(0, 8, 5, classes=5)
    _check(my_ce, (x, y), F.cross_entropy(x, y), MISTAKES["ex2_cross_entropy"], name="my_ce")
    # every |logit| >= 1000: exp overflows (or underflows to 0) even in float64
    x_big = torch.sign(x) * (1000 + 100 * x.abs())
    expect(_same(my_ce(x_big.clone(), y.clone()), F.cross_entropy(x_big, y)), *OVERFLOW)
    passed(
        "练习 2 通过：my_ce 正确且数值稳定",
        "Exercise 2 passed: my_ce matches, stable on large logits",
    )


# ---------------------------------------------------------------- exercise 3: its gradient


def _soft_minus_onehot(x, y):
    return x.softmax(dim=1) - F.one_hot(y, x.shape[1])


MISTAKES["ex3_ce_grad"] = [
    Mistake(
        _soft_minus_onehot,
        "少了 1/N：reduction='mean' 把梯度除以样本数 N",
        "a missing 1/N: reduction='mean' divides the gradient by the number of samples N",
    ),
    Mistake(
        lambda x, y: -_soft_minus_onehot(x, y) / len(y),
        "符号反了：梯度是 softmax(x) - onehot(y)，不是 onehot(y) - softmax(x)",
        "the sign is flipped: the gradient is softmax(x) - onehot(y), not the reverse",
    ),
    Mistake(
        lambda x, y: x.softmax(dim=1) / len(y),
        "忘了减去独热编码：梯度是 (softmax(x) - onehot(y)) / N",
        "you forgot to subtract the one-hot encoding: (softmax(x) - onehot(y)) / N",
    ),
    Mistake(
        lambda x, y: _soft_minus_onehot(x, y) / x.numel(),
        "除以了 N × C：交叉熵的 'mean' 只除以样本数 N",
        "you divided by N × C: the 'mean' of cross-entropy divides by the N samples only",
    ),
]


def ex3_ce_grad(my_grad):
    """``my_grad(logits, target)``: the gradient of ``nn.CrossEntropyLoss()`` (mean), logits."""
    x, y = _logits(1, 8, 5, classes=5)
    x_ = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(F.cross_entropy(x_, y), x_)
    _check(my_grad, (x, y), expected, MISTAKES["ex3_ce_grad"], name="my_grad")
    passed(
        "练习 3 通过：my_grad 与 autograd 一致",
        "Exercise 3 passed: my_grad = (softmax - onehot) / N",
    )


# ---------------------------------------------------------------- exercise 4: weighted


def _weighted(x, y, w):
    return w[y] * F.cross_entropy(x, y, reduction="none")  # w_y · ℓ_n


MISTAKES["ex4_weighted_ce"] = [
    Mistake(
        lambda x, y, w: _weighted(x, y, w).mean(),
        "除以了样本数 N：带 weight 的 'mean' 是加权平均，要除以 Σ weight[y]",
        "you divided by N: the 'mean' with weight is a weighted mean, divide by Σ weight[y]",
    ),
    Mistake(
        lambda x, y, w: _weighted(x, y, w).sum(),
        "返回了总和：还要除以 Σ weight[y]（错误的 reduction）",
        "you returned the sum: divide by Σ weight[y] (wrong reduction)",
    ),
    Mistake(
        lambda x, y, w: F.cross_entropy(x, y),
        "没有用上 weight：每个样本的损失要乘 weight[y]",
        "weight is not used: multiply each sample's loss by weight[y]",
    ),
    Mistake(
        lambda x, y, w: _weighted(x, y, w).sum() / w.sum(),
        "分母用了所有类别的权重之和 Σ weight：应为 Σ weight[y]",
        "the denominator is the sum over all classes Σ weight: it should be Σ weight[y]",
    ),
]


def ex4_weighted_ce(my_wce):
    """``my_wce(logits, target, weight)``: ``nn.CrossEntropyLoss(weight=weight)`` (mean)."""
    x, y = _logits(2, 8, 5, classes=5)
    weight = torch.tensor([1.0, 3.0, 0.5, 2.0, 2.5])  # Σ weight != N, so the two mistakes differ
    expected = F.cross_entropy(x, y, weight=weight)
    _check(my_wce, (x, y, weight), expected, MISTAKES["ex4_weighted_ce"], name="my_wce")
    passed(
        "练习 4 通过：my_wce 正确，除以 Σ weight[y]",
        "Exercise 4 passed: my_wce matches, divided by Σ weight[y]",
    )


# ---------------------------------------------------------------- exercise 5: label smoothing

MISTAKES["ex5_smooth_targets"] = [
    Mistake(
        lambda y, c, eps: torch.where(F.one_hot(y, c).bool(), 1 - eps, eps / (c - 1)),
        "你把 eps 分给了其余 C - 1 类：PyTorch 给所有 C 类各 eps/C，正确类别得 1 - eps + eps/C",
        "you spread eps over the other C - 1 classes: PyTorch gives eps/C to all C classes",
    ),
    Mistake(
        lambda y, c, eps: torch.where(F.one_hot(y, c).bool(), 1 - eps, eps / c),
        "正确类别少了 eps/C：它应为 1 - eps + eps/C，每行之和才是 1",
        "the right class lacks its eps/C: it gets 1 - eps + eps/C, so each row sums to 1",
    ),
    Mistake(
        lambda y, c, eps: F.one_hot(y, c).float() * (1 - eps) + eps,
        "其余类别每个应得 eps/C，不是 eps",
        "each other class gets eps/C, not eps",
    ),
]


def ex5_smooth_targets(my_smooth):
    """``my_smooth(target, num_classes, eps)``: the (N, C) targets of label smoothing."""
    _, y = _logits(3, 8, 5, classes=5)
    c, eps = 5, 0.1
    expected = (1 - eps) * F.one_hot(y, c).float() + eps / c
    got = _check(my_smooth, (y, c, eps), expected, MISTAKES["ex5_smooth_targets"], name="my_smooth")
    # the distribution really is what CrossEntropyLoss(label_smoothing=eps) trains on
    x, _ = _logits(4, 8, 5, classes=5)
    expected = F.cross_entropy(x, y, label_smoothing=eps)
    name = "cross_entropy(x, my_smooth(...))"
    check_close(F.cross_entropy(x, got.float()), expected, name=name, factor_hint=LOSS_FACTOR_HINT)
    passed(
        "练习 5 通过：my_smooth 正确",
        "Exercise 5 passed: my_smooth gives label_smoothing's targets",
    )


wrap_checkers(globals())
