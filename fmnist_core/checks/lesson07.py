"""Checkers for lesson 07 (learning-rate schedules).

Each checker computes the reference with the PyTorch scheduler itself (stepping a one-parameter
optimizer), compares the learner's function over a whole run, and names the likely mistake:
an off-by-one in the step count, a cosine with the wrong period, a warm-up that starts at 0 ...
"""

import math

import torch

from ..data import TensorLoader
from . import check_close, expect, fail, passed

_RTOL, _ATOL = 1e-6, 1e-10  # learning rates are small numbers: compare them tightly


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


def _cos(u):
    return (1 + math.cos(math.pi * u)) / 2


# ---------------------------------------------------------------- exercise 1: MultiStepLR

EX1_CASES = [(0.1, [3, 7, 12], 0.5, 20), (0.05, [1, 2, 5], 0.1, 9)]


def ex1_multistep_lr(multistep_lr):
    """``multistep_lr(t, lr0, milestones, gamma)``: the lr of ``MultiStepLR`` after ``t`` steps."""
    got, ref = [], []
    wrong = {"late": [], "early": [], "once": [], "no_power": []}
    for lr0, ms, gamma, steps in EX1_CASES:
        got.append(_learner_trace(multistep_lr, steps, lr0, list(ms), gamma))
        ref.append(_torch_trace(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, ms, gamma),
                                steps, lr0))
        for t in range(steps):
            passed_ms = sum(m <= t for m in ms)
            wrong["late"].append(lr0 * gamma ** sum(m < t for m in ms))
            wrong["early"].append(lr0 * gamma ** sum(m <= t + 1 for m in ms))
            wrong["once"].append(lr0 * (gamma if passed_ms else 1.0))
            wrong["no_power"].append(lr0 * gamma * passed_ms if passed_ms else lr0)
    w = {k: torch.tensor(v, dtype=torch.float64) for k, v in wrong.items()}
    check_close(torch.cat(got), torch.cat(ref), name="MultiStepLR 的学习率 / MultiStepLR's lr",
                rtol=_RTOL, atol=_ATOL, mistakes=[
                    (w["late"], "差一步：学习率晚了一步才下降。在 t 等于里程碑 m 的那一步就要降，数 m ≤ t 的里程碑，不是 m < t",
                     "off by one: the lr drops one step late. It must already drop at the step t = m: count the "
                     "milestones with m ≤ t, not m < t"),
                    (w["early"], "差一步：学习率早了一步下降。数 m ≤ t 的里程碑，不是 m ≤ t + 1",
                     "off by one: the lr drops one step early. Count the milestones with m ≤ t, not m ≤ t + 1"),
                    (w["once"], "每过一个里程碑都要再乘一次 γ：应为 lr0 · γ^k（k 为已过的里程碑个数），不是只乘一次",
                     "multiply by γ once per milestone passed: lr0 · γ^k (k milestones passed), not just once"),
                    (w["no_power"], "γ 要取 k 次方，不是乘以 k：lr0 · γ^k",
                     "raise γ to the power k, don't multiply by k: lr0 · γ^k"),
                ])
    passed("练习 1 通过：MultiStepLR 的闭式公式正确", "Exercise 1 passed: MultiStepLR's closed form is right")


# ---------------------------------------------------------------- exercise 2: CosineAnnealingLR

EX2_CASES = [(0.1, 10, 0.001), (0.05, 7, 0.0)]


