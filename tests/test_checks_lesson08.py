"""The checkers of lesson 08: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import copy
import math

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson08 as check
from fmnist_core.checks import optimizer_inputs

PASS = {
    1: "✓ 练习 1 通过：θ₂ ≈ −0.0947，第二步只退回约 0.05η\n"
    "✓ Exercise 1 passed: θ₂ ≈ −0.0947; step 2 goes back only about 0.05η",
    2: "✓ 练习 2 通过：三处错误都改好了，五步与 torch.optim.AdamW 相同\n"
    "✓ Exercise 2 passed: all three bugs fixed, five steps equal torch.optim.AdamW",
    3: "✓ 练习 3 通过：η = target · min ‖θ_l‖/√n_l，最紧的张量第一步正好移动 target\n"
    "✓ Exercise 3 passed: η = target · min ‖θ_l‖/√n_l; the tightest tensor moves by target",
}


def adamw_step(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """The notebook's answer: the three lines fixed."""
    beta1, beta2 = betas
    state["step"] += 1
    t = state["step"]
    p = p * (1 - lr * weight_decay)
    state["m"] = beta1 * state["m"] + (1 - beta1) * g
    state["v"] = beta2 * state["v"] + (1 - beta2) * g * g
    m_hat = state["m"] / (1 - beta1**t)
    v_hat = state["v"] / (1 - beta2**t)
    return p - lr * m_hat / (v_hat.sqrt() + eps)


def adamw_step_in_place(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
    """PyTorch's own arrangement: in place, with the correction folded into the step size."""
    b1, b2 = betas
    state["step"] += 1
    t = state["step"]
    p.mul_(1 - lr * weight_decay)
    state["m"].mul_(b1).add_(g, alpha=1 - b1)
    state["v"].mul_(b2).addcmul_(g, g, value=1 - b2)
    denom = (state["v"].sqrt() / math.sqrt(1 - b2**t)).add_(eps)
    p.addcdiv_(state["m"], denom, value=-lr / (1 - b1**t))
    return p


def lr_from_norms(model, target):
    return target * min(p.norm().item() / p.numel() ** 0.5 for p in model.parameters())


def lr_measured(model, target):
    """Measure Adam's first step at lr = 1 on a copy: the ratio grows in proportion to lr."""
    twin = copy.deepcopy(model)
    params = list(twin.parameters())
    before = [p.detach().clone() for p in params]
    for p in params:
        p.grad = torch.ones_like(p)
    torch.optim.Adam(params, lr=1.0).step()
    ratios = [((p.detach() - b).norm() / b.norm()).item() for p, b in zip(params, before)]
    return target / max(ratios)


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_flip, lambda: -0.0947, 1),
        (check.ex1_flip, lambda: torch.tensor(-0.09474), 1),
        (check.ex1_flip, lambda: -0.1 + 0.1 * 0.01 / 0.19, 1),
        (check.ex2_adamw_step, adamw_step, 2),
        (check.ex2_adamw_step, adamw_step_in_place, 2),
        (check.ex3_adam_lr, lr_from_norms, 3),
        (check.ex3_adam_lr, lr_measured, 3),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_prediction_is_what_torch_computes():
    assert check._adam_theta() == pytest.approx(check._flip(), abs=1e-12)
    assert check._flip() == pytest.approx(-0.1 + 0.1 * 0.01 / 0.19, abs=1e-6)


def test_a_prediction_far_from_every_known_mistake_gets_the_reasoning():
    message = fails_with(check.ex1_flip, lambda: 0.5)
    assert "0.0053" in message and "not 0.5" in message


def test_the_step_variants_change_one_thing_of_torch_adamw():
    p0, grads = optimizer_inputs(21, 6)
    hyper = {"lr": 0.05, "betas": (0.9, 0.99), "eps": 1e-2, "weight_decay": 0.5}
    right, m, v = check._reference(p0, grads, hyper)
    got, state = check._run(check._adamw_step(), p0, grads, hyper)
    torch.testing.assert_close(got, right)
    torch.testing.assert_close((state["m"], state["v"]), (m, v))
    # with decay="l2" and the rest right, it is torch.optim.Adam's weight_decay
    adam = p0.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([adam], **hyper)
    for g in grads:
        adam.grad = g.clone()
        optimizer.step()
    torch.testing.assert_close(check._run(check._adamw_step(decay="l2"), p0, grads, hyper)[0], adam)


