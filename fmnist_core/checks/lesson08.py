"""Checks for the exercises of lesson 08 (adaptive optimizers), as in lesson 07.

The hyperparameters (a large ``eps``, a large weight decay) are chosen so that every anticipated
mistake moves the result well beyond the tolerance.
"""

import torch

from . import (
    IN_PLACE,
    Mistake,
    check_optimizer,
    optimizer_inputs,
    optimizer_run,
    passed,
    wrap_checkers,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker
UPHILL = (
    "更新方向反了：参数要减去这一步，p ← p − lr·(...)",
    "the step goes uphill: subtract it, p ← p − lr·(...)",
)
EPS_OUTSIDE = (
    "ε 放错了位置：PyTorch 把 ε 加在平方根外面，√v + ε",
    "ε is in the wrong place: PyTorch adds ε outside the square root, √v + ε",
)


# ---------------------------------------------------------------- exercise 1: RMSprop


def _rmsprop(
    *,
    eps_inside=False,
    sqrt=True,
    swap_alpha=False,
    bias_correction=False,
    v_from_g=False,
    sign=-1.0,
):
    """``rmsprop`` as PyTorch writes it (the defaults), or with one thing changed."""

    def rmsprop(p0, grads, lr, alpha, eps):
        p, v = p0.clone(), torch.zeros_like(p0)
        for t, g in enumerate(grads, start=1):
            if v_from_g and t == 1:
                v = g * g
            elif swap_alpha:
                v = (1 - alpha) * v + alpha * g * g
            else:
                v = alpha * v + (1 - alpha) * g * g
            v_used = v / (1 - alpha**t) if bias_correction else v
            if not sqrt:
                denom = v_used + eps
            elif eps_inside:
                denom = (v_used + eps).sqrt()
            else:
                denom = v_used.sqrt() + eps
            p = p + sign * lr * g / denom
        return p

    return rmsprop


def _rmsprop_in_place(p0, grads, lr, alpha, eps):
    v = torch.zeros_like(p0)
    for g in grads:
        v = alpha * v + (1 - alpha) * g**2
        p0 -= lr * g / (v.sqrt() + eps)
    return p0


MISTAKES["ex1_rmsprop"] = [
    Mistake(_rmsprop(sign=+1.0), *UPHILL),
    Mistake(_rmsprop(eps_inside=True), *EPS_OUTSIDE),
    Mistake(
        _rmsprop(sqrt=False),
        "忘了开平方：分母是 √v + ε，不是 v + ε",
        "the square root is missing: divide by √v + ε, not v + ε",
    ),
    Mistake(
        _rmsprop(swap_alpha=True),
        "α 乘错了项：v ← α·v + (1 − α)·g²，α 保留旧的平均",
        "α multiplies the wrong term: v ← α·v + (1 − α)·g²; α keeps the old average",
    ),
    Mistake(
        _rmsprop(bias_correction=True),
        "PyTorch 的 RMSprop 没有偏差修正：不要除以 1 − α^t",
        "PyTorch's RMSprop has no bias correction: do not divide by 1 − α^t",
    ),
    Mistake(
        _rmsprop(v_from_g=True),
        "v 应当从 0 开始：第一步 v = (1 − α)·g²，不是 g²",
        "v starts at 0: after the first step v = (1 − α)·g², not g²",
    ),
    Mistake(_rmsprop_in_place, *IN_PLACE),
]


def ex1_rmsprop(rmsprop):
    """Exercise 1: ``torch.optim.RMSprop(lr, alpha, eps)`` over several steps."""
    p0, grads = optimizer_inputs(11, 10)
    lr, alpha, eps = 0.01, 0.9, 1e-2
    expected = optimizer_run(torch.optim.RMSprop, p0, grads, lr=lr, alpha=alpha, eps=eps)
    check_optimizer(rmsprop, (p0, grads, lr, alpha, eps), expected, MISTAKES["ex1_rmsprop"])
    passed(
        "练习 1 通过：与 torch.optim.RMSprop 一致", "Exercise 1 passed: matches torch.optim.RMSprop"
    )


# ---------------------------------------------------------------- exercises 2 and 3: Adam, AdamW


def _adam_variant(
    decay="none",
    *,
    correct_m=True,
    correct_v=True,
    t_offset=0,
    eps_mode="outside",
    swap_beta=False,
    sign=-1.0,
):
    """``adam`` / ``adamw`` as PyTorch writes them (the defaults: Adam; ``decay="decoupled"``:
    AdamW), or with one thing changed.

    decay: "none", "l2" (Adam's weight_decay), "decoupled" (AdamW), "decoupled_no_lr",
    "decoupled_after" (after the Adam step), "decoupled_wrong_sign".
    eps_mode: "outside" (√v̂ + ε), "inside" (√(v̂ + ε)), "before_correction"
    ((√v + ε) / √(1 − β2^t)).
    """

    def adam(p0, grads, lr, betas, eps, weight_decay=0.0):
        b1, b2 = betas
        p, m, v = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
        for t, g in enumerate(grads, start=1):
            if decay == "l2":
                g = g + weight_decay * p
            elif decay == "decoupled":
                p = p * (1 - lr * weight_decay)
            elif decay == "decoupled_no_lr":
                p = p * (1 - weight_decay)
            elif decay == "decoupled_wrong_sign":
                p = p * (1 + lr * weight_decay)
            if swap_beta:
                m, v = (1 - b1) * m + b1 * g, (1 - b2) * v + b2 * g * g
            else:
                m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
            k = t + t_offset
            bc1 = 1 - b1**k if correct_m else 1.0
            bc2 = 1 - b2**k if correct_v else 1.0
            if eps_mode == "outside":
                denom = (v / bc2).sqrt() + eps
            elif eps_mode == "inside":
                denom = (v / bc2 + eps).sqrt()
            else:
                denom = (v.sqrt() + eps) / bc2**0.5
            p = p + sign * lr * (m / bc1) / denom
            if decay == "decoupled_after":
                p = p * (1 - lr * weight_decay)
        return p

    return adam


T_FROM_ZERO = (
    "结果里有 nan 或 inf：步数 t 是不是从 0 开始了？第一步 t = 1；t = 0 时偏差修正 1 − β^0 = 0，"
    "除以它得到 inf 或 nan（enumerate(grads, start=1)）",
    "the result holds nan or inf: does the step count t start at 0? The first step has t = 1; "
    "at t = 0 the bias correction 1 − β^0 is 0, and dividing by it gives inf or nan "
    "(enumerate(grads, start=1))",
)
# Adam's own mistakes, made in exercise 2 and in exercise 3 alike: (change, zh, en)
ADAM_CHANGES = [
    ({"sign": +1.0}, *UPHILL),
    (
        {"correct_m": False, "correct_v": False},
        "偏差修正缺失：m 要除以 1 − β1^t，v 要除以 1 − β2^t（t 从 1 开始）",
        "bias correction is missing: divide m by 1 − β1^t and v by 1 − β2^t (t starts at 1)",
    ),
    (
        {"correct_m": False},
        "m 的偏差修正缺失：m̂ = m / (1 − β1^t)",
        "the bias correction of m is missing: m̂ = m / (1 − β1^t)",
    ),
    (
        {"correct_v": False},
        "v 的偏差修正缺失：v̂ = v / (1 − β2^t)",
        "the bias correction of v is missing: v̂ = v / (1 − β2^t)",
    ),
    (
        {"t_offset": 1},
        "步数差了一：第一步 t = 1，偏差修正是 1 − β^1",
        "the step count is off by one: the first step has t = 1, so the correction is 1 − β^1",
    ),
    ({"t_offset": -1}, *T_FROM_ZERO),
    ({"eps_mode": "inside"}, *EPS_OUTSIDE),
    (
        {"eps_mode": "before_correction"},
        "ε 加早了：先修正 v̂ = v / (1 − β2^t)，再算 √v̂ + ε",
        "ε is added too early: correct first, v̂ = v / (1 − β2^t), then take √v̂ + ε",
    ),
    (
        {"swap_beta": True},
        "β 乘错了项：m ← β1·m + (1 − β1)·g，β 保留旧的平均",
        "β multiplies the wrong term: m ← β1·m + (1 − β1)·g; β keeps the old average",
    ),
]
MISTAKES["ex2_adam"] = [Mistake(_adam_variant(**c), zh, en) for c, zh, en in ADAM_CHANGES]


def ex2_adam(adam):
    """Exercise 2: ``torch.optim.Adam(lr, betas, eps)`` over several steps, bias correction
    included."""
    p0, grads = optimizer_inputs(12, 10)
    lr, betas, eps = 0.01, (0.9, 0.99), 1e-2
    expected = optimizer_run(torch.optim.Adam, p0, grads, lr=lr, betas=betas, eps=eps)
    inputs = (p0, grads, lr, betas, eps)
    check_optimizer(adam, inputs, expected, MISTAKES["ex2_adam"], nonfinite_hint=T_FROM_ZERO)
    passed("练习 2 通过：与 torch.optim.Adam 一致", "Exercise 2 passed: matches torch.optim.Adam")


MISTAKES["ex3_adamw"] = [
    Mistake(
        _adam_variant("l2"),
        "衰减加到了梯度上：那是 Adam 的 L2 weight_decay。AdamW 直接缩小参数：p ← p·(1 − lr·λ)，"
        "梯度不变",
        "the decay went into the gradient: that is Adam's L2 weight_decay. AdamW shrinks the "
        "parameter itself, p ← p·(1 − lr·λ), and leaves the gradient alone",
    ),
    Mistake(
        _adam_variant("decoupled_no_lr"),
        "衰减没有乘学习率：p ← p·(1 − lr·λ)，不是 p·(1 − λ)",
        "the decay is not multiplied by the learning rate: p ← p·(1 − lr·λ), not p·(1 − λ)",
    ),
    Mistake(
        _adam_variant("decoupled_wrong_sign"),
        "衰减的符号反了：p ← p·(1 − lr·λ) 把参数缩小",
        "the decay has the wrong sign: p ← p·(1 − lr·λ) shrinks the parameter",
    ),
    Mistake(
        _adam_variant("decoupled_after"),
        "衰减的位置不对：PyTorch 先用更新前的参数衰减 p ← p·(1 − lr·λ)，再走 Adam 的一步",
        "the decay is in the wrong place: PyTorch first decays the parameter before the update, "
        "p ← p·(1 − lr·λ), then takes the Adam step",
    ),
    Mistake(
        _adam_variant("none"),
        "没有权重衰减：每一步先做 p ← p·(1 − lr·λ)",
        "weight decay is missing: each step first does p ← p·(1 − lr·λ)",
    ),
] + [Mistake(_adam_variant("decoupled", **c), zh, en) for c, zh, en in ADAM_CHANGES]


def ex3_adamw(adamw):
    """Exercise 3: ``torch.optim.AdamW(lr, betas, eps, weight_decay)``: decoupled weight decay."""
    p0, grads = optimizer_inputs(13, 10)
    lr, betas, eps, wd = 0.05, (0.9, 0.99), 1e-2, 0.5
    expected = optimizer_run(
        torch.optim.AdamW, p0, grads, lr=lr, betas=betas, eps=eps, weight_decay=wd
    )
    inputs = (p0, grads, lr, betas, eps, wd)
    check_optimizer(adamw, inputs, expected, MISTAKES["ex3_adamw"], nonfinite_hint=T_FROM_ZERO)
    passed("练习 3 通过：与 torch.optim.AdamW 一致", "Exercise 3 passed: matches torch.optim.AdamW")


wrap_checkers(globals())
