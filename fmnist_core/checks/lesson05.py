"""Checks for the exercises of lesson 05 (regression losses).

Each checker calls the learner's function on seeded inputs, computes the right answer with
``torch.nn.functional`` and, when they differ, names the likely mistake.
"""

import warnings

import torch
import torch.nn.functional as F

from . import LOSS_FACTOR_HINT, check_close, expect, passed


def _inputs(seed=0, shape=(6, 4), scale=2.0):
    g = torch.Generator().manual_seed(seed)
    pred = scale * torch.randn(shape, generator=g)
    target = torch.randn(shape, generator=g)
    return pred, target


def ex1_mse(my_mse):
    """``my_mse(pred, target, reduction="mean")`` must equal ``nn.MSELoss`` for every reduction."""
    pred, target = _inputs()
    sq = (pred - target) ** 2
    n = sq.numel()
    for reduction in ("mean", "sum", "none"):
        got = my_mse(pred.clone(), target.clone(), reduction=reduction)
        expected = F.mse_loss(pred, target, reduction=reduction)
        mistakes = [
            (
                (pred - target).abs().sum() / n
                if reduction == "mean"
                else (pred - target).abs().sum()
                if reduction == "sum"
                else (pred - target).abs(),
                "你算的是绝对值（L1），MSE 要把误差平方",
                "you computed absolute values (L1); MSE squares the error",
            ),
        ]
        if reduction == "mean":
            mistakes += [
                (
                    sq.sum(),
                    "reduction='mean' 时返回了总和：还要除以元素个数 N（错误的 reduction）",
                    "you returned the sum for 'mean': divide by the number of elements N "
                    "(wrong reduction)",
                ),
                (
                    0.5 * sq.mean(),
                    "多了一个 1/2：nn.MSELoss 没有有些教材里的 1/2",
                    "an extra 1/2: nn.MSELoss has no 1/2, unlike some textbooks",
                ),
                (
                    sq.sum() / pred.shape[0],
                    "只除以了批次大小：'mean' 要除以所有元素的个数 N = 行数 × 列数",
                    "you divided by the batch size only: 'mean' divides by N = rows × columns",
                ),
                (
                    sq.mean().sqrt(),
                    "你取了平方根（RMSE）：MSE 不开方",
                    "you took the square root (RMSE): MSE has no square root",
                ),
            ]
        elif reduction == "sum":
            mistakes += [
                (
                    sq.mean(),
                    "reduction='sum' 时不要除以 N（错误的 reduction）",
                    "with reduction='sum' do not divide by N (wrong reduction)",
                )
            ]
        else:
            mistakes += [
                (
                    sq.mean(),
                    "reduction='none' 要返回每个元素的损失（与输入同形状），不要求平均",
                    "reduction='none' returns the loss of each element (the input's shape), "
                    "not the mean",
                ),
                (
                    sq.sum(),
                    "reduction='none' 要返回每个元素的损失（与输入同形状），不要求和",
                    "reduction='none' returns the loss of each element (the input's shape), "
                    "not the sum",
                ),
            ]
        check_close(
            got,
            expected,
            name=f"my_mse(reduction='{reduction}')",
            mistakes=mistakes,
            factor_hint=LOSS_FACTOR_HINT,
        )
    check_close(
        my_mse(pred, target),
        sq.mean(),
        name="my_mse(pred, target)",
        mistakes=[
            (sq.sum(), "默认的 reduction 应该是 'mean'", "the default reduction should be 'mean'")
        ],
        factor_hint=LOSS_FACTOR_HINT,
    )
    passed(
        "练习 1 通过：my_mse 与 nn.MSELoss 一致",
        "Exercise 1 passed: my_mse matches nn.MSELoss (mean, sum, none)",
    )


def ex2_huber(my_huber):
    """``my_huber(pred, target, delta=1.0)`` must equal ``nn.HuberLoss(delta=delta)`` (mean)."""
    pred, target = _inputs(seed=1, scale=3.0)
    e = pred - target
    a = e.abs()
    for delta in (1.0, 0.5, 2.0):
        got = my_huber(pred.clone(), target.clone(), delta=delta)
        expected = F.huber_loss(pred, target, delta=delta)
        mistakes = [
            (
                F.smooth_l1_loss(pred, target, beta=delta),
                "这是 SmoothL1Loss(beta=delta)：Huber 等于它乘以 delta（二次部分是 0.5·e²）",
                "this is SmoothL1Loss(beta=delta): Huber is delta times it (quadratic part 0.5·e²)",
            ),
            (
                torch.where(a <= delta, 0.5 * e**2, delta * a).mean(),
                "线性部分少了 -0.5·delta：应为 delta·(|e| - 0.5·delta)，两段才在 |e| = delta 处接上",
                "the linear piece lacks -0.5·delta: it is delta·(|e| - 0.5·delta)",
            ),
            (
                torch.where(a <= delta, e**2, delta * (a - 0.5 * delta)).mean(),
                "二次部分少了 0.5：应为 0.5·e²",
                "the quadratic piece lacks the 0.5: it is 0.5·e²",
            ),
            (
                torch.where(a <= delta, 0.5 * e**2, delta * (a - 0.5 * delta)).sum(),
                "返回了总和：HuberLoss 默认 reduction='mean'，要求平均（错误的 reduction）",
                "you returned the sum: HuberLoss defaults to reduction='mean' (wrong reduction)",
            ),
            (
                torch.where(a > delta, 0.5 * e**2, delta * (a - 0.5 * delta)).mean(),
                "两段用反了：|e| <= delta 时用二次部分，更大的误差用线性部分",
                "the pieces are swapped: quadratic for |e| <= delta, linear for larger errors",
            ),
        ]
        check_close(
            got,
            expected,
            name=f"my_huber(delta={delta})",
            mistakes=mistakes,
            factor_hint=LOSS_FACTOR_HINT,
        )
    passed(
        "练习 2 通过：my_huber 与 nn.HuberLoss 一致",
        "Exercise 2 passed: my_huber matches nn.HuberLoss",
    )


