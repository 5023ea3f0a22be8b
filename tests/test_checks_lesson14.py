"""The checkers of lesson 14: right answers pass; the anticipated mistakes are in the checkers'
``MISTAKES`` tables (tests/test_checks_mistakes.py); here the cases a table cannot express."""

import math

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson14 as check

MAX_HINT_LINE = 87


def unfinished(*args):
    raise NotImplementedError()


def printed(capsys):
    out = capsys.readouterr().out
    assert max(map(len, out.splitlines())) <= 100
    return out


# ---------------------------------------------------------------- exercise 1: Adafactor's V̂


def factored_means(G):
    r = (G * G).mean(dim=-1, keepdim=True)
    c = (G * G).mean(dim=-2, keepdim=True)
    return r @ c / r.mean(dim=-2, keepdim=True)


def factored_sums(G):  # the paper's form: row and column sums, divided by the total
    R, C = (G * G).sum(dim=-1, keepdim=True), (G * G).sum(dim=-2, keepdim=True)
    return R @ C / R.sum(dim=-2, keepdim=True)


@pytest.mark.parametrize("answer", [factored_means, factored_sums])
def test_ex1_right_answers_pass(capsys, answer):
    check.ex1_factored_second_moment(answer)
    assert "练习 1 通过" in printed(capsys)


def test_ex1_reference_is_the_formula():
    for G in check._ex1_inputs():
        torch.testing.assert_close(check._adafactor_estimate(G), factored_means(G))


def test_ex1_a_rank_one_square_is_rebuilt_exactly():
    G = torch.outer(torch.tensor([1.0, -2.0, 3.0]), torch.tensor([0.5, 4.0]))
    torch.testing.assert_close(check._adafactor_estimate(G.double()), (G**2).double())


def test_ex1_unfinished_and_not_a_tensor():
    with pytest.raises(NotImplementedError):
        check.ex1_factored_second_moment(unfinished)
    fails_with(check.ex1_factored_second_moment, lambda G: G.tolist(), "should be a torch.Tensor")


def test_ex1_a_constant_factor_is_named():
    fails_with(check.ex1_factored_second_moment, lambda G: 3 * factored_means(G), "constant factor")


# ---------------------------------------------------------------- exercise 2: CyclicLR


def cyclic_loop(steps, base_lr, max_lr, up, down, mode, gamma):
    lrs = []
    for t in range(steps):
        cycle = math.floor(1 + t / (up + down))
        x = 1 + t / (up + down) - cycle
        r = up / (up + down)
        h = x / r if x <= r else (1 - x) / (1 - r)
        scale = {"triangular": 1, "triangular2": 0.5 ** (cycle - 1), "exp_range": gamma**t}[mode]
        lrs.append(base_lr + (max_lr - base_lr) * h * scale)
    return lrs


def cyclic_tensor(steps, base_lr, max_lr, up, down, mode, gamma):
    t = torch.arange(steps, dtype=torch.float64)
    period = up + down
    u = t % period  # steps into the cycle
    h = torch.where(u <= up, u / up, (period - u) / down)
    cycle = torch.floor(t / period) + 1
    scale = {"triangular": torch.ones_like(t), "triangular2": 0.5 ** (cycle - 1)}.get(
        mode, gamma**t
    )
    return base_lr + (max_lr - base_lr) * h * scale


@pytest.mark.parametrize("answer", [cyclic_loop, cyclic_tensor])
def test_ex2_right_answers_pass(capsys, answer):
    check.ex2_cyclic_lrs(answer)
    assert "练习 2 通过" in printed(capsys)


def test_ex2_reference_formula_matches_pytorch():
    for case in check.EX2_CASES:
        torch.testing.assert_close(check._cyclic(*case), check._cyclic_torch(*case))


def test_ex2_wrong_length_and_type():
    fails_with(check.ex2_cyclic_lrs, lambda *case: cyclic_loop(*case)[1:], "has shape")
    fails_with(check.ex2_cyclic_lrs, lambda *case: 0.01, "return a list or a tensor")
    with pytest.raises(NotImplementedError):
        check.ex2_cyclic_lrs(unfinished)


# ---------------------------------------------------------------- exercise 3: Newton–Schulz


def ns_right(G, coefficients, steps, eps):
    a, b, c = coefficients
    tall = G.shape[0] > G.shape[1]
    X = G.T if tall else G
    X = X / X.norm().clamp(min=eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if tall else X


def ns_no_transpose(G, coefficients, steps, eps):
    """The transpose only makes A the smaller square; (X Xᵀ)ᵏ X = X (Xᵀ X)ᵏ, same result."""
    a, b, c = coefficients
    X = G / G.norm().clamp(min=eps)
    for _ in range(steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X


@pytest.mark.parametrize("answer", [ns_right, ns_no_transpose])
def test_ex3_right_answers_pass(capsys, answer):
    check.ex3_newton_schulz(answer)
    assert "练习 3 通过" in printed(capsys)


def test_ex3_missing_clamp_gives_nan_on_the_zero_matrix():
    def no_clamp(G, coefficients, steps, eps):
        return ns_right(G, coefficients, steps, 0.0)

    fails_with(check.ex3_newton_schulz, no_clamp, "nan or inf")
    with pytest.raises(NotImplementedError):
        check.ex3_newton_schulz(unfinished)


@pytest.mark.skipif(not hasattr(torch.optim, "Muon"), reason="torch.optim.Muon: PyTorch >= 2.9")
def test_ex3_reference_is_muons_iteration_up_to_bfloat16():
    from torch.optim._muon import _zeropower_via_newtonschulz

    for G, coefficients, steps, eps in check._ex3_cases()[:3]:
        ours = check._ns(G, coefficients, steps, eps)
        theirs = _zeropower_via_newtonschulz(G, coefficients, steps, eps).double()
        torch.testing.assert_close(ours, theirs, rtol=0.05, atol=0.05)
