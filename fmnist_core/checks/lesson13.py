"""Checkers of lesson 13 (more optimizers): Adamax, Rprop's sign rule and NAdam, each compared with
``torch.optim`` on seeded tensors.

Each anticipated mistake is data (``MISTAKES``): a wrong implementation with the exercise's own
signature, made by one of the ``_adamax``, ``_rprop`` and ``_nadam`` generators below (whose
defaults are the right answers, themselves asserted equal to ``torch.optim`` by the tests), and
its Chinese and English hints. The hyperparameters (a large ``eps``, a fast momentum schedule,
step-size bounds that are reached within the steps) make every mistake move the result well beyond
the tolerance.
"""

from functools import partial

import torch

from . import (
    IN_PLACE,
    CheckFailed,
    Mistake,
    check_close,
    expect,
    optimizer_inputs,
    optimizer_run,
    passed,
    wrap_checkers,
    wrong_values,
)


def _rprop_data(seed=21, n_grads=16, shape=(3, 4)):
    """Gradients whose signs stay the same (row 0), alternate (row 1), or are random with a few
    exact zeros (row 2), so that both step-size bounds are reached."""
    p0, grads = optimizer_inputs(seed, n_grads, shape)
    for t, g in enumerate(grads):
        g[0] = g[0].abs() + 0.1
        g[1] = (g[1].abs() + 0.1) * (-1) ** t
        if 3 <= t < 6:
            g[2, 1] = 0.0
    return p0, grads


NONFINITE = (
    "除以了 0（结果是 nan、inf，或 ZeroDivisionError）：步数 t 是不是从 0 开始了？第一步 t = 1；"
    "t = 0 时 1 − β^0 = 0（enumerate(grads, start=1)）",
    "a division by 0 (nan, inf, or ZeroDivisionError): does the step count t start at 0? "
    "The first step has t = 1; at t = 0, 1 − β^0 is 0 (enumerate(grads, start=1))",
)
UPHILL = (
    "更新方向反了：参数要减去这一步，p ← p − ...",
    "the step goes uphill: subtract it, p ← p − ...",
)


def _call(fn, p0, grads, *args):
    """Call ``fn``; fail if it changed ``p0`` or a gradient in place, divided by 0, or returned
    nan or inf."""
    p_copy, g_copy = p0.clone(), [g.clone() for g in grads]
    try:
        got = fn(p0, grads, *args)
    except ZeroDivisionError as e:
        raise CheckFailed(*NONFINITE) from e
    same = torch.equal(p0, p_copy) and all(torch.equal(a, b) for a, b in zip(grads, g_copy))
    expect(same, *IN_PLACE)
    if isinstance(got, torch.Tensor):
        expect(bool(torch.isfinite(got.detach()).all()), *NONFINITE)
    return got


# ---------------------------------------------------------------- exercise 1: Adamax


def _adamax(
    p0,
    grads,
    lr,
    betas,
    eps,
    *,
    eps_mode="in_max",
    correct=True,
    correct_u=False,
    decay_u=True,
    adam=False,
    t_offset=0,
    swap_beta=False,
    sign=-1.0,
):
    """Adamax as PyTorch writes it (the defaults), or with one thing changed.

    eps_mode: "in_max" (max(β2·u, |g| + ε)) or "outside" (max(β2·u, |g|) + ε);
    adam: the denominator of Adam (√v̂ + ε) in place of the maximum.
    """
    b1, b2 = betas
    p, m, u = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        k = t + t_offset
        m = (1 - b1) * m + b1 * g if swap_beta else b1 * m + (1 - b1) * g
        if adam:
            u = b2 * u + (1 - b2) * g * g
            denom = (u / (1 - b2**k)).sqrt() + eps
        else:
            old = b2 * u if decay_u else u
            u = torch.maximum(old, g.abs() + eps if eps_mode == "in_max" else g.abs())
            denom = u + eps if eps_mode == "outside" else u
            if correct_u:
                denom = denom / (1 - b2**k)
        bc = 1 - b1**k if correct else 1.0
        p = p + sign * lr / bc * m / denom
    return p


def _adamax_mistake(zh, en, **wrong):
    return Mistake(partial(_adamax, **wrong), zh, en)


