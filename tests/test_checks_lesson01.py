"""The checkers of lesson 01: a right answer passes; each anticipated mistake gets its own hint."""

import pytest
import torch
from conftest import fails_with
from torch import nn

import fmnist_core as fc
from fmnist_core.checks import lesson01 as check

# ---------------------------------------------------------------- exercise 1


def count_right(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def test_ex1_right_answer_passes(capsys):
    check.ex1_count_parameters(count_right)
    assert "练习 1 通过" in capsys.readouterr().out
    assert count_right([784, 512, 512, 10]) == fc.count_parameters(fc.NeuralNetwork()) == 669_706


def test_ex1_tensor_answer_is_accepted(capsys):
    check.ex1_count_parameters(lambda sizes: torch.tensor(count_right(sizes)))
    assert "Exercise 1 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda s: sum(a * b for a, b in zip(s, s[1:])), "only the weights were counted"),
        (lambda s: sum(a * b + a for a, b in zip(s, s[1:])), "one bias per output feature"),
        (lambda s: sum(a * b + b for a, b in zip(s[1:], s[2:])), "the first layer is missing"),
        (lambda s: sum((a + 1) * (b + 1) for a, b in zip(s, s[1:])), "counted too many"),
        (lambda s: 669_706, "wrong count"),
        (lambda s: "669706", "return an integer"),
    ],
)
def test_ex1_mistakes_are_named(wrong, hint):
    fails_with(check.ex1_count_parameters, wrong, hint)


def test_ex1_unfinished_raises():
    def unfinished(sizes):
        raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check.ex1_count_parameters(unfinished)


# ---------------------------------------------------------------- exercise 2


