"""Checks for the exercises of lesson 06 (classification losses).

Each checker calls the learner's function on seeded inputs, computes the right answer with
``torch.nn.functional`` and, when they differ, names the likely mistake. Numerical stability is
tested by running the answer on ordinary inputs first and on logits of size 1000 and more
second: there ``exp`` overflows even in ``float64``, so only an answer that is stable by
construction passes.
"""

import torch
import torch.nn.functional as F

from . import LOSS_FACTOR_HINT, check_close, expect, fail, passed


def _finite(got):
    return isinstance(got, torch.Tensor) and bool(torch.isfinite(got.detach()).all())


def _close(got, expected, rtol=1e-4, atol=1e-6):
    return (
        isinstance(got, torch.Tensor)
        and got.shape == expected.shape
        and torch.allclose(got.detach().double(), expected.double(), rtol=rtol, atol=atol)
    )


def _bce_inputs():
    g = torch.Generator().manual_seed(0)
    x = 3 * torch.randn(6, 4, generator=g)
    y = torch.randint(0, 2, (6, 4), generator=g).float()
    return x, y


def ex1_bce_with_logits(my_bce):
    """``my_bce(x, y)``: ``nn.BCEWithLogitsLoss()`` (mean), stable on large logits."""
    x, y = _bce_inputs()
    p = torch.sigmoid(x)
    per_elem = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    mistakes = [
        (
            per_elem.sum(),
            "返回了总和：默认 reduction='mean'，要除以元素个数 N（错误的 reduction）",
            "you returned the sum: 'mean' divides by the number of elements (wrong reduction)",
        ),
        (
            per_elem.sum() / x.shape[0],
            "只除以了样本数：'mean' 要除以所有元素的个数 N × C",
            "you divided by the number of samples only: 'mean' divides by all N × C elements",
        ),
        (
            -per_elem.mean(),
            "符号反了：损失是 -[y·log σ(x) + (1 - y)·log(1 - σ(x))]",
            "the sign is flipped: the loss is -[y·log σ(x) + (1 - y)·log(1 - σ(x))]",
        ),
        (
            (-y * torch.log(p)).mean(),
            "少了 (1 - y)·log(1 - σ(x)) 那一项：负样本也要算损失",
            "the term (1 - y)·log(1 - σ(x)) is missing: the negatives have a loss too",
        ),
    ]
    check_close(
        my_bce(x.clone(), y.clone()),
        F.binary_cross_entropy_with_logits(x, y),
        name="my_bce",
        mistakes=mistakes,
        factor_hint=LOSS_FACTOR_HINT,
    )

    # the same answer on large logits: a log of a sigmoid breaks here, even in float64
    x_big = torch.tensor([[-1000.0, -120.0, -40.0, 0.0, 20.0, 40.0, 120.0, 1500.0]])
    y_big = torch.tensor([[1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]])
    got = my_bce(x_big.clone(), y_big.clone())
    expected = F.binary_cross_entropy_with_logits(x_big, y_big)
    if not _close(got, expected):
        expect(
            _finite(got),
            "log(sigmoid(x)) 在很大的 logits 上下溢成 inf/nan：改用 "
            "max(x, 0) - x·y + log1p(exp(-|x|))",
            "log(sigmoid(x)) underflows to inf/nan: use max(x, 0) - x·y + log1p(exp(-|x|))",
        )
        fail(
            "普通输入上对，很大的 logits 上错（数值不稳定）：用 max(x, 0) - x·y + log1p(exp(-|x|))",
            "wrong on large logits (numerically unstable): use max(x, 0) - x·y + log1p(exp(-|x|))",
        )
    passed(
        "练习 1 通过：my_bce 正确且数值稳定",
        "Exercise 1 passed: my_bce matches, stable on large logits",
    )