# ---------------------------------------------------------------- exercise 2: Rprop


def _rprop(
    p0,
    grads,
    lr,
    etas,
    step_sizes,
    *,
    move_on_flip=False,
    keep_prev=False,
    magnitude=False,
    swap_etas=False,
    clamp=True,
    size_after_move=False,
    first_grows=False,
    constant_size=False,
    sign=-1.0,
):
    """Rprop as PyTorch writes it (the defaults), or with one thing changed."""
    eta_minus, eta_plus = (etas[1], etas[0]) if swap_etas else etas
    lo, hi = step_sizes
    p, prev, size = p0.clone(), torch.zeros_like(p0), torch.full_like(p0, lr)
    for i, g in enumerate(grads):
        agree = g * (g if first_grows and i == 0 else prev)
        factor = torch.ones_like(g)
        factor[agree > 0] = eta_plus
        factor[agree < 0] = eta_minus
        new_size = size if constant_size else size * factor
        if clamp:
            new_size = new_size.clamp(lo, hi)
        flipped = agree < 0
        g_used = g if move_on_flip else torch.where(flipped, torch.zeros_like(g), g)
        direction = g_used if magnitude else g_used.sign()
        p = p + sign * direction * (size if size_after_move else new_size)
        size = new_size
        prev = g if keep_prev or move_on_flip else g_used
    return p


def _rprop_mistake(zh, en, **wrong):
    return Mistake(partial(_rprop, **wrong), zh, en)


# ---------------------------------------------------------------- exercise 3: NAdam


def _nadam(
    p0,
    grads,
    lr,
    betas,
    eps,
    momentum_decay,
    *,
    adam=False,
    mu_now=False,
    product_to_t=False,
    no_half=False,
    m_with_mu=False,
    eps_inside=False,
    correct_v=True,
    sign=-1.0,
):
    """NAdam as PyTorch writes it (the defaults), or with one thing changed."""
    b1, b2 = betas
    p, m, v = p0.clone(), torch.zeros_like(p0), torch.zeros_like(p0)
    half = 1.0 if no_half else 0.5

    def mu(t):
        return b1 * (1 - half * 0.96 ** (t * momentum_decay))

    product = 1.0
    for t, g in enumerate(grads, start=1):
        mu_t, mu_next = mu(t), mu(t + 1)
        product *= mu_t
        m = mu_t * m + (1 - mu_t) * g if m_with_mu else b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_hat = v / (1 - b2**t) if correct_v else v
        denom = (v_hat + eps).sqrt() if eps_inside else v_hat.sqrt() + eps
        if adam:
            direction = m / (1 - b1**t)
        else:
            weight_m = (mu_t if mu_now else mu_next) / (
                1 - (product if product_to_t else product * mu_next)
            )
            direction = (1 - mu_t) / (1 - product) * g + weight_m * m
        p = p + sign * lr * direction / denom
    return p


def _nadam_mistake(zh, en, **wrong):
    return Mistake(partial(_nadam, **wrong), zh, en)


