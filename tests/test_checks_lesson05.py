"""The checkers of lesson 05: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
import torch.nn.functional as F
from conftest import fails_with
from torch import nn

from fmnist_core.checks import lesson05 as check

# Exercise 1: MSE for every reduction


def right_mse(pred, target, reduction="mean"):
    return F.mse_loss(pred, target, reduction=reduction)


def test_ex1_right_answer_passes(capsys):
    check.ex1_mse(right_mse)
    assert "练习 1 通过" in capsys.readouterr().out


def test_ex1_sum_for_mean():
    def answer(pred, target, reduction="mean"):
        sq = (pred - target) ** 2
        return sq if reduction == "none" else sq.sum()

    fails_with(check.ex1_mse, answer, "divide by the number of elements N (wrong reduction)")


def test_ex1_half():
    def answer(pred, target, reduction="mean"):
        return 0.5 * F.mse_loss(pred, target, reduction=reduction)

    fails_with(check.ex1_mse, answer, "an extra 1/2")


def test_ex1_batch_size_only():
    def answer(pred, target, reduction="mean"):
        sq = (pred - target) ** 2
        return {"none": sq, "sum": sq.sum()}.get(reduction, sq.sum() / pred.shape[0])

    fails_with(check.ex1_mse, answer, "divided by the batch size only")


def test_ex1_abs_instead_of_square():
    def answer(pred, target, reduction="mean"):
        return F.l1_loss(pred, target, reduction=reduction)

    fails_with(check.ex1_mse, answer, "you computed absolute values (L1)")


def test_ex1_rmse():
    def answer(pred, target, reduction="mean"):
        return F.mse_loss(pred, target, reduction=reduction).sqrt()

    fails_with(check.ex1_mse, answer, "square root (RMSE)")


def test_ex1_mean_for_sum():
    def answer(pred, target, reduction="mean"):
        return F.mse_loss(pred, target, reduction="none" if reduction == "none" else "mean")

    fails_with(check.ex1_mse, answer, "with reduction='sum' do not divide by N")


def test_ex1_none_reduced():
    def answer(pred, target, reduction="mean"):
        return F.mse_loss(pred, target, reduction="mean" if reduction == "none" else reduction)

    fails_with(check.ex1_mse, answer, "reduction='none' returns the loss of each element")


def test_ex1_wrong_default():
    def answer(pred, target, reduction="sum"):
        return F.mse_loss(pred, target, reduction=reduction)

    fails_with(check.ex1_mse, answer, "the default reduction should be 'mean'")


# Exercise 2: Huber


def right_huber(pred, target, delta=1.0):
    return nn.HuberLoss(delta=delta)(pred, target)


def test_ex2_right_answer_passes(capsys):
    check.ex2_huber(right_huber)
    assert "练习 2 通过" in capsys.readouterr().out


def test_ex2_smooth_l1_instead():
    def answer(pred, target, delta=1.0):
        return F.smooth_l1_loss(pred, target, beta=delta)

    fails_with(check.ex2_huber, answer, "this is SmoothL1Loss(beta=delta)")


def test_ex2_linear_piece_without_offset():
    def answer(pred, target, delta=1.0):
        e = (pred - target).abs()
        return torch.where(e <= delta, 0.5 * e**2, delta * e).mean()

    fails_with(check.ex2_huber, answer, "the linear piece lacks -0.5·delta")


def test_ex2_quadratic_without_half():
    def answer(pred, target, delta=1.0):
        e = (pred - target).abs()
        return torch.where(e <= delta, e**2, delta * (e - 0.5 * delta)).mean()

    fails_with(check.ex2_huber, answer, "the quadratic piece lacks the 0.5")


def test_ex2_sum():
    def answer(pred, target, delta=1.0):
        return F.huber_loss(pred, target, delta=delta, reduction="sum")

    fails_with(check.ex2_huber, answer, "wrong reduction")


def test_ex2_pieces_swapped():
    def answer(pred, target, delta=1.0):
        e = (pred - target).abs()
        return torch.where(e > delta, 0.5 * e**2, delta * (e - 0.5 * delta)).mean()

    fails_with(check.ex2_huber, answer, "the pieces are swapped")


# Exercise 3: the gradient of L1


def right_l1_grad(pred, target):
    return torch.sign(pred - target) / pred.numel()


def test_ex3_right_answer_passes(capsys):
    check.ex3_l1_grad(right_l1_grad)
    assert "练习 3 通过" in capsys.readouterr().out


def test_ex3_autograd_answer_passes():
    def answer(pred, target):
        p = pred.clone().requires_grad_(True)
        F.l1_loss(p, target).backward()
        return p.grad

    check.ex3_l1_grad(answer)


def test_ex3_missing_mean():
    fails_with(check.ex3_l1_grad, lambda p, t: torch.sign(p - t), "a missing 1/N")


def test_ex3_subgradient_at_zero():
    fails_with(
        check.ex3_l1_grad,
        lambda p, t: torch.where(p - t >= 0, 1.0, -1.0) / p.numel(),
        "PyTorch takes the subgradient 0",
    )


def test_ex3_sign_flipped():
    fails_with(check.ex3_l1_grad, lambda p, t: torch.sign(t - p) / p.numel(), "the sign is flipped")


def test_ex3_mse_gradient():
    fails_with(
        check.ex3_l1_grad, lambda p, t: 2 * (p - t) / p.numel(), "this is the derivative of MSELoss"
    )


def test_ex3_batch_size_only():
    fails_with(
        check.ex3_l1_grad,
        lambda p, t: torch.sign(p - t) / p.shape[0],
        "divided by the batch size only",
    )


# Exercise 4: shapes


def test_ex4_right_answers_pass(capsys):
    check.ex4_shapes(lambda p, t: nn.MSELoss()(p.squeeze(1), t))
    check.ex4_shapes(lambda p, t: nn.MSELoss()(p, t.unsqueeze(1)))
    assert capsys.readouterr().out.count("练习 4 通过") == 2


def test_ex4_broadcast_bug():
    def answer(pred, target):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return nn.MSELoss()(pred, target)

    fails_with(check.ex4_shapes, answer, "broadcast to (N, N)")


def test_ex4_right_value_but_warning():
    def answer(pred, target):
        nn.MSELoss()(pred, target)  # warns, result thrown away
        return nn.MSELoss()(pred.squeeze(1), target)

    fails_with(check.ex4_shapes, answer, "PyTorch warned about different sizes")


def test_ex4_sum():
    fails_with(
        check.ex4_shapes,
        lambda p, t: nn.MSELoss(reduction="sum")(p.squeeze(1), t),
        "wrong reduction",
    )


def test_pass_lines_fit_in_100_characters(capsys):
    check.ex1_mse(right_mse)
    check.ex2_huber(right_huber)
    check.ex3_l1_grad(right_l1_grad)
    check.ex4_shapes(lambda p, t: nn.MSELoss()(p.squeeze(1), t))
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and max(len(line) for line in lines) <= 100, lines


def test_unfinished_exercise_raises_not_implemented():
    def unfinished(*args, **kwargs):
        raise NotImplementedError()

    for checker in (check.ex1_mse, check.ex2_huber, check.ex3_l1_grad, check.ex4_shapes):
        with pytest.raises(NotImplementedError):
            checker(unfinished)
