"""Checks for the exercises of lesson 12 (losses for multi-label, counts, uncertainty and sequences).

- Exercise 1 (debug): the loss of a network that outputs a mean and log σ per sample, with two
  silent bugs (the mean kept as an (N, 1) column, which broadcasts against the (N,) targets;
  exp(log σ) = σ passed where ``GaussianNLLLoss`` wants the variance). The fixed function is
  compared with ``F.gaussian_nll_loss`` one case at a time (one sample with σ = 1 and σ ≠ 1,
  eight samples, the gradient), so that each bug shows alone and the hint names the one still
  there.
- Exercise 2 (transfer): CTC by hand for three frames: the loss of ``nn.CTCLoss()`` for a target
  of one or two symbols, written as the sum of the alignments' probabilities. Compared with
  ``F.ctc_loss``; ``F.ctc_loss`` itself and enumerating every path are refused.

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its
hint, which tests/test_checks_mistakes.py passes back to the checker.
"""

import itertools
import math
from unittest import mock

import torch
import torch.nn.functional as F

from . import (
    LOSS_FACTOR_HINT,
    Mistake,
    check_close,
    expect,
    fail,
    passed,
    wrap_checkers,
    wrong_results,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker


def _reduce(loss, reduction):
    return {"none": loss, "sum": loss.sum(), "mean": loss.mean()}[reduction]


# ---------------------------------------------------------------- exercise 1: find the bugs


def _head(*, mean="column", var="square", full=False, reduction="mean", detach=False):
    """``gaussian_head_loss(out, y)`` right (the defaults), or with one thing wrong: ``mean``
    "slice" keeps out[:, :1] of shape (N, 1); ``var`` "sigma" (exp(log σ) = σ), "half"
    (exp(½ log σ)), "softplus" (section 6's habit) or "raw" (log σ itself); ``full``;
    ``reduction``; log σ detached."""

    def gaussian_head_loss(out, y):
        mu = out[:, :1] if mean == "slice" else out[:, 0]
        log_sigma = out[:, 1].detach() if detach else out[:, 1]
        v = {
            "square": torch.exp(2 * log_sigma),
            "sigma": torch.exp(log_sigma),
            "half": torch.exp(0.5 * log_sigma),
            "softplus": F.softplus(log_sigma),
            "raw": log_sigma,
        }[var]
        return F.gaussian_nll_loss(mu, y, v, full=full, reduction=reduction)

    return gaussian_head_loss


SHAPE = (
    "out[:, :1] 的形状是 (N, 1)，和形状为 (N,) 的 y 一减就广播成 (N, N)：每个均值和每个目标都配了"
    "一对（第 05 课），却不报错。用 out[:, 0]（形状 (N,)），或者把 y 也变成 (N, 1)",
    "out[:, :1] has shape (N, 1); against y of shape (N,) it broadcasts to (N, N): every mean "
    "paired with every target (lesson 05), with no error. Use out[:, 0] (shape (N,)), or make y "
    "(N, 1) too",
)
STD = (
    "GaussianNLLLoss 的第三个参数是方差 σ²，不是标准差 σ：exp(log σ) 是 σ，方差是 "
    "σ² = exp(2·log σ)（第 5.1 节）",
    "GaussianNLLLoss's third argument is the variance σ², not the standard deviation σ: "
    "exp(log σ) is σ, and the variance is σ² = exp(2·log σ) (section 5.1)",
)
MISTAKES["ex1_fix_gaussian_head"] = [
    # 每条只有一个错误，放在前面，剩一个错误时得到它的提示
    # / one bug each, first, so that an answer with one bug left gets its hint
    Mistake(_head(var="sigma"), *STD),
    Mistake(_head(mean="slice"), *SHAPE),
    Mistake(
        _head(var="half"),
        "σ² = (e^(log σ))² = exp(2·log σ)，不是 exp(½·log σ)",
        "σ² = (e^(log σ))² = exp(2·log σ), not exp(½·log σ)",
    ),
    Mistake(
        _head(var="softplus"),
        "这个网络的第二个输出是 log σ，不是要过 softplus 的数（那是第 6 节的模型）：方差是 "
        "exp(2·log σ)",
        "this network's second output is log σ, not a number for a softplus (that was section "
        "6's model): the variance is exp(2·log σ)",
    ),
    Mistake(
        _head(var="raw"),
        "out[:, 1] 是 log σ，不是方差：它可以是负数；方差是 exp(2·log σ)，总是正的",
        "out[:, 1] is log σ, not the variance: it can be negative; the variance is "
        "exp(2·log σ), always positive",
    ),
    Mistake(
        _head(full=True),
        "要的是 nn.GaussianNLLLoss() 的默认选项：full=False，不加常数 ½·log(2π)",
        "the loss is nn.GaussianNLLLoss() with its defaults: full=False, no ½·log(2π) added",
    ),
    Mistake(
        _head(reduction="sum"),
        "要的是默认的 reduction='mean'：对 N 个样本求平均，不是求和",
        "the loss uses the default reduction='mean': the mean over the N samples, not the sum",
    ),
    Mistake(
        _head(detach=True),
        "数值对了，梯度不对：log σ 被 detach 了，网络学不到不确定性。梯度要一直传到 out[:, 1]",
        "the values are right but the gradient is not: log σ is detached, and the network cannot "
        "learn its uncertainty. The gradient must reach out[:, 1]",
    ),
    # 笔记本里的原样：两个错误，第一个出错的情形（1 个样本、σ ≠ 1）说出方差的错误
    # / the cell as given: two bugs; the first case that goes wrong (1 sample, σ ≠ 1) names the
    # variance
    Mistake(_head(mean="slice", var="sigma"), *STD),
]
NOT_DIFFERENTIABLE = (
    "损失要能对 out 求导：返回一个带计算图的张量，不要用 .item()、.detach() 或 NumPy",
    "the loss must be differentiable w.r.t. out: return a tensor in the graph, with no "
    ".item(), .detach() or NumPy",
)
HEAD_CASES = [  # (zh, en, N, log σ: a number or None for random, gradients?)
    ("1 个样本、σ = 1 时的损失", "the loss of 1 sample with σ = 1", 1, 0.0, False),
    ("1 个样本、σ ≠ 1 时的损失", "the loss of 1 sample with σ ≠ 1", 1, 0.7, False),
    ("8 个样本、σ = 1 时的损失", "the loss of 8 samples with σ = 1", 8, 0.0, False),
    ("8 个样本、各自的 σ 时的损失", "the loss of 8 samples with σ of their own", 8, None, False),
    ("8 个样本时对 out 的梯度", "the gradient w.r.t. out for 8 samples", 8, None, True),
]


def _head_inputs(n, log_sigma):
    """The network's output (n, 2) in float64, column 1 being ``log_sigma`` (random when None),
    and targets (n,)."""
    g = torch.Generator().manual_seed(14 + n)
    mu = 2 * torch.randn(n, generator=g, dtype=torch.float64)
    if log_sigma is None:
        ls = 0.6 * torch.randn(n, generator=g, dtype=torch.float64)
    else:
        ls = torch.full((n,), log_sigma, dtype=torch.float64)
    y = mu + torch.exp(ls) * torch.randn(n, generator=g, dtype=torch.float64)
    return torch.stack([mu, ls], dim=1), y


def _head_outcome(gaussian_head_loss, case):
    """What ``case`` compares: the loss, or its gradient w.r.t. out."""
    _, _, n, log_sigma, gradients = case
    out, y = _head_inputs(n, log_sigma)
    if not gradients:
        return gaussian_head_loss(out, y)
    out.requires_grad_(True)
    loss = gaussian_head_loss(out, y)
    expect(isinstance(loss, torch.Tensor) and loss.requires_grad, *NOT_DIFFERENTIABLE)
    (g,) = torch.autograd.grad(loss, out)
    return g


def ex1_fix_gaussian_head(gaussian_head_loss):
    """``gaussian_head_loss(out, y)``: ``nn.GaussianNLLLoss()`` of a network whose output ``out``
    (N, 2) holds the mean and log σ of each sample, against targets ``y`` (N,); the fixed
    ``buggy_gaussian_head_loss``, compared one case at a time."""
    for case in HEAD_CASES:
        check_close(
            _head_outcome(gaussian_head_loss, case),
            _head_outcome(_head(), case),
            name=case[:2],
            mistakes=wrong_results(
                MISTAKES["ex1_fix_gaussian_head"], lambda answer, c=case: _head_outcome(answer, c)
            ),
            factor_hint=LOSS_FACTOR_HINT,
        )
    passed(
        "练习 1 通过：均值取 out[:, 0]，方差是 exp(2·log σ)",
        "Exercise 1 passed: the mean is out[:, 0], the variance exp(2·log σ)",
    )


# ---------------------------------------------------------------- exercise 2: CTC by hand

FRAMES, SYMBOLS = 3, 4  # T = 3 帧；空白 0 和符号 1、2、3 / T = 3 frames; blank 0, symbols 1-3
LABELS = [[2], [1, 3], [3, 1], [2, 2]]


def _ctc_inputs(k):
    """The (3, 4) log-probabilities of case ``k``, float64."""
    g = torch.Generator().manual_seed(20 + k)
    return torch.randn(FRAMES, SYMBOLS, generator=g, dtype=torch.float64).log_softmax(dim=1)


def _ctc_reference(log_probs, label):
    """``nn.CTCLoss()`` on one unbatched sample: blank 0, reduction "mean"."""
    return F.ctc_loss(
        log_probs, torch.tensor(label), torch.tensor(FRAMES), torch.tensor(len(label))
    )


def _paths(label, rule):
    """The 3-frame paths that collapse to ``label`` (rule "right"), or a wrong list of them."""
    if len(label) == 1:
        (s,) = label
        if rule == "one_frame":  # 符号只占一帧 / the symbol in one frame only
            return [(s, 0, 0), (0, s, 0), (0, 0, s)]
        return [(s, s, s), (s, s, 0), (s, 0, 0), (0, s, s), (0, s, 0), (0, 0, s)]
    a, b = label
    distinct = [(a, b, 0), (a, 0, b), (0, a, b), (a, a, b), (a, b, b)]
    if a == b:
        if rule == "repeat_as_distinct":
            return distinct
        if rule == "repeat_set":
            return sorted(set(distinct))
        return [(a, 0, a)]
    if rule == "no_stretch":  # 每个符号只占一帧 / each symbol in one frame only
        return distinct[:3]
    if rule == "no_blank":
        return distinct[3:]
    return distinct


def _ctc(*, rule="right", combine="sum", out="mean"):
    """``ctc_loss_t3`` summing over the paths of ``rule``; ``combine`` "max" takes the best path
    alone, "log" adds the paths' log-probabilities; ``out`` "sum" does not divide by the target
    length, "frames" divides by T, "prob" returns p, "log" returns log p / S."""

    def ctc_loss_t3(log_probs, label):
        terms = torch.stack(
            [log_probs[torch.arange(FRAMES), list(p)].sum() for p in _paths(label, rule)]
        )
        if combine == "log":
            return -terms.sum() / len(label)
        log_p = terms.max() if combine == "max" else torch.logsumexp(terms, dim=0)
        return {
            "mean": -log_p / len(label),
            "sum": -log_p,
            "frames": -log_p / FRAMES,
            "prob": log_p.exp(),
            "log": log_p / len(label),
        }[out]

    return ctc_loss_t3


def _calls_ctc(log_probs, label):
    return F.ctc_loss(
        log_probs, torch.tensor(label), torch.tensor(FRAMES), torch.tensor(len(label))
    )


def _enumerates(log_probs, label):
    """Every path enumerated, as section 7.1's all_alignments does."""
    y = log_probs.exp()
    total = 0.0
    for path in itertools.product(range(SYMBOLS), repeat=FRAMES):
        merged = [k for i, k in enumerate(path) if k != 0 and (i == 0 or k != path[i - 1])]
        if merged == list(label):
            total = total + y[0, path[0]] * y[1, path[1]] * y[2, path[2]]
    return -torch.log(total) / len(label)


REPEAT = (
    "两个相同的符号之间必须有空白，否则会被合并：三帧里只有 a∅a 这一条路径折叠成 [a, a]"
    "（aab、abb、aa∅ 都折叠成 [a]）",
    "two equal symbols need a blank between them, or they merge: in three frames only the path "
    "a∅a collapses to [a, a] (aab, abb and aa∅ collapse to [a])",
)
NO_CTC = (
    "不要调用 F.ctc_loss 或 nn.CTCLoss：自己把能折叠成目标的路径列出来，把它们的概率加起来",
    "do not call F.ctc_loss or nn.CTCLoss: list the paths that collapse to the target yourself "
    "and add up their probabilities",
)
NO_ENUMERATION = (
    "不要穷举全部 4³ 条路径（itertools.product，第 7.1 节的 all_alignments 就是这样做的）："
    "这个练习要你自己在纸上找出对齐，再把它们写出来",
    "do not enumerate all 4³ paths (itertools.product, as section 7.1's all_alignments does): "
    "the exercise is to find the alignments yourself, on paper, and write them out",
)
MISTAKES["ex2_ctc_by_hand"] = [
    Mistake(
        _ctc(rule="one_frame"),
        "一个符号可以占好几帧：除了 l∅∅、∅l∅、∅∅l，还有 ll∅、∅ll 和 lll 也折叠成 [l]",
        "a symbol may last several frames: besides l∅∅, ∅l∅ and ∅∅l, the paths ll∅, ∅ll and "
        "lll collapse to [l] too",
    ),
    Mistake(
        _ctc(rule="no_stretch"),
        "一个符号可以占两帧：除了 ∅ab、a∅b、ab∅，还有 aab 和 abb 也折叠成 [a, b]",
        "a symbol may last two frames: besides ∅ab, a∅b and ab∅, the paths aab and abb "
        "collapse to [a, b] too",
    ),
    Mistake(
        _ctc(rule="no_blank"),
        "空白可以出现在前面、中间或后面：除了 aab、abb，还有 ∅ab、a∅b、ab∅ 也折叠成 [a, b]",
        "a blank may come first, in the middle or last: besides aab and abb, the paths ∅ab, a∅b "
        "and ab∅ collapse to [a, b] too",
    ),
    Mistake(_ctc(rule="repeat_as_distinct"), *REPEAT),
    Mistake(_ctc(rule="repeat_set"), *REPEAT),
    Mistake(
        _ctc(out="sum"),
        "nn.CTCLoss 默认 reduction='mean'，它先把每个样本的 −log p 除以目标长度 S（第 7.1 节）："
        "[a, b] 要除以 2",
        "nn.CTCLoss's default reduction='mean' first divides each sample's −log p by its target "
        "length S (section 7.1): divide by 2 for [a, b]",
    ),
    Mistake(
        _ctc(out="frames"),
        "'mean' 除以的是目标长度 S，不是帧数 T = 3",
        "'mean' divides by the target length S, not by the number of frames T = 3",
    ),
    Mistake(
        _ctc(out="prob"),
        "要返回损失 −log p / S，不是概率 p",
        "return the loss −log p / S, not the probability p",
    ),
    Mistake(
        _ctc(out="log"),
        "损失是负对数似然：−log p / S，不是 log p / S",
        "the loss is the negative log-likelihood: −log p / S, not log p / S",
    ),
    Mistake(
        _ctc(combine="max"),
        "CTC 对所有对齐的概率求和，不是只取最可能的那一条（那是解码时做的事）",
        "CTC adds up the probabilities of all alignments, not just the most probable one (that "
        "is what decoding does)",
    ),
    Mistake(
        _ctc(combine="log"),
        "要把各条路径的概率相加：p = Σ 路径 Π_t y_t；对数概率相加等于概率相乘，不能代替求和",
        "add the paths' probabilities: p = Σ_paths Π_t y_t; adding log-probabilities multiplies "
        "probabilities and cannot stand for the sum",
    ),
    Mistake(_calls_ctc, *NO_CTC),
    Mistake(_enumerates, *NO_ENUMERATION),
]
CTC_GENERAL = {
    "one": (
        "再列一遍三帧里能折叠成 [l] 的路径：空白可以在符号前后，符号也可以占好几帧",
        "list again the three-frame paths that collapse to [l]: blanks may come before and "
        "after the symbol, and the symbol may last several frames",
    ),
    "two": (
        "再列一遍三帧里能折叠成 [a, b] 的路径：空白可以在前、中、后，每个符号也可以占两帧",
        "list again the three-frame paths that collapse to [a, b]: a blank may come first, in "
        "the middle or last, and a symbol may last two frames",
    ),
    "repeat": REPEAT,
}


def _refuse(hint):
    def refuse(*args, **kwargs):
        fail(*hint)

    return refuse


NO_LESSON_CTC = (
    "不要调用第 7.2 节的 ctc_nll 或第 7.1 节的 all_alignments：这道题要你自己找出三帧里的对齐",
    "do not call section 7.2's ctc_nll or section 7.1's all_alignments: the exercise is to find "
    "the three-frame alignments yourself",
)


def _lesson_names(fn):
    """The globals of the learner's function in which the lesson's own CTC helpers, where the
    notebook defined them, refuse to run (``mock.patch.dict`` restores them)."""
    names = getattr(fn, "__globals__", {})
    return (names, {n: _refuse(NO_LESSON_CTC) for n in ("ctc_nll", "all_alignments") if n in names})


def ex2_ctc_by_hand(ctc_loss_t3):
    """``ctc_loss_t3(log_probs, label)``: the loss ``nn.CTCLoss()`` gives one sample of 3 frames
    (``log_probs`` of shape (3, 4), blank 0) whose target ``label`` has 1 or 2 symbols."""
    for k, label in enumerate(LABELS):
        log_probs = _ctc_inputs(k)
        expected = _ctc_reference(log_probs, label)
        with (
            mock.patch.object(F, "ctc_loss", _refuse(NO_CTC)),
            mock.patch.object(torch, "ctc_loss", _refuse(NO_CTC)),
            mock.patch.object(itertools, "product", _refuse(NO_ENUMERATION)),
            mock.patch.dict(*_lesson_names(ctc_loss_t3)),
        ):
            got = ctc_loss_t3(log_probs.clone(), list(label))
        expect(
            (isinstance(got, (int, float)) and not isinstance(got, bool))
            or (isinstance(got, torch.Tensor) and got.numel() == 1),
            f"应返回一个数（一个元素的张量），得到的是 {type(got).__name__}",
            f"return one number (a one-element tensor), got {type(got).__name__}",
        )
        got = float(got)
        if math.isclose(got, expected.item(), rel_tol=1e-6, abs_tol=1e-9):
            continue
        for m in MISTAKES["ex2_ctc_by_hand"]:
            try:
                value = float(m.answer(log_probs.clone(), list(label)))
            except Exception:  # 被拒绝的答案 / a refused answer: it cannot match
                continue
            if math.isclose(got, value, rel_tol=1e-6, abs_tol=1e-9):
                fail(m.zh, m.en)
        kind = "one" if len(label) == 1 else "repeat" if label[0] == label[1] else "two"
        zh, en = CTC_GENERAL[kind]
        fail(
            f"ctc_loss_t3(log_probs, {label}) 是 {got:.4g}，nn.CTCLoss 给出 {expected.item():.4g}。"
            + zh,
            f"ctc_loss_t3(log_probs, {label}) is {got:.4g}, nn.CTCLoss gives "
            f"{expected.item():.4g}. " + en,
        )
    passed(
        "练习 2 通过：三帧里 [l] 有 6 条对齐，[a, b] 有 5 条，[a, a] 只有 a∅a 一条",
        "Exercise 2 passed: in three frames [l] has 6 alignments, [a, b] 5, [a, a] only a∅a",
    )


wrap_checkers(globals())
