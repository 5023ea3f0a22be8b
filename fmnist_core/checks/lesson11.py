"""Checks for the exercises of lesson 11 (losses for embeddings and ranking).

Each checker calls the learner's function on seeded inputs and computes the right answer with
``torch.nn.functional``. The anticipated mistakes are written once, as data, in ``MISTAKES``
(the wrong implementation, its Chinese hint, its English hint); the checker runs each of them on
its own inputs (``wrong_values``) and tests/test_checks_mistakes.py passes each one back to it.
"""

import torch
import torch.nn.functional as F

from . import LOSS_FACTOR_HINT, Mistake, check_close, passed, wrap_checkers, wrong_values

REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss, reduction="mean"):
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


# ---------------------------------------------------------------- exercise 1: MarginRankingLoss


def _ranking(x1, x2, y, margin, reduction, sign=-1.0, clamp=True, shift=1.0, outside=0.0):
    """The ranking loss and its anticipated variants (the right one with the defaults)."""
    z = sign * y * (x1 - x2) + shift * margin
    return _reduce((z.clamp_min(0) if clamp else z) + outside * margin, reduction)


def _ranking_inputs():
    g = torch.Generator().manual_seed(11)
    x1, x2 = torch.randn(12, generator=g), torch.randn(12, generator=g)
    y = torch.randint(0, 2, (12,), generator=g) * 2.0 - 1
    return x1, x2, y


# ---------------------------------------------------------------- exercise 2: TripletMarginLoss


def _dist(u, v, p=2.0, eps=1e-6, squared=False):
    d = ((u - v + eps).abs() ** p).sum(-1)
    return d if squared else d ** (1 / p)


def _triplet(a, pos, neg, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction="mean", **wrong):
    """The triplet loss and its anticipated variants (the right one without ``wrong``)."""
    p = 2.0 if wrong.get("p_ignored") else p
    eps = 0.0 if wrong.get("eps_ignored") else eps
    sq = wrong.get("squared", False)
    d_pos, d_neg = _dist(a, pos, p, eps, sq), _dist(a, neg, p, eps, sq)
    swap_rule = wrong.get("swap_rule", "min")
    if swap and swap_rule != "ignored":
        d_swap = _dist(pos, neg, p, eps, sq)
        d_neg = {"min": torch.minimum, "max": torch.maximum}.get(swap_rule, lambda x, s: s)(
            d_neg, d_swap
        )
    z = (d_neg - d_pos if wrong.get("flipped") else d_pos - d_neg) + margin
    loss = z if wrong.get("no_clamp") else z.clamp_min(0)
    return _reduce(loss, "mean" if wrong.get("always_mean") else reduction)


def _triplet_inputs():
    g = torch.Generator().manual_seed(12)
    a = torch.randn(10, 5, generator=g)
    pos = a + 0.8 * torch.randn(10, 5, generator=g)
    neg = a + 1.2 * torch.randn(10, 5, generator=g)
    pos[0] = a[0]  # 正样本与锚点重合：d = eps·D^(1/p) / positive equals anchor
    return a, pos, neg


TRIPLET_CASES = [
    {},
    {"reduction": "none"},
    {"reduction": "sum"},
    {"margin": 0.3, "reduction": "none"},
    {"p": 1.0, "reduction": "none"},
    {"eps": 0.1, "reduction": "none"},
    {"swap": True, "reduction": "none"},
    {"p": 3.0, "eps": 0.05, "swap": True, "margin": 2.0},
]


# ---------------------------------------------------------------- exercise 3: MultiMarginLoss


