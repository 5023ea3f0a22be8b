"""Checkers of lesson 14 (optimizers for large models).

Exercise 1 (transfer) asks what becomes of an embedding row that gets no gradient for k steps and
then one, under ``SparseAdam`` and under dense ``Adam``: the lesson showed the lazy update on a
two-row table, never the arithmetic of the idle steps. The checker puts the row's state into both
``torch.optim`` classes and steps them. Exercise 2 (debug) gives Muon's Newton–Schulz iteration
for a stack of matrices with three bugs; the checker runs the fixed function on stacks that expose
one bug each, in order, and names the first one still there.

Each anticipated mistake is a row of ``MISTAKES`` (a wrong answer with the exercise's signature,
its Chinese hint, its English hint), which the checkers run on their own inputs and
tests/test_checks_mistakes.py passes back to them.
"""

from functools import partial
from unittest import mock

import torch

from . import (
    Mistake,
    call_unchanged,
    check_close,
    expect,
    fail,
    passed,
    wrap_checkers,
    wrong_results,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


# ---------------------------------------------------------------- exercise 1: an idle row


def _idle_inputs():
    """A row's θ, m, v after step t, and the gradient g it gets after k idle steps; the
    hyperparameters make ε matter (v is small) and the moments decay visibly."""
    gen = torch.Generator().manual_seed(14)
    theta = torch.randn(4, generator=gen, dtype=torch.float64)
    m = 0.1 * torch.randn(4, generator=gen, dtype=torch.float64)
    v = m * m + 0.02 * torch.rand(4, generator=gen, dtype=torch.float64)
    g = 0.3 * torch.randn(4, generator=gen, dtype=torch.float64)
    return theta, m, v, 5, 7, g, 0.1, (0.8, 0.95), 0.05  # θ, m, v, t, k, g, lr, betas, eps


def _torch_after_idle(theta, m, v, t, k, g, lr, betas, eps):
    """The row after k idle steps and one with gradient g, under ``torch.optim.SparseAdam`` and
    ``torch.optim.Adam``: the row is row 1 of a two-row table whose row 0 gets a gradient at
    every step (so the table's step count moves on, as in a real embedding)."""
    out = []
    for optimizer_class in (torch.optim.SparseAdam, torch.optim.Adam):
        sparse = optimizer_class is torch.optim.SparseAdam
        p = torch.nn.Parameter(torch.stack([torch.zeros_like(theta), theta]))
        optimizer = optimizer_class([p], lr=lr, betas=betas, eps=eps)
        optimizer.state[p] = {
            "step": t if sparse else torch.tensor(float(t)),
            "exp_avg": torch.stack([torch.zeros_like(m), m]),
            "exp_avg_sq": torch.stack([torch.zeros_like(v), v]),
        }
        for s in range(k + 1):
            rows = [0, 1] if s == k else [0]
            values = torch.stack([torch.ones_like(g), g])[: len(rows)]
            if sparse:
                p.grad = torch.sparse_coo_tensor(
                    torch.tensor([rows]), values, p.shape, check_invariants=True
                )
            else:
                p.grad = torch.zeros_like(p)
                p.grad[rows] = values
            optimizer.step()
        out.append(p[1].detach().clone())
    return tuple(out)


def _after_idle(
    theta,
    m,
    v,
    t,
    k,
    g,
    lr,
    betas,
    eps,
    *,
    row_count=False,
    sparse_decays=False,
    sparse_adam_eps=False,
    dense_still=False,
    dense_like_sparse=False,
    dense_sparse_eps=False,
    count_off=False,
    swap=False,
):
    """``(SparseAdam's row, Adam's row)`` as PyTorch computes them (the defaults), or with one
    thing changed: row_count, SparseAdam counts the row's own steps (t + 1); sparse_decays, its
    moments decay over the idle steps; dense_still, Adam's row stays put while idle (its moments
    still decay); dense_like_sparse, Adam leaves an idle row alone; count_off, the last step is
    counted t + k; the two ε placements swapped; the two results swapped."""
    b1, b2 = betas
    last = t + k if count_off else t + k + 1

    def adam_move(m, v, s, eps_on_v_hat):
        bc1, bc2 = 1 - b1**s, 1 - b2**s
        if eps_on_v_hat:  # Adam: m̂ / (√v̂ + ε)
            return lr * (m / bc1) / ((v / bc2).sqrt() + eps)
        return lr * bc2**0.5 / bc1 * m / (v.sqrt() + eps)  # SparseAdam: ε on √v

    # SparseAdam: nothing happens to the row while it is idle
    ms, vs = (m * b1**k, v * b2**k) if sparse_decays else (m, v)
    ms, vs = b1 * ms + (1 - b1) * g, b2 * vs + (1 - b2) * g * g
    s = t + 1 if row_count else last
    sparse = theta - adam_move(ms, vs, s, eps_on_v_hat=sparse_adam_eps)
    # Adam: the row's gradient is 0 at the idle steps, and everything moves on
    if dense_like_sparse:
        dense = theta - adam_move(ms, vs, s, eps_on_v_hat=not dense_sparse_eps)
    else:
        dense, md, vd = theta.clone(), m.clone(), v.clone()
        for step in range(t + 1, t + k + 1):
            md, vd = b1 * md, b2 * vd
            if not dense_still:
                dense = dense - adam_move(md, vd, step, eps_on_v_hat=not dense_sparse_eps)
        md, vd = b1 * md + (1 - b1) * g, b2 * vd + (1 - b2) * g * g
        dense = dense - adam_move(md, vd, last, eps_on_v_hat=not dense_sparse_eps)
    return (dense, sparse) if swap else (sparse, dense)


def _idle_mistake(zh, en, **wrong):
    return Mistake(partial(_after_idle, **wrong), zh, en)


NO_TORCH_OPTIM = (
    "不要调用 torch.optim：照第 2.1 节的规则和第 08 课的 Adam 自己算，检查拿 torch.optim 来对照",
    "do not call torch.optim: compute it from the rules of section 2.1 and lesson 08's Adam; "
    "the check compares your answer with torch.optim",
)
MISTAKES["ex1_sparse_idle"] = [
    _idle_mistake(
        "SparseAdam 的步数属于整张表，不属于这一行：空闲的 k 步里表的步数照样增加，最后一步的"
        "偏差修正按 t + k + 1 算，而不是这一行自己的第 t + 1 步",
        "SparseAdam's step count belongs to the whole table, not to the row: it grows over the "
        "k idle steps too, so the last step's bias correction uses t + k + 1, not the row's "
        "own t + 1",
        row_count=True,
    ),
    _idle_mistake(
        "SparseAdam 在空闲的步里什么也不做：这一行的 m、v 不衰减（衰减是 Adam 的稠密更新）",
        "SparseAdam does nothing to an idle row: its m and v do not decay (decaying them is what "
        "dense Adam does)",
        sparse_decays=True,
    ),
    _idle_mistake(
        "SparseAdam 的 ε 加在没有修正的 √v 上：η·√(1 − β2^s)/(1 − β1^s)·m/(√v + ε)；"
        "m̂/(√v̂ + ε) 是 Adam 的写法（这里 ε 不小，差别看得出来）",
        "SparseAdam adds ε to the uncorrected √v: η·√(1 − β2^s)/(1 − β1^s)·m/(√v + ε); "
        "m̂/(√v̂ + ε) is Adam's form (ε is not small here, so it shows)",
        sparse_adam_eps=True,
    ),
    _idle_mistake(
        "Adam 在空闲的步里也走：梯度为 0，m ← β1·m、v ← β2·v，参数仍按 m̂/(√v̂ + ε) 移动，"
        "一共 k 步，然后才是有梯度 g 的那一步",
        "Adam moves at the idle steps too: the gradient is 0, m ← β1·m and v ← β2·v, and the "
        "parameter still moves by m̂/(√v̂ + ε), k times, before the step with gradient g",
        dense_still=True,
    ),
    _idle_mistake(
        "Adam 并不跳过梯度为 0 的行：稠密梯度里这一行是 0，它的 m、v 衰减，参数照旧按动量移动；"
        "跳过空闲行的是 SparseAdam",
        "Adam does not skip a row whose gradient is 0: in a dense gradient that row is 0, its m "
        "and v decay and the parameter keeps moving on its momentum; skipping idle rows is "
        "SparseAdam's way",
        dense_like_sparse=True,
    ),
    _idle_mistake(
        "Adam 的 ε 加在修正后的 √v̂ 上：m̂/(√v̂ + ε)；加在没修正的 √v 上的是 SparseAdam",
        "Adam adds ε to the corrected √v̂: m̂/(√v̂ + ε); adding it to the uncorrected √v is "
        "SparseAdam's way",
        dense_sparse_eps=True,
    ),
    _idle_mistake(
        "步数差了一：状态停在第 t 步之后，空闲的是第 t + 1 … t + k 步，有梯度的是第 t + k + 1 步",
        "the step count is off by one: the state is the one after step t, the idle steps are "
        "t + 1 … t + k, and the step with a gradient is t + k + 1",
        count_off=True,
    ),
    _idle_mistake(
        "两个结果的顺序反了：返回 (SparseAdam 的行, Adam 的行)",
        "the two results are swapped: return (SparseAdam's row, Adam's row)",
        swap=True,
    ),
    Mistake(lambda *args: _torch_after_idle(*args), *NO_TORCH_OPTIM),
]


def _refuse(*args, **kwargs):
    fail(*NO_TORCH_OPTIM)


def _run_idle(answer, checked=False):
    args = _idle_inputs()
    if not checked:
        return torch.stack(list(answer(*args)))
    with (
        mock.patch.object(torch.optim, "SparseAdam", _refuse),
        mock.patch.object(torch.optim, "Adam", _refuse),
    ):
        got = call_unchanged(answer, *args)
    expect(
        isinstance(got, (tuple, list))
        and len(got) == 2
        and all(torch.is_tensor(x) and x.shape == args[0].shape for x in got),
        "应返回 (SparseAdam 的行, Adam 的行)：两个与 theta 同形状的张量",
        "return (SparseAdam's row, Adam's row): two tensors of the shape of theta",
    )
    return torch.stack(list(got))


def ex1_sparse_idle(after_idle):
    """``after_idle(theta, m, v, t, k, g, lr, betas, eps)``: a row whose state after step t is
    ``(theta, m, v)`` gets no gradient for k steps, then ``g``; return ``(SparseAdam's row,
    Adam's row)`` after that step."""
    got = _run_idle(after_idle, checked=True)
    expected = torch.stack(list(_torch_after_idle(*_idle_inputs())))
    if not torch.allclose(got, expected, rtol=1e-4, atol=1e-6):
        for value, zh, en in wrong_results(MISTAKES["ex1_sparse_idle"], _run_idle):
            if torch.allclose(got, value, rtol=1e-4, atol=1e-6):
                fail(zh, en)
        names = ("SparseAdam", "Adam")
        for i in (0, 1):
            if torch.allclose(got[i], expected[i], rtol=1e-4, atol=1e-6):
                fail(
                    f"{names[i]} 的行对了，{names[1 - i]} 的还不对",
                    f"{names[i]}'s row is right, {names[1 - i]}'s is not yet",
                )
        check_close(got, expected, name=("两行结果", "the two rows"))
    passed(
        "练习 1 通过：SparseAdam 空闲时不动，步数却照走；Adam 空闲时仍在滑动",
        "Exercise 1 passed: SparseAdam leaves idle rows alone (its step count moves on); Adam slides",
    )


# ---------------------------------------------------------------- exercise 2: find the bugs

MUON_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def _ns_stack(
    G,
    coefficients=MUON_COEFFICIENTS,
    steps=5,
    eps=1e-7,
    *,
    whole_stack=False,
    clamp=True,
    a_squared=True,
    dtype=torch.float64,
):
    """Newton–Schulz on each matrix of a stack ``(B, m, n)``, in float64 (the defaults), or with
    the notebook's bugs: whole_stack, one norm for the whole stack; clamp=False, no floor at eps
    (0/0 for an all-zero matrix); a_squared=False, c·A in place of c·A²; dtype, another
    precision."""
    a, b, c = coefficients
    X = G.to(dtype)
    norm = X.norm() if whole_stack else X.norm(dim=(-2, -1), keepdim=True)
    X = X / (norm.clamp(min=eps) if clamp else norm)
    for _ in range(steps):
        A = X @ X.mT
        X = a * X + (b * A + c * (A @ A if a_squared else A)) @ X
    return X.double()


def _ns_mistake(zh, en, **wrong):
    return Mistake(partial(_ns_stack, **wrong), zh, en)


A_SQUARED = (
    "迭代是 X ← aX + (bA + cA²)X，A = XXᵀ：c 乘的是 A @ A，不是 A。写成 cA 时，奇异值走的是"
    " aσ + (b + c)σ³，不收敛到 1 附近，甚至发散",
    "the iteration is X ← aX + (bA + cA²)X with A = XXᵀ: c multiplies A @ A, not A. With cA the "
    "singular values follow aσ + (b + c)σ³, which does not settle near 1 and may blow up",
)
WHOLE_STACK = (
    "整叠矩阵只除了一个范数：每个矩阵要除以它自己的 Frobenius 范数 X.norm(dim=(-2, -1), "
    "keepdim=True)。否则范数小的矩阵奇异值远小于 1，5 步之后还没被推到 1 附近",
    "one norm for the whole stack: each matrix must be divided by its own Frobenius norm, "
    "X.norm(dim=(-2, -1), keepdim=True). Otherwise a matrix of small norm starts with singular "
    "values far below 1, still far from 1 after 5 steps",
)
CLAMP = (
    "全零的矩阵（这一叠里有一个）除以它的范数 0 得到 nan：像 Muon 那样给范数一个下限，"
    "norm.clamp(min=eps)，零矩阵就留在 0",
    "an all-zero matrix (this stack has one) divided by its norm 0 gives nan: floor the norm as "
    "Muon does, norm.clamp(min=eps), and a zero matrix stays 0",
)
MISTAKES["ex2_newton_schulz_stack"] = [
    # one bug each: first, so that an answer with one bug left gets its hint
    _ns_mistake(*A_SQUARED, a_squared=False),
    _ns_mistake(*WHOLE_STACK, whole_stack=True),
    _ns_mistake(*CLAMP, clamp=False),
    _ns_mistake(
        "用 bfloat16 算的（第 4.1 节的 newton_schulz 默认如此）：它只有约 3 位有效数字。"
        "这里请用 float64，检查比得很严",
        "this was computed in bfloat16 (the default of section 4.1's newton_schulz), which has "
        "about 3 significant digits. Compute in float64 here; the check is tight",
        dtype=torch.bfloat16,
    ),
    # the cell as given, and two of its bugs: the stacks are tried in order and the first that
    # goes wrong names its bug
    _ns_mistake(*A_SQUARED, whole_stack=True, clamp=False, a_squared=False),
    _ns_mistake(*A_SQUARED, whole_stack=True, a_squared=False),
    _ns_mistake(*A_SQUARED, clamp=False, a_squared=False),
    _ns_mistake(*WHOLE_STACK, whole_stack=True, clamp=False),
]


def _stacks():
    """Three stacks, each exposing one bug of the notebook's cell, with the number of steps:
    one matrix, 2 steps (only c·A shows, before it blows up, so that the wrong values do not
    depend on rounding); tall matrices of very different norms (one norm for all shows); a stack
    with an all-zero matrix (no floor under the norm shows)."""
    gen = torch.Generator().manual_seed(41)
    one = 3 * torch.randn(1, 4, 7, generator=gen, dtype=torch.float64)
    scales = torch.tensor([20.0, 1.0, 0.01], dtype=torch.float64).view(3, 1, 1)
    tall = scales * torch.randn(3, 6, 4, generator=gen, dtype=torch.float64)
    with_zero = torch.randn(3, 5, 8, generator=gen, dtype=torch.float64)
    with_zero[1] = 0.0
    return [
        ("一个矩阵（2 步）", "one matrix (2 steps)", one, 2),
        ("范数相差很大的竖长矩阵", "tall matrices of very different norms", tall, 5),
        ("含一个全零矩阵的一叠", "a stack with an all-zero matrix", with_zero, 5),
    ]


def ex2_newton_schulz_stack(newton_schulz_stack):
    """``newton_schulz_stack(G, coefficients, steps, eps)``: Muon's orthogonalization of each
    matrix of ``G`` (B, m, n) in float64, compared with the iteration Muon uses, one stack at a
    time."""
    for zh, en, G, steps in _stacks():
        got = call_unchanged(newton_schulz_stack, G, MUON_COEFFICIENTS, steps, 1e-7)
        check_close(
            got,
            _ns_stack(G, MUON_COEFFICIENTS, steps),
            name=(f"{zh}的结果", f"the result for {en}"),
            mistakes=wrong_results(
                MISTAKES["ex2_newton_schulz_stack"],
                lambda answer, G=G, steps=steps: answer(G.clone(), MUON_COEFFICIENTS, steps, 1e-7),
            ),
            rtol=1e-6,
            atol=1e-9,
            nonfinite_hint=CLAMP,
        )
    passed(
        "练习 2 通过：三个错误都改好了，三叠矩阵都与 Muon 用的迭代一致（float64）",
        "Exercise 2 passed: all three bugs fixed; the three stacks match the iteration Muon uses "
        "(float64)",
    )


wrap_checkers(globals())