MISTAKES = {
    "ex1_adamax": [
        _adamax_mistake(*UPHILL, sign=+1.0),
        _adamax_mistake(
            "这是 Adam 的分母 √v̂ + ε：Adamax 用的是最大值 u = max(β2·u, |g| + ε)",
            "this is Adam's denominator √v̂ + ε: Adamax uses the maximum u = max(β2·u, |g| + ε)",
            adam=True,
        ),
        _adamax_mistake(
            "ε 放错了位置：PyTorch 把 ε 加在 |g| 上、放进 max 里面，u = max(β2·u, |g| + ε)，"
            "而不是 max(β2·u, |g|) + ε",
            "ε is in the wrong place: PyTorch adds ε to |g| inside the max, "
            "u = max(β2·u, |g| + ε), not max(β2·u, |g|) + ε",
            eps_mode="outside",
        ),
        _adamax_mistake(
            "u 没有衰减：旧的最大值每步先乘 β2，u = max(β2·u, |g| + ε)",
            "u does not decay: the old maximum is multiplied by β2 first, u = max(β2·u, |g| + ε)",
            decay_u=False,
        ),
        _adamax_mistake(
            "少了偏差修正：学习率要除以 1 − β1^t（t 从 1 开始）",
            "the bias correction is missing: divide the learning rate by 1 − β1^t (t starts at 1)",
            correct=False,
        ),
        _adamax_mistake(
            "u 不做偏差修正：只有 m 要除以 1 − β1^t，最大值不需要修正",
            "u gets no bias correction: only m is divided by 1 − β1^t; the maximum needs none",
            correct_u=True,
        ),
        _adamax_mistake(
            "步数差了一：第一步 t = 1，偏差修正是 1 − β1^1",
            "the step count is off by one: the first step has t = 1, so the correction is 1 − β1^1",
            t_offset=1,
        ),
        _adamax_mistake(
            "β1 乘错了项：m ← β1·m + (1 − β1)·g，β1 保留旧的平均",
            "β1 multiplies the wrong term: m ← β1·m + (1 − β1)·g; β1 keeps the old average",
            swap_beta=True,
        ),
        _adamax_mistake(*NONFINITE, t_offset=-1),
    ],
    "ex2_rprop": [
        _rprop_mistake(*UPHILL, sign=+1.0),
        _rprop_mistake(
            "Rprop 只用梯度的符号：p ← p − Δ·sign(g)，不乘梯度的大小",
            "Rprop uses only the sign of the gradient: p ← p − Δ·sign(g), not Δ·g",
            magnitude=True,
        ),
        _rprop_mistake(
            "步长没有变：每个元素有自己的步长 Δ，符号相同乘 η+，相反乘 η−",
            "the step size never changes: each element has its own Δ, multiplied by η+ when the "
            "signs agree and by η− when they differ",
            constant_size=True,
        ),
        _rprop_mistake(
            "η− 和 η+ 用反了：etas = (η−, η+)，符号相同时乘 η+（变大），符号相反时乘 η−（变小）",
            "η− and η+ are swapped: etas = (η−, η+); the step grows by η+ when the signs agree "
            "and shrinks by η− when they differ",
            swap_etas=True,
        ),
        _rprop_mistake(
            "步长要夹在 step_sizes = (Δmin, Δmax) 之间：Δ = clamp(Δ·因子, Δmin, Δmax)",
            "the step size must stay within step_sizes = (Δmin, Δmax): "
            "Δ = clamp(Δ·factor, Δmin, Δmax)",
            clamp=False,
        ),
        _rprop_mistake(
            "符号变了的那一步不要移动：PyTorch 把这一步的梯度当作 0（也记住 0）",
            "do not move on a step where the sign flipped: PyTorch sets that gradient to 0 "
            "(and remembers 0)",
            move_on_flip=True,
        ),
        _rprop_mistake(
            "符号变了之后记住的应当是 0，不是这一步的梯度：下一步的因子是 1，不会再缩小一次",
            "after a sign flip, remember 0, not this gradient: the next step's factor is then 1 "
            "and the step size does not shrink twice",
            keep_prev=True,
        ),
        _rprop_mistake(
            "先更新步长再移动：这一步就用乘过因子的新步长",
            "update the step size first, then move: this step already uses the new step size",
            size_after_move=True,
        ),
        _rprop_mistake(
            "第一步没有上一次的梯度（记为 0），因子是 1：第一步移动 lr，不是 lr·η+",
            "the first step has no previous gradient (it counts as 0), so its factor is 1: "
            "the first step moves lr, not lr·η+",
            first_grows=True,
        ),
    ],
    "ex3_nadam": [
        _nadam_mistake(*UPHILL, sign=+1.0),
        _nadam_mistake(
            "这是 Adam 的 m / (1 − β1^t)：NAdam 把当前梯度和动量按 μ_t、μ_{t+1} 加权相加",
            "this is Adam's m / (1 − β1^t): NAdam adds the current gradient and the momentum, "
            "weighted by μ_t and μ_{t+1}",
            adam=True,
        ),
        _nadam_mistake(
            "动量那一项要“往前看一步”：分子用 μ_{t+1}，不是 μ_t",
            "the momentum term looks one step ahead: its numerator is μ_{t+1}, not μ_t",
            mu_now=True,
        ),
        _nadam_mistake(
            "动量那一项的修正要乘到第 t + 1 个：1 − μ_1·…·μ_{t+1}",
            "the momentum term's correction runs to t + 1: 1 − μ_1·…·μ_{t+1}",
            product_to_t=True,
        ),
        _nadam_mistake(
            "动量计划少了 1/2：μ_t = β1·(1 − 0.5·0.96^(t·ψ))",
            "the momentum schedule lacks the 1/2: μ_t = β1·(1 − 0.5·0.96^(t·ψ))",
            no_half=True,
        ),
        _nadam_mistake(
            "PyTorch 的 m 用常数 β1 平均：m ← β1·m + (1 − β1)·g；μ_t 只用来给两项加权",
            "PyTorch averages m with the constant β1: m ← β1·m + (1 − β1)·g; μ_t only weights "
            "the two terms",
            m_with_mu=True,
        ),
        _nadam_mistake(
            "ε 放错了位置：PyTorch 把 ε 加在平方根外面，√v̂ + ε",
            "ε is in the wrong place: PyTorch adds ε outside the square root, √v̂ + ε",
            eps_inside=True,
        ),
        _nadam_mistake(
            "v 的偏差修正缺失：v̂ = v / (1 − β2^t)",
            "the bias correction of v is missing: v̂ = v / (1 − β2^t)",
            correct_v=False,
        ),
    ],
}