def ex2_cosine_lr(cosine_lr):
    """``cosine_lr(t, lr0, T_max, eta_min)``: the lr of ``CosineAnnealingLR`` for 0 ≤ t ≤ T_max."""
    got, ref = [], []
    wrong = {k: [] for k in ("full", "half", "tm1", "amp", "no_min", "no_half")}
    for lr0, T, eta_min in EX2_CASES:
        steps = T + 1  # t = 0 .. T_max
        got.append(_learner_trace(cosine_lr, steps, lr0, T, eta_min))
        ref.append(_torch_trace(
            lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=T, eta_min=eta_min), steps, lr0))
        for t in range(steps):
            wrong["full"].append(eta_min + (lr0 - eta_min) * _cos(2 * t / T))
            wrong["half"].append(eta_min + (lr0 - eta_min) * _cos(t / (2 * T)))
            wrong["tm1"].append(eta_min + (lr0 - eta_min) * _cos(t / (T - 1)))
            wrong["amp"].append(eta_min + lr0 * _cos(t / T))
            wrong["no_min"].append(lr0 * _cos(t / T))
            wrong["no_half"].append(eta_min + (lr0 - eta_min) * 2 * _cos(t / T))
    w = {k: torch.tensor(v, dtype=torch.float64) for k, v in wrong.items()}
    check_close(torch.cat(got), torch.cat(ref), name="余弦退火的学习率 / cosine-annealed lr",
                rtol=_RTOL, atol=_ATOL, mistakes=[
                    (w["full"], "周期错了：余弦在 T_max 步里只走半个周期（从最高到最低），用 cos(π t / T_max)，不是 cos(2π t / T_max)",
                     "wrong period: in T_max steps the cosine goes half a period (top to bottom): use "
                     "cos(π t / T_max), not cos(2π t / T_max)"),
                    (w["half"], "周期错了：学习率应在 t = T_max 时正好降到 eta_min，用 cos(π t / T_max)，不是 cos(π t / (2 T_max))",
                     "wrong period: the lr must reach eta_min exactly at t = T_max: use cos(π t / T_max), "
                     "not cos(π t / (2 T_max))"),
                    (w["tm1"], "差一步：最低点在 t = T_max，不是 T_max − 1；用 π t / T_max",
                     "off by one: the bottom is at t = T_max, not T_max − 1; use π t / T_max"),
                    (w["amp"], "振幅应为 (lr0 − eta_min)：你在 eta_min 上加了整个 lr0，起点比 lr0 高了 eta_min",
                     "the amplitude is (lr0 − eta_min): adding the whole lr0 on top of eta_min starts "
                     "eta_min too high"),
                    (w["no_min"], "漏了 eta_min：η_t = eta_min + ½ (lr0 − eta_min)(1 + cos(π t / T_max))",
                     "eta_min is missing: η_t = eta_min + ½ (lr0 − eta_min)(1 + cos(π t / T_max))"),
                    (w["no_half"], "漏了 ½：1 + cos 在 0 到 2 之间，要乘 ½ 才让 t = 0 时学习率等于 lr0",
                     "the ½ is missing: 1 + cos runs from 0 to 2, so it needs ½ for the lr to be lr0 at t = 0"),
                ])
    passed("练习 2 通过：余弦退火公式正确", "Exercise 2 passed: the cosine-annealing formula is right")


# ---------------------------------------------------------------- exercise 3: warm-up then cosine

EX3_CASES = [(0.1, 5, 25, 0.1), (0.02, 3, 13, 0.25)]


def _warmup_cosine_torch(lr0, warmup, total, start_factor):
    S = torch.optim.lr_scheduler

    def make(o):
        return S.SequentialLR(o, [S.LinearLR(o, start_factor=start_factor, total_iters=warmup),
                                  S.CosineAnnealingLR(o, T_max=total - warmup)], milestones=[warmup])
    return _torch_trace(make, total, lr0)


