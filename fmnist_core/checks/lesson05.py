"""Checks for the exercises of lesson 05 (regression losses).

Each checker compares the learner's function with ``torch.nn.functional`` on seeded inputs; the
anticipated mistakes are data, in ``MISTAKES`` (a wrong answer a learner might write, with its
hint), run by the checker on the same inputs.
"""

import warnings
from functools import partial

import torch
import torch.nn.functional as F

from . import (
    LOSS_FACTOR_HINT,
    Mistake,
    check_answer,
    check_close,
    expect,
    passed,
    wrap_checkers,
    wrong_values,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker
_check = partial(check_answer, factor_hint=LOSS_FACTOR_HINT)


def _inputs(seed=0, shape=(6, 4), scale=2.0):
    g = torch.Generator().manual_seed(seed)
    pred = scale * torch.randn(shape, generator=g)
    target = torch.randn(shape, generator=g)
    return pred, target


def _mse_but(where, wrong):
    """An MSE right for every reduction but ``where``, for which it returns ``wrong(sq)`` of the
    squared errors ``sq``."""

    def my_mse(pred, target, reduction="mean"):
        sq = (pred - target) ** 2
        return wrong(sq) if reduction == where else F.mse_loss(pred, target, reduction=reduction)

    return my_mse


# ---------------------------------------------------------------- exercise 1: MSE

NONE_REDUCED = (
    "reduction='none' 要返回每个元素的损失（与输入同形状），不要{}",
    "reduction='none' returns the loss of each element (the input's shape), not the {}",
)
MISTAKES["ex1_mse"] = [
    # 第一条：只有默认值错时才会走到它 / first: reached only when just the default is wrong
    Mistake(
        lambda pred, target, reduction="sum": F.mse_loss(pred, target, reduction=reduction),
        "默认的 reduction 应该是 'mean'",
        "the default reduction should be 'mean'",
    ),
    Mistake(
        lambda pred, target, reduction="mean": F.l1_loss(pred, target, reduction=reduction),
        "你算的是绝对值（L1），MSE 要把误差平方",
        "you computed absolute values (L1); MSE squares the error",
    ),
    Mistake(
        _mse_but("mean", lambda sq: sq.sum()),
        "reduction='mean' 时返回了总和：还要除以元素个数 N（错误的 reduction）",
        "you returned the sum for 'mean': divide by the number of elements N (wrong reduction)",
    ),
    Mistake(
        lambda pred, target, reduction="mean": 0.5 * F.mse_loss(pred, target, reduction=reduction),
        "多了一个 1/2：nn.MSELoss 没有有些教材里的 1/2",
        "an extra 1/2: nn.MSELoss has no 1/2, unlike some textbooks",
    ),
    Mistake(
        _mse_but("mean", lambda sq: sq.sum() / sq.shape[0]),
        "只除以了批次大小：'mean' 要除以所有元素的个数 N = 行数 × 列数",
        "you divided by the batch size only: 'mean' divides by N = rows × columns",
    ),
    Mistake(
        lambda pred, target, reduction="mean": F.mse_loss(pred, target, reduction=reduction).sqrt(),
        "你取了平方根（RMSE）：MSE 不开方",
        "you took the square root (RMSE): MSE has no square root",
    ),
    Mistake(
        _mse_but("sum", lambda sq: sq.mean()),
        "reduction='sum' 时不要除以 N（错误的 reduction）",
        "with reduction='sum' do not divide by N (wrong reduction)",
    ),
    Mistake(
        _mse_but("none", lambda sq: sq.mean()),
        NONE_REDUCED[0].format("求平均"),
        NONE_REDUCED[1].format("mean"),
    ),
    Mistake(
        _mse_but("none", lambda sq: sq.sum()),
        NONE_REDUCED[0].format("求和"),
        NONE_REDUCED[1].format("sum"),
    ),
]


def ex1_mse(my_mse):
    """``my_mse(pred, target, reduction="mean")`` must equal ``nn.MSELoss`` for every reduction."""
    pred, target = _inputs()
    for kw in ({"reduction": "mean"}, {"reduction": "sum"}, {"reduction": "none"}, {}):
        name = f"my_mse(reduction='{kw['reduction']}')" if kw else "my_mse(pred, target)"
        expected = F.mse_loss(pred, target, **kw)
        _check(my_mse, (pred, target), expected, MISTAKES["ex1_mse"], options=kw, name=name)
    passed(
        "练习 1 通过：my_mse 与 nn.MSELoss 一致",
        "Exercise 1 passed: my_mse matches nn.MSELoss (mean, sum, none)",
    )


# ---------------------------------------------------------------- exercise 2: Huber


def _huber(half=0.5, offset=0.5, swap=False, reduce=torch.mean):
    """``my_huber``: half·e² where |e| <= delta, delta·(|e| − offset·delta) beyond (the
    defaults are right), or with one thing changed."""

    def my_huber(pred, target, delta=1.0):
        a = (pred - target).abs()
        small = a > delta if swap else a <= delta
        return reduce(torch.where(small, half * a**2, delta * (a - offset * delta)))

    return my_huber


MISTAKES["ex2_huber"] = [
    Mistake(
        lambda pred, target, delta=1.0: F.smooth_l1_loss(pred, target, beta=delta),
        "这是 SmoothL1Loss(beta=delta)：Huber 等于它乘以 delta（二次部分是 0.5·e²）",
        "this is SmoothL1Loss(beta=delta): Huber is delta times it (quadratic part 0.5·e²)",
    ),
    Mistake(
        _huber(offset=0),
        "线性部分少了 -0.5·delta：应为 delta·(|e| - 0.5·delta)，两段才在 |e| = delta 处接上",
        "the linear piece lacks -0.5·delta: it is delta·(|e| - 0.5·delta)",
    ),
    Mistake(
        _huber(half=1),
        "二次部分少了 0.5：应为 0.5·e²",
        "the quadratic piece lacks the 0.5: it is 0.5·e²",
    ),
    Mistake(
        _huber(reduce=torch.sum),
        "返回了总和：HuberLoss 默认 reduction='mean'，要求平均（错误的 reduction）",
        "you returned the sum: HuberLoss defaults to reduction='mean' (wrong reduction)",
    ),
    Mistake(
        _huber(swap=True),
        "两段用反了：|e| <= delta 时用二次部分，更大的误差用线性部分",
        "the pieces are swapped: quadratic for |e| <= delta, linear for larger errors",
    ),
]


def ex2_huber(my_huber):
    """``my_huber(pred, target, delta=1.0)`` must equal ``nn.HuberLoss(delta=delta)`` (mean)."""
    pred, target = _inputs(seed=1, scale=3.0)
    for delta in (1.0, 0.5, 2.0):
        expected = F.huber_loss(pred, target, delta=delta)
        _check(
            my_huber,
            (pred, target),
            expected,
            MISTAKES["ex2_huber"],
            options={"delta": delta},
            name=f"my_huber(delta={delta})",
        )
    passed(
        "练习 2 通过：my_huber 与 nn.HuberLoss 一致",
        "Exercise 2 passed: my_huber matches nn.HuberLoss",
    )


# ---------------------------------------------------------------- exercise 3: the gradient of L1

SUBGRADIENT = (
    "误差恰好为 0 处的梯度应为 0：PyTorch 在尖角处取次梯度 0（torch.sign(0) = 0）",
    "at zero error the gradient is 0: PyTorch takes the subgradient 0 (torch.sign(0) = 0)",
)
MISTAKES["ex3_l1_grad"] = [
    Mistake(
        lambda pred, target: torch.sign(pred - target),
        "少了 1/N：reduction='mean' 把每个元素的导数除以元素个数 N",
        "a missing 1/N: reduction='mean' divides each derivative by the number of elements N",
    ),
    Mistake(
        lambda pred, target: torch.where(pred >= target, 1.0, -1.0) / pred.numel(), *SUBGRADIENT
    ),
    Mistake(
        lambda pred, target: torch.where(pred > target, 1.0, -1.0) / pred.numel(), *SUBGRADIENT
    ),
    Mistake(
        lambda pred, target: torch.sign(target - pred) / pred.numel(),
        "符号反了：误差是 预测 - 目标，导数是 sign(pred - target) / N",
        "the sign is flipped: the derivative is sign(pred - target) / N",
    ),
    Mistake(
        lambda pred, target: 2 * (pred - target) / pred.numel(),
        "这是 MSELoss 的导数 2e/N；L1 的导数是 sign(e)/N",
        "this is the derivative of MSELoss, 2e/N; L1's is sign(e)/N",
    ),
    Mistake(
        lambda pred, target: torch.sign(pred - target) / pred.shape[0],
        "只除以了批次大小：'mean' 要除以所有元素的个数 N",
        "you divided by the batch size only: 'mean' divides by the number of all elements N",
    ),
]


def ex3_l1_grad(my_l1_grad):
    """``my_l1_grad(pred, target)``: the gradient of ``nn.L1Loss()`` (mean) w.r.t. ``pred``."""
    pred, target = _inputs(seed=2)
    target[0] = pred[0]  # exactly zero error in the first row
    p = pred.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(F.l1_loss(p, target), p)
    _check(my_l1_grad, (pred, target), expected, MISTAKES["ex3_l1_grad"], name="my_l1_grad")
    passed(
        "练习 3 通过：my_l1_grad 与 autograd 一致（含误差为 0 处）",
        "Exercise 3 passed: my_l1_grad matches autograd",
    )


# ---------------------------------------------------------------- exercise 4: shapes


def _mse_with_warning(pred, target):
    torch.nn.MSELoss()(pred, target)  # warns about the sizes; the result is thrown away
    return torch.nn.MSELoss()(pred.squeeze(1), target)


WARNED = Mistake(
    _mse_with_warning,
    "数值对了，但 PyTorch 仍发出了形状不一致的警告：先让形状相同，再调用损失函数",
    "right value, but PyTorch warned about different sizes: make the shapes equal first",
)
MISTAKES["ex4_shapes"] = [
    Mistake(
        lambda pred, target: ((pred - target) ** 2).mean(),  # (5, 1) - (5,) -> (5, 5)
        "(N, 1) 和 (N,) 被广播成了 (N, N)：先 pred.squeeze(1) 或 target.unsqueeze(1)，让形状相同",
        "(N, 1) and (N,) broadcast to (N, N): first pred.squeeze(1) or target.unsqueeze(1)",
    ),
    Mistake(
        lambda pred, target: F.mse_loss(pred.squeeze(1), target, reduction="sum"),
        "返回了总和：要求平均（错误的 reduction）",
        "you returned the sum: take the mean (wrong reduction)",
    ),
    WARNED,
]


def ex4_shapes(my_loss):
    """``my_loss(pred, target)`` with pred (N, 1) and target (N,): the right MSE, no warning."""
    g = torch.Generator().manual_seed(3)
    pred, target = torch.randn(5, 1, generator=g), torch.randn(5, generator=g)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = my_loss(pred.clone(), target.clone())
        warned = any("target size" in str(w.message) for w in caught)
        wrong = wrong_values(MISTAKES["ex4_shapes"], pred, target)  # their warnings stay here
    expected = F.mse_loss(pred.squeeze(1), target)
    check_close(got, expected, name="my_loss", mistakes=wrong, factor_hint=LOSS_FACTOR_HINT)
    expect(not warned, WARNED.zh, WARNED.en)
    passed("练习 4 通过：形状一致，没有广播", "Exercise 4 passed: same shapes, no broadcasting")


wrap_checkers(globals())
