"""Checks for the exercises of lesson 09 (learning-rate schedules).

Each checker runs the PyTorch scheduler itself (on a one-parameter optimizer) for the reference,
compares the learner's function over whole runs, and names the likely mistake (an off-by-one,
a cosine with the wrong period, ...); the anticipated mistakes are data, in ``MISTAKES``.
"""

import math
from functools import partial

import torch

from ..data import TensorLoader
from . import (
    Mistake,
    check_close,
    expect,
    expect_integer,
    fail,
    matching_hint,
    passed,
    scheduler_trace,
    wrap_checkers,
    wrong_results,
    wrong_values,
)

S = torch.optim.lr_scheduler
MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker
NONFINITE = (
    "学习率里有 nan 或 inf：是不是在某一步除以了 0？",
    "the lr holds nan or inf: a division by 0 at some step?",
)
FACTOR = ("漏乘了 lr0，或多了 ½、2？", "lr0 missing, or an extra ½ or 2?")


# check_close for learning rates: small numbers, compared tightly
_check = partial(check_close, rtol=1e-6, atol=1e-10, factor_hint=FACTOR, nonfinite_hint=NONFINITE)


def _check_schedule(fn, exercise, name, cases, steps, scheduler):
    """Compare ``fn(t, *case)`` for t = 0 .. ``steps(*case)`` − 1 with the learning rates of
    ``scheduler(optimizer, *case)`` (from lr0 = case[0]), over every case at once; the wrong
    answers of ``MISTAKES[exercise]`` are run the same way."""

    def lrs(answer):
        lrs = [float(answer(t, *c)) for c in cases for t in range(steps(*c))]
        return torch.tensor(lrs, dtype=torch.float64)

    got = lrs(fn)
    expected = [scheduler_trace(lambda o, c=c: scheduler(o, *c), steps(*c), c[0]) for c in cases]
    _check(got, torch.cat(expected), name=name, mistakes=wrong_results(MISTAKES[exercise], lrs))


def _cos(u):
    """½ (1 + cos(π u)): 1 at u = 0, 0 at u = 1."""
    return (1 + math.cos(math.pi * u)) / 2


# ---------------------------------------------------------------- exercise 1: PolynomialLR

EX1_CASES = [(0.1, 10, 1.0), (0.05, 8, 2.0), (0.2, 5, 3.0)]  # (lr0, total_iters, power)
MISTAKES["ex1_poly_lr"] = [
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - min(t, T - 1) / (T - 1)) ** power,
        "差一步：学习率在 t = total_iters 时才降到 0，分母是 total_iters，不是 total_iters − 1",
        "off by one: the lr reaches 0 at t = total_iters; divide by total_iters, "
        "not total_iters − 1",
    ),
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - t / T) ** power,
        "t 超过 total_iters 之后学习率停在 0：用 min(t, total_iters)，否则它会变负或重新变大",
        "after total_iters the lr stays at 0: use min(t, total_iters), or it goes negative or "
        "grows again",
    ),
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - min(t, T) / T),
        "漏了 power：η_t = lr0 · (1 − min(t, T) / T)^power",
        "power is missing: η_t = lr0 · (1 − min(t, T) / T)^power",
    ),
    Mistake(
        lambda t, lr0, T, power: lr0 * (1 - (min(t, T) / T) ** power),
        "power 作用在整个 (1 − t / T) 上，不是只作用在 t / T 上",
        "power applies to the whole (1 − t / T), not to t / T alone",
    ),
]


def ex1_poly_lr(poly_lr):
    """``poly_lr(t, lr0, total_iters, power)``: the lr of ``PolynomialLR`` after ``t`` steps, for
    0 ≤ t ≤ total_iters + 5 (it stays at 0 after ``total_iters``)."""
    _check_schedule(
        poly_lr,
        "ex1_poly_lr",
        ("PolynomialLR 的学习率", "PolynomialLR's lr"),
        EX1_CASES,
        steps=lambda lr0, T, power: T + 6,
        scheduler=lambda o, lr0, T, power: S.PolynomialLR(o, total_iters=T, power=power),
    )
    passed("练习 1 通过：PolynomialLR 的公式正确", "Exercise 1 passed: PolynomialLR's formula")