def ex3_warmup_cosine_lr(warmup_cosine_lr):
    """``warmup_cosine_lr(t, lr0, warmup, total, start_factor)`` for 0 ≤ t < total, as
    ``SequentialLR([LinearLR(start_factor, total_iters=warmup), CosineAnnealingLR(T_max=total -
    warmup)], milestones=[warmup])``."""
    got, ref = [], []
    wrong = {k: [] for k in ("from0", "warm_tm1", "cos_total", "cos_noshift", "cos_total_noshift")}
    for lr0, W, N, sf in EX3_CASES:
        got.append(_learner_trace(warmup_cosine_lr, N, lr0, W, N, sf))
        ref.append(_warmup_cosine_torch(lr0, W, N, sf))
        for t in range(N):
            warm = lr0 * (sf + (1 - sf) * t / W)
            cos = lr0 * _cos((t - W) / (N - W))
            after = t >= W
            wrong["from0"].append(cos if after else lr0 * t / W)
            wrong["warm_tm1"].append(cos if after else lr0 * (sf + (1 - sf) * min(t / (W - 1), 1)))
            wrong["cos_total"].append(lr0 * _cos((t - W) / N) if after else warm)
            wrong["cos_noshift"].append(lr0 * _cos(t / (N - W)) if after else warm)
            wrong["cos_total_noshift"].append(lr0 * _cos(t / N) if after else warm)
    w = {k: torch.tensor(v, dtype=torch.float64) for k, v in wrong.items()}
    check_close(torch.cat(got), torch.cat(ref), name="预热加余弦的学习率 / warm-up + cosine lr",
                rtol=_RTOL, atol=_ATOL, mistakes=[
                    (w["from0"], "预热不是从 0 开始：LinearLR 在 t = 0 时的学习率是 start_factor · lr0，再线性升到 lr0",
                     "the warm-up does not start at 0: LinearLR's lr at t = 0 is start_factor · lr0, rising "
                     "linearly to lr0"),
                    (w["warm_tm1"], "差一步：预热在 t = warmup 时才到 lr0，斜率的分母是 warmup，不是 warmup − 1",
                     "off by one: the warm-up reaches lr0 at t = warmup; divide by warmup, not warmup − 1"),
                    (w["cos_total"], "余弦的周期错了：预热之后只剩 total − warmup 步，T_max = total − warmup，不是 total",
                     "cosine with the wrong period: after the warm-up only total − warmup steps are left, so "
                     "T_max = total − warmup, not total"),
                    (w["cos_noshift"], "余弦的时钟没有从 0 重新开始：预热结束时余弦从头开始，用 t − warmup，不是 t",
                     "the cosine's clock does not restart: it begins at the end of the warm-up, so use "
                     "t − warmup, not t"),
                    (w["cos_total_noshift"], "余弦用错了时钟和周期：应为 cos(π (t − warmup) / (total − warmup))",
                     "the cosine uses the wrong clock and period: cos(π (t − warmup) / (total − warmup))"),
                ])
    passed("练习 3 通过：预热加余弦与 SequentialLR 一致", "Exercise 3 passed: warm-up + cosine matches SequentialLR")


# ---------------------------------------------------------------- exercise 4: ReduceLROnPlateau

EX4_CASES = [
    # (metrics, lr, factor, patience, threshold, cooldown)
    ([1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8, 0.8], 0.1, 0.5, 2, 0.0, 0),
    ([0.5, 0.45, 0.449, 0.445, 0.44, 0.43, 0.429, 0.428, 0.427], 0.1, 0.1, 1, 0.01, 0),
    ([2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 1.0], 0.1, 0.5, 1, 1e-4, 2),
]


def _plateau_rule(metrics, lr, factor, patience, threshold, cooldown, *, early=False, thr="rel",
                  use_cooldown=True, reset=True):
    """A from-scratch rule with switches that reproduce the usual mistakes."""
    best, bad, cool, out = math.inf, 0, 0, []
    for m in metrics:
        limit = {"rel": best * (1 - threshold), "abs": best - threshold, "none": best}[thr]
        if m < limit:
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


def _plateau_torch(metrics, lr, factor, patience, threshold, cooldown):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=factor, patience=patience,
                                                       threshold=threshold, cooldown=cooldown)
    out = []
    for m in metrics:
        opt.step()
        sched.step(m)
        out.append(sched.get_last_lr()[0])
    return out