def deeper(layers_after_flatten, *, use_list=False, skip_flatten=False):
    """A DeeperNetwork-like class whose stack is built by ``layers_after_flatten()``."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten()
            if use_list:
                self.layers = layers_after_flatten()
            else:
                self.stack = nn.Sequential(*layers_after_flatten())

        def forward(self, x):
            if not skip_flatten:
                x = self.flatten(x)
            if use_list:
                for layer in self.layers:
                    x = layer(x)
                return x
            return self.stack(x)

    return Net


def right_layers():
    return [
        nn.Linear(784, 512),
        nn.ReLU(),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Linear(512, 512),
        nn.ReLU(),
        nn.Linear(512, 10),
    ]


def test_ex2_right_answer_passes(capsys):
    check.ex2_deeper_network(deeper(right_layers))
    assert "练习 2 通过" in capsys.readouterr().out


def test_ex2_functional_relu_passes(capsys):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.l1, self.l2 = nn.Linear(784, 512), nn.Linear(512, 512)
            self.l3, self.l4 = nn.Linear(512, 512), nn.Linear(512, 10)

        def forward(self, x):
            x = x.flatten(1)
            x = torch.relu(self.l1(x))
            x = torch.relu(self.l2(x))
            return self.l4(torch.relu(self.l3(x)))

    check.ex2_deeper_network(Net)
    assert "Exercise 2 passed" in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (deeper(right_layers, use_list=True), "a plain Python list is not registered"),
        (fc.NeuralNetwork, "one more hidden layer"),
        (
            deeper(
                lambda: [
                    nn.Linear(784, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.ReLU(),
                    nn.Linear(512, 256),
                    nn.ReLU(),
                    nn.Linear(256, 10),
                ]
            ),
            "the Linear layers have sizes",
        ),
        (
            deeper(
                lambda: [
                    nn.Linear(784, 512),
                    nn.Linear(512, 512),
                    nn.Linear(512, 512),
                    nn.Linear(512, 10),
                ]
            ),
            "the model is linear",
        ),
        (deeper(lambda: right_layers() + [nn.ReLU()]), "no ReLU after the last layer"),
        (
            deeper(
                lambda: [
                    nn.Linear(784, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.Linear(512, 10),
                ]
            ),
            "only 2 ReLU modules",
        ),
        (deeper(right_layers, skip_flatten=True), "flatten (N, 1, 28, 28) to (N, 784)"),
        (
            deeper(
                lambda: [
                    nn.Linear(784, 512),
                    nn.ReLU(),
                    nn.Linear(512, 512),
                    nn.Linear(512, 512),
                    nn.ReLU(),
                    nn.ReLU(),
                    nn.Linear(512, 10),
                ]
            ),
            "check the order of the layers",
        ),
        (nn.Linear.__new__, "should subclass nn.Module"),
    ],
)
def test_ex2_mistakes_are_named(wrong, hint):
    if wrong is nn.Linear.__new__:
        wrong = lambda: object()  # noqa: E731 - not a module at all
    fails_with(check.ex2_deeper_network, wrong, hint)


def test_ex2_missing_super_init_raises_the_real_error():
    class Net(nn.Module):
        def __init__(self):
            self.flatten = nn.Flatten()

    with pytest.raises(AttributeError, match="before Module.__init__"):
        check.ex2_deeper_network(Net)


# ---------------------------------------------------------------- exercise 3


def proba_right(model, X):
    with torch.no_grad():
        return torch.softmax(model(X), dim=1)


def test_ex3_right_answer_passes(capsys):
    check.ex3_predict_proba(proba_right)
    assert "练习 3 通过" in capsys.readouterr().out


def no_grad(f):
    def answer(model, X):
        with torch.no_grad():
            return f(model(X))

    return answer


@pytest.mark.parametrize(
    "wrong, hint",
    [
        (lambda model, X: torch.softmax(model(X), dim=1), "predict inside torch.no_grad()"),
        (no_grad(lambda z: z), "these are the logits"),
        (no_grad(lambda z: torch.softmax(z, dim=0)), "use the class dimension, dim=1"),
        (no_grad(lambda z: torch.log_softmax(z, dim=1)), "log-probabilities"),
        (no_grad(torch.sigmoid), "rows do not sum to 1"),
        (no_grad(lambda z: z.argmax(1)), "has shape (8,), expected (8, 10)"),
        (lambda model, X: [0.1] * 10, "return a torch.Tensor"),
    ],
)
def test_ex3_mistakes_are_named(wrong, hint):
    fails_with(check.ex3_predict_proba, wrong, hint)


# ---------------------------------------------------------------- exercise 4


def reload_right(model, path):
    torch.save(model.state_dict(), path)
    new = fc.NeuralNetwork()
    new.load_state_dict(torch.load(path, weights_only=True))
    return new


def test_ex4_right_answer_passes(capsys):
    check.ex4_save_and_reload(reload_right)
    assert "练习 4 通过" in capsys.readouterr().out


def test_ex4_mistakes_are_named():
    def no_file(model, path):
        new = fc.NeuralNetwork()
        new.load_state_dict(model.state_dict())
        return new

    fails_with(check.ex4_save_and_reload, no_file, "no file was written")

    def whole_model(model, path):
        torch.save(model, path)
        return torch.load(path, weights_only=False)

    fails_with(check.ex4_save_and_reload, whole_model, "not the whole model")

    def same_object(model, path):
        torch.save(model.state_dict(), path)
        return model

    fails_with(check.ex4_save_and_reload, same_object, "you returned the original model")

    def not_loaded(model, path):
        torch.save(model.state_dict(), path)
        return fc.NeuralNetwork()

    fails_with(check.ex4_save_and_reload, not_loaded, "did you forget")

    def shares(model, path):
        torch.save(model.state_dict(), path)
        new = fc.NeuralNetwork()
        new.linear_relu_stack = model.linear_relu_stack
        return new

    fails_with(check.ex4_save_and_reload, shares, "shares memory")

    def returns_dict(model, path):
        torch.save(model.state_dict(), path)
        return torch.load(path, weights_only=True)

    fails_with(check.ex4_save_and_reload, returns_dict, "return an fc.NeuralNetwork")
