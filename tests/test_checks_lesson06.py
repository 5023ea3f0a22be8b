"""The checkers of lesson 06: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import math

import pytest
import torch
import torch.nn.functional as F
from conftest import fails_with
from torch import nn

from fmnist_core.checks import lesson06 as check

PASS = {
    1: "✓ 练习 1 通过：每个样本都是 ln 4，加权平均还是 ln 4 ≈ 1.3863\n"
    "✓ Exercise 1 passed: ln 4 per sample, so the weighted mean is ln 4 ≈ 1.3863",
    2: "✓ 练习 2 通过：三个错误都改好了，两个损失都拿到 logits / "
    "Exercise 2 passed: all three bugs fixed, both losses get logits",
    3: "✓ 练习 3 通过：focal_loss 正确、数值稳定，梯度与 autograd 一致\n"
    "✓ Exercise 3 passed: focal_loss matches, is stable, and its gradient is autograd's",
}
FOOTWEAR = check.FOOTWEAR  # what the notebook's buggy cell defines


def two_head_loss(class_logits, shoe_logit, labels):
    class_loss = F.cross_entropy(class_logits, labels)
    is_shoe = torch.isin(labels, FOOTWEAR).float()
    return class_loss + F.binary_cross_entropy_with_logits(shoe_logit, is_shoe)


def two_head_loss_with_modules(class_logits, shoe_logit, labels):
    """One-hot targets with all 10 columns, NLLLoss of log_softmax, a target built by hand."""
    one_hot = F.one_hot(labels, num_classes=10).float()
    is_shoe = ((labels == 5) | (labels == 7) | (labels == 9)).to(shoe_logit.dtype)
    class_loss = nn.NLLLoss()(class_logits.log_softmax(dim=1), labels)
    torch.testing.assert_close(class_loss, nn.CrossEntropyLoss()(class_logits, one_hot))
    return class_loss + nn.BCEWithLogitsLoss()(shoe_logit, is_shoe)


def focal_loss(logits, target, gamma):
    ce = F.cross_entropy(logits, target, reduction="none")
    return ((1 - torch.exp(-ce)) ** gamma * ce).mean()


def focal_loss_by_log_softmax(logits, target, gamma):
    log_pt = logits.log_softmax(dim=1).gather(1, target.unsqueeze(1)).squeeze(1)
    return -((1 - log_pt.exp()).pow(gamma) * log_pt).sum() / len(target)


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_weighted_loss, lambda: math.log(4)),
        (check.ex1_weighted_loss, lambda: 1.386),
        (check.ex1_weighted_loss, lambda: torch.tensor(4.0).log()),
        (check.ex2_two_head_loss, two_head_loss),
        (check.ex2_two_head_loss, two_head_loss_with_modules),
        (check.ex3_focal_loss, focal_loss),
        (check.ex3_focal_loss, focal_loss_by_log_softmax),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


def test_the_prediction_is_what_the_notebook_cell_prints():
    # the notebook's cell after the answer runs this; the checker computes it itself
    logits = torch.tensor([[7.0] * 4, [-2.0] * 4, [0.5] * 4])
    loss = nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 3.0, 4.0]))
    value = loss(logits, torch.tensor([0, 3, 1])).item()
    assert value == pytest.approx(check._weighted_loss()) == pytest.approx(math.log(4))


def test_each_wrong_prediction_is_its_own_number():
    values = [m.answer() for m in check.MISTAKES["ex1_weighted_loss"]]
    for i, v in enumerate(values):
        assert abs(v - check._weighted_loss()) > 2 * check.TOLERANCE
        assert all(abs(v - w) > 2 * check.TOLERANCE for w in values[i + 1 :])


def test_the_buggy_cell_prints_a_loss_far_from_0_and_raises_without_class_9():
    # the notebook's cell: a model that is right with logit 20, its loss 1.4612 + 0.5792
    labels = torch.arange(10)
    class_logits = 20 * F.one_hot(labels, 10).float()
    shoe_logit = torch.where(torch.isin(labels, FOOTWEAR), 20.0, -20.0)
    assert round(check._buggy(class_logits, shoe_logit, labels).item(), 4) == 2.0403
    assert check._right_two_head(class_logits, shoe_logit, labels) < 1e-6
    assert all(9 in labels for *_, labels in check.ORDINARY) and 9 not in check.NO_ANKLE_BOOT[2]
    with pytest.raises(RuntimeError):
        check._buggy(*check.NO_ANKLE_BOOT)


def test_the_large_batch_breaks_the_unstable_fixes_only():
    right = check._right_two_head(*check.LARGE)
    assert torch.isfinite(right)
    assert torch.isinf(check._nll_of_log_probs(*check.LARGE))
    assert not torch.isclose(check._bce_of_sigmoid(*check.LARGE), right)


def test_focal_with_gamma_0_is_cross_entropy():
    x, y = check._logits(0, 8, 5)
    torch.testing.assert_close(check._focal(x, y, 0.0).float(), F.cross_entropy(x, y))


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_weighted_loss, lambda: "ln 4", "return one number, got str"),
        (check.ex1_weighted_loss, lambda: 1.5, "not 1.5: every row's logits are equal"),
        (check.ex2_two_head_loss, lambda c, s, y: 2 * two_head_loss(c, s, y), "constant factor"),
        (
            check.ex2_two_head_loss,
            lambda c, s, y: two_head_loss(c, s, y) + F.cross_entropy(c, y, reduction="sum"),
            "the loss on each of two ordinary batches does not match",
        ),
        (check.ex3_focal_loss, lambda x, y, g: focal_loss(x, y, g).item(), "got float"),
        (check.ex3_focal_loss, lambda x, y, g: 2 * focal_loss(x, y, g), "constant factor"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)
