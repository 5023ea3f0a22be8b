"""Checkers of lesson 07 (SGD and its family): each compares the learner's function with
``torch.optim.SGD`` on seeded tensors and names the likely mistake when they differ.

``wrap`` and ``check_steps`` are shared with the checkers of lessons 08 and 09.
"""

import re

import torch

from . import check_close, expect, fail, passed

HINT_WIDTH = 83  # nbgrader cuts feedback lines longer than 87 characters ("✗ " comes first)
_WIDE = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"  # Chinese characters and full-width marks
_TOKEN = re.compile(f"[{_WIDE}]|[^\\s{_WIDE}]+|\\s+")  # one wide character, a word, or spaces
_NO_LINE_START = set("，。；：、）！？")


def wrap(text, width=HINT_WIDTH, indent="  "):
    """``text`` broken into lines of at most ``width`` characters, the later ones indented.

    English breaks at spaces; Chinese also between two characters, never before a closing mark.
    """
    lines, line = [], ""
    for token in _TOKEN.findall(text):
        if token.isspace() and not line:
            continue
        limit = width - (len(indent) if lines else 0)
        if (
            line.strip()
            and not token.isspace()
            and token not in _NO_LINE_START
            and len(line + token) > limit
        ):
            lines.append(line.rstrip())
            line = ""
        line += token
    lines.append(line.rstrip())
    return ("\n" + indent).join(lines)


FACTOR = (
    "{name}差了一个常数因子：是正确值的 {k:.4g} 倍（学习率或某个系数乘错了？）",
    "{name} is off by a constant factor: {k:.4g} times the right value (a learning rate or "
    "a coefficient applied wrongly?)",
)


def _factor(got, expected, rtol, atol):
    """k when ``got`` is k times ``expected`` (k not 1 or −1), else None."""
    g, e = got.detach().cpu().double().flatten(), torch.as_tensor(expected).cpu().double().flatten()
    if g.shape != e.shape or not e.abs().max() > 0:
        return None
    k = ((g @ e) / (e @ e)).item()
    if (
        abs(k) < 1e-8
        or abs(abs(k) - 1) < 1e-6
        or not torch.allclose(g, k * e, rtol=rtol, atol=atol)
    ):
        return None
    return k


def check_steps(
    got,
    expected,
    mistakes,
    *,
    name="最后的参数 / the final parameter",
    nonfinite=(
        "结果里有 nan 或 inf：是不是除以了 0，或者参数发散了？",
        "the result holds nan or inf: a division by 0, or diverging parameters?",
    ),
    factor=FACTOR,
    rtol=1e-4,
    atol=1e-6,
):
    """``check_close`` with every hint wrapped to short lines, and hints of this lesson for an
    answer holding nan or inf and for one off by a constant factor."""
    if isinstance(got, torch.Tensor) and not torch.isfinite(got.detach()).all():
        fail(wrap(nonfinite[0]), wrap(nonfinite[1]))
    if isinstance(got, torch.Tensor):
        known = any(
            got.shape == torch.as_tensor(w).shape
            and torch.allclose(
                got.detach().cpu().double(), torch.as_tensor(w).cpu().double(), rtol=rtol, atol=atol
            )
            for w, *_ in mistakes
        )
        k = None if known else _factor(got, expected, rtol, atol)
        if k is not None:
            fail(
                wrap(factor[0].format(name=name.split(" / ")[0], k=k)),
                wrap(factor[1].format(name=name.split(" / ")[-1], k=k)),
            )
    check_close(
        got,
        expected,
        name=name,
        mistakes=[(w, wrap(zh), wrap(en)) for w, zh, en in mistakes],
        rtol=rtol,
        atol=atol,
    )


def _data(seed, n_grads, shape=(3, 4)):
    gen = torch.Generator().manual_seed(seed)
    p0 = torch.randn(shape, generator=gen, dtype=torch.float64)
    grads = [torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(n_grads)]
    return p0, grads


def torch_sgd(p0, grads, lrs, **options):
    """The parameter after ``len(grads)`` steps of ``torch.optim.SGD``; step t uses grads[t], lrs[t]."""
    p = p0.clone().requires_grad_(True)
    optimizer = torch.optim.SGD([p], lr=lrs[0], **options)
    for g, lr in zip(grads, lrs):
        optimizer.param_groups[0]["lr"] = lr
        p.grad = g.clone()
        optimizer.step()
    return p.detach()


