"""Checkers of lesson 13 (more optimizers).

Exercise 1 (transfer) asks for RAdam's first adaptive step under a constant gradient, in settings
the lesson did not show: other values of β2 (the lesson shows 0.999, where the switch comes at
step 6), a gradient as small as ε (where it matters that ε is added to the uncorrected √v) and a
β2 at which RAdam never adapts. The checker finds the right answer by running
``torch.optim.RAdam`` itself. Exercise 2 grades a prediction: the first step at which Rprop moves
by its largest step size, found here by running ``torch.optim.Rprop``.

Each anticipated mistake is data (``MISTAKES``): a wrong answer with the exercise's own signature
(made by the generator ``_radam_first`` below, whose defaults are the right answer, asserted equal
to ``torch.optim.RAdam`` by the tests) or a wrong prediction, with its Chinese and English hints.
"""

import math
import signal
import threading
from contextlib import contextmanager
from functools import partial
from unittest import mock

import torch

from . import CheckFailed, Mistake, expect, expect_integer, fail, passed, wrap_checkers

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


# ---------------------------------------------------------------- exercise 1: RAdam's first adaptive step

# (g, lr, betas, eps, max_steps): the constant gradient, and RAdam's settings
RADAM_CASES = [
    (0.5, 0.1, (0.9, 0.8), 1e-8, 1000),  # β2 = 0.8: the switch is not at step 6
    (-2e-3, 0.1, (0.5, 0.95), 1e-3, 1000),  # a gradient as small as ε, and negative
    (3.0, 0.01, (0.9, 0.7), 1e-8, 1000),  # β2 = 0.7: later still
    (1.0, 0.1, (0.9, 0.6), 1e-8, 1000),  # β2 = 0.6: ρ∞ = 4, never adaptive
]
TIME_LIMIT = 3  # seconds for the four cases: a right answer takes milliseconds


