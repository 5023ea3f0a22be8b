"""The checkers of lesson 09: right answers pass with their pass lines. The anticipated mistakes
(``check.MISTAKES``) are tried in test_checks_mistakes.py; here only what a table cannot say."""

import copy

import pytest
import torch
from conftest import fails_with
from torch import nn
from torch.optim import lr_scheduler

from fmnist_core.checks import lesson09 as check

PASS = {
    1: "✓ 练习 1 通过：PolynomialLR 的公式正确 / Exercise 1 passed: PolynomialLR's formula",
    2: "✓ 练习 2 通过：第一次降低在第 14 次更新（4 + 10），第二个调度器的时钟从 0 重新开始\n"
    "✓ Exercise 2 passed: the first drop is at update 14 = 4 + 10 (the second clock restarts)",
    3: "✓ 练习 3 通过：续跑与不间断的训练逐位相同（在预热中和预热后各中断一次）\n"
    "✓ Exercise 3 passed: both resumed runs equal the uninterrupted one bit for bit",
}


def poly_lr(t, lr0, total_iters, power):
    return lr0 * (1 - min(t, total_iters) / total_iters) ** power


def make_warmup_cosine(optimizer, start_factor, warmup, total):
    """The notebook's section 5 helper, which its ``resume`` calls."""
    warm = lr_scheduler.LinearLR(
        optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup
    )
    cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=total - warmup)
    return lr_scheduler.SequentialLR(optimizer, schedulers=[warm, cosine], milestones=[warmup])


def resume(checkpoint):
    """The answer of the notebook's solution cell."""
    model = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))
    model.load_state_dict(checkpoint["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    return model, optimizer, scheduler


def resume_scheduler_first(checkpoint):
    """Another right answer: the scheduler's state first, then the optimizer's (which brings the
    lr back), from a deep copy of the checkpoint."""
    checkpoint = copy.deepcopy(checkpoint)
    model = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    scheduler = make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)
    scheduler.load_state_dict(checkpoint["scheduler"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    model.load_state_dict(checkpoint["model"])
    return [model, optimizer, scheduler]


def resume_lr_put_back(checkpoint):
    """Another right answer: the optimizer loaded before the scheduler is built, and the lr the
    scheduler's constructor wrote replaced by the one the scheduler had reached."""
    model = nn.Sequential(nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3))
    model.load_state_dict(checkpoint["model"])
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler = make_warmup_cosine(optimizer, start_factor=0.1, warmup=5, total=30)
    scheduler.load_state_dict(checkpoint["scheduler"])
    optimizer.param_groups[0]["lr"] = scheduler.get_last_lr()[0]
    return model, optimizer, scheduler


def resume_with_relu(checkpoint):
    """Every state restored, into a model with ReLU in place of Tanh: the same keys, other steps."""
    model, optimizer, scheduler = resume(checkpoint)
    model[1] = nn.ReLU()
    return model, optimizer, scheduler


@pytest.mark.parametrize(
    "checker, answer, line",
    [
        (check.ex1_poly_lr, poly_lr, 1),
        (check.ex2_first_drop, lambda: 14, 2),
        (check.ex2_first_drop, lambda: torch.tensor(14), 2),
        (check.ex3_resume, resume, 3),
        (check.ex3_resume, resume_scheduler_first, 3),
        (check.ex3_resume, resume_lr_put_back, 3),
    ],
)
def test_right_answers_pass(checker, answer, line, capsys):
    checker(answer)
    assert capsys.readouterr().out == PASS[line] + "\n"


def test_the_first_drop_is_update_14():
    lrs = check.scheduler_trace(check._drop_scheduler, 20, 0.1)
    torch.testing.assert_close(lrs[13:16], torch.tensor([0.1, 0.01, 0.01], dtype=torch.float64))
    assert check._first_drop() == 14


def test_the_resume_mistakes_change_one_thing_of_a_right_resume():
    # with nothing left out, the generator of the wrong answers is a right answer
    check.ex3_resume(check._resume())


def test_a_fresh_adam_moves_every_weight_by_the_learning_rate():
    # what FRESH_ADAM says (and section 8.4 shows): the first step of a new Adam is lr · sign(g)
    batches = check._batches()
    stopped = check._new_run()
    check._train(stopped, 0, 12, batches)
    resumed = check._resume(optimizer=False)(check._checkpoint(stopped))
    before = [p.detach().clone() for p in resumed[0].parameters()]
    lr = resumed[1].param_groups[0]["lr"]
    check._train(resumed, 12, 13, batches)
    moved = torch.cat(
        [(p.detach() - b).abs().flatten() for p, b in zip(resumed[0].parameters(), before)]
    )
    torch.testing.assert_close(moved / lr, torch.ones_like(moved), rtol=0, atol=1e-3)


@pytest.mark.parametrize(
    "checker, answer, hint",
    [
        (check.ex1_poly_lr, lambda *args: poly_lr(*args) / 2, "constant factor: 0.5 times"),
        (check.ex2_first_drop, lambda: 12, "not 12. SequentialLR hands"),
        (check.ex2_first_drop, lambda: "14", "return one integer, got str"),
        (
            check.ex3_resume,
            lambda checkpoint: (nn.Linear(2, 2),) + resume(checkpoint)[1:],
            "the optimizer does not update the returned model's parameters",
        ),
        (
            check.ex3_resume,
            lambda checkpoint: (
                resume(checkpoint)[:2]
                + (
                    make_warmup_cosine(
                        torch.optim.Adam([nn.Parameter(torch.zeros(1))]), 0.1, 5, 30
                    ),
                )
            ),
            "the scheduler does not wrap the returned optimizer",
        ),
        (
            check.ex3_resume,
            resume_with_relu,
            "the parameters differ from the uninterrupted run's",
        ),
    ],
)
def test_other_mistakes_get_a_general_hint(checker, answer, hint):
    fails_with(checker, answer, hint)
