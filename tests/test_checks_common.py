"""The shared checker helpers: the generic hints fit their exercise, and nan/inf get their own."""

import pytest
import torch

from fmnist_core.checks import LOSS_FACTOR_HINT, CheckFailed, check_close, expect_number, passed


def test_a_constant_factor_names_mean_and_n_only_for_losses():
    with pytest.raises(CheckFailed) as plain:
        check_close(torch.tensor([2.0, 4.0]), torch.tensor([1.0, 2.0]))
    assert "constant factor: 2 times" in str(plain.value) and "division by N" not in str(
        plain.value
    )
    with pytest.raises(CheckFailed) as loss:
        check_close(
            torch.tensor([2.0, 4.0]), torch.tensor([1.0, 2.0]), factor_hint=LOSS_FACTOR_HINT
        )
    assert "division by N" in str(loss.value)


def test_nan_and_inf_get_their_own_hint():
    with pytest.raises(CheckFailed, match="nan or inf"):
        check_close(torch.tensor([float("nan"), 1.0]), torch.tensor([1.0, 1.0]))
    with pytest.raises(CheckFailed, match="wrong sign"):
        check_close(torch.tensor([-1.0, -2.0]), torch.tensor([1.0, 2.0]))


def test_pass_lines_fit_on_screen(capsys):
    passed("短", "short")
    assert capsys.readouterr().out == "✓ 短 / short\n"
    passed("很长" * 30, "long " * 15)
    assert all(len(line) <= 100 for line in capsys.readouterr().out.splitlines())


def test_a_predicted_number_must_be_one_finite_number():
    assert expect_number(3) == 3.0 and expect_number(torch.tensor([2.5])) == 2.5
    for wrong, hint in [("3", "str"), (True, "bool"), (torch.ones(2), "Tensor"), (None, "None")]:
        with pytest.raises(CheckFailed, match=hint):
            expect_number(wrong)
    with pytest.raises(CheckFailed, match="finite"):
        expect_number(float("inf"))