# ---------------------------------------------------------------- exercise 2: warm restarts

EX2_CASES = [(0.1, 10, 0.001), (0.05, 7, 0.0)]  # (lr0, T_0, eta_min)
MISTAKES["ex2_cosine_restart_lr"] = [
    Mistake(
        lambda t, lr0, T0, eta_min: eta_min + (lr0 - eta_min) * _cos(t / T0),
        "周期错了：没有重启时余弦会用 T_0 步慢慢爬回去；热重启在 t = T_0, 2 T_0, … 时直接跳回 lr0，"
        "用 t mod T_0",
        "wrong period: without a restart the cosine climbs back slowly over T_0 steps; a warm "
        "restart jumps back to lr0 at t = T_0, 2 T_0, ...: use t mod T_0",
    ),
    Mistake(
        lambda t, lr0, T0, eta_min: eta_min + (lr0 - eta_min) * _cos(2 * (t % T0) / T0),
        "周期错了：每个周期里余弦只走半圈（从最高到最低），用 cos(π T_cur / T_0)，"
        "不是 cos(2π T_cur / T_0)",
        "wrong period: in each cycle the cosine goes half a period (top to bottom): use "
        "cos(π T_cur / T_0), not cos(2π T_cur / T_0)",
    ),
    Mistake(
        lambda t, lr0, T0, eta_min: eta_min + (lr0 - eta_min) * _cos((t % (T0 + 1)) / T0),
        "差一步：重启发生在 t = T_0，T_cur 从 0 数到 T_0 − 1；用 t mod T_0，不是 t mod (T_0 + 1)",
        "off by one: the restart is at t = T_0, T_cur counts 0 .. T_0 − 1; use t mod T_0, "
        "not t mod (T_0 + 1)",
    ),
    Mistake(
        lambda t, lr0, T0, eta_min: eta_min + (lr0 - eta_min) * _cos((t % T0) / (T0 - 1)),
        "差一步：余弦的分母是 T_0，不是 T_0 − 1（学习率在重启前还没到 eta_min）",
        "off by one: divide by T_0, not T_0 − 1 (the lr has not reached eta_min before the "
        "restart)",
    ),
    Mistake(
        lambda t, lr0, T0, eta_min: lr0 * _cos((t % T0) / T0),
        "漏了 eta_min：η = eta_min + ½ (lr0 − eta_min)(1 + cos(π T_cur / T_0))",
        "eta_min is missing: η = eta_min + ½ (lr0 − eta_min)(1 + cos(π T_cur / T_0))",
    ),
    Mistake(
        lambda t, lr0, T0, eta_min: eta_min + lr0 * _cos((t % T0) / T0),
        "振幅应为 (lr0 − eta_min)：你在 eta_min 上加了整个 lr0",
        "the amplitude is (lr0 − eta_min): you added the whole lr0 on top of eta_min",
    ),
]


def ex2_cosine_restart_lr(cosine_restart_lr):
    """``cosine_restart_lr(t, lr0, T_0, eta_min)``: the lr of ``CosineAnnealingWarmRestarts(T_0,
    eta_min=eta_min)`` (``T_mult=1``) after ``t`` steps."""
    _check_schedule(
        cosine_restart_lr,
        "ex2_cosine_restart_lr",
        ("热重启余弦的学习率", "warm-restart cosine lr"),
        EX2_CASES,
        steps=lambda lr0, T0, eta_min: 3 * T0 + 3,
        scheduler=lambda o, lr0, T0, eta_min: S.CosineAnnealingWarmRestarts(o, T0, eta_min=eta_min),
    )
    passed("练习 2 通过：热重启余弦正确", "Exercise 2 passed: the warm-restart cosine")


# ---------------------------------------------------------------- exercise 3: warm-up, then decay

