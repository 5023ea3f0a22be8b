"""Checks for the exercises of lesson 08 (adaptive optimizers).

- Exercise 1 (predict): Adam's parameter after two steps whose gradients are +1, then −1.
- Exercise 2 (debug): one AdamW step with three bugs to fix. The answer runs a few steps against
  ``torch.optim.AdamW``; when it is wrong, three probes (no decay and a negligible ε; a large ε;
  a large weight decay) each expose one part, so the hint names the bug that is still there.
- Exercise 3 (transfer): the learning rate at which Adam's first step changes no parameter
  tensor by more than a given update/weight ratio.

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import math
from unittest import mock

import torch
from torch import nn

from . import (
    Mistake,
    expect,
    expect_number,
    fail,
    optimizer_inputs,
    passed,
    tiny_model,
    wrap_checkers,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


def _first_match(got, wrong, rel=1e-3, abs_=0.0):
    """The ``(zh, en)`` of the first ``(value, zh, en)`` in ``wrong`` close to the number ``got``,
    else None."""
    for value, zh, en in wrong:
        if math.isclose(got, value, rel_tol=rel, abs_tol=abs_):
            return zh, en
    return None


# ---------------------------------------------------------------- exercise 1: predict, then run

FLIP_LR, FLIP_GRADS = 0.1, (1.0, -1.0)  # Adam(lr=0.1), defaults otherwise; θ starts at 0
FLIP_TOLERANCE = 5e-4  # −0.0947 and −0.095 both pass; the nearest wrong value is 2e-3 away


def _flip():
    """What the notebook's cell runs: ``torch.optim.Adam(lr=0.1)`` on θ = 0, gradients +1, −1."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.Adam([p], lr=FLIP_LR)
    for g in FLIP_GRADS:
        p.grad = torch.full_like(p, g)
        optimizer.step()
    return p.item()


def _adam_theta(*, corrected=True, t_fixed=None, sign=-1.0):
    """θ after the two steps as PyTorch takes them (the defaults), or with one thing changed:
    no bias correction, the correction of step ``t_fixed`` at every step, or the wrong sign."""
    b1, b2, eps = 0.9, 0.999, 1e-8
    theta, m, v = 0.0, 0.0, 0.0
    for t, g in enumerate(FLIP_GRADS, start=1):
        m, v = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
        k = t if t_fixed is None else t_fixed
        bc1, bc2 = (1 - b1**k, 1 - b2**k) if corrected else (1.0, 1.0)
        theta += sign * FLIP_LR * (m / bc1) / (math.sqrt(v / bc2) + eps)
    return theta


FLIP_WHY = (
    "第 1 步：m̂₁ = g₁ = 1，v̂₁ = 1，θ₁ = −η = −0.1。第 2 步：m₂ = 0.9 × 0.1 + 0.1 × (−1) = −0.01，"
    "m̂₂ = −0.01 / (1 − 0.9²) ≈ −0.0526；v₂ = 0.999 × 0.001 + 0.001 = 0.001999，"
    "v̂₂ = 0.001999 / (1 − 0.999²) = 1。所以第二步只往回走 0.1 × 0.0526 ≈ 0.0053，θ₂ ≈ −0.0947",
    "step 1: m̂₁ = g₁ = 1, v̂₁ = 1, θ₁ = −η = −0.1. Step 2: m₂ = 0.9 × 0.1 + 0.1 × (−1) = −0.01, "
    "m̂₂ = −0.01 / (1 − 0.9²) ≈ −0.0526; v₂ = 0.999 × 0.001 + 0.001 = 0.001999, "
    "v̂₂ = 0.001999 / (1 − 0.999²) = 1. So the second step goes back by only "
    "0.1 × 0.0526 ≈ 0.0053, and θ₂ ≈ −0.0947",
)


def _flip_hint(zh, en):
    return f"{zh}。{FLIP_WHY[0]}", f"{en}. {FLIP_WHY[1]}"


