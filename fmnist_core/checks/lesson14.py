"""Checkers for lesson 14 (optimizers for large models, and the remaining schedulers).

Each checker computes the reference with PyTorch itself where it can (an ``Adafactor`` step, a
``CyclicLR`` run); each anticipated mistake is a row of ``MISTAKES`` (the wrong implementation a
learner would write, its Chinese hint, its English hint), which the checkers run on their own
inputs and tests/test_checks_mistakes.py passes back to them.
"""

import math

import torch

from . import Mistake, check_close, expect, passed, wrap_checkers, wrong_values

# ---------------------------------------------------------------- exercise 1: Adafactor's V̂

EX1_SHAPES = [(5, 3), (2, 4, 4), (3, 2, 6)]


def _ex1_inputs():
    g = torch.Generator().manual_seed(14)
    return [torch.randn(shape, generator=g, dtype=torch.float64) for shape in EX1_SHAPES]


def _adafactor_estimate(G):
    """V̂ as ``torch.optim.Adafactor`` builds it at its first step (where 1 − β̂₂ = 1, so its row
    and column statistics are exactly the means of this G²)."""
    p = torch.zeros_like(G, requires_grad=True)
    p.grad = G.clone()
    optimizer = torch.optim.Adafactor([p])
    optimizer.step()
    row, col = optimizer.state[p]["row_var"], optimizer.state[p]["col_var"]
    return row @ col / row.mean(dim=-2, keepdim=True)


def _rc(G, reduce=torch.mean, power=2):
    """The row and column reductions of |G|^power over the last two dims (keepdim)."""
    G2 = G.abs() ** power
    return reduce(G2, dim=-1, keepdim=True), reduce(G2, dim=-2, keepdim=True)


def _factored(G, power=2):
    r, c = _rc(G, power=power)
    return r @ c / r.mean(dim=-2, keepdim=True)


def _no_division(G):
    r, c = _rc(G)
    return r @ c


def _sums_no_division(G):
    R, C = _rc(G, reduce=torch.sum)
    return R @ C


def _by_sum(G):
    r, c = _rc(G)
    return r @ c / r.sum(dim=-2, keepdim=True)


def _mean_then_square(G):
    r, c = G.mean(dim=-1, keepdim=True) ** 2, G.mean(dim=-2, keepdim=True) ** 2
    return r @ c / r.mean(dim=-2, keepdim=True)


def _global_mean(G):
    r, c = _rc(G)
    return r @ c / r.mean()


MISTAKES = {
    "ex1_factored_second_moment": [
        Mistake(
            lambda G: G**2,
            "你返回的是 G² 本身：这正是 Adam 要存的 n × m 个数；练习要的是只用行平均 r 和列平均 c 重建的 V̂",
            "you returned G² itself: the n × m numbers Adam stores; the exercise asks for V̂ "
            "rebuilt from the row means r and the column means c alone",
        ),
        Mistake(
            _no_division,
            "还要除以 mean(r)：r_i c_j 把 G² 的整体大小算了两遍",
            "divide by mean(r): r_i c_j counts the overall size of G² twice",
        ),
        Mistake(
            _sums_no_division,
            "用行和 R、列和 C 时要除以总和 Σ_i R_i（论文的写法）：V̂ = R Cᵀ / Σ R",
            "with row sums R and column sums C, divide by the total Σ_i R_i (the paper's form): "
            "V̂ = R Cᵀ / Σ R",
        ),
        Mistake(
            _by_sum,
            "r、c 是平均值时，分母是 r 的平均值 mean(r)，不是它的和",
            "with means r and c, divide by the mean of r, not by its sum",
        ),
        Mistake(
            lambda G: _factored(G).sqrt(),
            "你返回的是 √V̂（更新公式的分母）；练习要的是 V̂ 本身",
            "you returned √V̂ (the denominator of the update); the exercise asks for V̂ itself",
        ),
        Mistake(
            lambda G: _factored(G, power=1),
            "先平方：r 和 c 是 G² 的平均，不是 |G| 的平均",
            "square first: r and c average G², not |G|",
        ),
        Mistake(
            _mean_then_square,
            "先平方再平均：r_i = mean_j G_ij²，不是 (mean_j G_ij)²",
            "square, then average: r_i = mean_j G_ij², not (mean_j G_ij)²",
        ),
        Mistake(
            lambda G: _factored(G.transpose(-1, -2)),
            "行和列弄反了：r_i 是第 i 行在 m 列上的平均（dim=-1），c_j 是第 j 列的平均（dim=-2），结果与 G 同形状",
            "rows and columns are swapped: r_i averages row i over its m columns (dim=-1), c_j "
            "averages column j (dim=-2), and the result has G's shape",
        ),
        Mistake(
            _global_mean,
            "超过二维时，每个 G[k] 各自分解：分母是 r 沿 dim=-2 的平均（keepdim=True），不是全部 r 的平均",
            "with more than two dims each slice G[k] is factored on its own: divide by the mean of "
            "r over dim=-2 (keepdim=True), not by the mean of all of r",
        ),
    ],
}