def _ce_inputs(seed=0, n=8, c=5):
    g = torch.Generator().manual_seed(seed)
    x = 3 * torch.randn(n, c, generator=g)
    y = torch.randint(0, c, (n,), generator=g)
    return x, y


def ex2_cross_entropy(my_ce):
    """``my_ce(logits, target)``: ``nn.CrossEntropyLoss()`` (mean, class indices), stable."""
    x, y = _ce_inputs()
    n, c = x.shape
    per_sample = F.cross_entropy(x, y, reduction="none")
    mistakes = [
        (
            per_sample.sum(),
            "返回了总和：'mean' 要除以样本数 N（错误的 reduction）",
            "you returned the sum: 'mean' divides by the number of samples N (wrong reduction)",
        ),
        (
            per_sample.sum() / (n * c),
            "除以了 N × C：交叉熵的 'mean' 只除以样本数 N",
            "you divided by N × C: the 'mean' of cross-entropy divides by the N samples only",
        ),
        (
            F.cross_entropy(x.softmax(dim=1), y),
            "先做了 softmax：交叉熵的输入是 logits，内部已经有 log_softmax",
            "a softmax first: cross-entropy takes logits, it has a log_softmax inside",
        ),
        (
            -per_sample.mean(),
            "符号反了：损失是 -log softmax(x)[y]",
            "the sign is flipped: the loss is -log softmax(x)[y]",
        ),
        (
            -x[torch.arange(n), y].mean(),
            "少了 log-sum-exp 那一项：-x[y] 之外还要加 log Σ exp(x)",
            "the log-sum-exp term is missing: add log Σ exp(x) to -x[y]",
        ),
    ]
    check_close(
        my_ce(x.clone(), y.clone()),
        F.cross_entropy(x, y),
        name="my_ce",
        mistakes=mistakes,
        factor_hint=LOSS_FACTOR_HINT,
    )

    # every |logit| >= 1000: exp overflows (or underflows to 0) even in float64
    x_big = torch.sign(x) * (1000 + 100 * x.abs())
    got = my_ce(x_big.clone(), y.clone())
    if not _close(got, F.cross_entropy(x_big, y)):
        fail(
            "很大的 logits 上 exp 上溢了（得到 inf、nan 或错的值）："
            "先减去每行的最大值（log-sum-exp 技巧）",
            "exp overflows on large logits (inf, nan or wrong): subtract each row's max first",
        )
    passed(
        "练习 2 通过：my_ce 正确且数值稳定",
        "Exercise 2 passed: my_ce matches, stable on large logits",
    )


def ex3_ce_grad(my_grad):
    """``my_grad(logits, target)``: the gradient of ``nn.CrossEntropyLoss()`` (mean), logits."""
    x, y = _ce_inputs(seed=1)
    n, c = x.shape
    x_ = x.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(F.cross_entropy(x_, y), x_)
    soft, onehot = x.softmax(dim=1), F.one_hot(y, c).float()
    mistakes = [
        (
            soft - onehot,
            "少了 1/N：reduction='mean' 把梯度除以样本数 N",
            "a missing 1/N: reduction='mean' divides the gradient by the number of samples N",
        ),
        (
            (onehot - soft) / n,
            "符号反了：梯度是 softmax(x) - onehot(y)，不是 onehot(y) - softmax(x)",
            "the sign is flipped: the gradient is softmax(x) - onehot(y), not the reverse",
        ),
        (
            soft / n,
            "忘了减去独热编码：梯度是 (softmax(x) - onehot(y)) / N",
            "you forgot to subtract the one-hot encoding: (softmax(x) - onehot(y)) / N",
        ),
        (
            (soft - onehot) / (n * c),
            "除以了 N × C：交叉熵的 'mean' 只除以样本数 N",
            "you divided by N × C: the 'mean' of cross-entropy divides by the N samples only",
        ),
    ]
    check_close(
        my_grad(x.clone(), y.clone()),
        expected,
        name="my_grad",
        mistakes=mistakes,
        factor_hint=LOSS_FACTOR_HINT,
    )
    passed(
        "练习 3 通过：my_grad 与 autograd 一致",
        "Exercise 3 passed: my_grad = (softmax - onehot) / N",
    )