MISTAKES["ex1_flip"] = [
    Mistake(
        lambda: 0.0,
        *_flip_hint(
            "不是 0：+g 再 −g 正好抵消的是 SGD。Adam 也不是每步都走 η，那只在梯度恒定时成立"
            "（第 4.2 节）；第二步时 m 还记着第一个梯度",
            "not 0: +g then −g cancel out for SGD. Nor does Adam always move η; that holds only "
            "for a constant gradient (section 4.2); at step 2, m still remembers the first "
            "gradient",
        ),
    ),
    Mistake(
        lambda: -0.2,
        *_flip_hint(
            "第二步不会再往下走 η：m₂ 已经变成负的（−0.01），所以第二步往回走，只是走得很少",
            "the second step does not go down by η again: m₂ has turned negative (−0.01), so "
            "the step goes back up, only by a little",
        ),
    ),
    Mistake(
        lambda: -0.1,
        *_flip_hint(
            "−0.1 是 θ₁：第二步很小，但不是 0",
            "−0.1 is θ₁: the second step is small, but it is not 0",
        ),
    ),
    *[
        Mistake(
            lambda sign=sign: sign * 0.1 * 0.01 / 0.19,
            *_flip_hint(
                "这是第二步的大小；要的是两步之后的参数 θ₂ = θ₁ + 第二步",
                "that is the size of the second step; the question asks for the parameter after "
                "both, θ₂ = θ₁ + the second step",
            ),
        )
        for sign in (1.0, -1.0)
    ],
    Mistake(
        lambda: _adam_theta(corrected=False),
        *_flip_hint(
            "你没有做偏差修正：没有修正时第一步就是 η·0.1/√0.001 ≈ 3.16η。PyTorch 把 m 除以 "
            "1 − β1^t，把 v 除以 1 − β2^t",
            "you left out the bias correction: without it the first step alone is "
            "η·0.1/√0.001 ≈ 3.16η. PyTorch divides m by 1 − β1^t and v by 1 − β2^t",
        ),
    ),
    Mistake(
        lambda: _adam_theta(t_fixed=1),
        *_flip_hint(
            "第二步的偏差修正要用 t = 2：除以 1 − 0.9² = 0.19 和 1 − 0.999² ≈ 0.002，"
            "而不是第一步的 0.1 和 0.001",
            "the second step's bias correction uses t = 2: divide by 1 − 0.9² = 0.19 and "
            "1 − 0.999² ≈ 0.002, not by the first step's 0.1 and 0.001",
        ),
    ),
    Mistake(
        lambda: -_adam_theta(),
        *_flip_hint(
            "符号反了：第一个梯度是 +1，参数先往下走，θ₁ = −0.1",
            "the sign is flipped: the first gradient is +1, so the parameter first goes down, "
            "θ₁ = −0.1",
        ),
    ),
]


def ex1_flip(predict_flip):
    """``predict_flip()``: the predicted θ after ``Adam(lr=0.1)`` took the gradients +1, then −1,
    from θ = 0."""
    got = expect_number(predict_flip())
    right = _flip()
    if abs(got - right) > FLIP_TOLERANCE:
        wrong = [(m.answer(), m.zh, m.en) for m in MISTAKES["ex1_flip"]]
        hint = _first_match(got, wrong, rel=0.0, abs_=FLIP_TOLERANCE)
        fail(*(hint or (f"不是 {got:.4g}：{FLIP_WHY[0]}", f"not {got:.4g}: {FLIP_WHY[1]}")))
    passed(
        "练习 1 通过：θ₂ ≈ −0.0947，第二步只退回约 0.05η",
        "Exercise 1 passed: θ₂ ≈ −0.0947; step 2 goes back only about 0.05η",
    )


# ---------------------------------------------------------------- exercise 2: find the bugs