def ex3_l1_grad(my_l1_grad):
    """``my_l1_grad(pred, target)``: the gradient of ``nn.L1Loss()`` (mean) w.r.t. ``pred``."""
    pred, target = _inputs(seed=2)
    target[0] = pred[0]  # exactly zero error in the first row
    p = pred.clone().requires_grad_(True)
    (expected,) = torch.autograd.grad(F.l1_loss(p, target), p)
    got = my_l1_grad(pred.clone(), target.clone())
    e = pred - target
    n = e.numel()
    mistakes = [
        (
            torch.sign(e),
            "少了 1/N：reduction='mean' 把每个元素的导数除以元素个数 N",
            "a missing 1/N: reduction='mean' divides each derivative by the number of elements N",
        ),
        (
            torch.where(e >= 0, 1.0, -1.0) / n,
            "误差恰好为 0 处的梯度应为 0：PyTorch 在尖角处取次梯度 0（torch.sign(0) = 0）",
            "at zero error the gradient is 0: PyTorch takes the subgradient 0 (torch.sign(0) = 0)",
        ),
        (
            torch.where(e > 0, 1.0, -1.0) / n,
            "误差恰好为 0 处的梯度应为 0：PyTorch 在尖角处取次梯度 0（torch.sign(0) = 0）",
            "at zero error the gradient is 0: PyTorch takes the subgradient 0 (torch.sign(0) = 0)",
        ),
        (
            torch.sign(-e) / n,
            "符号反了：误差是 预测 - 目标，导数是 sign(pred - target) / N",
            "the sign is flipped: the derivative is sign(pred - target) / N",
        ),
        (
            2 * e / n,
            "这是 MSELoss 的导数 2e/N；L1 的导数是 sign(e)/N",
            "this is the derivative of MSELoss, 2e/N; L1's is sign(e)/N",
        ),
        (
            torch.sign(e) / pred.shape[0],
            "只除以了批次大小：'mean' 要除以所有元素的个数 N",
            "you divided by the batch size only: 'mean' divides by the number of all elements N",
        ),
    ]
    check_close(got, expected, name="my_l1_grad", mistakes=mistakes, factor_hint=LOSS_FACTOR_HINT)
    passed(
        "练习 3 通过：my_l1_grad 与 autograd 一致（含误差为 0 处）",
        "Exercise 3 passed: my_l1_grad matches autograd",
    )


def ex4_shapes(my_loss):
    """``my_loss(pred, target)`` with pred (N, 1) and target (N,): the right MSE, no warning."""
    g = torch.Generator().manual_seed(3)
    pred, target = torch.randn(5, 1, generator=g), torch.randn(5, generator=g)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = my_loss(pred.clone(), target.clone())
    broadcast = ((pred - target) ** 2).mean()  # (5, 1) - (5,) -> (5, 5)
    check_close(
        got,
        F.mse_loss(pred.squeeze(1), target),
        name="my_loss",
        mistakes=[
            (
                broadcast,
                "(N, 1) 和 (N,) 被广播成了 (N, N)：先 pred.squeeze(1) 或 "
                "target.unsqueeze(1)，让形状相同",
                "(N, 1) and (N,) broadcast to (N, N): first pred.squeeze(1) or target.unsqueeze(1)",
            ),
            (
                ((pred.squeeze(1) - target) ** 2).sum(),
                "返回了总和：要求平均（错误的 reduction）",
                "you returned the sum: take the mean (wrong reduction)",
            ),
        ],
        factor_hint=LOSS_FACTOR_HINT,
    )
    size_warnings = [w for w in caught if "target size" in str(w.message)]
    expect(
        not size_warnings,
        "数值对了，但 PyTorch 仍发出了形状不一致的警告：先让形状相同，再调用损失函数",
        "right value, but PyTorch warned about different sizes: make the shapes equal first",
    )
    passed("练习 4 通过：形状一致，没有广播", "Exercise 4 passed: same shapes, no broadcasting")
