"""Checkers for lesson 09 (learning-rate schedules).

Each checker computes the reference with the PyTorch scheduler itself (stepping a one-parameter
optimizer), compares the learner's function over a whole run, and names the likely mistake:
an off-by-one in the step count, a cosine with the wrong period, a warm-up that starts at 0 ...
"""

import math

import torch

from ..data import TensorLoader
from . import expect, fail, passed
from .lesson07 import check_steps, wrap

_RTOL, _ATOL = 1e-6, 1e-10  # learning rates are small numbers: compare them tightly
S = torch.optim.lr_scheduler


def _torch_trace(make_scheduler, steps, lr):
    """``get_last_lr()`` before each of ``steps`` optimizer steps (the lr each step uses)."""
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = make_scheduler(opt)
    out = []
    for _ in range(steps):
        out.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    return torch.tensor(out, dtype=torch.float64)


def _learner_trace(fn, steps, *args):
    return torch.tensor([float(fn(t, *args)) for t in range(steps)], dtype=torch.float64)


NONFINITE = (
    "学习率里有 nan 或 inf：是不是在某一步除以了 0？",
    "the lr holds nan or inf: a division by 0 at some step?",
)
FACTOR = (
    "{name}差了一个常数因子：是正确值的 {k:.4g} 倍（漏乘了 lr0，或多了 ½、2？）",
    "{name} is off by a constant factor: {k:.4g} times the right value (lr0 missing, or an "
    "extra ½ or 2?)",
)


def _cos(u):
    """½ (1 + cos(π u)): 1 at u = 0, 0 at u = 1."""
    return (1 + math.cos(math.pi * u)) / 2


def _tensors(wrong):
    return {k: torch.tensor(v, dtype=torch.float64) for k, v in wrong.items()}


# ---------------------------------------------------------------- exercise 1: PolynomialLR

EX1_CASES = [(0.1, 10, 1.0), (0.05, 8, 2.0), (0.2, 5, 3.0)]


def ex1_poly_lr(poly_lr):
    """``poly_lr(t, lr0, total_iters, power)``: the lr of ``PolynomialLR`` after ``t`` steps, for
    0 ≤ t ≤ total_iters + 5 (it stays at 0 after ``total_iters``)."""
    got, ref = [], []
    wrong = {k: [] for k in ("tm1", "no_clamp", "no_power", "power_inside")}
    for lr0, T, power in EX1_CASES:
        steps = T + 6
        got.append(_learner_trace(poly_lr, steps, lr0, T, power))
        ref.append(
            _torch_trace(lambda o: S.PolynomialLR(o, total_iters=T, power=power), steps, lr0)  # noqa: B023 (called at once)
        )
        for t in range(steps):
            wrong["tm1"].append(lr0 * (1 - min(t, T - 1) / (T - 1)) ** power)
            wrong["no_clamp"].append(lr0 * (1 - t / T) ** power)
            wrong["no_power"].append(lr0 * (1 - min(t, T) / T))
            wrong["power_inside"].append(lr0 * (1 - (min(t, T) / T) ** power))
    w = _tensors(wrong)
    check_steps(
        torch.cat(got),
        torch.cat(ref),
        name="PolynomialLR 的学习率 / PolynomialLR's lr",
        rtol=_RTOL,
        atol=_ATOL,
        nonfinite=NONFINITE,
        factor=FACTOR,
        mistakes=[
            (
                w["tm1"],
                "差一步：学习率在 t = total_iters 时才降到 0，分母是 total_iters，不是 total_iters − 1",
                "off by one: the lr reaches 0 at t = total_iters; divide by total_iters, not total_iters − 1",
            ),
            (
                w["no_clamp"],
                "t 超过 total_iters 之后学习率停在 0：用 min(t, total_iters)，否则它会变负或重新变大",
                "after total_iters the lr stays at 0: use min(t, total_iters), or it goes negative or "
                "grows again",
            ),
            (
                w["no_power"],
                "漏了 power：η_t = lr0 · (1 − min(t, T) / T)^power",
                "power is missing: η_t = lr0 · (1 − min(t, T) / T)^power",
            ),
            (
                w["power_inside"],
                "power 作用在整个 (1 − t / T) 上，不是只作用在 t / T 上",
                "power applies to the whole (1 − t / T), not to t / T alone",
            ),
        ],
    )
    passed("练习 1 通过：PolynomialLR 的公式正确", "Exercise 1 passed: PolynomialLR's formula")


