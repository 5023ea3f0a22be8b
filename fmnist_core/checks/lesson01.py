"""Checks for the exercises of lesson 01 (the model).

The anticipated mistakes of each exercise are data (``MISTAKES``): each wrong answer with its hint.
"""

import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..model import NeuralNetwork
from . import (
    Mistake,
    check_close,
    expect,
    expect_integer,
    fail,
    matching_hint,
    passed,
    wrap_checkers,
    wrong_values,
)

MISTAKES = {}  # exercise -> its anticipated mistakes, filled below beside each checker

# ---------------------------------------------------------------- exercise 1: count the parameters

MISTAKES["ex1_count_parameters"] = [
    Mistake(
        lambda sizes: sum(a * b for a, b in zip(sizes, sizes[1:])),
        "只数了权重，忘了偏置：每个 Linear(a, b) 还有 b 个偏置",
        "only the weights were counted: each Linear(a, b) also has b biases",
    ),
    Mistake(
        lambda sizes: sum(a * b + a for a, b in zip(sizes, sizes[1:])),
        "偏置的个数等于输出特征数 b，不是输入特征数 a",
        "there is one bias per output feature (b), not per input feature (a)",
    ),
    Mistake(
        lambda sizes: sum(a * b + b for a, b in zip(sizes[1:], sizes[2:])),
        "漏掉了第一层：sizes 中相邻的每一对都是一层",
        "the first layer is missing: every adjacent pair in sizes is one layer",
    ),
    Mistake(
        lambda sizes: sum((a + 1) * (b + 1) for a, b in zip(sizes, sizes[1:])),
        "多数了：Linear(a, b) 有 a·b + b 个参数",
        "counted too many: Linear(a, b) has a*b + b parameters",
    ),
]


def ex1_count_parameters(count_mlp_parameters):
    """``count_mlp_parameters(sizes)``: parameters of Linear layers sizes[0] -> sizes[1] -> ... ."""
    for sizes in [[784, 512, 512, 10], [784, 256, 10], [784, 128, 64, 10], [3, 2], [10, 1, 5]]:
        layers = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
        want = sum(p.numel() for layer in layers for p in layer.parameters())
        got = expect_integer(count_mlp_parameters(list(sizes)))
        if got != want:
            zh, en = matching_hint(
                got,
                wrong_values(MISTAKES["ex1_count_parameters"], sizes),
                otherwise=(
                    "参数个数不对：Linear(a, b) 有 a·b 个权重和 b 个偏置",
                    "wrong count: Linear(a, b) has a*b weights and b biases",
                ),
            )
            fail(
                f"{zh}（sizes={sizes}：得到 {got}，应为 {want}）",
                f"{en} (sizes={sizes}: got {got}, expected {want})",
            )
    passed("练习 1 通过：参数个数与 PyTorch 一致", "Exercise 1 passed: the counts match PyTorch")


# ---------------------------------------------------------------- exercise 2: a deeper network

R = "ReLU"  # a ReLU in the layers of _net


def _net(*layers, flatten=True, plain_list=False):
    """A wrong DeeperNetwork: ``_net(784, 512, R, 10)`` is Flatten, then Linear(784, 512), ReLU,
    Linear(512, 10) (a number is a width, ``R`` a ReLU)."""

    def stack():
        modules, width = [], layers[0]
        for layer in layers[1:]:
            if layer == R:
                modules.append(nn.ReLU())
            else:
                modules.append(nn.Linear(width, layer))
                width = layer
        return modules

    class DeeperNetwork(nn.Module):
        def __init__(self):
            super().__init__()
            self.flatten = nn.Flatten() if flatten else nn.Identity()
            self.stack = stack() if plain_list else nn.Sequential(*stack())

        def forward(self, x):
            x = self.flatten(x)
            for layer in self.stack:
                x = layer(x)
            return x

    return DeeperNetwork