def _radam_truth(g, lr, betas, eps, max_steps):
    """``(t, θ_{t+1} − θ_t)`` at the first step where ``torch.optim.RAdam`` takes its adaptive
    step, or ``None``. Before it, each step is η·m̂_t = η·g exactly (a constant gradient makes
    m̂_t = g); the adaptive step η·r_t·m̂_t·√(1 − β2^t)/(√v_t + ε) is another size."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.RAdam([p], lr=lr, betas=betas, eps=eps)
    for t in range(1, max_steps + 1):
        before = p.item()
        p.grad = torch.full_like(p, g)
        optimizer.step()
        delta = p.item() - before
        if not math.isclose(delta, -lr * g, rel_tol=1e-9):
            return t, delta
    return None


def _radam_first(
    g,
    lr,
    betas,
    eps,
    max_steps,
    *,
    threshold=5.0,
    adam_eps=False,
    rectify=True,
    r_squared=False,
    t_from_zero=False,
    rho_no_correction=False,
    correct_m=True,
    sign=-1.0,
    unbounded=False,
):
    """The first adaptive step as PyTorch takes it (the defaults), or with one thing changed.

    threshold: ρ_t must exceed it (PyTorch 5, the paper 4); adam_eps: ε added to √v̂ as in Adam;
    rho_no_correction: ρ_t = ρ∞ − 2tβ2^t, without dividing by 1 − β2^t; unbounded: a loop that
    waits for ρ_t > threshold with no limit on the steps."""
    beta1, beta2 = betas
    rho_inf = 2 / (1 - beta2) - 1
    t = 0
    while unbounded or t < max_steps:
        t += 1
        bc2 = 1 - beta2**t
        rho = rho_inf - 2 * t * beta2**t / (1 if rho_no_correction else bc2)
        if rho > threshold:
            break
    else:
        return None
    m_hat = g if correct_m else (1 - beta1**t) * g  # a constant g: m_t = (1 − β1^t)·g
    sqrt_v = math.sqrt(bc2) * abs(g)  # v_t = (1 − β2^t)·g²
    if adam_eps:
        scale = 1 / (sqrt_v / math.sqrt(bc2) + eps)
    else:
        scale = math.sqrt(bc2) / (sqrt_v + eps)
    r2 = (rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)
    r = 1.0 if not rectify else (r2 if r_squared else math.sqrt(max(r2, 0.0)))
    return (t - 1 if t_from_zero else t), sign * lr * r * m_hat * scale


def _radam_mistake(zh, en, **wrong):
    return Mistake(partial(_radam_first, **wrong), zh, en)


RADAM_WHY = (
    "ρ∞ = 2/(1 − β2) − 1，ρ_t = ρ∞ − 2tβ2^t/(1 − β2^t)；PyTorch 在 ρ_t > 5 的第一步开始自适应，"
    "这一步移动 −η·r_t·m̂_t·√(1 − β2^t)/(√v_t + ε)。梯度恒为 g 时 m̂_t = g，v_t = (1 − β2^t)g²",
    "ρ∞ = 2/(1 − β2) − 1, ρ_t = ρ∞ − 2tβ2^t/(1 − β2^t); PyTorch adapts at the first step with "
    "ρ_t > 5, which moves −η·r_t·m̂_t·√(1 − β2^t)/(√v_t + ε). With a constant g, m̂_t = g and "
    "v_t = (1 − β2^t)g²",
)
NEVER = (
    "β2 = 0.6 时 ρ∞ = 2/(1 − 0.6) − 1 = 4：ρ_t 从下面趋近 ρ∞，永远到不了 5，RAdam 一直走"
    "SGD 加动量的步子 η·m̂_t，应返回 None。β2 ≤ 2/3 时都是这样",
    "with β2 = 0.6, ρ∞ = 2/(1 − 0.6) − 1 = 4: ρ_t approaches ρ∞ from below and never reaches 5, "
    "so RAdam takes SGD-with-momentum steps η·m̂_t forever; return None. So it is for any "
    "β2 ≤ 2/3",
)
TIMEOUT = (
    f"你的函数 {TIME_LIMIT} 秒内没有返回：等 ρ_t > 5 的循环，在 β2 ≤ 2/3（ρ∞ ≤ 5）时永远不会结束。"
    "最多走 max_steps 步，仍未切换就返回 None",
    f"your function did not return within {TIME_LIMIT} s: a loop that waits for ρ_t > 5 never ends "
    "when β2 ≤ 2/3 (ρ∞ ≤ 5). Take at most max_steps steps, and return None if there was no switch",
)
NO_TORCH_RADAM = (
    "不要调用 torch.optim.RAdam：从第 5.1 节的公式算出来，检查拿 torch.optim.RAdam 来对照",
    "do not call torch.optim.RAdam: work it out from the formulas of section 5.1; the check "
    "compares your answer with torch.optim.RAdam",
)
MISTAKES["ex1_radam_first_step"] = [
    _radam_mistake(
        "方向反了：这一步是 θ_{t+1} − θ_t = −η·r_t·…，梯度为正时参数减小",
        "the sign is wrong: the move θ_{t+1} − θ_t = −η·r_t·…; a positive gradient makes the "
        "parameter smaller",
        sign=+1.0,
    ),
    _radam_mistake(
        "这是论文的阈值 ρ_t > 4：PyTorch 要求 ρ_t > 5，切换晚一步或更多（第 5.1 节）",
        "this is the paper's threshold ρ_t > 4: PyTorch requires ρ_t > 5, which switches a step "
        "or more later (section 5.1)",
        threshold=4.0,
    ),
    _radam_mistake(
        "ε 放错了位置：RAdam 把 ε 加在没有修正的 √v_t 上，√(1 − β2^t)/(√v_t + ε)；"
        "Adam 才是 1/(√v̂_t + ε)。梯度小到与 ε 相当时（第二组）差别很大",
        "ε is in the wrong place: RAdam adds ε to the uncorrected √v_t, √(1 − β2^t)/(√v_t + ε); "
        "1/(√v̂_t + ε) is Adam's. With a gradient as small as ε (the second case) they differ a lot",
        adam_eps=True,
    ),
    _radam_mistake(
        "少了修正因子 r_t：自适应的一步要乘 r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))",
        "the rectification r_t is missing: the adaptive step is multiplied by "
        "r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))",
        rectify=False,
    ),
    _radam_mistake(
        "r_t 少了平方根：r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))",
        "r_t lacks its square root: r_t = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))",
        r_squared=True,
    ),
    _radam_mistake(
        "步数差了一：第一步是 t = 1，返回的是这一步的编号（从 1 数起）",
        "the step number is off by one: the first step is t = 1, and the answer counts from 1",
        t_from_zero=True,
    ),
    _radam_mistake(
        "ρ_t 少除了 1 − β2^t：ρ_t = ρ∞ − 2tβ2^t/(1 − β2^t)，第一步 ρ_1 = 1",
        "ρ_t lacks the division by 1 − β2^t: ρ_t = ρ∞ − 2tβ2^t/(1 − β2^t), and ρ_1 = 1",
        rho_no_correction=True,
    ),
    _radam_mistake(
        "m 没有做偏差修正：梯度恒为 g 时 m_t = (1 − β1^t)g，m̂_t = m_t/(1 − β1^t) = g，"
        "所以答案与 β1 无关",
        "m has no bias correction: with a constant g, m_t = (1 − β1^t)g and "
        "m̂_t = m_t/(1 − β1^t) = g, so the answer does not depend on β1",
        correct_m=False,
    ),
    _radam_mistake(*TIMEOUT, unbounded=True),
    Mistake(_radam_truth, *NO_TORCH_RADAM),
]


@contextmanager
def _time_limit(seconds):
    """Fail with ``TIMEOUT`` when the block runs longer than ``seconds`` (where a timer signal
    can interrupt it: the main thread of a Unix process, as in a Jupyter kernel)."""
    usable = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise CheckFailed(*TIMEOUT)

    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _refuse_radam(*args, **kwargs):
    fail(*NO_TORCH_RADAM)


def _answer(got):
    """``None``, or ``(t, delta)`` as ``(int, float)``; fails on anything else."""
    if got is None:
        return None
    ok = isinstance(got, (tuple, list)) and len(got) == 2
    if ok:
        t, delta = got
        ok = (isinstance(t, int) or (torch.is_tensor(t) and t.numel() == 1)) and (
            isinstance(delta, (int, float)) or (torch.is_tensor(delta) and delta.numel() == 1)
        )
    expect(
        ok,
        f"应返回 (t, 移动量) 或 None，得到的是 {got!r:.60}",
        f"return (t, move) or None, got {got!r:.60}",
    )
    delta = float(delta)
    expect(math.isfinite(delta), "移动量应是有限的数", "the move should be a finite number")
    return int(t), delta


def _same(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a[0] == b[0] and math.isclose(a[1], b[1], rel_tol=1e-6, abs_tol=1e-12)


def ex1_radam_first_step(radam_first_adaptive_step):
    """``radam_first_adaptive_step(g, lr, betas, eps, max_steps)``: ``(t, θ_{t+1} − θ_t)`` at the
    first step where ``torch.optim.RAdam`` under the constant gradient ``g`` takes its adaptive
    step, or ``None`` when it takes none within ``max_steps`` steps."""
    for case in RADAM_CASES:
        with _time_limit(TIME_LIMIT), mock.patch.object(torch.optim, "RAdam", _refuse_radam):
            got = _answer(radam_first_adaptive_step(*case))
        right = _radam_truth(*case)
        if _same(got, right):
            continue
        g, lr, betas, eps, _ = case
        setting = f"g = {g}, lr = {lr}, betas = {betas}, eps = {eps}"
        for m in MISTAKES["ex1_radam_first_step"][:-2]:  # not the endless loop, not torch's
            if _same(got, m.answer(*case)):
                fail(f"{setting}：{m.zh}", f"{setting}: {m.en}")
        if right is None:
            fail(f"{setting}：{NEVER[0]}", f"{setting}: {NEVER[1]}")
        if got is None:
            fail(
                f"{setting}：RAdam 在第 {right[0]} 步切换，不是从不切换。{RADAM_WHY[0]}",
                f"{setting}: RAdam switches at step {right[0]}; it does switch. {RADAM_WHY[1]}",
            )
        if got[0] != right[0]:
            fail(
                f"{setting}：切换的步数不是 {got[0]}。{RADAM_WHY[0]}",
                f"{setting}: the switch is not at step {got[0]}. {RADAM_WHY[1]}",
            )
        fail(
            f"{setting}：步数 {got[0]} 对了，移动量 {got[1]:.6g} 不对。{RADAM_WHY[0]}",
            f"{setting}: step {got[0]} is right, the move {got[1]:.6g} is not. {RADAM_WHY[1]}",
        )
    passed(
        "练习 1 通过：四组设置都与 torch.optim.RAdam 一致（β2 ≤ 2/3 时永不切换）",
        "Exercise 1 passed: all four settings match torch.optim.RAdam (β2 ≤ 2/3: no switch, ever)",
    )


# ---------------------------------------------------------------- exercise 2: predict, then run

RPROP = {"lr": 1e-3, "etas": (0.5, 1.5), "step_sizes": (1e-6, 1.0)}
RPROP_GRADIENT = 2.0


def _rprop_max_step(steps=100, lr=1e-3, etas=(0.5, 1.5), step_sizes=(1e-6, 1.0), g=2.0):
    """The first step at which ``torch.optim.Rprop`` under the constant gradient ``g`` uses its
    largest step size."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Rprop([p], lr=lr, etas=etas, step_sizes=step_sizes)
    for t in range(1, steps + 1):
        p.grad = torch.full_like(p, g)
        optimizer.step()
        if optimizer.state[p]["step_size"].item() >= step_sizes[1]:
            return t
    return None


