"""The checkers of lesson 12: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import itertools
import math

import pytest
import torch
from conftest import fails_with
from torch import nn

from fmnist_core.checks import lesson12 as check

PASS = {
    1: "✓ 练习 1 通过：均值取 out[:, 0]，方差是 exp(2·log σ)\n"
    "✓ Exercise 1 passed: the mean is out[:, 0], the variance exp(2·log σ)",
    2: "✓ 练习 2 通过：三帧里 [l] 有 6 条对齐，[a, b] 有 5 条，[a, a] 只有 a∅a 一条\n"
    "✓ Exercise 2 passed: in three frames [l] has 6 alignments, [a, b] 5, [a, a] only a∅a",
}


def gaussian_head_loss(out, y):
    """The answer of the notebook's solution cell."""
    mean = out[:, 0]
    var = torch.exp(2 * out[:, 1])
    return nn.GaussianNLLLoss()(mean, y, var)


def gaussian_head_loss_by_hand(out, y):
    """Another right answer: the formula written out, with y as a column like the mean."""
    mean, log_sigma = out[:, :1], out[:, 1:]
    return (log_sigma + (y.unsqueeze(1) - mean) ** 2 / (2 * torch.exp(2 * log_sigma))).mean()


def ctc_loss_t3(log_probs, label):
    """The answer of the notebook's solution cell."""
    y = log_probs.exp()
    if len(label) == 1:
        (s,) = label
        paths = [(s, s, s), (s, s, 0), (s, 0, 0), (0, s, s), (0, s, 0), (0, 0, s)]
    elif label[0] != label[1]:
        a, b = label
        paths = [(a, b, 0), (a, 0, b), (0, a, b), (a, a, b), (a, b, b)]
    else:
        paths = [(label[0], 0, label[0])]
    p = sum(y[0, i] * y[1, j] * y[2, k] for i, j, k in paths)
    return -torch.log(p) / len(label)


def ctc_alpha_recursion(log_probs, label):
    """Another right answer: the α recursion of section 7.1 written out for three frames."""
    y = log_probs.exp()
    ext = [0]
    for s in label:
        ext += [s, 0]
    alpha = [y[0, 0], y[0, ext[1]]] + [0.0] * (len(ext) - 2)
    for t in (1, 2):
        alpha = [
            (
                alpha[s]
                + (alpha[s - 1] if s >= 1 else 0.0)
                + (alpha[s - 2] if s >= 2 and ext[s] != 0 and ext[s] != ext[s - 2] else 0.0)
            )
            * y[t, ext[s]]
            for s in range(len(ext))
        ]
    return float(-math.log(alpha[-1] + alpha[-2]) / len(label))


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_fix_gaussian_head, gaussian_head_loss, 1),
        (check.ex1_fix_gaussian_head, gaussian_head_loss_by_hand, 1),
        (check.ex2_ctc_by_hand, ctc_loss_t3, 2),
        (check.ex2_ctc_by_hand, ctc_alpha_recursion, 2),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_generator_of_wrong_answers_is_right_with_no_switch():
    for case in check.HEAD_CASES:
        torch.testing.assert_close(
            check._head_outcome(check._head(), case), check._head_outcome(gaussian_head_loss, case)
        )


def test_each_bug_of_the_notebook_shows_in_its_own_cases_only():
    wrong = {"variance": check._head(var="sigma"), "shape": check._head(mean="slice")}
    shows = {
        name: [
            not torch.allclose(
                check._head_outcome(answer, case), check._head_outcome(gaussian_head_loss, case)
            )
            for case in check.HEAD_CASES
        ]
        for name, answer in wrong.items()
    }
    assert shows == {
        "variance": [False, True, False, True, True],
        "shape": [False, False, True, True, True],
    }


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda out, y: gaussian_head_loss(out, y).detach(), "the loss must be differentiable"),
        (lambda out, y: gaussian_head_loss(out, y) + 0.1, "the loss of 1 sample with σ = 1"),
    ],
)
def test_other_gaussian_mistakes_get_a_general_hint(answer, hint):
    fails_with(check.ex1_fix_gaussian_head, answer, hint)


def test_the_paths_are_those_that_collapse_to_the_label():
    def collapse(path):
        return [k for i, k in enumerate(path) if k != 0 and (i == 0 or k != path[i - 1])]

    for label in check.LABELS:
        every = [p for p in itertools.product(range(4), repeat=3) if collapse(p) == label]
        assert sorted(check._paths(label, "right")) == sorted(every), label


def test_the_ctc_reference_is_nn_ctcloss():
    for k, label in enumerate(check.LABELS):
        log_probs = check._ctc_inputs(k)
        theirs = nn.CTCLoss()(
            log_probs[:, None], torch.tensor([label]), torch.tensor([3]), torch.tensor([len(label)])
        )
        torch.testing.assert_close(check._ctc_reference(log_probs, label), theirs)
        torch.testing.assert_close(check._ctc()(log_probs, label), theirs)


def test_the_ctc_mistakes_differ_from_each_other_and_from_the_answer():
    # 在各自第一个出错的情形上，每个错误答案的值都与正确值和其他错误答案不同
    # / where each wrong answer first goes wrong, its value differs from the right one and the rest
    table = check.MISTAKES["ex2_ctc_by_hand"][:-2]  # the last two are refused, not compared
    for k, label in enumerate(check.LABELS):
        log_probs = check._ctc_inputs(k)
        values = [ctc_loss_t3(log_probs, label).item()] + [
            float(m.answer(log_probs, label)) for m in table
        ]
        right = values[0]
        wrong = sorted({round(v, 6) for v in values[1:] if not math.isclose(v, right)})
        assert all(abs(v - right) > 1e-3 for v in wrong), (label, wrong)


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda log_probs, label: "2.5", "return one number (a one-element tensor), got str"),
        (
            lambda log_probs, label: ctc_loss_t3(log_probs, label) * (len(label) == 1) + 1.0,
            "ctc_loss_t3(log_probs, [2]) is",
        ),
        (
            lambda log_probs, label: ctc_loss_t3(log_probs, label) + 0.5 * (len(label) == 2),
            "list again the three-frame paths that collapse to [a, b]",
        ),
        (
            lambda log_probs, label: ctc_loss_t3(log_probs, label) + 0.5 * (label == [2, 2]),
            "two equal symbols need a blank between them",
        ),
    ],
)
def test_other_ctc_mistakes_get_a_hint_for_their_kind_of_target(answer, hint):
    fails_with(check.ex2_ctc_by_hand, answer, hint)


def test_pass_lines_fit_in_100_characters(capsys):
    check.ex1_fix_gaussian_head(gaussian_head_loss)
    check.ex2_ctc_by_hand(ctc_loss_t3)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and max(len(line) for line in lines) <= 100, lines


def test_the_lessons_own_ctc_helpers_are_refused():
    # 借用第 7.2 节的 ctc_nll（这里用参考答案代替它）不算自己找对齐
    # / borrowing section 7.2's ctc_nll (the reference stands in for it) is not finding the paths
    space = {"_reference": check._ctc()}
    exec(
        "def ctc_nll(lp, label):\n    return _reference(lp, label)\n\n"
        "def ctc_loss_t3(log_probs, label):\n    return ctc_nll(log_probs, label)\n",
        space,
    )
    fails_with(check.ex2_ctc_by_hand, space["ctc_loss_t3"], "ctc_nll")
    assert space["ctc_nll"] is not None and "_refuse" not in repr(space["ctc_nll"])  # restored