EX3_CASES = [(0.1, 5, 25, 0.1), (0.02, 3, 13, 0.25)]  # (lr0, warmup, total, start_factor)


def _warmup_linear(
    warm=lambda t, lr0, W, sf: lr0 * (sf + (1 - sf) * t / W),
    decay=lambda t, lr0, W, N: lr0 * (1 - (t - W) / (N - W)),
):
    """``warmup_linear_lr`` as the lesson writes it (the defaults), or with one piece changed."""

    def warmup_linear_lr(t, lr0, warmup, total, start_factor):
        return warm(t, lr0, warmup, start_factor) if t < warmup else decay(t, lr0, warmup, total)

    return warmup_linear_lr


MISTAKES["ex3_warmup_linear_lr"] = [
    Mistake(
        _warmup_linear(warm=lambda t, lr0, W, sf: lr0 * t / W),
        "预热不是从 0 开始：LinearLR 在 t = 0 时的学习率是 start_factor · lr0，再线性升到 lr0",
        "the warm-up does not start at 0: LinearLR's lr at t = 0 is start_factor · lr0, rising "
        "linearly to lr0",
    ),
    Mistake(
        _warmup_linear(warm=lambda t, lr0, W, sf: lr0 * (sf + (1 - sf) * t / (W - 1))),
        "差一步：预热在 t = warmup 时才到 lr0，斜率的分母是 warmup，不是 warmup − 1",
        "off by one: the warm-up reaches lr0 at t = warmup; divide by warmup, not warmup − 1",
    ),
    Mistake(
        _warmup_linear(decay=lambda t, lr0, W, N: lr0 * (1 - (t - W) / N)),
        "衰减的长度错了：预热之后只剩 total − warmup 步，学习率要在 t = total 时正好到 0",
        "the decay has the wrong length: after the warm-up only total − warmup steps are left, "
        "and the lr must reach 0 exactly at t = total",
    ),
    Mistake(
        _warmup_linear(decay=lambda t, lr0, W, N: lr0 * (1 - t / (N - W))),
        "第二个调度器的时钟没有从 0 重新开始：在里程碑处它从头数起，用 t − warmup，不是 t",
        "the second scheduler's clock does not restart: at the milestone it counts from 0 "
        "again, so use t − warmup, not t",
    ),
    Mistake(
        _warmup_linear(decay=lambda t, lr0, W, N: lr0 * (1 - t / N)),
        "衰减用错了时钟和长度：应为 lr0 · (1 − (t − warmup) / (total − warmup))",
        "the decay uses the wrong clock and length: lr0 · (1 − (t − warmup) / (total − warmup))",
    ),
]


def _warmup_then_decay(o, lr0, warmup, total, start_factor):
    warm = S.LinearLR(o, start_factor=start_factor, total_iters=warmup)
    decay = S.LinearLR(o, start_factor=1.0, end_factor=0.0, total_iters=total - warmup)
    return S.SequentialLR(o, [warm, decay], milestones=[warmup])


def ex3_warmup_linear_lr(warmup_linear_lr):
    """``warmup_linear_lr(t, lr0, warmup, total, start_factor)`` for 0 ≤ t ≤ total, as
    ``SequentialLR([LinearLR(start_factor, total_iters=warmup), LinearLR(1.0, 0.0,
    total_iters=total - warmup)], milestones=[warmup])``."""
    _check_schedule(
        warmup_linear_lr,
        "ex3_warmup_linear_lr",
        ("预热加线性衰减的学习率", "warm-up + linear decay lr"),
        EX3_CASES,
        steps=lambda lr0, warmup, total, start_factor: total + 1,
        scheduler=_warmup_then_decay,
    )
    passed("练习 3 通过：与 SequentialLR 一致", "Exercise 3 passed: matches SequentialLR")


# ---------------------------------------------------------------- exercise 4: plateau, mode="max"

