"""Exercise checks: a bilingual pass line, or a bilingual hint that names the likely mistake.

Each lesson's checkers live in ``fmnist_core.checks.lessonNN``; they are built from these few
helpers. A checker never swallows an exception raised by the learner's code, so an unfinished
exercise (``raise NotImplementedError()``) fails loudly in its check cell.

A failed check shows only its hint: in Jupyter (and so in nbgrader's feedback) ``CheckFailed``
renders as its hint with no traceback through the checker, which would show the anticipated
wrong answers; every line of the hint fits nbgrader's 87 columns.
"""

import functools
import math
import re
import textwrap
from typing import NamedTuple

import torch
from torch import nn

WIDTH = 87  # nbgrader's validator cuts longer lines
LOSS_FACTOR_HINT = (
    "少了或多了求平均、除以 N 或乘 2？",
    "a missing or extra mean, division by N, or factor of 2?",
)


def _wrap(text):
    return "\n".join(
        textwrap.wrap(
            text, WIDTH, initial_indent="✗ ", subsequent_indent="  ", break_on_hyphens=False
        )
    )


class CheckFailed(AssertionError):
    """The learner's answer is not right yet; the message says why, in Chinese and English."""

    def __init__(self, zh, en):
        super().__init__(f"{_wrap(zh)}\n{_wrap(en)}")

    def _render_traceback_(self):
        # IPython shows these lines instead of a traceback (its hook for custom exceptions)
        return ["CheckFailed: 答案还不对 / the answer is not right yet", *str(self).splitlines()]


def checker(function):
    """Mark an exercise's checker: outside Jupyter too, a failed check's traceback stops at the
    checker instead of running through its insides."""

    @functools.wraps(function)
    def check(*args, **kwargs):
        __tracebackhide__ = True  # noqa: F841 (read by IPython)
        try:
            return function(*args, **kwargs)
        except CheckFailed as failed:
            raise failed.with_traceback(None) from None

    return check


def wrap_checkers(namespace):
    """Apply ``checker`` to every public ``ex…`` function of a lesson's checks module."""
    for name, value in list(namespace.items()):
        if re.match(r"ex\d+_", name) and callable(value) and not hasattr(value, "__wrapped__"):
            namespace[name] = checker(value)


class Mistake(NamedTuple):
    """An anticipated mistake, as data: ``answer`` is what a learner who makes it would pass to
    the checker (a wrong implementation of the exercise's function, or a wrong value), with the
    hint the checker shows. A lesson's checks module lists them per exercise in
    ``MISTAKES = {"ex1_mse": [Mistake(...), ...]}``; the checker runs each answer on its own
    inputs (``wrong_values``) and tests/test_checks_mistakes.py passes each one to the checker
    and expects its hint, so every mistake is written once."""

    answer: object
    zh: str
    en: str


def wrong_values(mistakes, *args, **kwargs):
    """``(value, zh, en)`` for ``check_close(mistakes=...)``: each mistake's answer called on the
    checker's inputs (the inputs are cloned); an answer that fails on them is left out."""
    values = []
    for m in mistakes:
        cloned = [a.clone() if isinstance(a, torch.Tensor) else a for a in args]
        try:
            values.append((m.answer(*cloned, **kwargs), m.zh, m.en))
        except Exception:  # a wrong answer may not run on every input; it just cannot match
            continue
    return values


def wrong_results(mistakes, run):
    """``(run(answer), zh, en)`` for each mistake, when a checker does more than call the answer
    on its inputs (it steps a model with it, or calls it once per epoch); an answer that fails in
    ``run`` is left out."""
    results = []
    for m in mistakes:
        try:
            results.append((run(m.answer), m.zh, m.en))
        except Exception:  # a wrong answer may not run at all; it just cannot match
            continue
    return results


def matching_hint(got, wrong, otherwise):
    """The ``(zh, en)`` of the first ``(value, zh, en)`` in ``wrong`` whose value equals the
    number ``got`` (``check_close`` does this for tensors), else ``otherwise``."""
    return next(((zh, en) for value, zh, en in wrong if value == got), otherwise)


def expect_integer(got):
    """``got`` as an ``int``; fails unless it is one integer (an int or a one-element tensor)."""
    expect(
        isinstance(got, int) or (isinstance(got, torch.Tensor) and got.numel() == 1),
        f"应返回一个整数，得到的是 {type(got).__name__}",
        f"return one integer, got {type(got).__name__}",
    )
    return int(got)