def ex1_factored_second_moment(factored_second_moment):
    """``factored_second_moment(G)``: Adafactor's estimate V̂ of G² (shape (..., n, m), the last
    two dims factored, each leading index on its own) from the row and column means of G²."""
    for G in _ex1_inputs():
        got = factored_second_moment(G.clone())
        check_close(
            got,
            _adafactor_estimate(G),
            name=f"factored_second_moment(G {tuple(G.shape)})",
            mistakes=wrong_values(MISTAKES["ex1_factored_second_moment"], G),
            rtol=1e-6,
            atol=1e-9,
        )
    passed(
        "练习 1 通过：分解的二阶矩与 Adafactor 一致",
        "Exercise 1 passed: the factored second moment matches Adafactor",
    )


# ---------------------------------------------------------------- exercise 2: CyclicLR

# (steps, base_lr, max_lr, step_size_up, step_size_down, mode, gamma)
EX2_CASES = [
    (25, 0.01, 0.1, 5, 5, "triangular", 1.0),
    (36, 0.001, 0.01, 4, 8, "triangular2", 1.0),
    (30, 0.01, 0.1, 3, 6, "exp_range", 0.95),
]


def _cyclic_torch(steps, base_lr, max_lr, up, down, mode, gamma):
    """``get_last_lr()`` before each of ``steps`` optimizer steps of ``CyclicLR``."""
    p = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([p], lr=base_lr)
    scheduler = torch.optim.lr_scheduler.CyclicLR(
        optimizer,
        base_lr,
        max_lr,
        step_size_up=up,
        step_size_down=down,
        mode=mode,
        gamma=gamma,
        cycle_momentum=False,
    )
    out = []
    for _ in range(steps):
        out.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return torch.tensor(out, dtype=torch.float64)


def _cyclic(steps, base_lr, max_lr, up, down, mode, gamma, mistake=None):
    """The schedule, or one of the anticipated mistakes (``mistake``)."""
    if mistake == "symmetric":
        down = up
    out = []
    for t in range(steps):
        t = t + 1 if mistake == "shift" else t
        cycle = math.floor(1 + t / (up + down))
        x = 1 + t / (up + down) - cycle  # where we are in the cycle, 0 .. 1
        ratio = up / (up + down)
        h = x / ratio if x <= ratio else (1 - x) / (1 - ratio)
        if mistake == "start_high":
            h = 1 - h
        scale = {
            "triangular": 1.0,
            "triangular2": 1 / 2 ** (cycle if mistake == "halve_first" else cycle - 1),
            "exp_range": gamma
            ** {"per_cycle": cycle, "in_cycle": t - (cycle - 1) * (up + down)}.get(mistake, t),
        }[mode]
        if mistake == "scale_base":
            out.append((base_lr + (max_lr - base_lr) * h) * scale)
        else:
            out.append(base_lr + (max_lr - base_lr) * h * scale)
    return torch.tensor(out, dtype=torch.float64)