def _momentum_variant(
    p0,
    grads,
    lrs,
    momentum,
    dampening,
    *,
    first=None,
    buffer_rule=None,
    lr_in_buffer=False,
    sign=-1.0,
):
    """PyTorch momentum with one thing changed, to recognise a learner's mistake."""
    p, b = p0.clone(), None
    for g, lr in zip(grads, lrs):
        scale = lr if lr_in_buffer else 1.0
        if b is None:
            b = (first or (lambda g: g))(g) * scale
        else:
            b = (buffer_rule or (lambda b, g: momentum * b + (1 - dampening) * g))(b, g * scale)
        p = p + sign * (1.0 if lr_in_buffer else lr) * b
    return p


def _nesterov_variant(
    p0, grads, lr, momentum, weight_decay, *, direction="nesterov", decay="gradient", sign=-1.0
):
    """PyTorch Nesterov with weight decay, with one thing changed."""
    p, b = p0.clone(), None
    for g in grads:
        if decay == "gradient":
            g = g + weight_decay * p
        b = g.clone() if b is None else momentum * b + g
        d = {"nesterov": g + momentum * b, "plain": b, "swapped": momentum * g + b}[direction]
        if decay == "after":
            d = d + weight_decay * p
        p = p + sign * lr * d
    return p


IN_PLACE = (
    "你的函数原地修改了传进来的张量：先 clone() 再更新，或写 p = p - ...",
    wrap(
        "your function changed a tensor passed to it in place: clone() it first, "
        "or write p = p - ..."
    ),
)


def _call_without_changing(fn, *tensors_and_args, n_tensors):
    """Call ``fn``; fail if it changed one of the tensors given to it in place."""
    args = list(tensors_and_args)
    copies = []
    for i in range(n_tensors):
        a = args[i]
        copies.append([t.clone() for t in a] if isinstance(a, list) else a.clone())
    got = fn(*args)
    for i in range(n_tensors):
        a, c = args[i], copies[i]
        same = (
            all(torch.equal(x, y) for x, y in zip(a, c))
            if isinstance(a, list)
            else torch.equal(a, c)
        )
        expect(same, *IN_PLACE)
    return got


def ex1_sgd_step(sgd_step):
    """Exercise 1: one step of ``torch.optim.SGD(lr, weight_decay)`` without momentum."""
    p, (g,) = _data(1, 1)
    lr, wd = 0.1, 0.3
    expected = torch_sgd(p, [g], [lr], weight_decay=wd)
    got = _call_without_changing(sgd_step, p, g, lr, wd, n_tensors=2)
    mistakes = [
        (
            p - lr * (g - wd * p),
            "权重衰减的符号反了：应当把 λ·p 加到梯度上（g + λp），它把参数拉向 0",
            "weight decay has the wrong sign: add λ·p to the gradient (g + λp); it pulls the parameter towards 0",
        ),
        (
            p - lr * g - wd * p,
            "权重衰减项没有乘学习率：PyTorch 先做 g ← g + λp，再整体乘 lr",
            "the decay term is not multiplied by the learning rate: PyTorch first does g ← g + λp, then multiplies all of it by lr",
        ),
        (
            p - lr * g,
            "没有权重衰减：别忘了 g ← g + λp",
            "weight decay is missing: remember g ← g + λp",
        ),
        (
            p + lr * (g + wd * p),
            "更新方向反了：SGD 沿负梯度走，p − lr·(g + λp)",
            "the step goes uphill: SGD moves against the gradient, p − lr·(g + λp)",
        ),
        (
            p - (g + wd * p),
            "忘了乘学习率：p − lr·(g + λp)",
            "the learning rate is missing: p − lr·(g + λp)",
        ),
    ]
    check_steps(got, expected, mistakes, name="新参数 / the new parameter")
    passed("练习 1 通过：带权重衰减的一步 SGD 正确", "Exercise 1 passed: SGD with weight decay")


