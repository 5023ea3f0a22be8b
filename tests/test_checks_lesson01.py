"""The checkers of lesson 01: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import pytest
import torch
from conftest import fails_with
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson01 as check

PASS = {
    1: "✓ 练习 1 通过：参数个数与 PyTorch 一致 / Exercise 1 passed: the counts match PyTorch",
    2: "✓ 练习 2 通过：四个 Linear、三个 ReLU，输出 (N, 10) / Exercise 2 passed: four Linear, three "
    "ReLU, output (N, 10)",
    3: "✓ 练习 3 通过：每行是 10 个类别的概率，和为 1 / Exercise 3 passed: each row holds 10 "
    "probabilities summing to 1",
    4: "✓ 练习 4 通过：载入的模型给出完全相同的输出 / Exercise 4 passed: the reloaded model gives "
    "identical outputs",
}


def count(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


class Deeper(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(
            *(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU()),
            *(nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10)),
        )

    def forward(self, x):
        return self.stack(self.flatten(x))


class DeeperFunctional(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = nn.Linear(784, 512), nn.Linear(512, 512)
        self.l3, self.l4 = nn.Linear(512, 512), nn.Linear(512, 10)

    def forward(self, x):
        x = torch.relu(self.l1(x.flatten(1)))
        return self.l4(torch.relu(self.l3(torch.relu(self.l2(x)))))


def proba(model, X):
    with torch.no_grad():
        return torch.softmax(model(X), dim=1)


def save_and_reload(model, path):
    torch.save(model.state_dict(), path)
    new = fc.NeuralNetwork()
    new.load_state_dict(torch.load(path, weights_only=True))
    return new


@pytest.mark.parametrize(
    "checker, answer",
    [
        (check.ex1_count_parameters, count),
        (check.ex1_count_parameters, lambda sizes: torch.tensor(count(sizes))),
        (check.ex2_deeper_network, Deeper),
        (check.ex2_deeper_network, DeeperFunctional),
        (check.ex3_predict_proba, proba),
        (check.ex4_save_and_reload, save_and_reload),
    ],
)
def test_right_answers_pass(checker, answer, capsys):
    checker(answer)
    exercise = int(checker.__name__[2])  # ex1_... is exercise 1
    assert capsys.readouterr().out == PASS[exercise] + "\n"


def test_the_course_model_has_the_count_of_exercise_1():
    assert count([784, 512, 512, 10]) == fc.count_parameters(fc.NeuralNetwork()) == 669_706


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_count_parameters, lambda sizes: "669706", "return one integer, got str"),
        (check.ex1_count_parameters, lambda sizes: 669_706, "wrong count: Linear(a, b) has"),
        (check.ex3_predict_proba, lambda model, X: proba(model, X).argmax(1), "shape (8,)"),
        (check.ex3_predict_proba, lambda model, X: [0.1] * 10, "return a torch.Tensor, got list"),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)


def test_exceptions_from_the_learners_code_are_not_hidden():
    class NoSuperInit(nn.Module):
        def __init__(self):
            self.flatten = nn.Flatten()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        check.ex2_deeper_network(NoSuperInit)