def scheduler_trace(make_scheduler, steps, lr):
    """The learning rate of each of ``steps`` steps (``get_last_lr()`` before the step) of the
    scheduler ``make_scheduler(optimizer)`` on a one-parameter SGD with learning rate ``lr``."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = make_scheduler(optimizer)
    lrs = []
    for _ in range(steps):
        lrs.append(scheduler.get_last_lr()[0])
        optimizer.step()
        scheduler.step()
    return torch.tensor(lrs, dtype=torch.float64)


def tiny_model(seed, dropout=0.0):
    """A small classifier of (N, 1, 3, 4) inputs into 3 classes, the same for the same seed."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(12, 8), nn.ReLU(), nn.Dropout(dropout), nn.Linear(8, 3)
    )


def tiny_data(seed, n=50):
    """``n`` inputs for ``tiny_model`` and their labels, the same for the same seed."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, 1, 3, 4, generator=g), torch.randint(0, 3, (n,), generator=g)


def passed(zh, en):
    """Print the pass line of an exercise (on two lines when one would be too long to read)."""
    line = f"✓ {zh} / {en}"
    print(line if len(line) <= 100 else f"✓ {zh}\n✓ {en}")


def fail(zh, en):
    raise CheckFailed(zh, en)


def expect(condition, zh, en):
    """Fail with the bilingual hint unless ``condition`` holds."""
    if not condition:
        fail(zh, en)


def expect_number(got):
    """``got`` as a finite float; fails unless it is one number (an int, a float or a one-element
    tensor): the answer of a predict exercise."""
    expect(
        (isinstance(got, (int, float)) and not isinstance(got, bool))
        or (isinstance(got, torch.Tensor) and got.numel() == 1),
        f"应返回一个数，得到的是 {type(got).__name__}",
        f"return one number, got {type(got).__name__}",
    )
    got = float(got)
    expect(math.isfinite(got), "应返回一个有限的数", "return a finite number")
    return got


def _close(a, b, rtol, atol):
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol)


def check_close(
    got,
    expected,
    *,
    name="结果 / result",
    mistakes=(),
    rtol=1e-4,
    atol=1e-6,
    factor_hint=None,
    nonfinite_hint=None,
):
    """Fail unless tensor ``got`` equals ``expected`` within tolerance, with the best hint we have.

    ``mistakes`` is a sequence of ``(wrong_value, zh_hint, en_hint)``: when ``got`` matches a
    known wrong answer, its hint is shown. Otherwise a shape mismatch, nan or inf, a flipped
    sign or a constant factor is named; ``factor_hint`` (zh, en) says what such a factor usually
    means for this exercise (``LOSS_FACTOR_HINT`` for a loss), ``nonfinite_hint`` (zh, en) what
    nan or inf usually means. ``name`` is one string, or a (zh, en) pair.
    """
    zh_name, en_name = (name, name) if isinstance(name, str) else name
    if not isinstance(got, torch.Tensor):
        fail(
            f"{zh_name} 应该是 torch.Tensor，得到的是 {type(got).__name__}",
            f"{en_name} should be a torch.Tensor, got {type(got).__name__}",
        )
    expected = torch.as_tensor(expected)
    got_d, exp_d = got.detach().cpu(), expected.detach().cpu()
    if got_d.dtype == torch.bool or exp_d.dtype == torch.bool:
        got_d, exp_d = got_d.long(), exp_d.long()
    if _close(got_d, exp_d, rtol, atol):
        return
    for wrong, zh, en in mistakes:
        if _close(got_d, torch.as_tensor(wrong).detach().cpu(), rtol, atol):
            fail(zh, en)
    if got_d.shape != exp_d.shape:
        fail(
            f"{zh_name} 的形状是 {tuple(got_d.shape)}，应为 {tuple(exp_d.shape)}",
            f"{en_name} has shape {tuple(got_d.shape)}, expected {tuple(exp_d.shape)}",
        )
    g, e = got_d.double().flatten(), exp_d.double().flatten()
    if not torch.isfinite(g).all() and torch.isfinite(e).all():
        if nonfinite_hint:
            fail(*nonfinite_hint)
        fail(
            f"{zh_name} 含有 nan 或 inf：是不是除以了 0、对负数开了方，或者 log 了 0？"
            f"（例如 Adam 的步数从 0 开始数时 1 − β^0 = 0）",
            f"{en_name} holds nan or inf: a division by 0, the root of a negative number, or the log "
            f"of 0? (e.g. Adam counting steps from 0 divides by 1 − β^0 = 0)",
        )
    if e.abs().max() > 0:
        k = (g @ e) / (e @ e)  # the best single factor k with got ≈ k * expected
        if abs(k) > 1e-8 and torch.allclose(g, k * e, rtol=rtol, atol=atol):
            if torch.isclose(k, torch.tensor(-1.0, dtype=k.dtype)):
                fail(f"{zh_name} 的符号反了", f"{en_name} has the wrong sign")
            zh, en = factor_hint or ("", "")
            fail(
                f"{zh_name} 差了一个常数因子：是正确值的 {k.item():.4g} 倍"
                + (f"（{zh}）" if zh else ""),
                f"{en_name} is off by a constant factor: {k.item():.4g} times the right value"
                + (f" ({en})" if en else ""),
            )
    diff = (g - e).abs().max().item()
    fail(
        f"{zh_name} 与正确值不符（最大误差 {diff:.3g}）",
        f"{en_name} does not match (largest error {diff:.3g})",
    )


def check_answer(answer, inputs, expected, mistakes=(), *, options=None, unchanged=False, **check):
    """``check_close`` of ``answer(*inputs, **options)`` with ``expected``, naming the
    ``mistakes`` (a table of ``Mistake``, run on the same inputs) it matches; ``check`` goes to
    ``check_close``. The answer gets clones of the inputs, or with ``unchanged`` the inputs
    themselves, and fails if it changes one in place (``call_unchanged``). Returns its value."""
    options = options or {}
    if unchanged:
        got = call_unchanged(answer, *inputs, **options)
    else:
        got = answer(*[a.clone() if torch.is_tensor(a) else a for a in inputs], **options)
    check_close(got, expected, mistakes=wrong_values(mistakes, *inputs, **options), **check)
    return got


OPTIMIZER_FACTOR_HINT = (
    "学习率或某个系数乘错了？",
    "a learning rate or a coefficient applied wrongly?",
)
IN_PLACE = (
    "你的函数原地修改了传进来的张量：先 clone() 再更新，或写 p = p - ...",
    "your function changed a tensor passed to it in place: clone() it first, or write p = p - ...",
)


def call_unchanged(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``; fails (``IN_PLACE``) if ``fn`` changed a tensor given to it,
    alone or in a list, in place."""

    def tensors():
        return [t for a in args for t in (a if isinstance(a, list) else [a]) if torch.is_tensor(t)]

    before = [t.clone() for t in tensors()]
    got = fn(*args, **kwargs)
    expect(all(map(torch.equal, tensors(), before)), *IN_PLACE)
    return got