def _multi_margin(x, y, p=1, margin=1.0, weight=None, **wrong):
    """The multi-class hinge loss (mean) and its anticipated variants."""
    n, c = x.shape
    p = 1 if wrong.get("p_ignored") else p
    z = margin - x.gather(1, y.unsqueeze(1)) + x
    terms = z.pow(p).clamp_min(0) if wrong.get("pow_first") else z.clamp_min(0).pow(p)
    if weight is not None and not wrong.get("weight_ignored"):
        terms = terms * (weight.unsqueeze(0) if wrong.get("weight_by_j") else weight[y][:, None])
    if not wrong.get("keep_target"):
        terms = terms.scatter(1, y.unsqueeze(1), 0.0)
    per_sample = terms.max(1).values if wrong.get("max") else terms.sum(1)
    per_sample = per_sample / {"none": 1, "c_minus_1": c - 1}.get(wrong.get("divide"), c)
    return per_sample.sum() if wrong.get("sum") else per_sample.mean()


def _multi_margin_inputs():
    g = torch.Generator().manual_seed(13)
    x = 1.5 * torch.randn(6, 5, generator=g)
    y = torch.randint(0, 5, (6,), generator=g)
    weight = torch.tensor([0.5, 2.0, 1.0, 3.0, 0.25])
    return x, y, weight


# ---------------------------------------------------------------- the anticipated mistakes

SIGN = (
    "符号反了：y = 1 表示 x1 应该比 x2 大，损失是 max(0, −y·(x1 − x2) + margin)",
    "the sign is flipped: y = 1 means x1 should be larger than x2; the loss is "
    "max(0, −y·(x1 − x2) + margin)",
)
REDUCTION_NONE = (
    "reduction='none' 要返回每个元素的损失（与输入同形状），不要求平均",
    "reduction='none' returns the loss of each element (the input's shape), not the mean",
)