EX4_CASES = [
    # (metrics, lr, factor, patience, threshold, cooldown): the metric is an accuracy
    ([0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7], 0.1, 0.5, 2, 0.0, 0),
    ([0.80, 0.85, 0.855, 0.856, 0.857, 0.87, 0.875, 0.88, 0.8801], 0.1, 0.1, 1, 0.01, 0),
    ([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.9, 0.9, 0.9, 0.9], 0.1, 0.5, 1, 1e-4, 2),
    ([0.9, 0.8, 0.85, 0.88, 0.89, 0.895, 0.9], 0.1, 0.5, 1, 1e-4, 0),
]


def _plateau_rule(better="rel_max", early=False, use_cooldown=True, reset=True):
    """``plateau_max_lrs`` from scratch (the defaults), or with one thing changed."""

    def plateau_max_lrs(metrics, lr, factor, patience, threshold, cooldown):
        tests = {
            "rel_max": (-math.inf, lambda m, b: m > b * (1 + threshold)),
            "rel_min": (math.inf, lambda m, b: m < b * (1 - threshold)),  # mode "min"
            "sign_max": (-math.inf, lambda m, b: m > b * (1 - threshold)),  # threshold reversed
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

    return plateau_max_lrs


def _plateau_torch(metrics, lr, factor, patience, threshold, cooldown):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    sched = S.ReduceLROnPlateau(
        opt, mode="max", factor=factor, patience=patience, threshold=threshold, cooldown=cooldown
    )
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


def _plateau_lrs(answer):
    """The learning rates ``answer`` returns for every case, in one tensor."""
    lrs = []
    for metrics, *args in EX4_CASES:
        out = answer(list(metrics), *args)
        expect(
            out is not None and len(out) == len(metrics),
            f"每个指标值对应一个学习率：应返回 {len(metrics)} 个数的列表",
            f"one lr per metric value: return a list of {len(metrics)} numbers",
        )
        lrs += [float(v) for v in out]
    return torch.tensor(lrs, dtype=torch.float64)


MISTAKES["ex4_plateau_max_lrs"] = [
    Mistake(
        _plateau_rule(better="rel_min"),
        "方向反了：mode='max' 时越大越好，进步是 m > best · (1 + threshold)，best 从 −∞ 开始",
        "wrong direction: with mode='max' higher is better; an improvement is m > best · "
        "(1 + threshold), and best starts at −∞",
    ),
    Mistake(
        _plateau_rule(better="sign_max"),
        "threshold 的方向反了：mode='max' 时要超过 best · (1 + threshold) 才算进步，"
        "不是 best · (1 − threshold)",
        "the threshold goes the wrong way: with mode='max' an improvement must beat best · "
        "(1 + threshold), not best · (1 − threshold)",
    ),
    Mistake(
        _plateau_rule(better="inf_max"),
        "best 的初值错了：mode='max' 时 best 从 −∞ 开始，第一个指标总算进步",
        "best starts at the wrong value: with mode='max' it starts at −∞, so the first metric "
        "is always an improvement",
    ),
    Mistake(
        _plateau_rule(early=True),
        "差一步：未改善的轮数要超过 patience（bad > patience）才降，不是达到（bad ≥ patience）",
        "off by one: reduce when the epochs without improvement exceed patience "
        "(bad > patience), not when they reach it (bad ≥ patience)",
    ),
    Mistake(
        _plateau_rule(better="none_max"),
        "漏了 threshold：只有 m > best · (1 + threshold) 才算进步，微小的上升算作未改善",
        "threshold is ignored: only m > best · (1 + threshold) counts as better; a tiny rise is "
        "a bad epoch",
    ),
    Mistake(
        _plateau_rule(better="abs_max"),
        "threshold 默认是相对的（threshold_mode='rel'）：比较 m > best · (1 + threshold)，"
        "不是 best + threshold",
        "the threshold is relative by default (threshold_mode='rel'): compare m > best · "
        "(1 + threshold), not best + threshold",
    ),
    Mistake(
        _plateau_rule(use_cooldown=False),
        "漏了 cooldown：降低学习率之后的 cooldown 轮里，未改善的轮数清零、不计数",
        "cooldown is ignored: for cooldown epochs after a reduction the count of epochs without "
        "improvement is reset and not counted",
    ),
    Mistake(
        _plateau_rule(reset=False),
        "降低学习率之后要把未改善的轮数清零，否则之后每一轮都会再降",
        "reset the count of epochs without improvement after a reduction, or the lr drops "
        "again at every epoch after",
    ),
]


def ex4_plateau_max_lrs(plateau_max_lrs):
    """``plateau_max_lrs(metrics, lr, factor, patience, threshold, cooldown)``: the lr after each
    ``ReduceLROnPlateau(mode="max").step(metric)`` (relative threshold, as by default)."""
    _check(
        _plateau_lrs(plateau_max_lrs),
        torch.tensor([v for case in EX4_CASES for v in _plateau_torch(*case)], dtype=torch.float64),
        name=("ReduceLROnPlateau 的学习率", "ReduceLROnPlateau's lr"),
        mistakes=wrong_results(MISTAKES["ex4_plateau_max_lrs"], _plateau_lrs),
    )
    passed("练习 4 通过：与 ReduceLROnPlateau 一致", "Exercise 4 passed: matches ReduceLROnPlateau")


# ---------------------------------------------------------------- exercise 5: how many steps

EX5_CASES = [(60000, 64, 10), (60000, 100, 3), (1000, 128, 2), (10, 3, 1)]
MISTAKES["ex5_total_steps"] = [
    Mistake(
        lambda n, batch_size, epochs: epochs * (n // batch_size),
        "少算了每轮一步：最后一个不满的批次也算一步，要向上取整 ceil(n / batch_size)"
        "（OneCycleLR 会在最后一轮报 ValueError）",
        "off by one: the last, smaller batch is a step too, so round up: ceil(n / batch_size) "
        "(OneCycleLR would raise ValueError in the last epoch)",
    ),
    Mistake(
        lambda n, batch_size, epochs: epochs * (n // batch_size + 1),
        "n 能被 batch_size 整除时没有多出的批次：用 ceil(n / batch_size)，不是 n // batch_size + 1",
        "when batch_size divides n there is no extra batch: use ceil(n / batch_size), "
        "not n // batch_size + 1",
    ),
    Mistake(
        lambda n, batch_size, epochs: math.ceil(epochs * n / batch_size),
        "每轮最后一个不满的批次各算一步：先对每轮向上取整，再乘轮数，epochs · ceil(n / batch_size)",
        "the last, smaller batch of every epoch is a step of its own: round up per epoch, then "
        "multiply, epochs · ceil(n / batch_size)",
    ),
    Mistake(
        lambda n, batch_size, epochs: math.ceil(n / batch_size),
        "忘了乘轮数：调度器每个批次走一步，共 epochs 轮",
        "the epochs are missing: the scheduler steps once per batch for epochs epochs",
    ),
]


def ex5_total_steps(total_steps):
    """``total_steps(n_examples, batch_size, epochs)``: how many times a per-batch scheduler
    steps in the whole run (what ``OneCycleLR(total_steps=...)`` needs)."""
    for n, bs, epochs in EX5_CASES:
        got = expect_integer(total_steps(n, bs, epochs))
        want = epochs * len(TensorLoader(torch.zeros(n, 1), torch.zeros(n), batch_size=bs))
        if got != want:
            wrong = wrong_values(MISTAKES["ex5_total_steps"], n, bs, epochs)
            zh, en = matching_hint(got, wrong, otherwise=("", ""))
            case = f"(n_examples={n}, batch_size={bs}, epochs={epochs})"
            fail(
                f"{zh}{'；' if zh else ''}{case} 应为 {want}，得到 {got}",
                f"{en}{'; ' if en else ''}{case} should be {want}, got {got}",
            )
    passed("练习 5 通过：步数正确", "Exercise 5 passed: the step count is right")


wrap_checkers(globals())