def check_optimizer(
    answer, inputs, expected, mistakes, *, name=("最后的参数", "the final parameter"), **check
):
    """``check_answer`` for an optimizer exercise: the answer returns a new parameter and must
    not change its inputs in place; a constant factor hints at a learning rate."""
    check = {"factor_hint": OPTIMIZER_FACTOR_HINT, **check}
    return check_answer(answer, inputs, expected, mistakes, unchanged=True, name=name, **check)


def optimizer_inputs(seed, n_grads, shape=(3, 4)):
    """A float64 parameter and ``n_grads`` gradients of its shape, the same for the same seed."""
    gen = torch.Generator().manual_seed(seed)
    p0 = torch.randn(shape, generator=gen, dtype=torch.float64)
    return p0, [torch.randn(shape, generator=gen, dtype=torch.float64) for _ in range(n_grads)]


def optimizer_run(optimizer_class, p0, grads, lrs=None, **options):
    """The parameter after ``optimizer_class([p], **options)`` took one step per gradient from
    ``p0``: step t uses ``grads[t]`` (and the learning rate ``lrs[t]``, when given)."""
    p = p0.clone().requires_grad_(True)
    optimizer = optimizer_class([p], **options)
    for t, g in enumerate(grads):
        if lrs is not None:
            optimizer.param_groups[0]["lr"] = lrs[t]
        p.grad = g.clone()
        optimizer.step()
    return p.detach()
