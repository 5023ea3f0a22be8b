"""The checkers of lesson 04: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import ast
import inspect
import math
import textwrap
from pathlib import Path

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson04 as check

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "04_tuning.py"
PASS = {
    1: "✓ 练习 1 通过：step_size 是第一次下降的轮次，gamma = 新 / 旧\n"
    "✓ Exercise 1 passed: step_size is the epoch of the first drop, gamma = new / old\n",
    2: "✓ 练习 2 通过：两个错误都修好了：和最好的一轮比，只在停止之前的轮次里选\n"
    "✓ Exercise 2 passed: both bugs fixed: compare with the best epoch, choose up to the stop\n",
    3: "✓ 练习 3 通过：精确率按列、召回率按行，0/0 记为 0\n"
    "✓ Exercise 3 passed: precision over columns, recall over rows, 0/0 as 0\n",
}


def _notebook_function(name):
    """The function ``name`` as the lesson's .py defines it, compiled on its own, and its source."""
    text = LESSON.read_text(encoding="utf-8")
    tree = ast.parse(text)
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace = {"torch": torch}
    exec(compile(ast.Module([node], []), str(LESSON), "exec"), namespace)
    return namespace[name], ast.get_source_segment(text, node)


@pytest.mark.parametrize(
    "checker, name",
    [
        (check.ex1_step_lr_params, "step_lr_params"),
        (check.ex2_early_stopping, "early_stopping"),
        (check.ex3_precision_recall, "precision_recall"),
    ],
)
def test_the_lessons_solutions_pass(checker, name, capsys):
    solution, _ = _notebook_function(name)
    checker(solution)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise]


# --- Exercise 1 ------------------------------------------------------------------------------


def params_by_counting(lrs):
    """The first plateau's length, and gamma from all k drops at once: right too."""
    step_size = sum(1 for lr in lrs if lr == lrs[0])
    drops = (len(lrs) - 1) // step_size
    return torch.tensor(step_size), torch.tensor(lrs[-1] / lrs[0]) ** (1 / drops)


def test_ex1_another_right_answer_passes(capsys):
    check.ex1_step_lr_params(params_by_counting)
    assert capsys.readouterr().out == PASS[1]


def test_ex1_the_traces_are_what_step_lr_makes():
    lrs = check._trace(0.1, 2, 0.5, 6)  # section 4's cell
    assert lrs == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rel=1e-12)
    for lr0, step_size, gamma, epochs in check.TRACES:
        lrs = check._trace(lr0, step_size, gamma, epochs)
        assert check._first_drop(lrs) == step_size
        assert all(lrs[e] == lr0 or e >= step_size for e in range(epochs))


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda lrs: (7, 0.5), "step_size = 7 is not right"),
        (lambda lrs: (check._first_drop(lrs), 0.7), "gamma = 0.7 is not right"),
        (lambda lrs: 3, "return two values (step_size, gamma), got int"),
        (lambda lrs: (3.0, 0.5), "return one integer, got float"),
        (lambda lrs: (check._first_drop(lrs), "0.5"), "gamma should be a number, got str"),
    ],
)
def test_ex1_other_mistakes_get_a_general_hint(answer, hint):
    fails_with(check.ex1_step_lr_params, answer, hint)


def test_ex1_a_wrong_step_size_and_gamma_name_the_step_size_first():
    def both_wrong(lrs):
        return check._first_drop(lrs) + 1, lrs[-1] / lrs[0]

    step_hint, _, _, total_hint = (m.en for m in check.MISTAKES["ex1_step_lr_params"][:4])
    message = fails_with(check.ex1_step_lr_params, both_wrong, step_hint)
    assert "".join(total_hint.split()) not in "".join(message.split())


# --- Exercise 2 ------------------------------------------------------------------------------


def early_stopping_counting_from_best(val_losses, patience):
    """Stop when the best is patience epochs old, a for-else, a tensor argmin on the prefix."""
    best = 1
    for epoch in range(2, len(val_losses) + 1):
        if val_losses[epoch - 1] < val_losses[best - 1]:
            best = epoch
        if epoch - best == patience:
            break
    else:
        epoch = len(val_losses)
    prefix = torch.tensor(val_losses[:epoch])
    return int(prefix.argmin()) + 1, epoch


def test_ex2_another_right_answer_passes(capsys):
    check.ex2_early_stopping(early_stopping_counting_from_best)
    assert capsys.readouterr().out == PASS[2]