def _cyclic_mistake(kind):
    return lambda *case: _cyclic(*case, mistake=kind)


MISTAKES["ex2_cyclic_lrs"] = [
    Mistake(
        _cyclic_mistake("symmetric"),
        "下降的半个周期有 step_size_down 步：一个周期共 step_size_up + step_size_down 步",
        "the falling half of a cycle lasts step_size_down steps: a cycle is step_size_up + "
        "step_size_down steps long",
    ),
    Mistake(
        _cyclic_mistake("shift"),
        "差一步：t = 0 时学习率是 base_lr，第一次 scheduler.step() 之后才是 t = 1",
        "off by one: at t = 0 the lr is base_lr; t = 1 comes after the first scheduler.step()",
    ),
    Mistake(
        _cyclic_mistake("start_high"),
        "周期从 base_lr 开始，先用 step_size_up 步升到 max_lr，再降回来",
        "a cycle starts at base_lr, climbs to max_lr in step_size_up steps, then comes back down",
    ),
    Mistake(
        _cyclic_mistake("halve_first"),
        "triangular2 从第二个周期才开始减半：缩放是 1 / 2^(cycle − 1)，第一个周期能到 max_lr",
        "triangular2 halves from the second cycle on: the scale is 1 / 2^(cycle − 1), and the "
        "first cycle reaches max_lr",
    ),
    Mistake(
        _cyclic_mistake("per_cycle"),
        "exp_range 按步数缩放：γ^t，t 是从训练开始数的步数，不是周期的编号",
        "exp_range scales by step: γ^t, with t the steps since the start of training, not the "
        "cycle number",
    ),
    Mistake(
        _cyclic_mistake("in_cycle"),
        "exp_range 的 t 从训练开始数（PyTorch 的代码），不是从这个周期开始数（它的文档这样写）",
        "exp_range counts t from the start of training (PyTorch's code), not from the start of "
        "the cycle (as its docs say)",
    ),
    Mistake(
        _cyclic_mistake("scale_base"),
        "缩放只作用在振幅 (max_lr − base_lr) 上，base_lr 不变",
        "the scale shrinks only the amplitude (max_lr − base_lr); base_lr stays as it is",
    ),
]


def ex2_cyclic_lrs(cyclic_lrs):
    """``cyclic_lrs(steps, base_lr, max_lr, step_size_up, step_size_down, mode, gamma)``: the lr
    of ``CyclicLR`` at t = 0 .. steps − 1."""
    for case in EX2_CASES:
        got = cyclic_lrs(*case)
        expect(
            isinstance(got, (list, tuple, torch.Tensor)),
            f"应返回一个列表或张量（每步一个学习率），得到的是 {type(got).__name__}",
            f"return a list or a tensor (one lr per step), got {type(got).__name__}",
        )
        check_close(
            torch.as_tensor(got, dtype=torch.float64),
            _cyclic_torch(*case),
            name=f"cyclic_lrs(mode='{case[5]}')",
            mistakes=wrong_values(MISTAKES["ex2_cyclic_lrs"], *case),
            rtol=1e-6,
            atol=1e-10,
        )
    passed(
        "练习 2 通过：三种模式都与 CyclicLR 一致",
        "Exercise 2 passed: all three modes match CyclicLR",
    )


# ---------------------------------------------------------------- exercise 3: Newton–Schulz

MUON = (3.4445, -4.7750, 2.0315)  # torch.optim.Muon's default ns_coefficients
CONVERGENT = (15 / 8, -10 / 8, 3 / 8)  # a quintic whose fixed point σ = 1 attracts


