"""The course model: the MLP of the PyTorch optimization tutorial."""

from torch import nn


class NeuralNetwork(nn.Module):
    """Flatten -> Linear(784, 512) -> ReLU -> Linear(512, 512) -> ReLU -> Linear(512, 10).

    Input: images (N, 1, 28, 28). Output: logits (N, 10), one unnormalized score per class.
    """

    def __init__(self, hidden=512, num_classes=10):
        super().__init__()  # must come first: it sets up the registries for layers and parameters
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, num_classes),
        )

    def forward(self, x):
        x = self.flatten(x)
        return self.linear_relu_stack(x)


def count_parameters(model):
    """How many numbers the optimizer trains."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
