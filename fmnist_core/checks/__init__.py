"""Exercise checks: a bilingual pass line, or a bilingual hint that names the likely mistake.

Each lesson's checkers live in ``fmnist_core.checks.lessonNN``; they are built from these few
helpers. A checker never swallows an exception raised by the learner's code, so an unfinished
exercise (``raise NotImplementedError()``) fails loudly in its check cell.

A failed check shows only its hint: in Jupyter (and so in nbgrader's feedback) ``CheckFailed``
renders as its hint with no traceback through the checker, which would show the anticipated
wrong answers; every line of the hint fits nbgrader's 87 columns.
"""

import functools
import textwrap
from typing import NamedTuple

import torch

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
        if name.startswith("ex") and callable(value) and not hasattr(value, "__wrapped__"):
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


def _close(a, b, rtol, atol):
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol)


def check_close(
    got, expected, *, name="结果 / result", mistakes=(), rtol=1e-4, atol=1e-6, factor_hint=None
):
    """Fail unless tensor ``got`` equals ``expected`` within tolerance, with the best hint we have.

    ``mistakes`` is a sequence of ``(wrong_value, zh_hint, en_hint)``: when ``got`` matches a
    known wrong answer, its hint is shown. Otherwise a shape mismatch, nan or inf, a flipped
    sign or a constant factor is named; ``factor_hint`` (zh, en) says what such a factor usually
    means for this exercise (``LOSS_FACTOR_HINT`` for a loss).
    """
    if not isinstance(got, torch.Tensor):
        fail(
            f"{name} 应该是 torch.Tensor，得到的是 {type(got).__name__}",
            f"{name} should be a torch.Tensor, got {type(got).__name__}",
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
            f"{name} 的形状是 {tuple(got_d.shape)}，应为 {tuple(exp_d.shape)}",
            f"{name} has shape {tuple(got_d.shape)}, expected {tuple(exp_d.shape)}",
        )
    g, e = got_d.double().flatten(), exp_d.double().flatten()
    if not torch.isfinite(g).all() and torch.isfinite(e).all():
        fail(
            f"{name} 含有 nan 或 inf：是不是除以了 0、对负数开了方，或者 log 了 0？"
            f"（例如 Adam 的步数从 0 开始数时 1 − β^0 = 0）",
            f"{name} holds nan or inf: a division by 0, the root of a negative number, or the log "
            f"of 0? (e.g. Adam counting steps from 0 divides by 1 − β^0 = 0)",
        )
    if e.abs().max() > 0:
        k = (g @ e) / (e @ e)  # the best single factor k with got ≈ k * expected
        if abs(k) > 1e-8 and torch.allclose(g, k * e, rtol=rtol, atol=atol):
            if torch.isclose(k, torch.tensor(-1.0, dtype=k.dtype)):
                fail(f"{name} 的符号反了", f"{name} has the wrong sign")
            zh, en = factor_hint or ("", "")
            fail(
                f"{name} 差了一个常数因子：是正确值的 {k.item():.4g} 倍"
                + (f"（{zh}）" if zh else ""),
                f"{name} is off by a constant factor: {k.item():.4g} times the right value"
                + (f" ({en})" if en else ""),
            )
    diff = (g - e).abs().max().item()
    fail(
        f"{name} 与正确值不符（最大误差 {diff:.3g}）",
        f"{name} does not match (largest error {diff:.3g})",
    )