def _ex3_cases():
    g = torch.Generator().manual_seed(14)
    return [
        # 奇异值都小于 1：不归一化也不会溢出，错误才认得出来 / singular values below 1: without the
        # normalization nothing overflows, so the mistake is recognised
        (0.2 * torch.randn(3, 5, generator=g, dtype=torch.float64), MUON, 5, 1e-7),
        (torch.randn(6, 4, generator=g, dtype=torch.float64), CONVERGENT, 3, 1e-7),
        (0.5 * torch.randn(4, 4, generator=g, dtype=torch.float64), MUON, 2, 0.5),
        (torch.zeros(3, 3, dtype=torch.float64), MUON, 5, 1e-7),
    ]


def _ns(G, coefficients, steps, eps, mistake=None):
    """Muon's Newton–Schulz iteration in float64, or one of the anticipated mistakes."""
    a, b, c = reversed(coefficients) if mistake == "reversed" else coefficients
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G
    if mistake == "no_norm":
        pass
    elif mistake == "spectral":
        X = X / torch.linalg.matrix_norm(X, ord=2).clamp(min=eps)
    elif mistake == "plus_eps":
        X = X / (X.norm() + eps)
    else:
        X = X / X.norm().clamp(min=eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A @ X if mistake == "cubic" else (b * A + c * A @ A) @ X)
    return X if (not tall or mistake == "no_back") else X.T


def _ns_mistake(kind):
    return lambda G, coefficients, steps, eps: _ns(G, coefficients, steps, eps, mistake=kind)


MISTAKES["ex3_newton_schulz"] = [
    Mistake(
        _ns_mistake("no_norm"),
        "先把 G 除以它的 Frobenius 范数：这样所有奇异值都不超过 1，迭代才落在它起作用的区间里",
        "first divide G by its Frobenius norm: then every singular value is at most 1, where "
        "the iteration works",
    ),
    Mistake(
        _ns_mistake("spectral"),
        "PyTorch 除以 Frobenius 范数 ‖G‖_F（G.norm()），不是最大奇异值（那要做一次 SVD）",
        "PyTorch divides by the Frobenius norm ‖G‖_F (G.norm()), not by the largest singular "
        "value (that would need an SVD)",
    ),
    Mistake(
        _ns_mistake("plus_eps"),
        "PyTorch 用 max(‖G‖_F, eps)（clamp），不是 ‖G‖_F + eps；eps 不小时两者不同",
        "PyTorch divides by max(‖G‖_F, eps) (a clamp), not by ‖G‖_F + eps; they differ when "
        "eps is not tiny",
    ),
    Mistake(
        _ns_mistake("reversed"),
        "系数的顺序：X ← a X + (b A + c A²) X，A = X Xᵀ；a 乘 X，c 乘 A²",
        "the order of the coefficients: X ← a X + (b A + c A²) X with A = X Xᵀ; a multiplies X, "
        "c multiplies A²",
    ),
    Mistake(
        _ns_mistake("cubic"),
        "漏了 c A² 这一项：每一步是五次多项式 a σ + b σ³ + c σ⁵，不是三次",
        "the c A² term is missing: each step is the quintic a σ + b σ³ + c σ⁵, not a cubic",
    ),
    Mistake(
        _ns_mistake("no_back"),
        "行多于列的 G 在转置后迭代，最后要再转置回来：结果与 G 同形状",
        "a tall G is iterated transposed; transpose the result back, so that it has G's shape",
    ),
]


def ex3_newton_schulz(newton_schulz):
    """``newton_schulz(G, coefficients, steps, eps)``: Muon's orthogonalization of the matrix
    ``G``, in float64."""
    for G, coefficients, steps, eps in _ex3_cases():
        got = newton_schulz(G.clone(), coefficients, steps, eps)
        check_close(
            got,
            _ns(G, coefficients, steps, eps),
            name=f"newton_schulz(G {tuple(G.shape)}, steps={steps}, eps={eps})",
            mistakes=wrong_values(MISTAKES["ex3_newton_schulz"], G, coefficients, steps, eps),
            rtol=1e-6,
            atol=1e-9,
        )
    passed(
        "练习 3 通过：Newton–Schulz 迭代与 Muon 的一致",
        "Exercise 3 passed: the Newton–Schulz iteration matches Muon's",
    )


wrap_checkers(globals())
