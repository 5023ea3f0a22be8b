"""The checkers of lesson 00: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import CheckFailed
from fmnist_core.checks import lesson00 as check

# ---------------------------------------------------------------- exercise 1


def test_ex1_right_answer_passes(capsys):
    check.ex1_to_tensor(lambda img: img.float().div(255).unsqueeze(0))
    assert "练习 1 通过" in capsys.readouterr().out


def changes_its_input(img):
    img.zero_()
    return img.float().unsqueeze(0) / 255


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda img: img.float().unsqueeze(0), "divide by 255"),
        (lambda img: img.float() / 255, "channel dimension is missing"),
        (lambda img: (img.float() / 255).unsqueeze(-1), "the channel went last"),
        (lambda img: img.unsqueeze(0), "convert with .float()"),
        (lambda img: img.double().unsqueeze(0) / 255, "dtype should be float32"),
        (lambda img: img.numpy() / 255, "return a torch.Tensor"),
        (changes_its_input, "changed the input"),
    ],
)
def test_ex1_mistakes_are_named(wrong, hint):
    fails_with(check.ex1_to_tensor, wrong, hint)


# ---------------------------------------------------------------- exercise 2


def test_ex2_right_answer_passes(capsys):
    check.ex2_class_counts(lambda y: torch.bincount(y, minlength=10))
    assert "练习 2 通过" in capsys.readouterr().out


def test_ex2_a_loop_over_the_classes_passes(capsys):
    check.ex2_class_counts(lambda y: torch.stack([(y == k).sum() for k in range(10)]))
    assert "Exercise 2 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        # the exercise's main trap: without minlength, bincount stops at the largest label present
        (lambda y: torch.bincount(y), "the top classes are absent; use minlength=10"),
        (lambda y: torch.unique(y, return_counts=True)[1], "only the classes present were counted"),
        (lambda y: torch.bincount(y, minlength=11), "has shape (11,), expected (10,)"),
        (lambda y: torch.bincount(y, minlength=10).tolist(), "should be a torch.Tensor"),
        (lambda y: torch.bincount(y, minlength=10) / len(y), "fractions, not counts"),
    ],
)
def test_ex2_mistakes_are_named(wrong, hint):
    fails_with(check.ex2_class_counts, wrong, hint)


def test_ex2_bincount_without_minlength_is_caught_before_anything_passes(capsys):
    with pytest.raises(CheckFailed):
        check.ex2_class_counts(torch.bincount)
    assert "✓" not in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 3


def batches_right(n, batch_size, drop_last=False):
    return n // batch_size if drop_last else -(-n // batch_size)


def test_ex3_right_answer_passes(capsys):
    check.ex3_num_batches(batches_right)
    assert "练习 3 通过" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda n, b, d=False: n // b, "round up"),
        (lambda n, b, d=False: -(-n // b), "round down"),
        (lambda n, b, d=False: n // b + 2, "wrong number of batches"),
    ],
)
def test_ex3_mistakes_are_named(wrong, hint):
    fails_with(check.ex3_num_batches, wrong, hint)


@pytest.mark.parametrize(
    "checker", [check.ex1_to_tensor, check.ex2_class_counts, check.ex3_num_batches]
)
def test_unfinished_answer_raises(checker):
    def unfinished(*args):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        checker(unfinished)
