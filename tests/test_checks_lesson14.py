"""The checkers of lesson 14: right answers pass; the anticipated mistakes are in the checkers'
``MISTAKES`` tables (tests/test_checks_mistakes.py); here the cases a table cannot express (the
reference generators equal to torch.optim, each bug showing on its own stack, other wrong
answers)."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import IN_PLACE
from fmnist_core.checks import lesson14 as check

# ---------------------------------------------------------------- exercise 1: an idle row


def after_idle(theta, m, v, t, k, g, lr, betas, eps):
    """The answer of the notebook's solution cell."""
    b1, b2 = betas
    s = t + k + 1  # the table's step count at the step with a gradient
    # SparseAdam: nothing happens to the idle row; then one step, ε on the uncorrected √v
    ms, vs = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    sparse = theta - lr * (1 - b2**s) ** 0.5 / (1 - b1**s) * ms / (vs.sqrt() + eps)
    # Adam: k steps with gradient 0, then the step with g
    dense, md, vd = theta, m, v
    for step in range(t + 1, s + 1):
        grad = g if step == s else torch.zeros_like(g)
        md, vd = b1 * md + (1 - b1) * grad, b2 * vd + (1 - b2) * grad * grad
        m_hat, v_hat = md / (1 - b1**step), vd / (1 - b2**step)
        dense = dense - lr * m_hat / (v_hat.sqrt() + eps)
    return sparse, dense


def after_idle_in_place(theta, m, v, t, k, g, lr, betas, eps):
    """Another right answer: PyTorch's in-place operations, on copies."""
    b1, b2 = betas
    out = []
    for sparse in (True, False):
        p, m1, v1 = theta.clone(), m.clone(), v.clone()
        for step in range(t + 1, t + k + 2):
            if step <= t + k and sparse:
                continue
            grad = g if step == t + k + 1 else torch.zeros_like(g)
            m1.mul_(b1).add_(grad, alpha=1 - b1)
            v1.mul_(b2).addcmul_(grad, grad, value=1 - b2)
            bc1, bc2 = 1 - b1**step, 1 - b2**step
            if sparse:
                p.addcdiv_(m1, v1.sqrt().add_(eps), value=-lr * bc2**0.5 / bc1)
            else:
                p.addcdiv_(m1, (v1 / bc2).sqrt().add_(eps), value=-lr / bc1)
        out.append(p)
    return out


@pytest.mark.parametrize("answer", [after_idle, after_idle_in_place])
def test_ex1_right_answers_pass(capsys, answer):
    check.ex1_sparse_idle(answer)
    out = capsys.readouterr().out
    assert "练习 1 通过" in out and max(map(len, out.splitlines())) <= 100


def test_ex1_reference_generator_is_torch_optim():
    args = check._idle_inputs()
    torch.testing.assert_close(check._after_idle(*args), check._torch_after_idle(*args))
    # on other inputs too: other t, k, and small ε
    theta, m, v, _, _, g, lr, betas, _ = args
    for t, k, eps in ((1, 0, 1e-8), (3, 30, 1e-3)):
        other = (theta, m, v, t, k, g, lr, betas, eps)
        torch.testing.assert_close(check._after_idle(*other), check._torch_after_idle(*other))


def test_ex1_each_mistake_is_visible():
    expected = torch.stack(list(check._torch_after_idle(*check._idle_inputs())))
    for m in check.MISTAKES["ex1_sparse_idle"][:-1]:  # the last one is torch.optim itself
        assert not torch.allclose(check._run_idle(m.answer), expected, rtol=1e-4, atol=1e-6), m.en


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda *args: after_idle(*args)[0], "return (SparseAdam's row, Adam's row)"),
        (lambda *args: (after_idle(*args)[0], 2 * after_idle(*args)[1]), "SparseAdam's row is"),
        (lambda *args: (2 * after_idle(*args)[0], after_idle(*args)[1]), "Adam's row is right"),
    ],
)
def test_ex1_other_mistakes(answer, hint):
    fails_with(check.ex1_sparse_idle, answer, hint)