def _adamw_step(*, t_from=1, eps_mode="outside", decay="decoupled", v_of="g2", store="m"):
    """``adamw_step`` as PyTorch's AdamW takes it (the defaults), or with one thing changed.

    t_from: the step count used at the n-th call is n − 1 + t_from (1 is right, 0 counts from 0);
    ``None`` never writes the count back (t = 1 at every call).
    eps_mode: "outside" (√v̂ + ε), "inside" (√(v̂ + ε)), "early" ((√v + ε) / √(1 − β2^t)).
    decay: "decoupled" (AdamW), "l2" (Adam's weight_decay), "no_lr", "after", "none".
    v_of: "g2" (g²) or "g" (the gradient itself). store: "m" (the raw averages), "hat" (m̂ and
    v̂), "none" (nothing written back).
    """

    def adamw_step(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        b1, b2 = betas
        if t_from is None:
            t = state["step"] + 1
        else:
            t = state["step"] + t_from
            state["step"] += 1
        if decay == "l2":
            g = g + weight_decay * p
        elif decay == "decoupled":
            p = p * (1 - lr * weight_decay)
        elif decay == "no_lr":
            p = p * (1 - weight_decay)
        m = b1 * state["m"] + (1 - b1) * g
        v = b2 * state["v"] + (1 - b2) * (g * g if v_of == "g2" else g)
        m_hat, v_hat = m / (1 - b1**t), v / (1 - b2**t)
        if store == "m":
            state["m"], state["v"] = m, v
        elif store == "hat":
            state["m"], state["v"] = m_hat, v_hat
        if eps_mode == "outside":
            denom = v_hat.sqrt() + eps
        elif eps_mode == "inside":
            denom = (v_hat + eps).sqrt()
        else:
            denom = (v.sqrt() + eps) / torch.tensor(1 - b2**t, dtype=v.dtype).sqrt()
        p = p - lr * m_hat / denom
        if decay == "after":
            p = p * (1 - lr * weight_decay)
        return p

    return adamw_step


# the three bugs of the notebook's adamw_step_buggy
BUGS = {"t_from": 0, "eps_mode": "inside", "decay": "l2"}

NONFINITE = (
    "结果里有 nan 或 inf：偏差修正用的步数 t 是不是从 0 开始了？第一步 t = 1；t = 0 时 "
    '1 − β^0 = 0，除以它得到 inf 或 nan。先把 state["step"] 加 1，再用它做偏差修正。'
    "（另一个可能：对负数开了方，v 平均的是 g²，永远不是负的）",
    "the result holds nan or inf: does the step count t of the bias correction start at 0? The "
    "first step has t = 1; at t = 0, 1 − β^0 is 0 and dividing by it gives inf or nan. Add 1 to "
    'state["step"] first, then use it in the correction. (The other way to get there: the '
    "square root of a negative number; v averages g², which is never negative)",
)
EPS_INSIDE = (
    "ε 放错了位置：PyTorch 把 ε 加在平方根外面，m̂ / (√v̂ + ε)，而不是 √(v̂ + ε)。"
    "ε = 1e-8 时差别很小，梯度小到与 ε 相当时就看得出来（第 2.4 节）",
    "ε is in the wrong place: PyTorch adds ε outside the square root, m̂ / (√v̂ + ε), not "
    "√(v̂ + ε). With ε = 1e-8 the difference is small; it shows once the gradients are as small "
    "as ε (section 2.4)",
)
COUPLED = (
    "衰减加到了梯度上：g + λp 是 Adam 的 L2 weight_decay（第 5 节），λp 会进入 m、v，"
    "再被 √v̂ 缩放。AdamW 直接缩小参数：p ← p·(1 − lr·λ)，梯度不变",
    "the decay went into the gradient: g + λp is Adam's L2 weight_decay (section 5), and λp "
    "then enters m and v and is scaled by √v̂. AdamW shrinks the parameter itself, "
    "p ← p·(1 − lr·λ), and leaves the gradient alone",
)
ONE_MORE = ("还有一处错误没改。", "One more bug remains.")


def _and_one_more(hint):
    return f"{hint[0]}。{ONE_MORE[0]}", f"{hint[1]}. {ONE_MORE[1]}"


CORE = (
    "没有权重衰减、ε 小到可以忽略时，结果仍与 torch.optim.AdamW 不同：检查 m、v 的更新和偏差修正"
    "（第 t 步除以 1 − β1^t 和 1 − β2^t，t = 1, 2, …）",
    "even with no weight decay and a negligible ε the result differs from torch.optim.AdamW: "
    "check the updates of m and v and the bias correction (step t divides by 1 − β1^t and "
    "1 − β2^t, t = 1, 2, ...)",
)
EPS_ANY = (
    "ε 大时结果不对：ε 加在修正后的 √v̂ 外面，m̂ / (√v̂ + ε)",
    "the result is wrong when ε is large: ε goes outside the corrected √v̂, m̂ / (√v̂ + ε)",
)
DECAY_ANY = (
    "有权重衰减时结果不对：AdamW 每一步先做 p ← p·(1 − lr·λ)，再用原始梯度走 Adam 的一步",
    "the result is wrong with weight decay: at each step AdamW first does p ← p·(1 − lr·λ), "
    "then takes the Adam step with the raw gradient",
)

MISTAKES["ex2_adamw_step"] = [
    # the buggy function itself and each single-bug variant
    Mistake(_adamw_step(**BUGS), *NONFINITE),
    Mistake(_adamw_step(t_from=0), *NONFINITE),
    Mistake(_adamw_step(eps_mode="inside"), *EPS_INSIDE),
    Mistake(_adamw_step(decay="l2"), *COUPLED),
    # two of the three fixed: the nan hides the others until the step count is right
    Mistake(_adamw_step(t_from=0, eps_mode="inside"), *NONFINITE),
    Mistake(_adamw_step(t_from=0, decay="l2"), *NONFINITE),
    Mistake(_adamw_step(eps_mode="inside", decay="l2"), *_and_one_more(EPS_INSIDE)),
    # fixes that go wrong
    Mistake(
        _adamw_step(t_from=2),
        "步数多加了一：第一步 t = 1，偏差修正是 1 − β^1；你的第一步用的是 t = 2",
        "the step count got one too many: the first step has t = 1, so the correction is "
        "1 − β^1; your first step used t = 2",
    ),
    Mistake(
        _adamw_step(t_from=None),
        '步数没有存回去：每次调用都是 t = 1。state["step"] 要在每一步加 1 并留在 state 里',
        'the step count is never stored: every call uses t = 1. Add 1 to state["step"] at each '
        "step and keep it in state",
    ),
    Mistake(
        _adamw_step(store="none"),
        '新的 m、v 没有存回 state：每一步都从 0 重新开始。写 state["m"] = ...、state["v"] = ...',
        "the new m and v are not written back to state, so every step starts again from 0: "
        'write state["m"] = ... and state["v"] = ...',
    ),
    Mistake(
        _adamw_step(store="hat"),
        "state 里存的是修正后的 m̂、v̂：要存原始的平均 m、v，偏差修正每一步从它们重新算",
        "state holds the corrected m̂ and v̂: store the raw averages m and v, and correct them "
        "afresh at every step",
    ),
    Mistake(
        _adamw_step(eps_mode="early"),
        "ε 加早了：先修正 v̂ = v / (1 − β2^t)，再算 √v̂ + ε",
        "ε is added too early: correct first, v̂ = v / (1 − β2^t), then take √v̂ + ε",
    ),
    Mistake(
        _adamw_step(decay="none"),
        "权重衰减不见了：去掉 g + λp 之后，还要换成 AdamW 的 p ← p·(1 − lr·λ)",
        "the weight decay is gone: after removing g + λp, put in AdamW's p ← p·(1 − lr·λ)",
    ),
    Mistake(
        _adamw_step(decay="no_lr"),
        "衰减没有乘学习率：PyTorch 的 AdamW 做 p ← p·(1 − lr·λ)，不是 p·(1 − λ)（第 5.1 节）",
        "the decay is not multiplied by the learning rate: PyTorch's AdamW does "
        "p ← p·(1 − lr·λ), not p·(1 − λ) (section 5.1)",
    ),
    Mistake(
        _adamw_step(decay="after"),
        "衰减的位置不对：PyTorch 先用更新前的参数衰减 p ← p·(1 − lr·λ)，再走 Adam 的一步",
        "the decay is in the wrong place: PyTorch first decays the parameter before the update, "
        "p ← p·(1 − lr·λ), then takes the Adam step",
    ),
    Mistake(_adamw_step(v_of="g"), *NONFINITE),
]

FULL = {"lr": 0.05, "betas": (0.9, 0.99), "eps": 1e-2, "weight_decay": 0.5}
# each probe exposes one part: (its hint, hyperparameters, scale of the gradients)
PROBES = [
    (CORE, {"lr": 0.05, "betas": (0.9, 0.99), "eps": 1e-12, "weight_decay": 0.0}, 1.0),
    (EPS_ANY, {"lr": 0.05, "betas": (0.9, 0.99), "eps": 1e-2, "weight_decay": 0.0}, 0.1),
    (DECAY_ANY, {"lr": 0.05, "betas": (0.9, 0.99), "eps": 1e-12, "weight_decay": 0.5}, 1.0),
]
USE_TORCH = (
    "这一步要你自己写：检查时 torch.optim.Adam 和 AdamW 不能用",
    "write the step yourself: torch.optim.Adam and AdamW are off while this is checked",
)
NOT_A_TENSOR = (
    "adamw_step 应返回新的参数（一个形状不变的张量）",
    "adamw_step should return the new parameter (a tensor of the same shape)",
)


def _refuse(*args, **kwargs):
    fail(*USE_TORCH)


def _run(adamw_step, p0, grads, hyper):
    """Call ``adamw_step`` once per gradient from ``p0`` with a fresh state; the parameter and
    the state at the end."""
    p = p0.clone()
    state = {"step": 0, "m": torch.zeros_like(p0), "v": torch.zeros_like(p0)}
    with (
        mock.patch.object(torch.optim, "Adam", _refuse),
        mock.patch.object(torch.optim, "AdamW", _refuse),
    ):
        for g in grads:
            p = adamw_step(p.clone(), g.clone(), state, **hyper)
            expect(isinstance(p, torch.Tensor) and p.shape == p0.shape, *NOT_A_TENSOR)
    return p, state


def _reference(p0, grads, hyper):
    """``torch.optim.AdamW`` on the same steps: the parameter, m and v at the end."""
    p = p0.clone().requires_grad_(True)
    optimizer = torch.optim.AdamW([p], **hyper)
    for g in grads:
        p.grad = g.clone()
        optimizer.step()
    state = optimizer.state[p]
    return p.detach(), state["exp_avg"], state["exp_avg_sq"]


def _failing_probes(adamw_step):
    """The hints of the probes that ``adamw_step`` fails. The first probe (no decay, a negligible
    ε) tests Adam's core, which the other two rely on: when it fails, only its hint is given."""
    p1, g1 = optimizer_inputs(15, 5)
    failing = []
    for hint, hyper, scale in PROBES:
        grads = [scale * g for g in g1]
        if not _close(_run(adamw_step, p1, grads, hyper)[0], _reference(p1, grads, hyper)[0]):
            failing.append(hint)
            if hint is CORE:
                break
    return failing


def _close(a, b):
    return torch.isfinite(a).all() and torch.allclose(a, b, rtol=1e-6, atol=1e-9)


def ex2_adamw_step(adamw_step):
    """Exercise 2: ``adamw_step(p, g, state, lr, betas, eps, weight_decay)`` with its three bugs
    fixed: five calls equal ``torch.optim.AdamW``, and state holds the step count, m and v."""
    p0, grads = optimizer_inputs(14, 5)
    grads = [0.1 * g for g in grads]  # small gradients, so that ε = 1e-2 matters
    got, state = _run(adamw_step, p0, grads, FULL)
    right, m, v = _reference(p0, grads, FULL)
    if not _close(got, right):
        for mistake in MISTAKES["ex2_adamw_step"]:
            try:
                wrong, _ = _run(mistake.answer, p0, grads, FULL)
            except Exception:  # a wrong answer may not run; it just cannot match
                continue
            if _close(got, wrong):
                fail(mistake.zh, mistake.en)
        if not torch.isfinite(got).all():
            fail(*NONFINITE)
        failing = _failing_probes(adamw_step)
        if failing:
            fail(*(_and_one_more(failing[0]) if len(failing) > 1 else failing[0]))
        diff = (got - right).abs().max().item()
        fail(
            f"五步之后与 torch.optim.AdamW 不符（最大误差 {diff:.3g}）",
            f"after five steps it does not match torch.optim.AdamW (largest error {diff:.3g})",
        )
    expect(
        state["step"] == len(grads),
        f'五步之后 state["step"] 应为 5，得到 {state["step"]}',
        f'after five steps state["step"] should be 5, got {state["step"]}',
    )
    expect(
        _close(state["m"], m) and _close(state["v"], v),
        'state["m"]、state["v"] 要存原始的平均 m、v（torch 的 exp_avg、exp_avg_sq），不是 m̂、v̂',
        'state["m"] and state["v"] should hold the raw averages m and v (torch\'s exp_avg and '
        "exp_avg_sq), not m̂ and v̂",
    )
    passed(
        "练习 2 通过：三处错误都改好了，五步与 torch.optim.AdamW 相同",
        "Exercise 2 passed: all three bugs fixed, five steps equal torch.optim.AdamW",
    )


# ---------------------------------------------------------------- exercise 3: lr from the ratio


def _model_a():
    """tiny_model with its first weight doubled and a small last bias (drawn with std 0.01):
    the tightest tensor is a bias, and the default initialization's estimate is off."""
    model = tiny_model(31)  # Flatten, Linear(12, 8), ReLU, Dropout, Linear(8, 3)
    with torch.no_grad():
        model[1].weight.mul_(2.0)
        model[4].bias.copy_(0.01 * torch.randn(3, generator=torch.Generator().manual_seed(31)))
    return model


def _model_b():
    """Another shape, with the first weight scaled down: the tightest tensor is a weight."""
    torch.manual_seed(32)
    model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 2))
    with torch.no_grad():
        model[0].weight.mul_(0.05)
    return model


