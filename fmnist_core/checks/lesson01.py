"""Checks for the exercises of lesson 01 (the model)."""

import tempfile
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from ..model import NeuralNetwork
from . import CheckFailed, check_close, expect, fail, passed, wrap_checkers


def _reference_count(sizes):
    return sum(a * b + b for a, b in zip(sizes, sizes[1:]))


def ex1_count_parameters(count_mlp_parameters):
    """``count_mlp_parameters(sizes)``: parameters of Linear layers sizes[0] -> sizes[1] -> ... ."""
    cases = [[784, 512, 512, 10], [784, 256, 10], [784, 128, 64, 10], [3, 2], [10, 1, 5]]
    for sizes in cases:
        expected = _reference_count(sizes)
        # the reference agrees with PyTorch's own count / 参考答案与 PyTorch 的计数一致
        layers = [nn.Linear(a, b) for a, b in zip(sizes, sizes[1:])]
        assert expected == sum(p.numel() for layer in layers for p in layer.parameters())
        got = count_mlp_parameters(list(sizes))
        expect(
            isinstance(got, int) or (isinstance(got, torch.Tensor) and got.numel() == 1),
            f"应该返回一个整数，得到的是 {type(got).__name__}",
            f"return an integer, got {type(got).__name__}",
        )
        got = int(got)
        if got == expected:
            continue
        pairs = list(zip(sizes, sizes[1:]))
        where = f"（sizes={sizes}：得到 {got}，应为 {expected}）"
        where_en = f" (sizes={sizes}: got {got}, expected {expected})"
        if got == sum(a * b for a, b in pairs):
            fail(
                "只数了权重，忘了偏置：每个 Linear(a, b) 还有 b 个偏置" + where,
                "only the weights were counted: each Linear(a, b) also has b biases" + where_en,
            )
        if got == sum(a * b + a for a, b in pairs):
            fail(
                "偏置的个数等于输出特征数 b，不是输入特征数 a" + where,
                "there is one bias per output feature (b), not per input feature (a)" + where_en,
            )
        if got == sum(a * b + b for a, b in zip(sizes[1:], sizes[2:])):
            fail(
                "漏掉了第一层：sizes 中相邻的每一对都是一层" + where,
                "the first layer is missing: every adjacent pair in sizes is one layer" + where_en,
            )
        if got == sum((a + 1) * (b + 1) for a, b in pairs):
            fail(
                "多数了：Linear(a, b) 有 a·b + b 个参数" + where,
                "counted too many: Linear(a, b) has a*b + b parameters" + where_en,
            )
        fail(
            "参数个数不对：Linear(a, b) 有 a·b 个权重和 b 个偏置" + where,
            "wrong count: Linear(a, b) has a*b weights and b biases" + where_en,
        )
    passed("练习 1 通过：参数个数与 PyTorch 一致", "Exercise 1 passed: the counts match PyTorch")


def _is_affine(model, x1, x2):
    """An affine map f satisfies f(x1) + f(x2) = f(x1 + x2) + f(0)."""
    zero = torch.zeros_like(x1)
    return torch.allclose(model(x1) + model(x2), model(x1 + x2) + model(zero), atol=1e-4)


def ex2_deeper_network(DeeperNetwork):
    """``DeeperNetwork``: the course MLP with a third hidden layer Linear(512, 512) + ReLU."""
    model = DeeperNetwork()
    expect(
        isinstance(model, nn.Module),
        "DeeperNetwork 要继承 nn.Module",
        "DeeperNetwork should subclass nn.Module",
    )
    n = sum(p.numel() for p in model.parameters())
    expect(
        n > 0,
        "模型没有注册任何参数：把层赋给 self 的属性或放进 nn.Sequential，普通列表不会被注册",
        "the model registers no parameters: assign the layers to attributes of self or put "
        "them in nn.Sequential; a plain Python list is not registered",
    )
    expected_n = 784 * 512 + 512 + 2 * (512 * 512 + 512) + 512 * 10 + 10  # 932,362
    expect(
        n != 669_706,
        "参数个数 669,706 与课程模型相同：还差一个隐藏层 Linear(512, 512) + ReLU",
        "669,706 parameters, the same as the course model: one more hidden layer "
        "Linear(512, 512) + ReLU is needed",
    )
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    sizes = [(m.in_features, m.out_features) for m in linears]
    want = [(784, 512), (512, 512), (512, 512), (512, 10)]
    expect(
        sizes == want,
        f"Linear 层的大小是 {sizes}，应为 {want}",
        f"the Linear layers have sizes {sizes}, expected {want}",
    )
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
                raise CheckFailed(
                    "形状对不上：forward 里先用 nn.Flatten 把 (N, 1, 28, 28) 展平成 (N, 784)",
                    "the shapes do not fit: in forward, first flatten (N, 1, 28, 28) to (N, 784) "
                    "with nn.Flatten",
                ) from e
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
        expect(
            not _is_affine(model, x, torch.rand(64, 1, 28, 28)),
            "模型是线性的：层与层之间缺少 ReLU（几个线性层叠起来仍是一个线性层）",
            "the model is linear: the ReLUs between the layers are missing (stacked linear "
            "layers are still one linear map)",
        )
        expect(
            not (out >= 0).all(),
            "所有输出都非负：最后一层之后不要加 ReLU，logits 可以是负数",
            "every output is non-negative: no ReLU after the last layer; logits may be negative",
        )
        relus = sum(isinstance(m, nn.ReLU) for m in model.modules())
        expect(
            relus == 0 or relus >= 3,
            f"只找到 {relus} 个 ReLU：三个隐藏层各需要一个",
            f"only {relus} ReLU modules found: each of the three hidden layers needs one",
        )
        h = x.flatten(1)
        for k, layer in enumerate(linears):
            h = layer(h)
            if k < len(linears) - 1:
                h = F.relu(h)
    expect(
        torch.allclose(out, h, atol=1e-5),
        "输出与 Flatten → Linear → ReLU → … → Linear 的顺序不符：检查 forward 里层的顺序",
        "the output differs from Flatten -> Linear -> ReLU -> ... -> Linear in that order: "
        "check the order of the layers in forward",
    )
    passed(
        "练习 2 通过：四个 Linear、三个 ReLU，输出 (N, 10)",
        "Exercise 2 passed: four Linear, three ReLU, output (N, 10)",
    )