LINEARS = [(784, 512), (512, 512), (512, 512), (512, 10)]
NOT_A_MODULE = Mistake(
    object, "DeeperNetwork 要继承 nn.Module", "DeeperNetwork should subclass nn.Module"
)
NOT_REGISTERED = Mistake(
    _net(784, 512, R, 512, R, 512, R, 10, plain_list=True),
    "模型没有注册任何参数：把层赋给 self 的属性或放进 nn.Sequential，普通列表不会被注册",
    "the model registers no parameters: assign the layers to attributes of self or put "
    "them in nn.Sequential; a plain Python list is not registered",
)
COURSE_MODEL = Mistake(
    NeuralNetwork,
    "参数个数 669,706 与课程模型相同：还差一个隐藏层 Linear(512, 512) + ReLU",
    "669,706 parameters, the same as the course model: one more hidden layer "
    "Linear(512, 512) + ReLU is needed",
)
SIZES = Mistake(
    _net(784, 512, R, 512, R, 256, R, 10),
    f"Linear 层的大小应为 {LINEARS}",
    f"the Linear layers should have sizes {LINEARS}",
)
NO_FLATTEN = Mistake(
    _net(784, 512, R, 512, R, 512, R, 10, flatten=False),
    "形状对不上：forward 里先用 nn.Flatten 把 (N, 1, 28, 28) 展平成 (N, 784)",
    "the shapes do not fit: in forward, first flatten (N, 1, 28, 28) to (N, 784) with nn.Flatten",
)
NO_RELU = Mistake(
    _net(784, 512, 512, 512, 10),
    "模型是线性的：层与层之间缺少 ReLU（几个线性层叠起来仍是一个线性层）",
    "the model is linear: the ReLUs between the layers are missing (stacked linear "
    "layers are still one linear map)",
)
RELU_LAST = Mistake(
    _net(784, 512, R, 512, R, 512, R, 10, R),
    "所有输出都非负：最后一层之后不要加 ReLU，logits 可以是负数",
    "every output is non-negative: no ReLU after the last layer; logits may be negative",
)
TOO_FEW_RELUS = Mistake(
    _net(784, 512, R, 512, R, 512, 10),
    "三个隐藏层各需要一个 ReLU",
    "each of the three hidden layers needs a ReLU",
)
ORDER = Mistake(
    _net(784, 512, R, 512, 512, R, R, 10),
    "输出与 Flatten → Linear → ReLU → … → Linear 的顺序不符：检查 forward 里层的顺序",
    "the output differs from Flatten -> Linear -> ReLU -> ... -> Linear in that order: "
    "check the order of the layers in forward",
)
MISTAKES["ex2_deeper_network"] = [
    NOT_A_MODULE,
    NOT_REGISTERED,
    COURSE_MODEL,
    SIZES,
    NO_FLATTEN,
    NO_RELU,
    RELU_LAST,
    TOO_FEW_RELUS,
    ORDER,
]


def _is_affine(model, x1, x2):
    """An affine map f satisfies f(x1) + f(x2) = f(x1 + x2) + f(0)."""
    zero = torch.zeros_like(x1)
    return torch.allclose(model(x1) + model(x2), model(x1 + x2) + model(zero), atol=1e-4)