# ---------------------------------------------------------------- exercise 2: warm restarts

EX2_CASES = [(0.1, 10, 0.001), (0.05, 7, 0.0)]


def ex2_cosine_restart_lr(cosine_restart_lr):
    """``cosine_restart_lr(t, lr0, T_0, eta_min)``: the lr of ``CosineAnnealingWarmRestarts(T_0,
    eta_min=eta_min)`` (``T_mult=1``) after ``t`` steps."""
    got, ref = [], []
    wrong = {k: [] for k in ("no_restart", "full", "mod_p1", "tm1", "no_min", "amp")}
    for lr0, T0, eta_min in EX2_CASES:
        steps = 3 * T0 + 3
        got.append(_learner_trace(cosine_restart_lr, steps, lr0, T0, eta_min))
        ref.append(
            _torch_trace(
                lambda o: S.CosineAnnealingWarmRestarts(o, T_0=T0, eta_min=eta_min),  # noqa: B023
                steps,
                lr0,
            )
        )
        for t in range(steps):
            amp = lr0 - eta_min
            wrong["no_restart"].append(eta_min + amp * _cos(t / T0))
            wrong["full"].append(eta_min + amp * _cos(2 * (t % T0) / T0))
            wrong["mod_p1"].append(eta_min + amp * _cos((t % (T0 + 1)) / T0))
            wrong["tm1"].append(eta_min + amp * _cos((t % T0) / (T0 - 1)))
            wrong["no_min"].append(lr0 * _cos((t % T0) / T0))
            wrong["amp"].append(eta_min + lr0 * _cos((t % T0) / T0))
    w = _tensors(wrong)
    check_steps(
        torch.cat(got),
        torch.cat(ref),
        name="热重启余弦的学习率 / warm-restart cosine lr",
        rtol=_RTOL,
        atol=_ATOL,
        nonfinite=NONFINITE,
        factor=FACTOR,
        mistakes=[
            (
                w["no_restart"],
                "周期错了：没有重启时余弦会用 T_0 步慢慢爬回去；热重启在 t = T_0, 2 T_0, … 时直接跳回 lr0，用 t mod T_0",
                "wrong period: without a restart the cosine climbs back slowly over T_0 steps; a warm "
                "restart jumps back to lr0 at t = T_0, 2 T_0, ...: use t mod T_0",
            ),
            (
                w["full"],
                "周期错了：每个周期里余弦只走半圈（从最高到最低），用 cos(π T_cur / T_0)，不是 cos(2π T_cur / T_0)",
                "wrong period: in each cycle the cosine goes half a period (top to bottom): use "
                "cos(π T_cur / T_0), not cos(2π T_cur / T_0)",
            ),
            (
                w["mod_p1"],
                "差一步：重启发生在 t = T_0，T_cur 从 0 数到 T_0 − 1；用 t mod T_0，不是 t mod (T_0 + 1)",
                "off by one: the restart is at t = T_0, T_cur counts 0 .. T_0 − 1; use t mod T_0, "
                "not t mod (T_0 + 1)",
            ),
            (
                w["tm1"],
                "差一步：余弦的分母是 T_0，不是 T_0 − 1（学习率在重启前还没到 eta_min）",
                "off by one: divide by T_0, not T_0 − 1 (the lr has not reached eta_min before the restart)",
            ),
            (
                w["no_min"],
                "漏了 eta_min：η = eta_min + ½ (lr0 − eta_min)(1 + cos(π T_cur / T_0))",
                "eta_min is missing: η = eta_min + ½ (lr0 − eta_min)(1 + cos(π T_cur / T_0))",
            ),
            (
                w["amp"],
                "振幅应为 (lr0 − eta_min)：你在 eta_min 上加了整个 lr0",
                "the amplitude is (lr0 − eta_min): you added the whole lr0 on top of eta_min",
            ),
        ],
    )
    passed("练习 2 通过：热重启余弦正确", "Exercise 2 passed: the warm-restart cosine")


# ---------------------------------------------------------------- exercise 3: warm-up then linear decay

EX3_CASES = [(0.1, 5, 25, 0.1), (0.02, 3, 13, 0.25)]


