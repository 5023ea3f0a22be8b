"""Checks for the exercises of lesson 07 (SGD and its family).

Exercise 1 grades a prediction: the largest stable learning rate of Nesterov momentum on the
lesson's quadratic, computed here from PyTorch's rule. Exercise 2 runs the learner's fixed
``sgd_update`` next to ``torch.optim.SGD`` under one set of options at a time, so that each bug
of the notebook's ``buggy_sgd_update`` shows under the options that expose it alone and the hint
names it. The anticipated mistakes are data, in ``MISTAKES`` (a wrong answer with its hint).
"""

from unittest import mock

import torch

from . import (
    IN_PLACE,
    OPTIMIZER_FACTOR_HINT,
    Mistake,
    call_unchanged,
    check_close,
    expect,
    expect_number,
    fail,
    passed,
    wrap_checkers,
    wrong_results,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


# ---------------------------------------------------------------- exercise 1: predict, then run

MU, LAM_MAX = 0.9, 25.0  # SGD(momentum=0.9, nesterov=True) on ½(x² + 25y²)
TOLERANCE = 0.02  # a prediction within 2 % of the edge is right


def _nesterov_rate(lr, momentum, lam):
    """The rate per step of ``torch.optim.SGD(nesterov=True)`` along a direction of curvature
    ``lam``: the spectral radius of (θ_t, b_{t-1}) -> (θ_{t+1}, b_t), where g_t = λθ_t,
    b_t = μ b_{t-1} + g_t and θ_{t+1} = θ_t − η(g_t + μ b_t)."""
    M = torch.tensor(
        [[1 - lr * lam * (1 + momentum), -lr * momentum**2], [lam, momentum]],
        dtype=torch.float64,
    )
    return torch.linalg.eigvals(M).abs().max().item()


def _nesterov_edge(momentum=MU, lam=LAM_MAX):
    """The largest stable learning rate, by bisection: stable at ``lo``, unstable at ``hi``."""
    lo, hi = 0.01 / lam, 5.0 / lam
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _nesterov_rate(mid, momentum, lam) < 1 else (lo, mid)
    return lo


WHY = (
    "Nesterov 是 b_t = μb_{t−1} + g_t，θ_{t+1} = θ_t − η(g_t + μb_t)。在曲率为 λ 的方向上"
    "（g_t = λθ_t）消去 b，得到 θ_{t+1} = (1 + μ)(1 − ηλ)θ_t − μ(1 − ηλ)θ_{t−1}。"
    "特征值到达 −1 时 1 + (1 + 2μ)(1 − ηλ) = 0，即 ηλ = 2(1 + μ)/(1 + 2μ) ≈ 1.357（μ = 0.9）；"
    "最陡的方向 λ = 25 决定上限：η < 1.357/25 ≈ 0.0543",
    "Nesterov is b_t = μb_{t−1} + g_t, θ_{t+1} = θ_t − η(g_t + μb_t). Along a direction of "
    "curvature λ (g_t = λθ_t), eliminating b gives θ_{t+1} = (1 + μ)(1 − ηλ)θ_t − μ(1 − ηλ)θ_{t−1}. "
    "An eigenvalue reaches −1 when 1 + (1 + 2μ)(1 − ηλ) = 0, i.e. ηλ = 2(1 + μ)/(1 + 2μ) ≈ 1.357 "
    "(μ = 0.9); the steepest direction, λ = 25, sets the ceiling: η < 1.357/25 ≈ 0.0543",
)
MISTAKES["ex1_nesterov_edge"] = [
    Mistake(
        lambda: 2 * (1 + MU) / LAM_MAX,
        "0.152 = 2(1 + μ)/λ_max 是普通动量（第 5.3 节）的上限，Nesterov 的递推不同。它沿 "
        "g_t + μb_t = (1 + μ)g_t + μ²b_{t−1} 走：当前梯度被放大了 1 + μ 倍，所以上限低得多。"
        + WHY[0],
        "0.152 = 2(1 + μ)/λ_max is the ceiling of plain momentum (section 5.3); Nesterov's "
        "recursion differs. It steps along g_t + μb_t = (1 + μ)g_t + μ²b_{t−1}: the current "
        "gradient is scaled up by 1 + μ, so the ceiling is much lower. " + WHY[1],
    ),
    Mistake(
        lambda: 2 / LAM_MAX,
        "0.08 = 2/λ_max 是没有动量时的上限（第 5.1 节）；动量改变了递推，上限也随之改变。" + WHY[0],
        "0.08 = 2/λ_max is the ceiling without momentum (section 5.1); momentum changes the "
        "recursion, and with it the ceiling. " + WHY[1],
    ),
    Mistake(
        lambda: 2 * (1 - MU) / LAM_MAX,
        "0.008 来自“有效学习率 η/(1 − μ) 不能超过 2/λ”，但有效学习率只描述梯度方向不变的平缓方向；"
        "在稳定上限附近梯度每步变号，缓冲区里的旧梯度互相抵消（普通动量能到 ηλ = 3.8，第 5.3 节）。"
        + WHY[0],
        "0.008 comes from 'the effective learning rate η/(1 − μ) must stay below 2/λ', but the "
        "effective learning rate only describes flat directions where the gradient keeps its "
        "sign; near the ceiling the gradient flips every step and the old gradients in the buffer "
        "cancel (plain momentum reaches ηλ = 3.8, section 5.3). " + WHY[1],
    ),
    Mistake(
        lambda: 2 / ((1 + MU) * LAM_MAX),
        "0.0421 = 2/((1 + μ)λ_max) 把 Nesterov 当成学习率为 (1 + μ)η 的普通梯度下降，"
        "漏掉了方向 (1 + μ)g_t + μ²b_{t−1} 里的旧缓冲区，它让上限高一些。" + WHY[0],
        "0.0421 = 2/((1 + μ)λ_max) treats Nesterov as plain gradient descent with a learning "
        "rate of (1 + μ)η, leaving out the old buffer in the direction (1 + μ)g_t + μ²b_{t−1}, "
        "which raises the ceiling a little. " + WHY[1],
    ),
    Mistake(
        lambda: 2 * (1 + MU) / (1 + 2 * MU),
        "1.357 是 ηλ 的上限，不是 η：上限由最陡的方向决定，要除以 λ_max = 25。" + WHY[0],
        "1.357 is the ceiling of ηλ, not of η: the steepest direction sets the ceiling, so "
        "divide by λ_max = 25. " + WHY[1],
    ),
]


def ex1_nesterov_edge(predict_nesterov_edge):
    """``predict_nesterov_edge()``: the predicted largest learning rate at which
    ``torch.optim.SGD(momentum=0.9, nesterov=True)`` converges on ½(x² + 25y²)."""
    got = expect_number(predict_nesterov_edge())
    right = _nesterov_edge()
    if abs(got - right) > TOLERANCE * right:
        for m in MISTAKES["ex1_nesterov_edge"]:
            value = m.answer()
            if abs(got - value) <= TOLERANCE * abs(value):
                fail(m.zh, m.en)
        fail(f"不是 {got:.4g}。{WHY[0]}", f"not {got:.4g}. {WHY[1]}")
    passed(
        "练习 1 通过：Nesterov 要 ηλ < 2(1 + μ)/(1 + 2μ) ≈ 1.357，η < 0.0543（普通动量是 0.152）",
        "Exercise 1 passed: Nesterov needs ηλ < 2(1 + μ)/(1 + 2μ) ≈ 1.357, η < 0.0543 "
        "(momentum: 0.152)",
    )


# ---------------------------------------------------------------- exercise 2: find the bugs


def _sgd_update(
    *,
    zero_start=False,
    old_buffer=False,
    decay_late=False,
    decay_twice=False,
    lr_in_buffer=False,
    drop_buffers=False,
    in_place=False,
):
    """``sgd_update`` as PyTorch's rule has it (the defaults), or with the named things wrong:
    the buffer starting at 0, Nesterov with the buffer before its update, weight decay added after
    momentum (or twice), the learning rate inside the buffer (the textbook form), the old buffers
    returned, the parameters changed in place."""

    def sgd_update(
        params, grads, buffers, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False
    ):
        new_params, new_buffers = [], []
        for p, g, b in zip(params, grads, buffers):
            if not decay_late:
                g = g + weight_decay * p
            s = lr if lr_in_buffer else 1.0
            d, new_b = s * g, b
            if momentum != 0:
                start = torch.zeros_like(g) if zero_start else None
                old = b if b is not None else start
                new_b = s * g if old is None else momentum * old + (1 - dampening) * s * g
                if nesterov:
                    ahead = torch.zeros_like(g) if old is None else old
                    d = s * g + momentum * (ahead if old_buffer else new_b)
                else:
                    d = new_b
            if decay_late or decay_twice:
                d = d + s * weight_decay * p
            step = d if lr_in_buffer else lr * d
            new_params.append(p.sub_(step) if in_place else p - step)
            new_buffers.append(b if drop_buffers else new_b)
        return new_params, new_buffers

    return sgd_update


def _calls_torch_sgd(params, grads, buffers, lr, **options):
    """A right step, taken by torch.optim.SGD itself with the buffers put into its state."""
    new_params, new_buffers = [], []
    for p, g, b in zip(params, grads, buffers):
        q = p.clone().requires_grad_(True)
        optimizer = torch.optim.SGD([q], lr=lr, **options)
        if b is not None:
            optimizer.state[q]["momentum_buffer"] = b.clone()
        q.grad = g.clone()
        optimizer.step()
        new_params.append(q.detach())
        new_buffers.append(optimizer.state[q].get("momentum_buffer"))
    return new_params, new_buffers


DAMPEN_FIRST = (
    "第一步不对：缓冲区从 0 开始，第一步就成了 b = μ·0 + (1 − τ)·g = (1 − τ)·g。PyTorch "
    "第一步令 b = g（复制梯度，没有阻尼），以后才是 b = μb + (1 − τ)·g（有阻尼时才看得出来）",
    "the first step is wrong: a buffer that starts at 0 makes the first step "
    "b = μ·0 + (1 − τ)·g = (1 − τ)·g. PyTorch sets b = g on the first step (a copy of the "
    "gradient, no dampening), and b = μb + (1 − τ)·g only after that (it shows with dampening)",
)
OLD_BUFFER = (
    "nesterov=True 时走的是普通动量的步子：g + μ·b 要用这一步更新之后的缓冲区 b_t；"
    "用更新之前的 b_{t−1} 算出的 g_t + μb_{t−1} 正好等于 b_t。先更新缓冲区，再算方向",
    "with nesterov=True the steps are those of plain momentum: g + μ·b needs the buffer after "
    "this step's update, b_t; with the buffer before it, g_t + μb_{t−1} is exactly b_t. Update "
    "the buffer first, then compute the direction",
)
DECAY_LATE = (
    "权重衰减加晚了：PyTorch 在做任何其他事之前先 g ← g + λp，衰减也进入动量缓冲区；"
    "在更新时才加 λp，它就绕过了缓冲区（有动量又有衰减时才看得出来）",
    "weight decay comes too late: PyTorch does g ← g + λp before anything else, so the decay "
    "enters the momentum buffer too; adding λp only in the update bypasses the buffer (it shows "
    "with momentum and decay together)",
)
NO_TORCH_SGD = (
    "不要调用 torch.optim.SGD：改好 buggy_sgd_update 里的错误，检查拿 torch.optim.SGD 来对照",
    "do not call torch.optim.SGD: fix the bugs of buggy_sgd_update; the check compares your "
    "function with torch.optim.SGD",
)
MISTAKES["ex2_sgd_update"] = [
    # one bug of the notebook's cell each: first, so that a path with one bug left gets its hint
    Mistake(_sgd_update(zero_start=True), *DAMPEN_FIRST),
    Mistake(_sgd_update(old_buffer=True), *OLD_BUFFER),
    Mistake(_sgd_update(decay_late=True), *DECAY_LATE),
    Mistake(
        _sgd_update(decay_twice=True),
        "权重衰减算了两次：开头已经 g ← g + λp，更新时就不要再加 λp",
        "weight decay is counted twice: after g ← g + λp at the start, do not add λp again in "
        "the update",
    ),
    Mistake(
        _sgd_update(lr_in_buffer=True),
        "学习率进了缓冲区（教科书写法 v = μv + ηg）：PyTorch 的缓冲区里没有学习率，更新时才乘"
        "这一步的 lr，所以学习率一变（这里第 6 步后降为 0.02）两者就不同",
        "the learning rate went into the buffer (the textbook v = μv + ηg): PyTorch's buffer "
        "holds no learning rate and this step's lr multiplies it only in the update, so the two "
        "part ways when the learning rate changes (here it drops to 0.02 after step 6)",
    ),
    Mistake(
        _sgd_update(drop_buffers=True),
        "返回的不是更新后的缓冲区：下一步拿到的还是旧的（开始时是 None），每一步都像第一步，"
        "动量没有累积。把新的 b 放进返回的列表",
        "the buffers returned are not the updated ones: the next step gets the old ones (None at "
        "the start), every step is a first step and no momentum builds up. Return the new b",
    ),
    Mistake(_sgd_update(in_place=True), *IN_PLACE),
    Mistake(_calls_torch_sgd, *NO_TORCH_SGD),
    # the cell as given, and two bugs of it: the options are tried in order (dampening first,
    # then Nesterov, then weight decay), and the first that goes wrong names its bug
    Mistake(_sgd_update(zero_start=True, old_buffer=True, decay_late=True), *DAMPEN_FIRST),
    Mistake(_sgd_update(zero_start=True, old_buffer=True), *DAMPEN_FIRST),
    Mistake(_sgd_update(zero_start=True, decay_late=True), *DAMPEN_FIRST),
    Mistake(_sgd_update(old_buffer=True, decay_late=True), *OLD_BUFFER),
]

STEPS = 12
LRS = [0.1] * (STEPS // 2) + [0.02] * (STEPS // 2)  # a drop, as a scheduler would make
OPTIONS = [  # one set of options at a time: each bug of the notebook's cell shows alone
    ("只有 lr 时", "lr only", {}),
    ("动量加阻尼时", "momentum with dampening", {"momentum": 0.9, "dampening": 0.5}),
    ("Nesterov 时", "Nesterov", {"momentum": 0.9, "nesterov": True}),
    ("动量加权重衰减时", "momentum with weight decay", {"momentum": 0.9, "weight_decay": 0.1}),
    (
        "Nesterov 加权重衰减时",
        "Nesterov with weight decay",
        {"momentum": 0.9, "nesterov": True, "weight_decay": 0.1},
    ),
]


def _inputs():
    """Two float64 parameters of different shapes and ``STEPS`` gradients for each."""
    gen = torch.Generator().manual_seed(7)
    shapes = [(3, 4), (5,)]
    params = [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes]
    grads = [
        [torch.randn(s, generator=gen, dtype=torch.float64) for s in shapes] for _ in range(STEPS)
    ]
    return params, grads


def _flat(tensors):
    return torch.cat([t.detach().flatten() for t in tensors])


def _reference(options):
    """torch.optim.SGD's parameters after each step, one row per step."""
    params, grads = _inputs()
    ps = [p.clone().requires_grad_(True) for p in params]
    optimizer = torch.optim.SGD(ps, lr=LRS[0], **options)
    rows = []
    for lr, gs in zip(LRS, grads):
        optimizer.param_groups[0]["lr"] = lr
        for p, g in zip(ps, gs):
            p.grad = g.clone()
        optimizer.step()
        rows.append(_flat(ps))
    return torch.stack(rows)


def _trajectory(sgd_update, options, checked=False):
    """The parameters after each step of ``sgd_update``, one row per step; ``checked`` makes sure
    that it returns two lists and changes nothing passed to it."""
    params, grads = _inputs()
    buffers = [None] * len(params)
    rows = []
    for lr, gs in zip(LRS, grads):
        if checked:
            out = call_unchanged(sgd_update, params, gs, buffers, lr, **options)
            expect(
                isinstance(out, tuple)
                and len(out) == 2
                and all(isinstance(x, (list, tuple)) and len(x) == len(params) for x in out)
                and all(isinstance(p, torch.Tensor) for p in out[0]),
                "应返回 (新参数列表, 新缓冲区列表)：两个列表，各有一项对应一个参数",
                "return (new parameters, new buffers): two lists, one entry per parameter",
            )
        else:
            out = sgd_update(params, gs, buffers, lr, **options)
        params, buffers = list(out[0]), list(out[1])
        rows.append(_flat(params))
    return torch.stack(rows)


def _refuse_torch_sgd(*args, **kwargs):
    fail(*NO_TORCH_SGD)


def ex2_sgd_update(sgd_update):
    """``sgd_update(params, grads, buffers, lr, momentum, dampening, weight_decay, nesterov)``:
    one step of ``torch.optim.SGD`` on lists of tensors, returning the new parameters and the
    new momentum buffers; compared with ``torch.optim.SGD`` over ``STEPS`` steps, one set of
    options at a time."""
    for zh, en, options in OPTIONS:
        expected = _reference(options)
        with mock.patch.object(torch.optim, "SGD", _refuse_torch_sgd):
            got = _trajectory(sgd_update, options, checked=True)
        check_close(
            got,
            expected,
            name=(f"{zh}每一步之后的参数", f"the path of the parameters ({en})"),
            mistakes=wrong_results(
                MISTAKES["ex2_sgd_update"], lambda answer, o=options: _trajectory(answer, o)
            ),
            factor_hint=OPTIMIZER_FACTOR_HINT,
        )
    passed(
        "练习 2 通过：三个错误都改好了，每组选项 12 步都与 torch.optim.SGD 一致",
        "Exercise 2 passed: all three bugs fixed, 12 steps as torch.optim.SGD takes them",
    )


wrap_checkers(globals())