def ex2_deeper_network(DeeperNetwork):
    """``DeeperNetwork``: the course MLP with a third hidden layer Linear(512, 512) + ReLU."""
    model = DeeperNetwork()
    expect(isinstance(model, nn.Module), NOT_A_MODULE.zh, NOT_A_MODULE.en)
    n = sum(p.numel() for p in model.parameters())
    expect(n > 0, NOT_REGISTERED.zh, NOT_REGISTERED.en)
    expect(n != 669_706, COURSE_MODEL.zh, COURSE_MODEL.en)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    sizes = [(m.in_features, m.out_features) for m in linears]
    expect(sizes == LINEARS, f"{SIZES.zh}，得到 {sizes}", f"{SIZES.en}, got {sizes}")
    expected_n = 784 * 512 + 512 + 2 * (512 * 512 + 512) + 512 * 10 + 10  # 932,362
    expect(
        n == expected_n,
        f"参数个数是 {n:,}，应为 {expected_n:,}",
        f"the model has {n:,} parameters, expected {expected_n:,}",
    )

    torch.manual_seed(0)
    x = torch.rand(64, 1, 28, 28)
    with torch.no_grad():
        try:
            out = model(x)
        except RuntimeError as e:
            if "cannot be multiplied" in str(e):
                fail(NO_FLATTEN.zh, NO_FLATTEN.en)
            raise
        expect(
            isinstance(out, torch.Tensor),
            "forward 应该返回一个张量",
            "forward should return a tensor",
        )
        expect(
            tuple(out.shape) == (64, 10),
            f"输入 (64, 1, 28, 28) 时输出形状是 {tuple(out.shape)}，应为 (64, 10)",
            f"for input (64, 1, 28, 28) the output has shape {tuple(out.shape)}, expected (64, 10)",
        )
        expect(not _is_affine(model, x, torch.rand(64, 1, 28, 28)), NO_RELU.zh, NO_RELU.en)
        expect(not (out >= 0).all(), RELU_LAST.zh, RELU_LAST.en)
        relus = sum(isinstance(m, nn.ReLU) for m in model.modules())
        expect(
            relus == 0 or relus >= 3,
            f"只找到 {relus} 个 ReLU：{TOO_FEW_RELUS.zh}",
            f"only {relus} ReLU modules found: {TOO_FEW_RELUS.en}",
        )
        h = x.flatten(1)
        for k, layer in enumerate(linears):
            h = layer(h)
            if k < len(linears) - 1:
                h = F.relu(h)
    expect(torch.allclose(out, h, atol=1e-5), ORDER.zh, ORDER.en)
    passed(
        "练习 2 通过：四个 Linear、三个 ReLU，输出 (N, 10)",
        "Exercise 2 passed: four Linear, three ReLU, output (N, 10)",
    )


# ---------------------------------------------------------------- exercise 3: probabilities


def _proba(f):
    """A predict_proba that applies ``f`` to the logits, without a graph."""

    def predict_proba(model, X):
        with torch.no_grad():
            return f(model(X))

    return predict_proba


KEEPS_GRAPH = Mistake(
    lambda model, X: torch.softmax(model(X), dim=1),
    "结果还带着计算图（requires_grad=True）：预测时用 torch.no_grad()",
    "the result still carries a graph (requires_grad=True): predict inside torch.no_grad()",
)
MISTAKES["ex3_predict_proba"] = [
    Mistake(
        _proba(lambda z: z), "这是 logits，还没做 softmax", "these are the logits: apply softmax"
    ),
    Mistake(
        _proba(lambda z: torch.softmax(z, dim=0)),
        "softmax 沿批次维（dim=0）做了：应沿类别维 dim=1",
        "softmax ran over the batch dimension (dim=0): use the class dimension, dim=1",
    ),
    Mistake(
        _proba(lambda z: torch.log_softmax(z, dim=1)),
        "这是对数概率（log_softmax）：用 softmax",
        "these are log-probabilities (log_softmax): use softmax",
    ),
    Mistake(
        _proba(torch.sigmoid),
        "sigmoid 给出 10 个独立的概率，每行之和不是 1：用 softmax",
        "sigmoid gives 10 independent probabilities whose rows do not sum to 1: use softmax",
    ),
    KEEPS_GRAPH,
]


def ex3_predict_proba(predict_proba):
    """``predict_proba(model, X)``: softmax probabilities (N, 10), computed without a graph."""
    torch.manual_seed(0)
    model = NeuralNetwork()
    X = torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        expected = torch.softmax(model(X), dim=1)
    got = predict_proba(model, X)
    expect(
        isinstance(got, torch.Tensor),
        f"应该返回 torch.Tensor，得到的是 {type(got).__name__}",
        f"return a torch.Tensor, got {type(got).__name__}",
    )
    expect(not got.requires_grad, KEEPS_GRAPH.zh, KEEPS_GRAPH.en)
    check_close(
        got,
        expected,
        name="predict_proba(model, X)",
        mistakes=wrong_values(MISTAKES["ex3_predict_proba"], model, X),
    )
    passed(
        "练习 3 通过：每行是 10 个类别的概率，和为 1",
        "Exercise 3 passed: each row holds 10 probabilities summing to 1",
    )