RPROP_WHY = (
    "第 1 步没有上一次的梯度（记为 0），因子是 1，步长就是 lr；之后符号一直相同，每步乘 η+ = 1.5，"
    "第 t 步的步长是 0.001·1.5^(t−1)（与梯度的大小无关）。要 0.001·1.5^(t−1) ≥ 1，即 "
    "t − 1 ≥ ln 1000 / ln 1.5 ≈ 17.04，向上取整 t − 1 = 18，所以是第 19 步",
    "step 1 has no previous gradient (it counts as 0), so its factor is 1 and its step size is "
    "lr; after that the sign stays the same and each step multiplies by η+ = 1.5, so step t uses "
    "0.001·1.5^(t−1) (whatever the size of the gradient). 0.001·1.5^(t−1) ≥ 1 needs "
    "t − 1 ≥ ln 1000 / ln 1.5 ≈ 17.04; rounded up, t − 1 = 18: step 19",
)
MISTAKES["ex2_rprop_max_step"] = [
    Mistake(
        lambda: 18,
        "差了一步。第 1 步的因子是 1，不是 η+；而且 1.5^17 ≈ 985 还不到 1000，要向上取整。"
        + RPROP_WHY[0],
        "one step short. Step 1's factor is 1, not η+; and 1.5^17 ≈ 985 is still below 1000, so "
        "round up. " + RPROP_WHY[1],
    ),
    Mistake(
        lambda: 17,
        "梯度的大小不进入 Rprop：只有符号算数，梯度是 2 还是 0.001 都一样。" + RPROP_WHY[0],
        "the size of the gradient never enters Rprop, only its sign: a gradient of 2 or of 0.001 "
        "gives the same steps. " + RPROP_WHY[1],
    ),
    Mistake(
        lambda: 48,
        "48 是默认设置（lr = 0.01，η+ = 1.2，Δmax = 50）的答案；这里是 lr = 0.001，η+ = 1.5，"
        "Δmax = 1。" + RPROP_WHY[0],
        "48 is the answer for the defaults (lr = 0.01, η+ = 1.2, Δmax = 50); here lr = 0.001, "
        "η+ = 1.5, Δmax = 1. " + RPROP_WHY[1],
    ),
]


def ex2_rprop_max_step(predict_rprop_max_step):
    """``predict_rprop_max_step()``: the predicted first step at which
    ``Rprop(lr=1e-3, etas=(0.5, 1.5), step_sizes=(1e-6, 1.0))`` under a constant gradient of 2
    moves by its largest step size, 1."""
    got = expect_integer(predict_rprop_max_step())
    right = _rprop_max_step(**{**RPROP, "g": RPROP_GRADIENT})
    if got != right:
        for m in MISTAKES["ex2_rprop_max_step"]:
            if got == m.answer():
                fail(m.zh, m.en)
        fail(f"不是第 {got} 步。{RPROP_WHY[0]}", f"not step {got}. {RPROP_WHY[1]}")
    passed(
        "练习 2 通过：第 1 步因子为 1，0.001·1.5^18 ≥ 1，第 19 步走满 Δmax",
        "Exercise 2 passed: step 1's factor is 1, 0.001·1.5^18 ≥ 1: step 19 moves Δmax",
    )


wrap_checkers(globals())
