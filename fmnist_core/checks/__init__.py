"""Exercise checks: a bilingual pass line, or a bilingual hint that names the likely mistake.

Each lesson's checkers live in ``fmnist_core.checks.lessonNN``; they are built from these few
helpers. A checker never swallows an exception raised by the learner's code, so an unfinished
exercise (``raise NotImplementedError()``) fails loudly in its check cell.
"""

import torch


class CheckFailed(AssertionError):
    """The learner's answer is not right yet; the message says why, in Chinese and English."""

    def __init__(self, zh, en):
        super().__init__(f"✗ {zh}\n✗ {en}")


def passed(zh, en):
    """Print the pass line of an exercise."""
    print(f"✓ {zh} / {en}")


def fail(zh, en):
    raise CheckFailed(zh, en)


def expect(condition, zh, en):
    """Fail with the bilingual hint unless ``condition`` holds."""
    if not condition:
        fail(zh, en)


def _close(a, b, rtol, atol):
    return a.shape == b.shape and torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol)


def check_close(got, expected, *, name="结果 / result", mistakes=(), rtol=1e-4, atol=1e-6):
    """Fail unless tensor ``got`` equals ``expected`` within tolerance, with the best hint we have.

    ``mistakes`` is a sequence of ``(wrong_value, zh_hint, en_hint)``: when ``got`` matches a
    known wrong answer, its hint is shown. Otherwise a constant factor, a flipped sign or a shape
    mismatch is named.
    """
    if not isinstance(got, torch.Tensor):
        fail(f"{name} 应该是 torch.Tensor，得到的是 {type(got).__name__}",
             f"{name} should be a torch.Tensor, got {type(got).__name__}")
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
        fail(f"{name} 的形状是 {tuple(got_d.shape)}，应为 {tuple(exp_d.shape)}",
             f"{name} has shape {tuple(got_d.shape)}, expected {tuple(exp_d.shape)}")
    g, e = got_d.double().flatten(), exp_d.double().flatten()
    if e.abs().max() > 0 and torch.isfinite(g).all():
        k = (g @ e) / (e @ e)  # the best single factor k with got ≈ k * expected
        if abs(k) > 1e-8 and torch.allclose(g, k * e, rtol=rtol, atol=atol):
            if torch.isclose(k, torch.tensor(-1.0, dtype=k.dtype)):
                fail(f"{name} 的符号反了", f"{name} has the wrong sign")
            fail(f"{name} 差了一个常数因子：是正确值的 {k.item():.4g} 倍（少了或多了求平均、除以 N 或乘 2？）",
                 f"{name} is off by a constant factor: {k.item():.4g} times the right value "
                 f"(a missing or extra mean, division by N, or factor of 2?)")
    diff = (g - e).abs().max().item()
    fail(f"{name} 与正确值不符（最大误差 {diff:.3g}）", f"{name} does not match (largest error {diff:.3g})")