def _warmup_linear_torch(lr0, warmup, total, start_factor):
    def make(o):
        return S.SequentialLR(
            o,
            [
                S.LinearLR(o, start_factor=start_factor, total_iters=warmup),
                S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=total - warmup),
            ],
            milestones=[warmup],
        )

    return _torch_trace(make, total + 1, lr0)


def ex3_warmup_linear_lr(warmup_linear_lr):
    """``warmup_linear_lr(t, lr0, warmup, total, start_factor)`` for 0 ≤ t ≤ total, as
    ``SequentialLR([LinearLR(start_factor, total_iters=warmup), LinearLR(1.0, 0.0,
    total_iters=total - warmup)], milestones=[warmup])``."""
    got, ref = [], []
    wrong = {
        k: [] for k in ("from0", "warm_tm1", "decay_total", "decay_noshift", "decay_noshift_total")
    }
    for lr0, W, N, sf in EX3_CASES:
        got.append(_learner_trace(warmup_linear_lr, N + 1, lr0, W, N, sf))
        ref.append(_warmup_linear_torch(lr0, W, N, sf))
        for t in range(N + 1):
            warm = lr0 * (sf + (1 - sf) * t / W)
            decay = lr0 * (1 - (t - W) / (N - W))
            after = t >= W
            wrong["from0"].append(decay if after else lr0 * t / W)
            wrong["warm_tm1"].append(decay if after else lr0 * (sf + (1 - sf) * t / (W - 1)))
            wrong["decay_total"].append(lr0 * (1 - (t - W) / N) if after else warm)
            wrong["decay_noshift"].append(lr0 * (1 - t / (N - W)) if after else warm)
            wrong["decay_noshift_total"].append(lr0 * (1 - t / N) if after else warm)
    w = _tensors(wrong)
    check_steps(
        torch.cat(got),
        torch.cat(ref),
        name="预热加线性衰减的学习率 / warm-up + linear decay lr",
        rtol=_RTOL,
        atol=_ATOL,
        nonfinite=NONFINITE,
        factor=FACTOR,
        mistakes=[
            (
                w["from0"],
                "预热不是从 0 开始：LinearLR 在 t = 0 时的学习率是 start_factor · lr0，再线性升到 lr0",
                "the warm-up does not start at 0: LinearLR's lr at t = 0 is start_factor · lr0, rising "
                "linearly to lr0",
            ),
            (
                w["warm_tm1"],
                "差一步：预热在 t = warmup 时才到 lr0，斜率的分母是 warmup，不是 warmup − 1",
                "off by one: the warm-up reaches lr0 at t = warmup; divide by warmup, not warmup − 1",
            ),
            (
                w["decay_total"],
                "衰减的长度错了：预热之后只剩 total − warmup 步，学习率要在 t = total 时正好到 0",
                "the decay has the wrong length: after the warm-up only total − warmup steps are left, and "
                "the lr must reach 0 exactly at t = total",
            ),
            (
                w["decay_noshift"],
                "第二个调度器的时钟没有从 0 重新开始：在里程碑处它从头数起，用 t − warmup，不是 t",
                "the second scheduler's clock does not restart: at the milestone it counts from 0 again, "
                "so use t − warmup, not t",
            ),
            (
                w["decay_noshift_total"],
                "衰减用错了时钟和长度：应为 lr0 · (1 − (t − warmup) / (total − warmup))",
                "the decay uses the wrong clock and length: lr0 · (1 − (t − warmup) / (total − warmup))",
            ),
        ],
    )
    passed("练习 3 通过：与 SequentialLR 一致", "Exercise 3 passed: matches SequentialLR")


# ---------------------------------------------------------------- exercise 4: ReduceLROnPlateau, mode="max"

EX4_CASES = [
    # (metrics, lr, factor, patience, threshold, cooldown): the metric is an accuracy, higher is better
    ([0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7], 0.1, 0.5, 2, 0.0, 0),
    ([0.80, 0.85, 0.855, 0.856, 0.857, 0.87, 0.875, 0.88, 0.8801], 0.1, 0.1, 1, 0.01, 0),
    ([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.9, 0.9], 0.1, 0.5, 1, 1e-4, 2),
    ([0.9, 0.8, 0.85, 0.88, 0.89, 0.895, 0.9], 0.1, 0.5, 1, 1e-4, 0),
]