def test_ex1_in_place_is_named():
    def in_place(theta, m, v, t, k, g, lr, betas, eps):
        sparse, dense = after_idle(theta, m, v, t, k, g, lr, betas, eps)
        m.mul_(betas[0])  # 改了传进来的 m / changes the m passed in
        return sparse, dense

    fails_with(check.ex1_sparse_idle, in_place, IN_PLACE)


# ---------------------------------------------------------------- exercise 2: find the bugs


def newton_schulz_stack(G, coefficients, steps, eps):
    """The answer of the notebook's solution cell."""
    a, b, c = coefficients
    X = G.double()
    X = X / X.norm(dim=(-2, -1), keepdim=True).clamp(min=eps)
    for _ in range(steps):
        A = X @ X.mT
        X = a * X + (b * A + c * A @ A) @ X
    return X


def newton_schulz_loop(G, coefficients, steps, eps):
    """Another right answer: a loop over the matrices, transposing the tall ones as Muon does."""
    a, b, c = coefficients
    out = []
    for M in G.double():
        tall = M.shape[0] > M.shape[1]
        X = M.T if tall else M
        X = X / max(X.norm().item(), eps)
        for _ in range(steps):
            A = X @ X.T
            X = a * X + (b * A + c * A @ A) @ X
        out.append(X.T if tall else X)
    return torch.stack(out)


@pytest.mark.parametrize("answer", [newton_schulz_stack, newton_schulz_loop])
def test_ex2_right_answers_pass(capsys, answer):
    check.ex2_newton_schulz_stack(answer)
    out = capsys.readouterr().out
    assert "练习 2 通过" in out and max(map(len, out.splitlines())) <= 100


def test_ex2_reference_is_the_iteration_muon_uses():
    # per matrix, the reference is Muon's own (bfloat16) iteration computed in float64
    _muon = pytest.importorskip("torch.optim._muon")
    zeropower = getattr(_muon, "_zeropower_via_newtonschulz", None)
    if zeropower is None:  # a private function: another release may name it otherwise
        pytest.skip("torch.optim._muon has no _zeropower_via_newtonschulz")
    G = torch.randn(2, 6, 9, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    for M, ours in zip(G, check._ns_stack(G)):
        theirs = zeropower(M, check.MUON_COEFFICIENTS, 5, 1e-7)
        torch.testing.assert_close(ours, theirs.double(), rtol=0.0, atol=0.05)


def test_ex2_each_bug_shows_on_its_own_stack_only():
    bugs = {
        "a_squared": {"a_squared": False},
        "whole_stack": {"whole_stack": True},
        "clamp": {"clamp": False},
    }
    shows = {}
    for name, wrong in bugs.items():
        shows[name] = []
        for _, _, G, steps in check._stacks():
            right = check._ns_stack(G, check.MUON_COEFFICIENTS, steps)
            got = check._ns_stack(G, check.MUON_COEFFICIENTS, steps, **wrong)
            shows[name].append(not torch.allclose(got, right, rtol=1e-6, atol=1e-9))
    assert shows == {
        "a_squared": [True, True, True],
        "whole_stack": [False, True, True],
        "clamp": [False, False, True],
    }


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda G, *args: newton_schulz_stack(G, *args)[0], "has shape"),
        (lambda G, *args: 2 * newton_schulz_stack(G, *args), "off by a constant factor"),
        (lambda G, co, steps, eps: newton_schulz_stack(G, co, steps + 1, eps), "does not match"),
    ],
)
def test_ex2_other_mistakes(answer, hint):
    fails_with(check.ex2_newton_schulz_stack, answer, hint)


def test_ex2_in_place_is_named():
    def in_place(G, coefficients, steps, eps):
        G /= G.norm(dim=(-2, -1), keepdim=True).clamp(min=eps)
        return newton_schulz_stack(G, coefficients, steps, eps)

    fails_with(check.ex2_newton_schulz_stack, in_place, IN_PLACE)
