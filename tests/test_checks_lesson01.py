"""The checkers of lesson 01: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import math
import pickle

import numpy as np
import pytest
import torch
from conftest import fails_with
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson01 as check

PASS = {
    1: "✓ 练习 1 通过：参数个数、MB 和最大的层都对 / Exercise 1 passed: parameters, MB and the "
    "largest layer are right",
    2: "✓ 练习 2 通过：2 + 5 + 2 = 9 项，其中 3 项是 BatchNorm 的缓冲区\n"
    "✓ Exercise 2 passed: 2 + 5 + 2 = 9 entries, 3 of them BatchNorm's buffers",
    3: "✓ 练习 3 通过：只载入张量，结构不符就报错，返回评估模式的模型\n"
    "✓ Exercise 3 passed: tensors only, an error on a mismatch, the model in eval mode",
}


def mlp_size(sizes):
    per_layer = [a * b + b for a, b in zip(sizes, sizes[1:])]
    n = sum(per_layer)
    return n, n * 4 / 10**6, per_layer.index(max(per_layer))


def mlp_size_by_building_it(sizes):
    """Another right answer: build the layers and ask PyTorch (numpy and tensor values)."""
    layers = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
    counts = torch.tensor([sum(p.numel() for p in layer.parameters()) for layer in layers])
    n = counts.sum()
    return n, np.float64(n.item() * 4e-6), np.argmax(counts.numpy())


def load_checkpoint(path, model):
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval()
    return model


def load_checkpoint_default_and_train_false(path, model):
    """Another right answer: weights_only=True is the default since torch 2.6; train(False)."""
    result = model.load_state_dict(torch.load(path, map_location="cpu"), strict=True)
    assert not result.missing_keys
    return model.train(False)


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_mlp_size, mlp_size),
        (check.ex1_mlp_size, mlp_size_by_building_it),
        (check.ex2_state_dict_entries, lambda: 9),
        (check.ex2_state_dict_entries, lambda: torch.tensor(9)),
        (check.ex3_load_checkpoint, load_checkpoint),
        (check.ex3_load_checkpoint, load_checkpoint_default_and_train_false),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


def test_the_checkers_own_answers_are_what_the_lesson_says():
    assert mlp_size([784, 512, 512, 10]) == (669_706, 2.678824, 0)
    assert fc.count_parameters(fc.NeuralNetwork()) == 669_706
    assert mlp_size([784, 1024, 1024, 10])[2] == 1  # the second layer, as the prompt hints
    assert len(check.bn_model().state_dict()) == 9
    assert len(list(check.bn_model().parameters())) == 6


def test_exercise_1_lists_are_varied():
    # the largest layer is first, in the middle and last; no list has a tie
    largest = {mlp_size(sizes)[2] for sizes in check.SIZE_LISTS}
    assert {0, 1, 2, 3} <= largest
    for sizes in check.SIZE_LISTS:
        counts = [a * b + b for a, b in zip(sizes, sizes[1:])]
        assert counts.count(max(counts)) == 1


def test_a_tie_accepts_either_layer():
    def later_on_a_tie(sizes):
        n, mb, _ = mlp_size(sizes)
        counts = [a * b + b for a, b in zip(sizes, sizes[1:])]
        return n, mb, max(k for k, c in enumerate(counts) if c == max(counts))

    assert check._right_index(2, [4, 6, 6, 6]) and check._right_index(1, [4, 6, 6, 6])
    check.ex1_mlp_size(later_on_a_tie)


def test_the_given_buggy_function_is_the_notebooks():
    import inspect
    from pathlib import Path

    lesson = (Path(__file__).parents[1] / "notebooks" / "01_model.py").read_text(encoding="utf-8")
    source = inspect.getsource(check.buggy_load_checkpoint)
    body = source[source.index("    try:") :]  # the code, without the docstring
    assert body in lesson


def two_mistakes(path, model):
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=False), strict=False)
    model.eval()
    return model


@pytest.mark.parametrize(
    "checker, answer, hints",
    [
        (check.ex1_mlp_size, lambda sizes: 669_706, ["return three values"]),
        (check.ex1_mlp_size, lambda sizes: (1.5, 1.0, 0), ["return one integer, got float"]),
        (check.ex1_mlp_size, lambda sizes: (*mlp_size(sizes)[:2], -1), ["wrong layer index"]),
        (
            check.ex1_mlp_size,
            lambda sizes: (mlp_size(sizes)[0], math.pi, mlp_size(sizes)[2]),
            ["wrong size: the number of parameters times 4 bytes"],
        ),
        (check.ex1_mlp_size, lambda sizes: (0, 0.0, 0), ["wrong parameter count"]),
        (
            check.ex1_mlp_size,
            lambda sizes: (mlp_size(sizes)[0], "2.7 MB", 0),
            ["the MB should be one number, got str"],
        ),
        (check.ex2_state_dict_entries, lambda: 11, ["you predicted 11, the state_dict has 9"]),
        (check.ex2_state_dict_entries, lambda: "9", ["return one integer, got str"]),
        (
            check.ex3_load_checkpoint,
            two_mistakes,
            [check.CODE.en[:40], check.STRICT.en[:40]],
        ),
        (
            check.ex3_load_checkpoint,
            lambda path, model: torch.load(path, weights_only=True),
            ["return the model with the weights loaded, got OrderedDict"],
        ),
        (
            check.ex3_load_checkpoint,
            lambda path, model: model.eval(),
            ["does not hold the file's weights"],
        ),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hints):
    fails_with(checker, answer, *hints)


def test_two_bugs_left_are_both_named_and_not_called_all_three():
    message = fails_with(check.ex3_load_checkpoint, two_mistakes, check.CODE.en[:40])
    assert check.UNCHANGED.en not in message and check.EVAL.en[:40] not in message


def test_the_trap_file_runs_code_only_without_weights_only(tmp_path):
    path = tmp_path / "trap.pth"
    torch.save(check._Trap({"w": torch.zeros(2)}), path)
    check._RAN.clear()
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, weights_only=True)
    assert not check._RAN
    assert torch.equal(torch.load(path, weights_only=False)["w"], torch.zeros(2))
    assert check._RAN


def test_strict_false_leaves_the_last_layer_random():
    # what the mismatched file of exercise 3 does to the given function: it loads half the model
    model, other = check._model(0), check._other_architecture(3)
    result = model.load_state_dict(other.state_dict(), strict=False)
    assert result.missing_keys == ["4.weight", "4.bias"]
    assert torch.equal(model[1].weight, other[1].weight)
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict(other.state_dict())


def test_exceptions_from_the_learners_code_are_not_hidden():
    def typo(path, model):
        return modle  # noqa: F821

    with pytest.raises(NameError):
        check.ex3_load_checkpoint(typo)
