"""Checks for the exercises of lesson 11 (losses for embeddings and ranking).

- Exercise 1 (predict): the value of ``nn.TripletMarginLoss(margin=1.0, swap=True)`` on four
  triplets of the plane, computed here with ``F.triplet_margin_loss``; each anticipated wrong
  prediction (no swap, squared distances, no hinge, ...) gets a hint that works the triplets out.
- Exercise 2 (transfer): InfoNCE, which the lesson teaches but never writes, written with
  ``F.cross_entropy`` on cosine-similarity logits divided by a temperature. The reference is
  computed here from the formula (log-sum-exp over the similarities of each row, minus the
  positive's), for both directions when ``symmetric=True``; values and gradients are compared.

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint,
which tests/test_checks_mistakes.py passes back to the checker.
"""

import math

import torch
import torch.nn.functional as F

from . import (
    LOSS_FACTOR_HINT,
    Mistake,
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

TRIPLETS = (  # (锚点 anchor, 正样本 positive, 负样本 negative), 平面上的点 / points of the plane
    ((0.0, 0.0), (3.0, 4.0), (6.0, 8.0)),
    ((0.0, 0.0), (0.0, 1.0), (1.0, 0.0)),
    ((0.0, 0.0), (-4.0, 0.0), (2.0, 0.0)),
    ((0.0, 0.0), (1.0, 0.0), (-4.0, 0.0)),
)
MARGIN = 1.0
TOLERANCE = 0.02  # every anticipated wrong value is at least 0.1 away from the right one


def _triplet_batch():
    """The four triplets as three float64 tensors of shape (4, 2)."""
    return tuple(torch.tensor([t[k] for t in TRIPLETS], dtype=torch.float64) for k in range(3))


def _swap_loss():
    """What the notebook's cell runs: ``nn.TripletMarginLoss(margin=1.0, swap=True)``."""
    return F.triplet_margin_loss(*_triplet_batch(), margin=MARGIN, swap=True).item()


def _variant(*, swap="min", squared=False, hinge=True, margin=MARGIN, reduce="mean"):
    """The loss of the four triplets computed with one thing changed (the right one with the
    defaults, up to PyTorch's eps of 1e-6): ``swap`` "min" (PyTorch), "none", "max" or
    "replace"; squared distances; no hinge; another margin; "sum" or the mean over the
    triplets whose loss is above 0."""
    a, p, n = _triplet_batch()

    def dist(u, v):
        d2 = (u - v).pow(2).sum(-1)
        return d2 if squared else d2.sqrt()

    d_an, d_pn = dist(a, n), dist(p, n)
    d_neg = {
        "min": torch.minimum(d_an, d_pn),
        "none": d_an,
        "max": torch.maximum(d_an, d_pn),
        "replace": d_pn,
    }[swap]
    z = dist(a, p) - d_neg + margin
    loss = z.clamp_min(0) if hinge else z
    if reduce == "sum":
        return loss.sum().item()
    if reduce == "active":
        return (loss.sum() / (loss > 0).sum()).item()
    return loss.mean().item()


WHY = (
    "每个三元组的损失是 max(0, d(a, p) − min(d(a, n), d(p, n)) + 1)，d 是不平方的欧氏距离；"
    "reduction='mean' 对 4 个三元组都求平均，损失为 0 的也算。第 1 个：d(a, n) = 10，但负样本"
    "离正样本只有 d(p, n) = 5，swap 用 5，5 − 5 + 1 = 1；第 2 个：d(a, p) = d(a, n) = 1，平手"
    "也要付间隔，1 − 1 + 1 = 1；第 3 个：正样本比负样本还远，4 − 2 + 1 = 3；第 4 个："
    "1 − min(4, 5) + 1 = −2，取 0。平均 (1 + 1 + 3 + 0)/4 = 1.25",
    "each triplet's loss is max(0, d(a, p) − min(d(a, n), d(p, n)) + 1), d being the Euclidean "
    "distance, not squared; reduction='mean' averages over all 4 triplets, those with loss 0 "
    "included. Triplet 1: d(a, n) = 10, but the negative is only d(p, n) = 5 from the positive; "
    "swap uses 5, 5 − 5 + 1 = 1. Triplet 2: d(a, p) = d(a, n) = 1, and a tie still costs the "
    "margin, 1 − 1 + 1 = 1. Triplet 3: the positive is farther than the negative, "
    "4 − 2 + 1 = 3. Triplet 4: 1 − min(4, 5) + 1 = −2, so 0. The mean is "
    "(1 + 1 + 3 + 0)/4 = 1.25",
)
SQUARED = (
    "TripletMarginLoss 的距离不平方（平方的是 FaceNet 论文和第 7 节的 squared_euclidean）。",
    "TripletMarginLoss does not square its distances (FaceNet and section 7's "
    "squared_euclidean do). ",
)
HINGE = (
    "少了 max(0, ·)：第 4 个三元组的负样本已经远出间隔，1 − 4 + 1 = −2，它的损失是 0，不是负数。",
    "the max(0, ·) is missing: triplet 4's negative is already beyond the margin, "
    "1 − 4 + 1 = −2, and its loss is 0, not negative. ",
)
MISTAKES["ex1_triplet_swap"] = [
    Mistake(
        lambda: _variant(swap="none"),
        "没有算 swap：swap=True 时 d(a, n) 换成 min(d(a, n), d(p, n))。第 1 个三元组的负样本离"
        "锚点 10，离正样本却只有 5，所以它的损失从 0 变成 1。" + WHY[0],
        "swap is left out: with swap=True, d(a, n) becomes min(d(a, n), d(p, n)). Triplet 1's "
        "negative is 10 from the anchor but only 5 from the positive, so its loss goes from 0 "
        "to 1. " + WHY[1],
    ),
    Mistake(lambda: _variant(squared=True), SQUARED[0] + WHY[0], SQUARED[1] + WHY[1]),
    Mistake(lambda: _variant(squared=True, swap="none"), SQUARED[0] + WHY[0], SQUARED[1] + WHY[1]),
    Mistake(lambda: _variant(hinge=False), HINGE[0] + WHY[0], HINGE[1] + WHY[1]),
    Mistake(lambda: _variant(hinge=False, swap="none"), HINGE[0] + WHY[0], HINGE[1] + WHY[1]),
    Mistake(
        lambda: _variant(swap="max"),
        "swap 取的是两个距离中较小的那个（更难的一边），不是较大的。" + WHY[0],
        "swap takes the smaller of the two distances (the harder side), not the larger. " + WHY[1],
    ),
    Mistake(
        lambda: _variant(swap="replace"),
        "swap 不是直接用 d(p, n) 代替 d(a, n)，而是取两者中较小的。" + WHY[0],
        "swap does not replace d(a, n) by d(p, n): it takes the smaller of the two. " + WHY[1],
    ),
    Mistake(
        lambda: _variant(reduce="active"),
        "只对损失大于 0 的三元组求了平均：'mean' 除以三元组的总数 4。" + WHY[0],
        "you averaged over the triplets with a loss above 0 only: 'mean' divides by all 4 "
        "triplets. " + WHY[1],
    ),
    Mistake(
        lambda: _variant(reduce="sum"),
        "这是总和：默认 reduction='mean'，还要除以 4。" + WHY[0],
        "that is the sum: the default reduction='mean' divides by 4. " + WHY[1],
    ),
    Mistake(
        lambda: _variant(margin=0.0),
        "忘了间隔 m = 1：它加在 max 里面，max(0, d(a, p) − d(a, n) + 1)。" + WHY[0],
        "the margin m = 1 is missing: it goes inside the max, max(0, d(a, p) − d(a, n) + 1). "
        + WHY[1],
    ),
]


def ex1_triplet_swap(predict_triplet_swap):
    """``predict_triplet_swap()``: the predicted value of
    ``nn.TripletMarginLoss(margin=1.0, swap=True)`` on the four triplets of ``TRIPLETS``."""
    got = expect_number(predict_triplet_swap())
    right = _swap_loss()
    if abs(got - right) > TOLERANCE:
        for m in MISTAKES["ex1_triplet_swap"]:
            if abs(got - m.answer()) <= TOLERANCE:
                fail(m.zh, m.en)
        fail(f"不是 {got:.4g}。{WHY[0]}", f"not {got:.4g}. {WHY[1]}")
    passed(
        "练习 1 通过：swap 让第 1 个三元组也有损失，(1 + 1 + 3 + 0)/4 = 1.25",
        "Exercise 1 passed: swap gives triplet 1 a loss too, (1 + 1 + 3 + 0)/4 = 1.25",
    )


# ---------------------------------------------------------------- exercise 2: InfoNCE

N_PAIRS, DIM = 8, 5
CASES = [  # explicit options first; the defaults last, so a wrong default is all that fails there
    {"temperature": 0.1},
    {"temperature": 0.5},
    {"temperature": 0.05, "symmetric": True},
    {"temperature": 0.1, "symmetric": True},
    {},
]
GRAD_CASE = {"temperature": 0.2, "symmetric": True}


def _pairs():
    """N pairs of float64 embeddings of unequal lengths; row i of z2 is a noisy copy of row i of
    z1 (a positive pair), so the positives are the most similar."""
    g = torch.Generator().manual_seed(11)
    z1 = torch.randn(N_PAIRS, DIM, generator=g, dtype=torch.float64)
    z2 = z1 + 0.6 * torch.randn(N_PAIRS, DIM, generator=g, dtype=torch.float64)
    scale = 0.5 + 2.5 * torch.rand(N_PAIRS, 1, generator=g, dtype=torch.float64)
    return z1 * scale, z2 * scale.flip(0)


def _reference(z1, z2, temperature=0.1, symmetric=False):
    """InfoNCE from its formula: ℓ_i = log Σ_j exp(s_ij/τ) − s_ii/τ, s_ij = cos(z1_i, z2_j),
    averaged over i; with ``symmetric``, the mean of that and the same over the columns."""
    u = z1 / z1.norm(dim=1, keepdim=True)
    v = z2 / z2.norm(dim=1, keepdim=True)
    s = u @ v.T / temperature
    rows = (torch.logsumexp(s, dim=1) - s.diagonal()).mean()
    if not symmetric:
        return rows
    return (rows + (torch.logsumexp(s, dim=0) - s.diagonal()).mean()) / 2


def _info_nce(
    *,
    normalize=1,
    scale="divide",
    softmax_first=False,
    targets="arange",
    transpose=False,
    both="mean",
    reduction="mean",
    positive_in_denominator=True,
    detached_norm=False,
):
    """InfoNCE written with F.cross_entropy, right with the defaults, or with one thing wrong:
    ``normalize`` the dim normalized (None: not at all), the temperature ``scale`` ("divide",
    "multiply" or "ignore"), a softmax before the cross-entropy, the targets all 0, the logits
    transposed, the two directions of ``symmetric`` summed or one of them ignored ("first"),
    the sum over the rows, the positive left out of the denominator, the norm detached."""

    def info_nce(z1, z2, temperature=0.1, symmetric=False):
        def unit(z):
            if normalize is None:
                return z
            norm = z.norm(dim=normalize, keepdim=True)
            return z / (norm.detach() if detached_norm else norm)

        s = unit(z1) @ unit(z2).T
        s = {"divide": s / temperature, "multiply": s * temperature, "ignore": s}[scale]
        if transpose:
            s = s.T
        t = torch.arange(len(s)) if targets == "arange" else torch.zeros(len(s), dtype=torch.long)

        def ce(logits):
            if not positive_in_denominator:
                eye = torch.eye(len(logits), dtype=torch.bool)
                out = logits.masked_fill(eye, -math.inf).logsumexp(dim=1) - logits.diagonal()
                return out.sum() if reduction == "sum" else out.mean()
            if softmax_first:
                logits = logits.softmax(dim=1)
            return F.cross_entropy(logits, t, reduction=reduction)

        if not symmetric or both == "first":
            return ce(s)
        total = ce(s) + ce(s.T)
        return total if both == "sum" else total / 2

    return info_nce


NO_TEMPERATURE_DEFAULT = (
    "默认值应为 temperature=0.1、symmetric=False",
    "the defaults should be temperature=0.1, symmetric=False",
)
MISTAKES["ex2_info_nce"] = [
    # 默认值错：前面显式给出选项的情形都对，只有最后一个用默认值的情形不对
    # / wrong defaults: right wherever the options are given, wrong only in the last case
    Mistake(
        lambda z1, z2, temperature=1.0, symmetric=False: _info_nce()(
            z1, z2, temperature, symmetric
        ),
        *NO_TEMPERATURE_DEFAULT,
    ),
    Mistake(
        lambda z1, z2, temperature=0.1, symmetric=True: _info_nce()(z1, z2, temperature, symmetric),
        *NO_TEMPERATURE_DEFAULT,
    ),
    Mistake(
        _info_nce(normalize=None),
        "logits 是余弦相似度，不是点积：先把每一行归一化成长度 1（F.normalize(z, dim=1)），"
        "否则长的嵌入得分高，和是不是正样本无关",
        "the logits are cosine similarities, not dot products: first scale every row to length 1 "
        "(F.normalize(z, dim=1)); otherwise long embeddings score high whether positive or not",
    ),
    Mistake(
        _info_nce(normalize=0),
        "归一化的方向错了：每个嵌入是一行，要 dim=1（每一行除以它的长度）；dim=0 归一化的是每一列",
        "normalized along the wrong dim: each embedding is a row, so dim=1 (each row divided by "
        "its length); dim=0 normalizes each column",
    ),
    Mistake(
        _info_nce(scale="multiply"),
        "温度要除，不是乘：logits = s/τ。τ 越小，softmax 越尖",
        "divide by the temperature, do not multiply: logits = s/τ. The smaller τ, the sharper "
        "the softmax",
    ),
    Mistake(
        _info_nce(scale="ignore"),
        "没有用温度：logits = s/τ。余弦只在 −1 到 1 之间，不除以 τ 的话 softmax 永远很平",
        "the temperature is not used: logits = s/τ. Cosines lie between −1 and 1, and without "
        "the division the softmax is always flat",
    ),
    Mistake(
        _info_nce(softmax_first=True),
        "F.cross_entropy 要的是 logits：它自己做 log_softmax，先做一次 softmax 就做了两次"
        "（第 06 课）",
        "F.cross_entropy takes logits: it applies log_softmax itself, so a softmax before it is "
        "applied twice (lesson 06)",
    ),
    Mistake(
        _info_nce(targets="zeros"),
        "目标不对：第 i 行的正样本是第 i 列，所以目标是 torch.arange(N)，不是全 0",
        "the targets are wrong: row i's positive is column i, so the targets are torch.arange(N), "
        "not all zeros",
    ),
    Mistake(
        _info_nce(transpose=True),
        "方向反了：第 i 行应是 z1 的第 i 个嵌入对 z2 的全部嵌入的相似度，s = z1 z2ᵀ；"
        "s 的转置是 z2 对 z1（symmetric=True 时才用到的另一个方向）",
        "the direction is reversed: row i should hold z1's embedding i against every embedding "
        "of z2, s = z1 z2ᵀ; its transpose is z2 against z1 (the other direction, used only with "
        "symmetric=True)",
    ),
    Mistake(
        _info_nce(both="first"),
        "symmetric=True 时要把两个方向平均：½·(CE(s, t) + CE(sᵀ, t))（CLIP 的写法）",
        "with symmetric=True, average the two directions: ½·(CE(s, t) + CE(sᵀ, t)) (as CLIP does)",
    ),
    Mistake(
        _info_nce(both="sum"),
        "两个方向要取平均，不是相加：½·(CE(s, t) + CE(sᵀ, t))",
        "average the two directions, do not add them: ½·(CE(s, t) + CE(sᵀ, t))",
    ),
    Mistake(
        _info_nce(reduction="sum"),
        "损失是对 N 个查询的平均（F.cross_entropy 的默认），不是总和",
        "the loss is the mean over the N queries (F.cross_entropy's default), not the sum",
    ),
    Mistake(
        _info_nce(positive_in_denominator=False),
        "分母要包括正样本自己（j = i）：它是对全部 N 个候选的 softmax，和交叉熵一样",
        "the denominator includes the positive itself (j = i): it is a softmax over all N "
        "candidates, as in cross-entropy",
    ),
    Mistake(
        _info_nce(detached_norm=True),
        "数值对了，梯度不对：长度 ‖z‖ 也要参与求导，不要 detach 它（F.normalize 就是这样）",
        "the values are right but the gradient is not: the length ‖z‖ must be differentiated "
        "too; do not detach it (F.normalize does not)",
    ),
]
NOT_DIFFERENTIABLE = (
    "损失要能求导：返回一个带计算图的张量，不要用 .item()、.detach() 或 NumPy",
    "the loss must be differentiable: return a tensor in the graph, with no .item(), .detach() "
    "or NumPy",
)


def _gradient(info_nce):
    """The gradient of ``info_nce(z1, z2, **GRAD_CASE)`` w.r.t. z1 and z2, flattened."""
    z1, z2 = (z.requires_grad_(True) for z in _pairs())
    loss = info_nce(z1, z2, **GRAD_CASE)
    expect(isinstance(loss, torch.Tensor) and loss.requires_grad, *NOT_DIFFERENTIABLE)
    return torch.cat([g.flatten() for g in torch.autograd.grad(loss, (z1, z2))])


def ex2_info_nce(info_nce):
    """``info_nce(z1, z2, temperature=0.1, symmetric=False)``: the InfoNCE loss of N pairs
    (row i of z1 with row i of z2), compared with the formula for several options, then its
    gradient."""
    z1, z2 = _pairs()
    for kw in CASES:
        shown = ", ".join(f"{k}={v!r}" for k, v in kw.items())
        check_close(
            info_nce(z1.clone(), z2.clone(), **kw),
            _reference(z1, z2, **kw),
            name=f"info_nce(z1, z2{', ' + shown if shown else ''})",
            mistakes=wrong_results(MISTAKES["ex2_info_nce"], lambda a, o=kw: a(z1, z2, **o)),
            factor_hint=LOSS_FACTOR_HINT,
        )
    check_close(
        _gradient(info_nce),
        _gradient(_reference),
        name=("对 z1、z2 的梯度", "the gradient w.r.t. z1 and z2"),
        mistakes=wrong_results(MISTAKES["ex2_info_nce"], _gradient),
    )
    passed(
        "练习 2 通过：InfoNCE 是余弦相似度/τ 上的交叉熵，第 i 行的类别是 i",
        "Exercise 2 passed: InfoNCE is a cross-entropy on cosine similarity / τ, row i's class "
        "being i",
    )


wrap_checkers(globals())