def _plateau_rule(
    metrics,
    lr,
    factor,
    patience,
    threshold,
    cooldown,
    *,
    better="rel_max",
    early=False,
    use_cooldown=True,
    reset=True,
):
    """A from-scratch rule with switches that reproduce the usual mistakes."""
    tests = {
        "rel_max": (-math.inf, lambda m, b: m > b * (1 + threshold)),
        "rel_min": (math.inf, lambda m, b: m < b * (1 - threshold)),  # mode "min" by mistake
        "sign_max": (-math.inf, lambda m, b: m > b * (1 - threshold)),  # threshold the wrong way
        "none_max": (-math.inf, lambda m, b: m > b),
        "abs_max": (-math.inf, lambda m, b: m > b + threshold),
        "inf_max": (math.inf, lambda m, b: m > b * (1 + threshold)),  # best starts at +inf
    }
    best, is_better = tests[better]
    bad, cool, out = 0, 0, []
    for m in metrics:
        if is_better(m, best):
            best, bad = m, 0
        else:
            bad += 1
        if use_cooldown and cool > 0:
            cool -= 1
            bad = 0
        if (bad >= patience) if early else (bad > patience):
            lr = lr * factor
            cool = cooldown
            if reset:
                bad = 0
        out.append(lr)
    return out


def _plateau_torch(metrics, lr, factor, patience, threshold, cooldown, mode="max"):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = S.ReduceLROnPlateau(
        opt, mode=mode, factor=factor, patience=patience, threshold=threshold, cooldown=cooldown
    )
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


EX4_VARIANTS = {
    "rel_min": dict(better="rel_min"),
    "sign_max": dict(better="sign_max"),
    "inf_max": dict(better="inf_max"),
    "early": dict(early=True),
    "none_max": dict(better="none_max"),
    "abs_max": dict(better="abs_max"),
    "no_cool": dict(use_cooldown=False),
    "no_reset": dict(reset=False),
}


def ex4_plateau_max_lrs(plateau_max_lrs):
    """``plateau_max_lrs(metrics, lr, factor, patience, threshold, cooldown)``: the lr after each
    ``ReduceLROnPlateau(mode="max").step(metric)`` (relative threshold, as by default)."""
    got, ref = [], []
    wrong = {k: [] for k in EX4_VARIANTS}
    for case in EX4_CASES:
        metrics = case[0]
        out = plateau_max_lrs(list(metrics), *case[1:])
        expect(
            out is not None and len(out) == len(metrics),
            f"每个指标值对应一个学习率：应返回 {len(metrics)} 个数的列表",
            f"one lr per metric value: return a list of {len(metrics)} numbers",
        )
        got.append(torch.tensor([float(v) for v in out], dtype=torch.float64))
        ref.append(torch.tensor(_plateau_torch(*case), dtype=torch.float64))
        for k, kw in EX4_VARIANTS.items():
            wrong[k] += _plateau_rule(*case, **kw)
    w = _tensors(wrong)
    check_steps(
        torch.cat(got),
        torch.cat(ref),
        name="ReduceLROnPlateau 的学习率 / ReduceLROnPlateau's lr",
        rtol=_RTOL,
        atol=_ATOL,
        nonfinite=NONFINITE,
        factor=FACTOR,
        mistakes=[
            (
                w["rel_min"],
                "方向反了：mode='max' 时越大越好，进步是 m > best · (1 + threshold)，best 从 −∞ 开始",
                "wrong direction: with mode='max' higher is better; an improvement is m > best · "
                "(1 + threshold), and best starts at −∞",
            ),
            (
                w["sign_max"],
                "threshold 的方向反了：mode='max' 时要超过 best · (1 + threshold) 才算进步，不是 best · (1 − threshold)",
                "the threshold goes the wrong way: with mode='max' an improvement must beat best · "
                "(1 + threshold), not best · (1 − threshold)",
            ),
            (
                w["inf_max"],
                "best 的初值错了：mode='max' 时 best 从 −∞ 开始，第一个指标总算进步",
                "best starts at the wrong value: with mode='max' it starts at −∞, so the first metric is "
                "always an improvement",
            ),
            (
                w["early"],
                "差一步：未改善的轮数要超过 patience（bad > patience）才降，不是达到（bad ≥ patience）",
                "off by one: reduce when the epochs without improvement exceed patience (bad > patience), "
                "not when they reach it (bad ≥ patience)",
            ),
            (
                w["none_max"],
                "漏了 threshold：只有 m > best · (1 + threshold) 才算进步，微小的上升算作未改善",
                "threshold is ignored: only m > best · (1 + threshold) counts as better; a tiny rise is a "
                "bad epoch",
            ),
            (
                w["abs_max"],
                "threshold 默认是相对的（threshold_mode='rel'）：比较 m > best · (1 + threshold)，不是 best + threshold",
                "the threshold is relative by default (threshold_mode='rel'): compare m > best · "
                "(1 + threshold), not best + threshold",
            ),
            (
                w["no_cool"],
                "漏了 cooldown：降低学习率之后的 cooldown 轮里，未改善的轮数清零、不计数",
                "cooldown is ignored: for cooldown epochs after a reduction the count of epochs without "
                "improvement is reset "
                "and not counted",
            ),
            (
                w["no_reset"],
                "降低学习率之后要把未改善的轮数清零，否则之后每一轮都会再降",
                "reset the count of epochs without improvement after a reduction, or the lr drops again "
                "at every epoch after",
            ),
        ],
    )
    passed("练习 4 通过：与 ReduceLROnPlateau 一致", "Exercise 4 passed: matches ReduceLROnPlateau")