CASES = [(_model_a, 0.01), (_model_b, 0.003)]


def _one(n):
    return 1.0


def _tightest(model, norm=torch.linalg.vector_norm, size=math.sqrt, pick=min, keep=None):
    """``pick`` over the parameter tensors θ_l kept by ``keep`` of ‖θ_l‖ / size(n_l)."""
    params = [p for p in model.parameters() if keep is None or keep(p)]
    return pick(norm(p.detach()).item() / size(p.numel()) for p in params)


def _right(model, target):
    return target * _tightest(model)


def _measured_in_place(model, target):
    """Measures the first step of Adam(lr=1) with gradients of ones, on the model itself."""
    params = list(model.parameters())
    before = [p.detach().clone() for p in params]
    optimizer = torch.optim.Adam(params, lr=1.0)
    for p in params:
        p.grad = torch.ones_like(p)
    optimizer.step()
    ratios = [((p.detach() - b).norm() / b.norm()).item() for p, b in zip(params, before)]
    return target / max(ratios)


def _whole_model(model, target):
    theta = torch.cat([p.detach().flatten() for p in model.parameters()])
    return target * theta.norm().item() / math.sqrt(theta.numel())


def _init_rule(model, target):
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    return target * min(1 / math.sqrt(3 * m.in_features) for m in layers)