def ex4_plateau_lrs(plateau_lrs):
    """``plateau_lrs(metrics, lr, factor, patience, threshold, cooldown)``: the lr after each
    ``ReduceLROnPlateau.step(metric)`` (mode "min", relative threshold)."""
    got, ref = [], []
    variants = {"early": dict(early=True), "no_thr": dict(thr="none"), "abs": dict(thr="abs"),
                "no_cool": dict(use_cooldown=False), "no_reset": dict(reset=False)}
    wrong = {k: [] for k in variants}
    for case in EX4_CASES:
        metrics = case[0]
        out = plateau_lrs(list(metrics), *case[1:])
        expect(len(out) == len(metrics),
               f"每个指标值对应一个学习率：应返回 {len(metrics)} 个数，得到 {len(out)} 个",
               f"one lr per metric value: expected {len(metrics)} numbers, got {len(out)}")
        got.append(torch.tensor([float(v) for v in out], dtype=torch.float64))
        ref.append(torch.tensor(_plateau_torch(*case), dtype=torch.float64))
        for k, kw in variants.items():
            wrong[k] += _plateau_rule(*case, **kw)
    w = {k: torch.tensor(v, dtype=torch.float64) for k, v in wrong.items()}
    check_close(torch.cat(got), torch.cat(ref), name="ReduceLROnPlateau 的学习率 / ReduceLROnPlateau's lr",
                rtol=_RTOL, atol=_ATOL, mistakes=[
                    (w["early"], "差一步：坏轮数要超过 patience（bad > patience）才降，不是达到（bad ≥ patience）",
                     "off by one: reduce when the bad epochs exceed patience (bad > patience), not when they "
                     "reach it (bad ≥ patience)"),
                    (w["no_thr"], "漏了 threshold：只有 m < best · (1 − threshold) 才算进步，微小的下降算坏轮",
                     "threshold is ignored: only m < best · (1 − threshold) counts as better; a tiny drop is "
                     "a bad epoch"),
                    (w["abs"], "threshold 默认是相对的（threshold_mode='rel'）：比较 m < best · (1 − threshold)，不是 best − threshold",
                     "the threshold is relative by default (threshold_mode='rel'): compare m < best · "
                     "(1 − threshold), not best − threshold"),
                    (w["no_cool"], "漏了 cooldown：降低学习率之后的 cooldown 轮里，坏轮数清零、不计数",
                     "cooldown is ignored: for cooldown epochs after a reduction the bad-epoch count is reset "
                     "and not counted"),
                    (w["no_reset"], "降低学习率之后要把坏轮数清零，否则之后每一轮都会再降",
                     "reset the bad-epoch count after a reduction, or the lr drops again at every epoch after"),
                ])
    passed("练习 4 通过：与 ReduceLROnPlateau 一致", "Exercise 4 passed: matches ReduceLROnPlateau")


# ---------------------------------------------------------------- exercise 5: how many steps

EX5_CASES = [(60000, 64, 10), (60000, 100, 3), (1000, 128, 2), (10, 3, 1)]


def ex5_total_steps(total_steps):
    """``total_steps(n_examples, batch_size, epochs)``: how many times a per-batch scheduler
    steps in the whole run (what ``OneCycleLR(total_steps=...)`` needs)."""
    for n, bs, epochs in EX5_CASES:
        got = total_steps(n, bs, epochs)
        expect(isinstance(got, int) or (isinstance(got, torch.Tensor) and got.numel() == 1),
               f"应返回一个整数，得到的是 {type(got).__name__}", f"return one integer, got {type(got).__name__}")
        got = int(got)
        loader = TensorLoader(torch.zeros(n, 1), torch.zeros(n), batch_size=bs)
        want = epochs * len(loader)
        if got == want:
            continue
        case = f"(n_examples={n}, batch_size={bs}, epochs={epochs})"
        if got == epochs * (n // bs):
            fail(f"差一：最后一个不满的批次也算一步，要向上取整 ceil(n / batch_size)；{case} 应为 {want}，得到 {got}"
                 f"（OneCycleLR 会在最后一轮报 ValueError）",
                 f"off by one: the last, smaller batch is a step too, so round up: ceil(n / batch_size); "
                 f"{case} should be {want}, got {got} (OneCycleLR would raise ValueError in the last epoch)")
        if got == epochs * (n // bs + 1):
            fail(f"n 能被 batch_size 整除时没有多出的批次：用 ceil(n / batch_size)，不是 n // batch_size + 1；{case} 应为 {want}，得到 {got}",
                 f"when batch_size divides n there is no extra batch: use ceil(n / batch_size), not "
                 f"n // batch_size + 1; {case} should be {want}, got {got}")
        if got == len(loader):
            fail(f"忘了乘轮数：调度器每个批次走一步，共 epochs 轮；{case} 应为 {want}，得到 {got}",
                 f"the epochs are missing: the scheduler steps once per batch for epochs epochs; {case} "
                 f"should be {want}, got {got}")
        fail(f"{case} 应为 {want}，得到 {got}", f"{case} should be {want}, got {got}")
    passed("练习 5 通过：步数正确", "Exercise 5 passed: the step count is right")