def ex2_sgd_momentum(sgd_momentum):
    """Exercise 2: ``torch.optim.SGD(momentum, dampening)`` over several steps, the learning rate changing."""
    p0, grads = _data(2, 8)
    lrs = [0.1] * 4 + [0.02] * 4
    mu, tau = 0.9, 0.3
    expected = torch_sgd(p0, grads, lrs, momentum=mu, dampening=tau)
    got = _call_without_changing(sgd_momentum, p0, grads, lrs, mu, tau, n_tensors=2)

    def variant(**kw):
        return _momentum_variant(p0, grads, lrs, mu, tau, **kw)

    textbook = "学习率被放进了动量缓冲区（教科书写法 v = μv − ηg）：PyTorch 的缓冲区里没有学习率，更新时才乘当前的 lr：p ← p − lr·b"
    textbook_en = (
        "the learning rate went into the momentum buffer (the textbook v = μv − ηg): PyTorch's buffer holds "
        "no learning rate; the current lr multiplies it only in the update p ← p − lr·b"
    )
    mistakes = [
        (
            variant(sign=+1.0),
            "动量的符号反了：PyTorch 是 p ← p − lr·b，不是 p + lr·b",
            "momentum has the wrong sign: PyTorch does p ← p − lr·b, not p + lr·b",
        ),
        (variant(lr_in_buffer=True), textbook, textbook_en),
        (_momentum_variant(p0, grads, lrs, mu, 0.0, lr_in_buffer=True), textbook, textbook_en),
        (
            variant(first=lambda g: (1 - tau) * g),
            "第一步没有阻尼：PyTorch 第一步令 b = g（不是 (1 − τ)·g，也不是从 b = 0 开始）",
            "the first step must not be dampened: PyTorch sets b = g on the first step (not (1 − τ)·g, nor starting from b = 0)",
        ),
        (
            variant(buffer_rule=lambda b, g: mu * b + tau * g),
            "阻尼 dampening 用反了：新梯度乘的是 (1 − τ)，不是 τ",
            "dampening is inverted: the new gradient is multiplied by (1 − τ), not τ",
        ),
        (
            variant(buffer_rule=lambda b, g: (1 - tau) * mu * b + g),
            "阻尼 dampening 乘错了项：(1 − τ) 乘新梯度 g，不乘旧缓冲区 b",
            "dampening multiplies the wrong term: (1 − τ) multiplies the new gradient g, not the old buffer b",
        ),
        (
            variant(buffer_rule=lambda b, g: mu * b + g),
            "忘了阻尼 dampening：b ← μb + (1 − τ)·g",
            "dampening is missing: b ← μb + (1 − τ)·g",
        ),
        (
            _momentum_variant(p0, grads, [lrs[0]] * len(lrs), mu, tau),
            "学习率一直用的是第一个：第 t 步要用 lrs[t]",
            "you used the first learning rate throughout: step t uses lrs[t]",
        ),
    ]
    check_steps(got, expected, mistakes)
    passed(
        "练习 2 通过：动量与阻尼正确，学习率变化时也对", "Exercise 2 passed: momentum, dampening"
    )


def ex3_sgd_nesterov(sgd_nesterov):
    """Exercise 3: ``torch.optim.SGD(momentum, nesterov=True, weight_decay)`` over several steps."""
    p0, grads = _data(3, 8)
    lr, mu, wd = 0.05, 0.9, 0.2
    expected = torch_sgd(p0, grads, [lr] * len(grads), momentum=mu, nesterov=True, weight_decay=wd)
    got = _call_without_changing(sgd_nesterov, p0, grads, lr, mu, wd, n_tensors=2)

    def variant(**kw):
        return _nesterov_variant(p0, grads, lr, mu, wd, **kw)

    mistakes = [
        (
            variant(direction="plain"),
            "这是普通动量（沿 b 走）：Nesterov 先 b ← μb + g，再沿 g + μ·b 走（用更新前的缓冲区算 g + μ·b 也正好等于普通动量）",
            "this is plain momentum (a step along b): Nesterov first does b ← μb + g, then steps along g + μ·b "
            "(g + μ·b with the buffer before its update is exactly plain momentum too)",
        ),
        (
            variant(direction="swapped"),
            "μ 乘错了项：方向是 g + μ·b，不是 μ·g + b",
            "μ multiplies the wrong term: the direction is g + μ·b, not μ·g + b",
        ),
        (
            variant(sign=+1.0),
            "动量的符号反了：p ← p − lr·(g + μ·b)",
            "momentum has the wrong sign: p ← p − lr·(g + μ·b)",
        ),
        (
            variant(decay="after"),
            "权重衰减加晚了：要在更新缓冲区之前先做 g ← g + λp，衰减也进入动量",
            "weight decay comes too late: do g ← g + λp before updating the buffer, so the decay enters the momentum too",
        ),
        (
            variant(decay="none"),
            "没有权重衰减：先做 g ← g + λp",
            "weight decay is missing: first do g ← g + λp",
        ),
    ]
    check_steps(got, expected, mistakes)
    passed("练习 3 通过：Nesterov 加权重衰减正确", "Exercise 3 passed: Nesterov with weight decay")