RATIO_WHY = (
    "Adam 的第一步让每个坐标移动 η（m̂₁ / √v̂₁ = g / |g|），所以一个有 n_l 个数的张量移动 "
    "‖Δθ_l‖ = η√n_l，比值 r_l = η√n_l / ‖θ_l‖。要每个张量都 r_l ≤ target，"
    "η = target · min_l ‖θ_l‖ / √n_l，权重和偏置都要算",
    "Adam's first step moves every coordinate by η (m̂₁ / √v̂₁ = g / |g|), so a tensor of n_l "
    "numbers moves by ‖Δθ_l‖ = η√n_l, and its ratio is r_l = η√n_l / ‖θ_l‖. For r_l ≤ target "
    "in every tensor, η = target · min_l ‖θ_l‖ / √n_l, over the weights and the biases alike",
)
MODEL_CHANGED = (
    "你的函数改变了模型的参数：要量第一步，就在 copy.deepcopy(model) 上量，或者直接用范数算",
    "your function changed the model's parameters: measure the first step on "
    "copy.deepcopy(model), or compute it from the norms",
)
MISTAKES["ex3_adam_lr"] = [
    Mistake(
        lambda model, target: target * _tightest(model, pick=max),
        "取了最宽松的张量：学习率要让每个张量都不超过 target，所以要取 ‖θ_l‖ / √n_l 最小的那个",
        "you took the loosest tensor: the learning rate must keep every tensor within target, "
        "so take the one with the smallest ‖θ_l‖ / √n_l",
    ),
    Mistake(
        lambda model, target: target * _tightest(model, keep=lambda p: p.dim() > 1),
        "只算了权重：偏置也是参数，Adam 的第一步让它的每个数也移动 η。这里一个很小的偏置"
        "（标准差 0.01）才是最紧的那个",
        "you counted the weights only: the biases are parameters too, and Adam's first step "
        "moves each of their numbers by η as well. Here a small bias (std 0.01) is the tightest",
    ),
    Mistake(
        lambda model, target: target * _tightest(model, size=_one),
        "少了 √n_l：n_l 个数各移动 η，合起来 ‖Δθ_l‖ = η√n_l，所以 η = target · ‖θ_l‖ / √n_l",
        "√n_l is missing: n_l numbers each move by η, together ‖Δθ_l‖ = η√n_l, so "
        "η = target · ‖θ_l‖ / √n_l",
    ),
    Mistake(
        lambda model, target: target * _tightest(model, size=float),
        "除以了 n_l 而不是 √n_l：n_l 个数各移动 η，范数是 η√n_l（平方和再开方）",
        "you divided by n_l, not √n_l: n_l numbers each moving by η make a norm of η√n_l (the "
        "root of the sum of squares)",
    ),
    Mistake(
        lambda model, target: target * _tightest(model, norm=lambda p: p.square().sum()),
        "用了范数的平方 ‖θ_l‖²：比值是 ‖Δθ_l‖ / ‖θ_l‖，两个都是范数本身",
        "you used the squared norm ‖θ_l‖²: the ratio is ‖Δθ_l‖ / ‖θ_l‖, both plain norms",
    ),
    Mistake(
        lambda model, target: target * _tightest(model, norm=lambda p: p.abs().mean(), size=_one),
        "用了 |θ| 的平均：‖θ_l‖ / √n_l 是均方根（平方的平均再开方），不是绝对值的平均",
        "you used the mean of |θ|: ‖θ_l‖ / √n_l is the root mean square (the root of the mean "
        "square), not the mean absolute value",
    ),
    Mistake(
        _whole_model,
        "把整个模型当成了一个张量：比值要对每个参数张量分别算，最紧的那个决定学习率",
        "you took the whole model as one tensor: the ratio is per parameter tensor, and the "
        "tightest one sets the learning rate",
    ),
    Mistake(
        _init_rule,
        "η√(3·in) 只对默认初始化成立（第 9.2 节的估算）；这里有的参数不是默认初始化的，"
        "要用它们实际的范数",
        "η√(3·in) holds for the default initialization only (section 9.2's estimate); here "
        "some parameters were initialized otherwise, so use their actual norms",
    ),
    Mistake(
        lambda model, target: _tightest(model) / target,
        "除反了：r = η√n / ‖θ‖，所以 η = target · ‖θ‖ / √n，target 在分子上",
        "the division is upside down: r = η√n / ‖θ‖, so η = target · ‖θ‖ / √n, with target on top",
    ),
    Mistake(_measured_in_place, *MODEL_CHANGED),
]