MISTAKES = {
    "ex1_margin_ranking": [
        Mistake(
            lambda x1, x2, y, margin=0.0, reduction="mean": _ranking(
                x1, x2, y, margin, reduction, sign=1.0
            ),
            *SIGN,
        ),
        Mistake(
            lambda x1, x2, y, margin=0.0, reduction="mean": _ranking(
                x1, x2, y, margin, reduction, clamp=False
            ),
            "少了 max(0, ·)：排对了、领先超过 margin 的一对损失为 0，不能是负数",
            "the max(0, ·) is missing: a pair ranked right by more than the margin has loss 0, "
            "never a negative one",
        ),
        Mistake(
            lambda x1, x2, y, margin=0.0, reduction="mean": _ranking(
                x1, x2, y, margin, reduction, shift=-1.0
            ),
            "margin 的符号反了：要领先至少 margin 才不罚，所以是 −y·(x1 − x2) + margin",
            "the margin has the wrong sign: a pair must lead by at least the margin, so it is "
            "−y·(x1 − x2) + margin",
        ),
        Mistake(
            lambda x1, x2, y, margin=0.0, reduction="mean": _ranking(
                x1, x2, y, margin, reduction, shift=0.0
            ),
            "忽略了 margin：它加在 max 里面，max(0, −y·(x1 − x2) + margin)",
            "the margin is ignored: it goes inside the max, max(0, −y·(x1 − x2) + margin)",
        ),
        Mistake(
            lambda x1, x2, y, margin=0.0, reduction="mean": _ranking(
                x1, x2, y, margin, reduction, shift=0.0, outside=1.0
            ),
            "margin 加在了 max 外面：它应该在里面，max(0, −y·(x1 − x2) + margin)",
            "the margin was added outside the max: it goes inside, max(0, −y·(x1 − x2) + margin)",
        ),
        Mistake(
            lambda x1, x2, y, margin=0.0, reduction="mean": _ranking(x1, x2, y, margin, "mean"),
            *REDUCTION_NONE,
        ),
    ],
    "ex2_triplet": [
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, squared=True),
            "你用了平方距离（FaceNet 论文的写法）：TripletMarginLoss 用不平方的 p-范数 "
            "‖a − p + eps‖_p",
            "you used squared distances (the FaceNet paper's form): TripletMarginLoss uses the "
            "p-norm ‖a − p + eps‖_p, not squared",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, no_clamp=True),
            "少了 max(0, ·)：负样本已经远出 margin 的三元组损失为 0，不能是负数",
            "the max(0, ·) is missing: a triplet whose negative is beyond the margin has loss "
            "0, never a negative one",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, flipped=True),
            "两个距离反了：要 d(a, p) 小、d(a, n) 大，损失是 max(0, d(a, p) − d(a, n) + margin)",
            "the distances are swapped: d(a, p) should be small and d(a, n) large; the loss is "
            "max(0, d(a, p) − d(a, n) + margin)",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, always_mean=True),
            "reduction='none' 要返回每个三元组的损失（形状 (N,)），不要求平均",
            "reduction='none' returns the loss of each triplet (shape (N,)), not the mean",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, p_ignored=True),
            "忽略了 p：距离是 (Σ|u − v + eps|^p)^(1/p)，p = 1 时是各分量绝对值之和",
            "p is ignored: the distance is (Σ|u − v + eps|^p)^(1/p); for p = 1 it is the sum "
            "of absolute values",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, eps_ignored=True),
            "eps 不对：PyTorch 把 eps 加在差的每个分量上，‖u − v + eps‖_p；不能省略，"
            "也不是加在距离上（那样会在两个距离相减时抵消）",
            "eps is wrong: PyTorch adds it to every component of the difference, "
            "‖u − v + eps‖_p; not left out, and not added to the distance (which cancels in the "
            "difference of the two distances)",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, swap_rule="ignored"),
            "忽略了 swap：swap=True 时 d(a, n) 换成 min(d(a, n), d(p, n))",
            "swap is ignored: with swap=True, d(a, n) becomes min(d(a, n), d(p, n))",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, swap_rule="max"),
            "swap 取了较大的距离：应取较小的那个，min(d(a, n), d(p, n))，让损失看到更难的一边",
            "swap took the larger distance: take the smaller one, min(d(a, n), d(p, n)), the "
            "harder side",
        ),
        Mistake(
            lambda a, pos, neg, **kw: _triplet(a, pos, neg, **kw, swap_rule="replace"),
            "swap 不是直接用 d(p, n) 代替 d(a, n)：取两者中较小的，min(d(a, n), d(p, n))",
            "swap does not replace d(a, n) by d(p, n): it takes the smaller, min(d(a, n), d(p, n))",
        ),
    ],
    "ex3_multi_margin": [
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, divide="none"),
            "少了 1/C：PyTorch 把每个样本的和除以类别数 C（CS231n 等教材的写法不除）",
            "the 1/C is missing: PyTorch divides each sample's sum by the number of classes C "
            "(textbooks such as CS231n do not)",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, divide="c_minus_1"),
            "除以了 C − 1：PyTorch 除以类别数 C，虽然求和只有 C − 1 项",
            "you divided by C − 1: PyTorch divides by the number of classes C, although the "
            "sum has C − 1 terms",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, keep_target=True),
            "多算了 j = y 一项（它恒为 margin^p）：求和跳过目标类别",
            "the j = y term (always margin^p) is included: the sum skips the target class",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, max=True),
            "取了最大的一项（Crammer–Singer 的写法）：PyTorch 对 j ≠ y 的各项求和",
            "you took the largest term (the Crammer–Singer form): PyTorch sums the terms j ≠ y",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, sum=True),
            "返回了各样本之和：默认 reduction='mean'，要除以样本数 N",
            "you returned the sum over samples: the default reduction='mean' divides by N",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, p_ignored=True),
            "忽略了 p：p = 2 时每一项是 max(0, margin − x_y + x_j) 的平方",
            "p is ignored: with p = 2 each term is max(0, margin − x_y + x_j) squared",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, pow_first=True),
            "先平方再取 max(0, ·) 了：负的项平方后变成正的，要先 max(0, ·) 再 ^p",
            "you squared before max(0, ·): a negative term becomes positive; take max(0, ·) "
            "first, then ^p",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, weight_ignored=True),
            "忽略了 weight：每个样本的各项都乘以它目标类别的权重 weight[y]",
            "weight is ignored: every term of a sample is multiplied by its target class's "
            "weight[y]",
        ),
        Mistake(
            lambda x, y, **kw: _multi_margin(x, y, **kw, weight_by_j=True),
            "weight 按 j 取了：PyTorch 按目标类别取，weight[y] 乘在这个样本的所有项上",
            "weight was taken per j: PyTorch takes it by the target class, weight[y] for all "
            "terms of the sample",
        ),
    ],
}