def test_each_probe_exposes_its_bug_alone():
    # the core probe fails for a core bug only; the other two each for their own bug (and a core
    # one, which is why the checker stops at the core probe)
    p1, g1 = optimizer_inputs(15, 5)
    bugs = [{"t_from": 2}, {"eps_mode": "inside"}, {"decay": "l2"}]
    for i, (_, hyper, scale) in enumerate(check.PROBES):
        grads = [scale * g for g in g1]
        right = check._reference(p1, grads, hyper)[0]
        for j, bug in enumerate(bugs):
            got = check._run(check._adamw_step(**bug), p1, grads, hyper)[0]
            assert bool(check._close(got, right)) == (i != j and j != 0), (i, bug)


def test_a_core_bug_is_named_alone():
    # m̂ corrected with t but v̂ with t + 1: not in the table, fails all three probes
    def v_off_by_one(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        b1, b2 = betas
        state["step"] += 1
        t = state["step"]
        p = p * (1 - lr * weight_decay)
        state["m"] = b1 * state["m"] + (1 - b1) * g
        state["v"] = b2 * state["v"] + (1 - b2) * g * g
        m_hat, v_hat = state["m"] / (1 - b1**t), state["v"] / (1 - b2 ** (t + 1))
        return p - lr * m_hat / (v_hat.sqrt() + eps)

    message = fails_with(check.ex2_adamw_step, v_off_by_one, check.CORE)
    assert check.ONE_MORE[1] not in message


def test_a_bug_outside_the_table_is_named_by_its_probe():
    # the decay written as a subtraction after the step, and ε inside the root: not in the table
    def two_bugs(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        b1, b2 = betas
        state["step"] += 1
        t = state["step"]
        state["m"] = b1 * state["m"] + (1 - b1) * g
        state["v"] = b2 * state["v"] + (1 - b2) * g * g
        m_hat, v_hat = state["m"] / (1 - b1**t), state["v"] / (1 - b2**t)
        p = p - lr * m_hat / (v_hat + eps).sqrt()
        return p - lr * weight_decay * p

    fails_with(check.ex2_adamw_step, two_bugs, check.EPS_ANY, check.ONE_MORE)


def test_torch_optim_is_refused_in_the_step():
    def wraps_torch(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        if "opt" not in state:
            state["p"] = p.clone().requires_grad_(True)
            state["opt"] = torch.optim.AdamW([state["p"]], lr, betas, eps, weight_decay)
        state["p"].grad = g
        state["opt"].step()
        return state["p"].detach().clone()

    fails_with(check.ex2_adamw_step, wraps_torch, check.USE_TORCH)


def test_the_raw_averages_must_stay_in_state():
    def keeps_its_own(p, g, state, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        own = state.setdefault(
            "own", {"step": 0, "m": torch.zeros_like(p), "v": torch.zeros_like(p)}
        )
        state["step"] += 1
        return adamw_step(p, g, own, lr, betas, eps, weight_decay)

    fails_with(check.ex2_adamw_step, keeps_its_own, "exp_avg")


@pytest.mark.parametrize("make_model, target", check.CASES)
def test_the_lr_gives_the_target_ratio_to_the_tightest_tensor(make_model, target):
    model = make_model()
    lr = check._right(model, target)
    params = list(model.parameters())
    before = [p.detach().clone() for p in params]
    gen = torch.Generator().manual_seed(0)
    for p in params:  # gradients of any size and sign, none near 0 or near ε
        size = torch.rand(p.shape, generator=gen) + 0.5
        p.grad = size * torch.where(torch.rand(p.shape, generator=gen) < 0.5, -1.0, 1.0)
    torch.optim.Adam(params, lr=lr).step()
    ratios = [((p.detach() - b).norm() / b.norm()).item() for p, b in zip(params, before)]
    assert max(ratios) == pytest.approx(target, rel=1e-5)  # float32


def test_the_tightest_tensor_is_a_bias_in_one_case_and_a_weight_in_the_other():
    def tightest(model):
        return min(model.named_parameters(), key=lambda np: np[1].norm() / np[1].numel() ** 0.5)

    assert tightest(check._model_a())[0].endswith("bias")
    assert tightest(check._model_b())[0].endswith("weight")


def test_a_hardcoded_lr_fails_on_the_second_model():
    right_a = check._right(check._model_a(), 0.01)
    fails_with(check.ex3_adam_lr, lambda model, target: right_a, "expected")


def test_a_model_is_not_returned_as_a_number():
    fails_with(check.ex3_adam_lr, lambda model, target: model, "return one number")