def test_ex2_the_curves_comments_give_the_right_results():
    source = inspect.getsource(check)
    for losses, patience in check.CURVES:
        best, stop = check._early()(list(losses), patience)
        assert f"{losses}, {patience}),  # ({best}, {stop})" in source


def test_ex2_the_buggy_cell_is_the_checkers_and_copying_it_fails():
    buggy, source = _notebook_function("early_stopping_buggy")
    mine = textwrap.dedent(inspect.getsource(check.buggy_early_stopping))
    mine = mine.replace("def buggy_early_stopping", "def early_stopping_buggy")
    mine = "\n".join(line for line in mine.splitlines() if '"""' not in line)
    assert source.strip() == mine.strip()
    message = fails_with(check.ex2_early_stopping, buggy, (check.PREVIOUS.zh, check.PREVIOUS.en))
    assert "(the check found 1 more)" in message


def test_ex2_the_buggy_function_is_both_of_its_bugs():
    for losses, patience in check.CURVES:
        both = check._early(previous=True, peek=True)(list(losses), patience)
        assert check.buggy_early_stopping(list(losses), patience) == both


@pytest.mark.parametrize("i", range(1, len(check.MISTAKES["ex2_early_stopping"])))
def test_ex2_each_single_mistake_is_found_alone(i):
    found, _, _ = check._bugs_found(check.MISTAKES["ex2_early_stopping"][i].answer)
    assert found == [
        (check.MISTAKES["ex2_early_stopping"][i].zh, check.MISTAKES["ex2_early_stopping"][i].en)
    ]


def stops_two_late(val_losses, patience):
    best, stop = check._early()(val_losses, patience)
    return best, stop + 2


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda losses, patience: (1, len(losses)), "the epoch to keep, 1, is not right"),
        (stops_two_late, "the epoch training stops at, 6, is not right"),
        (lambda losses, patience: 4, "return two values"),
        (lambda losses, patience: (2.0, 4), "return one integer, got float"),
    ],
)
def test_ex2_other_mistakes_get_a_general_hint(answer, hint):
    fails_with(check.ex2_early_stopping, answer, hint)


# --- Exercise 3 ------------------------------------------------------------------------------


def precision_recall_nan_to_num(C):
    """float32, division first and nan replaced after: right too."""
    C = C.float()
    return torch.nan_to_num(C.diag() / C.sum(0)), torch.nan_to_num(C.diag() / C.sum(1))


def precision_recall_loop(C):
    K = len(C)
    precision, recall = torch.zeros(K), torch.zeros(K)
    for j in range(K):
        if C[:, j].sum() > 0:
            precision[j] = C[j, j] / C[:, j].sum()
        if C[j].sum() > 0:
            recall[j] = C[j, j] / C[j].sum()
    return precision, recall


@pytest.mark.parametrize("answer", [precision_recall_nan_to_num, precision_recall_loop])
def test_ex3_other_right_answers_pass(answer, capsys):
    check.ex3_precision_recall(answer)
    assert capsys.readouterr().out == PASS[3]


def test_ex3_the_first_matrix_has_an_empty_row_and_an_empty_column():
    C = check.C_EMPTY
    assert (C.sum(0) == 0).any() and (C.sum(1) == 0).any()
    precision, recall = check._precision_recall(C)
    assert precision.tolist() == pytest.approx([5 / 8, 6 / 9, 0, 0])
    assert recall.tolist() == pytest.approx([5 / 6, 6 / 9, 0, 0])
    assert all(math.isfinite(x) for x in precision.tolist() + recall.tolist())


def test_ex3_nan_in_recall_only_gets_the_zero_division_hint():
    def nan_recall(C):
        return check._precision_recall(C)[0], C.diag() / C.sum(1)

    fails_with(check.ex3_precision_recall, nan_recall, check.NAN)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda C: check._precision_recall(C)[0], "return two values (precision, recall)"),
        (
            lambda C: (check._precision_recall(C)[0].mean(), check._precision_recall(C)[1]),
            "has shape ()",
        ),
        (
            lambda C: (check._precision_recall(C)[0].tolist(), check._precision_recall(C)[1]),
            "got list",
        ),
        (lambda C: (check._precision_recall(C)[0], check._precision_recall(C)[1] * 0.9), "recall"),
    ],
)
def test_ex3_other_mistakes_get_a_general_hint(answer, hint):
    fails_with(check.ex3_precision_recall, answer, hint)