# ---------------------------------------------------------------- the checkers


def ex1_margin_ranking(my_margin_ranking):
    """``my_margin_ranking(x1, x2, y, margin=0.0, reduction="mean")`` must equal
    ``nn.MarginRankingLoss(margin, reduction=reduction)(x1, x2, y)``."""
    x1, x2, y = _ranking_inputs()
    for margin in (0.0, 0.5):
        for reduction in REDUCTIONS:
            kw = {"margin": margin, "reduction": reduction}
            got = my_margin_ranking(x1.clone(), x2.clone(), y.clone(), **kw)
            check_close(
                got,
                F.margin_ranking_loss(x1, x2, y, **kw),
                name=f"my_margin_ranking(margin={margin}, reduction='{reduction}')",
                mistakes=wrong_values(MISTAKES["ex1_margin_ranking"], x1, x2, y, **kw),
                factor_hint=LOSS_FACTOR_HINT,
            )
    check_close(
        my_margin_ranking(x1.clone(), x2.clone(), y.clone()),
        F.margin_ranking_loss(x1, x2, y),
        name="my_margin_ranking(x1, x2, y)",
        factor_hint=(
            "默认值应为 margin=0.0、reduction='mean'",
            "the defaults should be margin=0.0, reduction='mean'",
        ),
    )
    passed(
        "练习 1 通过：与 nn.MarginRankingLoss 一致",
        "Exercise 1 passed: matches nn.MarginRankingLoss",
    )


def ex2_triplet(my_triplet):
    """``my_triplet(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False,
    reduction="mean")`` must equal ``nn.TripletMarginLoss(...)``."""
    a, pos, neg = _triplet_inputs()
    for kw in TRIPLET_CASES:
        got = my_triplet(a.clone(), pos.clone(), neg.clone(), **kw)
        shown = ", ".join(f"{k}={v!r}" for k, v in kw.items())
        check_close(
            got,
            F.triplet_margin_loss(a, pos, neg, **kw),
            name=f"my_triplet({shown})",
            mistakes=wrong_values(MISTAKES["ex2_triplet"], a, pos, neg, **kw),
            factor_hint=LOSS_FACTOR_HINT,
        )
    passed(
        "练习 2 通过：与 nn.TripletMarginLoss 一致",
        "Exercise 2 passed: matches nn.TripletMarginLoss",
    )


def ex3_multi_margin(my_multi_margin):
    """``my_multi_margin(x, y, p=1, margin=1.0, weight=None)`` must equal
    ``nn.MultiMarginLoss(p, margin, weight)(x, y)`` (reduction 'mean')."""
    x, y, weight = _multi_margin_inputs()
    cases = [
        {},
        {"margin": 0.5},
        {"p": 2},
        {"weight": weight},
        {"p": 2, "margin": 0.7, "weight": weight},
    ]
    for kw in cases:
        got = my_multi_margin(x.clone(), y.clone(), **kw)
        shown = ", ".join(f"{k}={'w' if k == 'weight' else v}" for k, v in kw.items())
        check_close(
            got,
            F.multi_margin_loss(x, y, **kw),
            name=f"my_multi_margin({shown})",
            mistakes=wrong_values(MISTAKES["ex3_multi_margin"], x, y, **kw),
            factor_hint=LOSS_FACTOR_HINT,
        )
    passed(
        "练习 3 通过：与 nn.MultiMarginLoss 一致",
        "Exercise 3 passed: matches nn.MultiMarginLoss",
    )


wrap_checkers(globals())
