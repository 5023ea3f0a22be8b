"""The checkers of lesson 00: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson00 as check

PASS = {
    1: "✓ 练习 1 通过：to_tensor 与 ToTensor 一致 / Exercise 1 passed: to_tensor matches ToTensor",
    2: "✓ 练习 2 通过：每个类别的样本数正确 / Exercise 2 passed: the count of every class is right",
    3: "✓ 练习 3 通过：批次数与 DataLoader 一致 / Exercise 3 passed: batch counts match DataLoader",
}


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_to_tensor, lambda img: img.float().div(255).unsqueeze(0)),
        (check.ex2_class_counts, lambda y: torch.bincount(y, minlength=10)),
        (check.ex2_class_counts, lambda y: torch.stack([(y == k).sum() for k in range(10)])),
        (check.ex3_num_batches, lambda n, b, drop=False: n // b if drop else -(-n // b)),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex2_class_counts, lambda y: y.bincount(minlength=11), "shape (11,), expected"),
        (check.ex2_class_counts, lambda y: y.bincount(minlength=10).tolist(), "a torch.Tensor"),
        (check.ex3_num_batches, lambda n, b, drop=False: n // b + 2, "wrong number of batches"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)