def ex4_weighted_ce(my_wce):
    """``my_wce(logits, target, weight)``: ``nn.CrossEntropyLoss(weight=weight)`` (mean)."""
    x, y = _ce_inputs(seed=2)
    n, c = x.shape
    weight = torch.tensor([1.0, 3.0, 0.5, 2.0, 2.5])  # Σ weight != N, so the two mistakes differ
    weighted = F.cross_entropy(x, y, weight=weight, reduction="none")  # w_y · ℓ_n
    mistakes = [
        (
            weighted.sum() / n,
            "除以了样本数 N：带 weight 的 'mean' 是加权平均，要除以 Σ weight[y]",
            "you divided by N: the 'mean' with weight is a weighted mean, divide by Σ weight[y]",
        ),
        (
            weighted.sum(),
            "返回了总和：还要除以 Σ weight[y]（错误的 reduction）",
            "you returned the sum: divide by Σ weight[y] (wrong reduction)",
        ),
        (
            F.cross_entropy(x, y),
            "没有用上 weight：每个样本的损失要乘 weight[y]",
            "weight is not used: multiply each sample's loss by weight[y]",
        ),
        (
            weighted.sum() / weight.sum(),
            "分母用了所有类别的权重之和 Σ weight：应为 Σ weight[y]",
            "the denominator is the sum over all classes Σ weight: it should be Σ weight[y]",
        ),
    ]
    check_close(
        my_wce(x.clone(), y.clone(), weight.clone()),
        F.cross_entropy(x, y, weight=weight),
        name="my_wce",
        mistakes=mistakes,
        factor_hint=LOSS_FACTOR_HINT,
    )
    passed(
        "练习 4 通过：my_wce 正确，除以 Σ weight[y]",
        "Exercise 4 passed: my_wce matches, divided by Σ weight[y]",
    )


def ex5_smooth_targets(my_smooth):
    """``my_smooth(target, num_classes, eps)``: the (N, C) targets of label smoothing."""
    _, y = _ce_inputs(seed=3)
    c, eps = 5, 0.1
    onehot = F.one_hot(y, c).float()
    expected = (1 - eps) * onehot + eps / c
    mistakes = [
        (
            torch.where(onehot.bool(), 1 - eps, eps / (c - 1)),
            "你把 eps 分给了其余 C - 1 类：PyTorch 给所有 C 类各 eps/C，正确类别得 1 - eps + eps/C",
            "you spread eps over the other C - 1 classes: PyTorch gives eps/C to all C classes",
        ),
        (
            torch.where(onehot.bool(), 1 - eps, eps / c),
            "正确类别少了 eps/C：它应为 1 - eps + eps/C，每行之和才是 1",
            "the right class lacks its eps/C: it gets 1 - eps + eps/C, so each row sums to 1",
        ),
        (
            onehot * (1 - eps) + eps,
            "其余类别每个应得 eps/C，不是 eps",
            "each other class gets eps/C, not eps",
        ),
    ]
    got = my_smooth(y.clone(), c, eps)
    check_close(got, expected, name="my_smooth", mistakes=mistakes, factor_hint=LOSS_FACTOR_HINT)
    # the distribution really is what CrossEntropyLoss(label_smoothing=eps) trains on
    x, _ = _ce_inputs(seed=4)
    check_close(
        F.cross_entropy(x, got.float()),
        F.cross_entropy(x, y, label_smoothing=eps),
        name="cross_entropy(x, my_smooth(...))",
        factor_hint=LOSS_FACTOR_HINT,
    )
    passed(
        "练习 5 通过：my_smooth 正确",
        "Exercise 5 passed: my_smooth gives label_smoothing's targets",
    )