# ---------------------------------------------------------------- exercise 5: how many steps

EX5_CASES = [(60000, 64, 10), (60000, 100, 3), (1000, 128, 2), (10, 3, 1)]


def ex5_total_steps(total_steps):
    """``total_steps(n_examples, batch_size, epochs)``: how many times a per-batch scheduler
    steps in the whole run (what ``OneCycleLR(total_steps=...)`` needs)."""
    for n, bs, epochs in EX5_CASES:
        got = total_steps(n, bs, epochs)
        expect(
            isinstance(got, int) or (isinstance(got, torch.Tensor) and got.numel() == 1),
            f"应返回一个整数，得到的是 {type(got).__name__}",
            f"return one integer, got {type(got).__name__}",
        )
        got = int(got)
        want = epochs * len(TensorLoader(torch.zeros(n, 1), torch.zeros(n), batch_size=bs))
        if got == want:
            continue
        case = f"(n_examples={n}, batch_size={bs}, epochs={epochs})"
        if got == epochs * (n // bs):
            fail(
                wrap(
                    f"少算了每轮一步：最后一个不满的批次也算一步，要向上取整 ceil(n / batch_size)；"
                    f"{case} 应为 {want}，得到 {got}（OneCycleLR 会在最后一轮报 ValueError）"
                ),
                wrap(
                    f"off by one: the last, smaller batch is a step too, so round up: "
                    f"ceil(n / batch_size); {case} should be {want}, got {got} "
                    f"(OneCycleLR would raise ValueError in the last epoch)"
                ),
            )
        if got == epochs * (n // bs + 1):
            fail(
                wrap(
                    f"n 能被 batch_size 整除时没有多出的批次：用 ceil(n / batch_size)，"
                    f"不是 n // batch_size + 1；{case} 应为 {want}，得到 {got}"
                ),
                wrap(
                    f"when batch_size divides n there is no extra batch: use ceil(n / batch_size), "
                    f"not n // batch_size + 1; {case} should be {want}, got {got}"
                ),
            )
        if got == math.ceil(epochs * n / bs):
            fail(
                wrap(
                    f"每轮最后一个不满的批次各算一步：先对每轮向上取整，再乘轮数，"
                    f"epochs · ceil(n / batch_size)；{case} 应为 {want}，得到 {got}"
                ),
                wrap(
                    f"the last, smaller batch of every epoch is a step of its own: round up per "
                    f"epoch, then multiply, epochs · ceil(n / batch_size); {case} should be {want}, "
                    f"got {got}"
                ),
            )
        if got == want // epochs:
            fail(
                wrap(
                    f"忘了乘轮数：调度器每个批次走一步，共 epochs 轮；{case} 应为 {want}，得到 {got}"
                ),
                wrap(
                    f"the epochs are missing: the scheduler steps once per batch for epochs epochs; "
                    f"{case} should be {want}, got {got}"
                ),
            )
        fail(wrap(f"{case} 应为 {want}，得到 {got}"), wrap(f"{case} should be {want}, got {got}"))
    passed("练习 5 通过：步数正确", "Exercise 5 passed: the step count is right")