def ex3_adam_lr(adam_lr_for_ratio):
    """Exercise 3: ``adam_lr_for_ratio(model, target)``, the largest learning rate at which
    Adam's first step changes no parameter tensor by more than ``target`` of its norm."""
    for make_model, target in CASES:
        model = make_model()
        before = [p.detach().clone() for p in model.parameters()]
        got = expect_number(adam_lr_for_ratio(model, target))
        expect(
            all(map(torch.equal, [p.detach() for p in model.parameters()], before)), *MODEL_CHANGED
        )
        right = _right(model, target)
        if not math.isclose(got, right, rel_tol=1e-3):
            wrong = []
            for m in MISTAKES["ex3_adam_lr"]:
                try:
                    value = expect_number(m.answer(make_model(), target))
                except Exception:  # a wrong answer may not run; it just cannot match
                    continue
                if not math.isclose(value, right, rel_tol=1e-3):
                    wrong.append((value, m.zh, m.en))
            hint = _first_match(got, wrong)
            fail(
                *(
                    hint
                    or (
                        f"得到 {got:.4g}，应为 {right:.4g}。{RATIO_WHY[0]}",
                        f"got {got:.4g}, expected {right:.4g}. {RATIO_WHY[1]}",
                    )
                )
            )
    passed(
        "练习 3 通过：η = target · min ‖θ_l‖/√n_l，最紧的张量第一步正好移动 target",
        "Exercise 3 passed: η = target · min ‖θ_l‖/√n_l; the tightest tensor moves by target",
    )


wrap_checkers(globals())