# ---------------------------------------------------------------- exercise 4: save and reload

FILE = "model_weights.pth"


def _loads_without_a_file(model, path):
    new = NeuralNetwork()
    new.load_state_dict(model.state_dict())
    return new


def _saves_the_whole_model(model, path):
    torch.save(model, path)
    return torch.load(path, weights_only=False)


def _saves_then_returns(returns):
    """A save_and_reload that saves the state_dict, then returns ``returns(model, path)``."""

    def save_and_reload(model, path):
        torch.save(model.state_dict(), path)
        return returns(model, path)

    return save_and_reload


def _shares_the_layers(model, path):
    new = NeuralNetwork()
    new.linear_relu_stack = model.linear_relu_stack
    return new


NO_FILE = Mistake(
    _loads_without_a_file,
    f"没有文件写到 {FILE}：用 torch.save(model.state_dict(), path)",
    f"no file was written to {FILE}: use torch.save(model.state_dict(), path)",
)
WHOLE_MODEL = Mistake(
    _saves_the_whole_model,
    "文件里不是 state_dict：保存 model.state_dict()，而不是整个模型",
    "the file does not hold a state_dict: save model.state_dict(), not the whole model",
)
NOT_A_MODEL = Mistake(
    _saves_then_returns(lambda model, path: torch.load(path, weights_only=True)),
    "应该返回一个 fc.NeuralNetwork",
    "return an fc.NeuralNetwork",
)
ORIGINAL = Mistake(
    _saves_then_returns(lambda model, path: model),
    "返回的是原来的模型：要新建一个 NeuralNetwork 再载入权重",
    "you returned the original model: create a new NeuralNetwork and load the weights into it",
)
NOT_LOADED = Mistake(
    _saves_then_returns(lambda model, path: NeuralNetwork()),
    "新模型的输出与原模型不同：忘了 new_model.load_state_dict(torch.load(path)) 吗？",
    "the new model's outputs differ from the original's: did you forget "
    "new_model.load_state_dict(torch.load(path))?",
)
SHARED = Mistake(
    _saves_then_returns(_shares_the_layers),
    "新模型与原模型共用同一块内存：改一个就改了另一个",
    "the new model shares memory with the original: changing one changes the other",
)
MISTAKES["ex4_save_and_reload"] = [NO_FILE, WHOLE_MODEL, NOT_A_MODEL, ORIGINAL, NOT_LOADED, SHARED]


def ex4_save_and_reload(save_and_reload):
    """``save_and_reload(model, path)``: save the state_dict to ``path``, return a new model
    loaded from it."""
    torch.manual_seed(1)
    model = NeuralNetwork()
    X = torch.rand(8, 1, 28, 28)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / FILE
        new = save_and_reload(model, path)
        expect(path.exists(), NO_FILE.zh, NO_FILE.en)
        try:
            saved = torch.load(path, weights_only=True)
        except Exception:  # noqa: BLE001 - a pickled module is refused by weights_only=True
            saved = None
        expect(
            isinstance(saved, dict) and all(isinstance(v, torch.Tensor) for v in saved.values()),
            WHOLE_MODEL.zh,
            WHOLE_MODEL.en,
        )
    expect(
        isinstance(new, NeuralNetwork),
        f"{NOT_A_MODEL.zh}，得到的是 {type(new).__name__}",
        f"{NOT_A_MODEL.en}, got {type(new).__name__}",
    )
    expect(new is not model, ORIGINAL.zh, ORIGINAL.en)
    with torch.no_grad():
        expect(torch.equal(new(X), model(X)), NOT_LOADED.zh, NOT_LOADED.en)
    shared = {p.data_ptr() for p in model.parameters()} & {p.data_ptr() for p in new.parameters()}
    expect(not shared, SHARED.zh, SHARED.en)
    passed(
        "练习 4 通过：载入的模型给出完全相同的输出",
        "Exercise 4 passed: the reloaded model gives identical outputs",
    )


wrap_checkers(globals())