def ex3_predict_proba(predict_proba):
    """``predict_proba(model, X)``: softmax probabilities (N, 10), computed without a graph."""
    torch.manual_seed(0)
    model = NeuralNetwork()
    X = torch.rand(8, 1, 28, 28)
    with torch.no_grad():
        logits = model(X)
    got = predict_proba(model, X)
    expect(
        isinstance(got, torch.Tensor),
        f"应该返回 torch.Tensor，得到的是 {type(got).__name__}",
        f"return a torch.Tensor, got {type(got).__name__}",
    )
    expect(
        not got.requires_grad,
        "结果还带着计算图（requires_grad=True）：预测时用 torch.no_grad()",
        "the result still carries a graph (requires_grad=True): predict inside torch.no_grad()",
    )
    check_close(
        got,
        torch.softmax(logits, dim=1),
        name="predict_proba(model, X)",
        mistakes=[
            (logits, "这是 logits，还没做 softmax", "these are the logits: apply softmax"),
            (
                torch.softmax(logits, dim=0),
                "softmax 沿批次维（dim=0）做了：应沿类别维 dim=1",
                "softmax ran over the batch dimension (dim=0): use the class dimension, dim=1",
            ),
            (
                torch.log_softmax(logits, dim=1),
                "这是对数概率（log_softmax）：用 softmax",
                "these are log-probabilities (log_softmax): use softmax",
            ),
            (
                torch.sigmoid(logits),
                "sigmoid 给出 10 个独立的概率，每行之和不是 1：用 softmax",
                "sigmoid gives 10 independent probabilities whose rows do not sum to 1: use softmax",
            ),
        ],
    )
    passed(
        "练习 3 通过：每行是 10 个类别的概率，和为 1",
        "Exercise 3 passed: each row holds 10 probabilities summing to 1",
    )


def ex4_save_and_reload(save_and_reload):
    """``save_and_reload(model, path)``: save the state_dict to ``path``, return a new model
    loaded from it."""
    torch.manual_seed(1)
    model = NeuralNetwork()
    X = torch.rand(8, 1, 28, 28)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model_weights.pth"
        new = save_and_reload(model, path)
        expect(
            path.exists(),
            f"没有文件写到 {path.name}：用 torch.save(model.state_dict(), path)",
            f"no file was written to {path.name}: use torch.save(model.state_dict(), path)",
        )
        try:
            saved = torch.load(path, weights_only=True)
        except Exception:  # noqa: BLE001 - a pickled module is refused by weights_only=True
            saved = None
        expect(
            isinstance(saved, dict) and all(isinstance(v, torch.Tensor) for v in saved.values()),
            "文件里不是 state_dict：保存 model.state_dict()，而不是整个模型",
            "the file does not hold a state_dict: save model.state_dict(), not the whole model",
        )
    expect(
        isinstance(new, NeuralNetwork),
        f"应该返回一个 fc.NeuralNetwork，得到的是 {type(new).__name__}",
        f"return an fc.NeuralNetwork, got {type(new).__name__}",
    )
    expect(
        new is not model,
        "返回的是原来的模型：要新建一个 NeuralNetwork 再载入权重",
        "you returned the original model: create a new NeuralNetwork and load the weights into it",
    )
    with torch.no_grad():
        same = torch.equal(new(X), model(X))
    expect(
        same,
        "新模型的输出与原模型不同：忘了 new_model.load_state_dict(torch.load(path)) 吗？",
        "the new model's outputs differ from the original's: did you forget "
        "new_model.load_state_dict(torch.load(path))?",
    )
    shared = {p.data_ptr() for p in model.parameters()} & {p.data_ptr() for p in new.parameters()}
    expect(
        not shared,
        "新模型与原模型共用同一块内存：改一个就改了另一个",
        "the new model shares memory with the original: changing one changes the other",
    )
    passed(
        "练习 4 通过：载入的模型给出完全相同的输出",
        "Exercise 4 passed: the reloaded model gives identical outputs",
    )


wrap_checkers(globals())