ADAMAX_ARGS = (0.01, (0.9, 0.99), 0.1)  # lr, betas, eps
RPROP_ARGS = (0.01, (0.5, 1.2), (1e-3, 0.03))  # lr, etas, step_sizes
NADAM_ARGS = (0.01, (0.9, 0.99), 1e-2, 0.1)  # lr, betas, eps, momentum_decay


def ex1_adamax(adamax):
    """Exercise 1: ``torch.optim.Adamax(lr, betas, eps)`` over several steps."""
    p0, grads = optimizer_inputs(31, 12)
    lr, betas, eps = ADAMAX_ARGS
    expected = optimizer_run(torch.optim.Adamax, p0, grads, lr=lr, betas=betas, eps=eps)
    got = _call(adamax, p0, grads, *ADAMAX_ARGS)
    check_close(
        got,
        expected,
        name="adamax(...)",
        mistakes=wrong_values(MISTAKES["ex1_adamax"], p0, grads, *ADAMAX_ARGS),
    )
    passed(
        "练习 1 通过：与 torch.optim.Adamax 一致", "Exercise 1 passed: matches torch.optim.Adamax"
    )


def ex2_rprop(rprop):
    """Exercise 2: ``torch.optim.Rprop(lr, etas, step_sizes)`` over a sequence of gradients."""
    p0, grads = _rprop_data()
    lr, etas, step_sizes = RPROP_ARGS
    expected = optimizer_run(torch.optim.Rprop, p0, grads, lr=lr, etas=etas, step_sizes=step_sizes)
    got = _call(rprop, p0, grads, *RPROP_ARGS)
    check_close(
        got,
        expected,
        name="rprop(...)",
        mistakes=wrong_values(MISTAKES["ex2_rprop"], p0, grads, *RPROP_ARGS),
    )
    passed("练习 2 通过：与 torch.optim.Rprop 一致", "Exercise 2 passed: matches torch.optim.Rprop")


def ex3_nadam(nadam):
    """Exercise 3: ``torch.optim.NAdam(lr, betas, eps, momentum_decay)`` over several steps."""
    p0, grads = optimizer_inputs(33, 12)
    lr, betas, eps, psi = NADAM_ARGS
    expected = optimizer_run(
        torch.optim.NAdam, p0, grads, lr=lr, betas=betas, eps=eps, momentum_decay=psi
    )
    got = _call(nadam, p0, grads, *NADAM_ARGS)
    check_close(
        got,
        expected,
        name="nadam(...)",
        mistakes=wrong_values(MISTAKES["ex3_nadam"], p0, grads, *NADAM_ARGS),
    )
    passed("练习 3 通过：与 torch.optim.NAdam 一致", "Exercise 3 passed: matches torch.optim.NAdam")


wrap_checkers(globals())
