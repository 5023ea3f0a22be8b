"""The checkers of lesson 03: right answers pass with the pass line. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import ast
import inspect
import textwrap
from pathlib import Path

import pytest
import torch
from conftest import fails_with

from fmnist_core.checks import lesson03 as check

LESSON = Path(__file__).resolve().parents[1] / "notebooks" / "03_training_loop.py"
PASS_1 = (
    "✓ 练习 1 通过：三个错误都修好了，参数与每轮的损失、准确率都对\n"
    "✓ Exercise 1 passed: all three bugs fixed; parameters, losses and accuracies right\n"
)
PASS_2 = (
    "✓ 练习 2 通过：平方误差缩小为 1/7，即 4 × (7/8) / (1/2)\n"
    "✓ Exercise 2 passed: the squared error falls to 1/7, i.e. 4 × (7/8) / (1/2)\n"
)
PASS_3 = (
    "✓ 练习 3 通过：累积微批次的一步与整个批次的一步相同\n"
    "✓ Exercise 3 passed: the accumulated step equals one step on the whole batch\n"
)


# --- Exercise 1 ------------------------------------------------------------------------------


def fit_fixed(model, train_loader, val_loader, loss_fn, optimizer, epochs):
    history = []
    for _ in range(epochs):
        model.train()
        total, count = 0.0, 0
        for X, y in train_loader:
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            total += loss.item() * len(y)
            count += len(y)
        model.eval()
        correct = 0
        with torch.no_grad():
            for X, y in val_loader:
                correct += (model(X).argmax(1) == y).sum().item()
        history.append((total / count, correct / len(val_loader.dataset)))
    return history


def fit_tutorial_order(model, train_loader, val_loader, loss_fn, optimizer, epochs):
    """zero_grad before backward, train() switched back after the evaluation, a list of lists,
    the evaluation without no_grad and counted by hand: all still right."""
    history = []
    model.train()
    for _ in range(epochs):
        total = torch.zeros(())
        for X, y in train_loader:
            loss = loss_fn(model(X), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(y)
        model.eval()
        correct, seen = 0, 0
        for X, y in val_loader:
            correct += int((model(X).argmax(1) == y).sum())
            seen += len(y)
        model.train()
        history.append([total.item() / len(train_loader.dataset), correct / seen])
    return history


@pytest.mark.parametrize("answer", [fit_fixed, fit_tutorial_order])
def test_ex1_right_answers_pass(answer, capsys):
    check.ex1_fit(answer)
    assert capsys.readouterr().out == PASS_1


def _notebook_function(name):
    """The function ``name`` as the lesson's .py defines it, compiled on its own."""
    tree = ast.parse(LESSON.read_text(encoding="utf-8"))
    node = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    namespace = {"torch": torch}
    exec(compile(ast.Module([node], []), str(LESSON), "exec"), namespace)
    return namespace[name], ast.get_source_segment(LESSON.read_text(encoding="utf-8"), node)


def test_the_buggy_cell_is_the_checkers_buggy_fit_and_copying_it_fails():
    fit_buggy, source = _notebook_function("fit_buggy")
    mine = textwrap.dedent(inspect.getsource(check.buggy_fit))
    mine = mine.replace("def buggy_fit", "def fit_buggy")
    mine = "\n".join(line for line in mine.splitlines() if '"""' not in line)
    assert source.strip() == mine.strip()
    message = fails_with(check.ex1_fit, fit_buggy, (check.EVAL_LEFT_ON.zh, check.EVAL_LEFT_ON.en))
    assert "(the check found 2 more)" in message


def test_ex1_two_bugs_left_names_the_first_and_counts_the_other():
    two = check._fit(train_where="once", item=False)
    message = fails_with(check.ex1_fit, two, (check.EVAL_LEFT_ON.zh, check.EVAL_LEFT_ON.en))
    assert "(the check found 1 more)" in message
    fails_with(check.ex1_fit, check._fit(item=False, zero_where="between"), check.UNCHANGED.en)


def test_ex1_a_wrong_accuracy_gets_the_general_hint():
    def fit_batch_accuracy(model, train_loader, val_loader, loss_fn, optimizer, epochs):
        history = fit_fixed(model, train_loader, val_loader, loss_fn, optimizer, epochs)
        return [(loss, acc + 0.05) for loss, acc in history]

    fails_with(check.ex1_fit, fit_batch_accuracy, "the validation accuracy of epoch 1")


def test_ex1_a_wrong_shape_of_history_is_named():
    fails_with(check.ex1_fit, lambda *args: fit_fixed(*args)[-1], "one (training loss, validation")


# --- Exercise 2 ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ex2_truth_is_exactly_the_finite_population_formula(seed):
    # E‖g_B − g‖² = σ²/B · (n − B)/(n − 1) for every set of vectors: the ratio is 4 · 14/8 = 7
    assert check.noise_ratio(seed) == pytest.approx(7.0, rel=1e-9)


@pytest.mark.parametrize(
    "answer", [lambda: 7, lambda: 7.0, lambda: 4 * (1 - 2 / 16) / (1 - 8 / 16)]
)
def test_ex2_right_answers_pass(answer, capsys):
    check.ex2_noise_ratio(answer)
    assert capsys.readouterr().out == PASS_2


def test_ex2_an_unlisted_number_gets_the_reasoning_not_the_answer():
    message = fails_with(check.ex2_noise_ratio, lambda: 5, "then divide")
    assert "7" not in message


@pytest.mark.parametrize("answer", [lambda: "7", lambda: True, lambda: torch.tensor(7.0)])
def test_ex2_a_prediction_must_be_a_number(answer):
    fails_with(check.ex2_noise_ratio, answer, "return one number")


# --- Exercise 3 ------------------------------------------------------------------------------


def accumulate_zero_first(model, loss_fn, optimizer, micro_batches):
    """Clearing before the first backward instead of after the step, a sum-reduced loss: right."""
    optimizer.zero_grad()
    n = sum(len(y) for _, y in micro_batches)
    total = 0.0
    for X, y in micro_batches:
        loss = nn_sum(model(X), y) / n
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def nn_sum(logits, y):
    return torch.nn.functional.cross_entropy(logits, y, reduction="sum")


@pytest.mark.parametrize("answer", [check._accumulate(), accumulate_zero_first])
def test_ex3_right_answers_pass(answer, capsys):
    check.ex3_accumulate_step(answer)
    assert capsys.readouterr().out == PASS_3


def test_ex3_the_full_batch_reference_is_what_accumulation_reproduces():
    # the reference is not accumulation itself: one step on the concatenated batch
    right = check._run_accumulate(check._accumulate())
    full = check._run_accumulate(check._full_batch_step)
    assert all(check._same_step(a, b) for a, b in zip(right, full))


def test_ex3_a_tensor_loss_is_named():
    def returns_tensor(*args):
        return torch.tensor(check._accumulate()(*args))

    fails_with(check.ex3_accumulate_step, returns_tensor, "should be a Python float")


def test_ex3_another_wrong_step_gets_the_general_hint():
    def too_far(model, loss_fn, optimizer, micro_batches):
        loss = check._accumulate()(model, loss_fn, optimizer, micro_batches)
        with torch.no_grad():
            for p in model.parameters():
                p.add_(0.01)
        return loss

    fails_with(check.ex3_accumulate_step, too_far, "differ from one step on the whole batch")
