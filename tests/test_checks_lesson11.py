"""The checkers of lesson 11: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F
from conftest import fails_with
from torch import nn

from fmnist_core.checks import lesson11 as check

PASS = {
    1: "✓ 练习 1 通过：swap 让第 1 个三元组也有损失，(1 + 1 + 3 + 0)/4 = 1.25\n"
    "✓ Exercise 1 passed: swap gives triplet 1 a loss too, (1 + 1 + 3 + 0)/4 = 1.25",
    2: "✓ 练习 2 通过：InfoNCE 是余弦相似度/τ 上的交叉熵，第 i 行的类别是 i\n"
    "✓ Exercise 2 passed: InfoNCE is a cross-entropy on cosine similarity / τ, row i's class "
    "being i",
}


def info_nce(z1, z2, temperature=0.1, symmetric=False):
    """The answer of the notebook's solution cell."""
    logits = F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T / temperature
    targets = torch.arange(len(z1))
    loss = F.cross_entropy(logits, targets)
    if symmetric:
        loss = (loss + F.cross_entropy(logits.T, targets)) / 2
    return loss


def info_nce_cosine_similarity(z1, z2, temperature=0.1, symmetric=False):
    """Another right answer: F.cosine_similarity broadcast to the (N, N) matrix."""
    s = F.cosine_similarity(z1[:, None, :], z2[None, :, :], dim=-1) / temperature
    t = torch.arange(len(s))
    rows = nn.CrossEntropyLoss()(s, t)
    return 0.5 * (rows + nn.CrossEntropyLoss()(s.T, t)) if symmetric else rows


def info_nce_loops(z1, z2, temperature=0.1, symmetric=False):
    """InfoNCE written out term by term, as the formula reads."""
    n = len(z1)

    def direction(a, b):
        total = 0.0
        for i in range(n):
            sims = torch.stack([F.cosine_similarity(a[i], b[j], dim=0) for j in range(n)])
            total = total - torch.log(
                torch.exp(sims[i] / temperature) / torch.exp(sims / temperature).sum()
            )
        return total / n

    loss = direction(z1, z2)
    return (loss + direction(z2, z1)) / 2 if symmetric else loss


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_triplet_swap, lambda: 1.25, 1),
        (check.ex1_triplet_swap, lambda: (1 + 1 + 3 + 0) / 4, 1),
        (check.ex1_triplet_swap, lambda: torch.tensor(1.24), 1),  # rounded by hand
        (check.ex2_info_nce, info_nce, 2),
        (check.ex2_info_nce, info_nce_cosine_similarity, 2),
        (check.ex2_info_nce, info_nce_loops, 2),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_prediction_is_what_torch_computes():
    a, p, n = check._triplet_batch()
    assert abs(check._swap_loss() - 1.25) < 1e-5
    torch.testing.assert_close(
        nn.TripletMarginLoss(margin=1.0, swap=True, reduction="none")(a, p, n),
        torch.tensor([1.0, 1.0, 3.0, 0.0], dtype=torch.float64),
        atol=1e-5,
        rtol=0,
    )
    # 不交换时第 1 个三元组的损失是 0 / without swap, triplet 1's loss is 0
    assert abs(nn.TripletMarginLoss(margin=1.0)(a, p, n).item() - 1.0) < 1e-5
    # 错误答案的生成器不带开关时就是正确答案 / the generator of wrong answers, with no switch
    assert abs(check._variant() - check._swap_loss()) < 1e-5


def test_the_wrong_predictions_are_far_apart():
    values = [check._swap_loss()] + [m.answer() for m in check.MISTAKES["ex1_triplet_swap"]]
    gaps = [abs(a - b) for a, b in itertools.combinations(values, 2)]
    assert min(gaps) > 5 * check.TOLERANCE, sorted(values)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda: 2.5, "not 2.5. each triplet's loss"),
        (lambda: float("inf"), "return a finite number"),
        (lambda: [1.25], "return one number, got list"),
    ],
)
def test_other_predictions_get_the_reasoning(answer, hint):
    fails_with(check.ex1_triplet_swap, answer, hint)


def test_the_reference_is_the_formula():
    z1, z2 = check._pairs()
    for temperature, symmetric in itertools.product((0.05, 0.1, 1.0), (False, True)):
        torch.testing.assert_close(
            check._reference(z1, z2, temperature, symmetric),
            info_nce_loops(z1, z2, temperature, symmetric),
        )
    # 所有相似度相同时损失是 log N / equal similarities give log N
    same = torch.ones(4, 3, dtype=torch.float64)
    torch.testing.assert_close(
        check._reference(same, same), torch.tensor(math.log(4), dtype=torch.float64)
    )


def test_the_mistakes_change_one_thing_of_the_right_answer():
    z1, z2 = check._pairs()
    for kw in check.CASES + [check.GRAD_CASE]:
        torch.testing.assert_close(check._info_nce()(z1, z2, **kw), check._reference(z1, z2, **kw))


@pytest.mark.parametrize(
    "answer, hint",
    [
        (
            lambda z1, z2, temperature=0.1, symmetric=False: info_nce(
                z1, z2, temperature, symmetric
            ).item(),
            "should be a torch.Tensor, got float",
        ),
        (
            lambda z1, z2, temperature=0.1, symmetric=False: info_nce(
                z1, z2, temperature, symmetric
            ).detach(),
            "the loss must be differentiable",
        ),
        (
            lambda z1, z2, temperature=0.1, symmetric=False: info_nce(
                z1, z2, temperature / 2, symmetric
            ),
            "info_nce(z1, z2, temperature=0.1) is off by",
        ),
    ],
)
def test_other_mistakes_get_a_general_hint(answer, hint):
    fails_with(check.ex2_info_nce, answer, hint)


def test_pass_lines_fit_in_100_characters(capsys):
    check.ex1_triplet_swap(lambda: 1.25)
    check.ex2_info_nce(info_nce)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and max(len(line) for line in lines) <= 100, lines
