"""Checks for the exercises of lesson 07 (SGD and its family).

Each checker compares the learner's function with ``torch.optim.SGD`` on seeded float64 tensors;
the anticipated mistakes are data, in ``MISTAKES`` (a wrong answer with its hint).
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


# ---------------------------------------------------------------- exercise 1: one SGD step


def _sgd_step_in_place(p, g, lr, weight_decay):
    p -= lr * (g + weight_decay * p)
    return p


MISTAKES["ex1_sgd_step"] = [
    Mistake(
        lambda p, g, lr, wd: p - lr * (g - wd * p),
        "权重衰减的符号反了：应当把 λ·p 加到梯度上（g + λp），它把参数拉向 0",
        "weight decay has the wrong sign: add λ·p to the gradient (g + λp); it pulls the "
        "parameter towards 0",
    ),
    Mistake(
        lambda p, g, lr, wd: p - lr * g - wd * p,
        "权重衰减项没有乘学习率：PyTorch 先做 g ← g + λp，再整体乘 lr",
        "the decay term is not multiplied by the learning rate: PyTorch first does g ← g + λp, "
        "then multiplies all of it by lr",
    ),
    Mistake(
        lambda p, g, lr, wd: p - lr * g,
        "没有权重衰减：别忘了 g ← g + λp",
        "weight decay is missing: remember g ← g + λp",
    ),
    Mistake(
        lambda p, g, lr, wd: p + lr * (g + wd * p),
        "更新方向反了：SGD 沿负梯度走，p − lr·(g + λp)",
        "the step goes uphill: SGD moves against the gradient, p − lr·(g + λp)",
    ),
    Mistake(
        lambda p, g, lr, wd: p - (g + wd * p),
        "忘了乘学习率：p − lr·(g + λp)",
        "the learning rate is missing: p − lr·(g + λp)",
    ),
    Mistake(_sgd_step_in_place, *IN_PLACE),
]


def ex1_sgd_step(sgd_step):
    """Exercise 1: one step of ``torch.optim.SGD(lr, weight_decay)`` without momentum."""
    p, (g,) = optimizer_inputs(1, 1)
    lr, wd = 0.1, 0.3
    expected = optimizer_run(torch.optim.SGD, p, [g], lr=lr, weight_decay=wd)
    inputs = (p, g, lr, wd)
    check_optimizer(
        sgd_step, inputs, expected, MISTAKES["ex1_sgd_step"], name=("新参数", "the new parameter")
    )
    passed("练习 1 通过：带权重衰减的一步 SGD 正确", "Exercise 1 passed: SGD with weight decay")


# ---------------------------------------------------------------- exercise 2: momentum


def _momentum(
    *,
    first=lambda g, tau: g,
    buffer=lambda b, g, mu, tau: mu * b + (1 - tau) * g,
    sign=-1.0,
    lr_in_buffer=False,
    first_lr_only=False,
):
    """``sgd_momentum`` as PyTorch writes it (the defaults), or with one thing changed."""

    def sgd_momentum(p0, grads, lrs, momentum, dampening):
        p, b = p0.clone(), None
        for g, lr in zip(grads, [lrs[0]] * len(lrs) if first_lr_only else lrs):
            g = lr * g if lr_in_buffer else g
            b = first(g, dampening) if b is None else buffer(b, g, momentum, dampening)
            p = p + sign * (1.0 if lr_in_buffer else lr) * b
        return p

    return sgd_momentum


TEXTBOOK = (
    "学习率被放进了动量缓冲区（教科书写法 v = μv − ηg）：PyTorch 的缓冲区里没有学习率，"
    "更新时才乘当前的 lr：p ← p − lr·b",
    "the learning rate went into the momentum buffer (the textbook v = μv − ηg): PyTorch's "
    "buffer holds no learning rate; the current lr multiplies it only in the update p ← p − lr·b",
)
MISTAKES["ex2_sgd_momentum"] = [
    Mistake(
        _momentum(sign=+1.0),
        "动量的符号反了：PyTorch 是 p ← p − lr·b，不是 p + lr·b",
        "momentum has the wrong sign: PyTorch does p ← p − lr·b, not p + lr·b",
    ),
    Mistake(_momentum(lr_in_buffer=True), *TEXTBOOK),  # v ← μv + (1 − τ)·lr·g, p ← p − v
    Mistake(_momentum(lr_in_buffer=True, buffer=lambda b, g, mu, tau: mu * b + g), *TEXTBOOK),
    Mistake(
        _momentum(first=lambda g, tau: (1 - tau) * g),  # the same as b = μ·0 + (1 − τ)·g
        "第一步没有阻尼：PyTorch 第一步令 b = g（不是 (1 − τ)·g，也不是从 b = 0 开始）",
        "the first step must not be dampened: PyTorch sets b = g on the first step "
        "(not (1 − τ)·g, nor starting from b = 0)",
    ),
    Mistake(
        _momentum(buffer=lambda b, g, mu, tau: mu * b + tau * g),
        "阻尼 dampening 用反了：新梯度乘的是 (1 − τ)，不是 τ",
        "dampening is inverted: the new gradient is multiplied by (1 − τ), not τ",
    ),
    Mistake(
        _momentum(buffer=lambda b, g, mu, tau: (1 - tau) * mu * b + g),
        "阻尼 dampening 乘错了项：(1 − τ) 乘新梯度 g，不乘旧缓冲区 b",
        "dampening multiplies the wrong term: (1 − τ) multiplies the new gradient g, "
        "not the old buffer b",
    ),
    Mistake(
        _momentum(buffer=lambda b, g, mu, tau: mu * b + g),
        "忘了阻尼 dampening：b ← μb + (1 − τ)·g",
        "dampening is missing: b ← μb + (1 − τ)·g",
    ),
    Mistake(
        _momentum(first_lr_only=True),
        "学习率一直用的是第一个：第 t 步要用 lrs[t]",
        "you used the first learning rate throughout: step t uses lrs[t]",
    ),
]


def ex2_sgd_momentum(sgd_momentum):
    """Exercise 2: ``torch.optim.SGD(momentum, dampening)`` over several steps, the learning
    rate changing."""
    p0, grads = optimizer_inputs(2, 8)
    lrs = [0.1] * 4 + [0.02] * 4
    mu, tau = 0.9, 0.3
    expected = optimizer_run(torch.optim.SGD, p0, grads, lrs, lr=lrs[0], momentum=mu, dampening=tau)
    check_optimizer(sgd_momentum, (p0, grads, lrs, mu, tau), expected, MISTAKES["ex2_sgd_momentum"])
    passed(
        "练习 2 通过：动量与阻尼正确，学习率变化时也对", "Exercise 2 passed: momentum, dampening"
    )


# ---------------------------------------------------------------- exercise 3: Nesterov


def _nesterov(direction="nesterov", decay="gradient", sign=-1.0):
    """``sgd_nesterov`` as PyTorch writes it (the defaults), or with one thing changed."""

    def sgd_nesterov(p0, grads, lr, momentum, weight_decay):
        p, b = p0.clone(), None
        for g in grads:
            g = g + weight_decay * p if decay == "gradient" else g
            b = g.clone() if b is None else momentum * b + g
            d = {"nesterov": g + momentum * b, "plain": b, "swapped": momentum * g + b}[direction]
            d = d + weight_decay * p if decay == "after" else d
            p = p + sign * lr * d
        return p

    return sgd_nesterov


MISTAKES["ex3_sgd_nesterov"] = [
    Mistake(
        _nesterov(direction="plain"),  # the same as g + μ·b with b before its update
        "这是普通动量（沿 b 走）：Nesterov 先 b ← μb + g，再沿 g + μ·b 走"
        "（用更新前的缓冲区算 g + μ·b 也正好等于普通动量）",
        "this is plain momentum (a step along b): Nesterov first does b ← μb + g, then steps "
        "along g + μ·b (g + μ·b with the buffer before its update is exactly plain momentum too)",
    ),
    Mistake(
        _nesterov(direction="swapped"),
        "μ 乘错了项：方向是 g + μ·b，不是 μ·g + b",
        "μ multiplies the wrong term: the direction is g + μ·b, not μ·g + b",
    ),
    Mistake(
        _nesterov(sign=+1.0),
        "动量的符号反了：p ← p − lr·(g + μ·b)",
        "momentum has the wrong sign: p ← p − lr·(g + μ·b)",
    ),
    Mistake(
        _nesterov(decay="after"),
        "权重衰减加晚了：要在更新缓冲区之前先做 g ← g + λp，衰减也进入动量",
        "weight decay comes too late: do g ← g + λp before updating the buffer, so the decay "
        "enters the momentum too",
    ),
    Mistake(
        _nesterov(decay="none"),
        "没有权重衰减：先做 g ← g + λp",
        "weight decay is missing: first do g ← g + λp",
    ),
]


def ex3_sgd_nesterov(sgd_nesterov):
    """Exercise 3: ``torch.optim.SGD(momentum, nesterov=True, weight_decay)`` over several
    steps."""
    p0, grads = optimizer_inputs(3, 8)
    lr, mu, wd = 0.05, 0.9, 0.2
    expected = optimizer_run(
        torch.optim.SGD, p0, grads, lr=lr, momentum=mu, nesterov=True, weight_decay=wd
    )
    check_optimizer(sgd_nesterov, (p0, grads, lr, mu, wd), expected, MISTAKES["ex3_sgd_nesterov"])
    passed("练习 3 通过：Nesterov 加权重衰减正确", "Exercise 3 passed: Nesterov with weight decay")


wrap_checkers(globals())
