"""The model zoo: an iNAS-class baseline and MCUNet-class models.

Every model is a list of blocks built from Conv-BN-ReLU6 units, depthwise
separable and inverted-residual blocks, a global average pool and a fully
connected classifier, so that each maps one-to-one onto the int8 kernels of
firmware/kernels (conv, depthwise, pointwise, add, average pool, fully
connected). Padding is symmetric (PyTorch's), stored per layer in the export.
"""
import torch
import torch.nn as nn


class ConvBnAct(nn.Module):
    def __init__(self, cin, cout, k=3, stride=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return torch.clamp(x, 0.0, 6.0) if self.act else x


class InvertedResidual(nn.Module):
    """MobileNetV2 block: 1x1 expand (if expansion > 1), 3x3 depthwise, 1x1 project, residual add."""

    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = cin * expansion
        layers = []
        if expansion != 1:
            layers.append(ConvBnAct(cin, hidden, k=1))
        layers.append(ConvBnAct(hidden, hidden, k=3, stride=stride, groups=hidden))
        layers.append(ConvBnAct(hidden, cout, k=1, act=False))
        self.body = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class Net(nn.Module):
    def __init__(self, features, channels):
        super().__init__()
        self.features = nn.Sequential(*features)
        self.classifier = nn.Linear(channels, 10)

    def forward(self, x):
        x = self.features(x)
        x = x.mean(dim=(2, 3))
        return self.classifier(x)


def inas_tiny():
    """iNAS-class: 3 convolutions of at most 24 filters, pool, classifier (5 layers)."""
    return Net([ConvBnAct(1, 8, 3, 2), ConvBnAct(8, 16, 3, 2), ConvBnAct(16, 24, 3, 2)], 24)


def mcunet_s():
    """MCUNet-class, small: a full-resolution stem, then inverted residual blocks at 14x14 and 7x7."""
    return Net([
        ConvBnAct(1, 16, 3, 1),
        InvertedResidual(16, 24, 2, 3),
        InvertedResidual(24, 24, 1, 4),
        InvertedResidual(24, 40, 2, 4),
        InvertedResidual(40, 40, 1, 4),
        InvertedResidual(40, 80, 1, 4),
    ], 80)


def mcunet_m():
    """MCUNet-class, medium: deeper at 14x14 and 7x7, wider head."""
    return Net([
        ConvBnAct(1, 16, 3, 1),
        InvertedResidual(16, 24, 2, 3),
        InvertedResidual(24, 24, 1, 4),
        InvertedResidual(24, 24, 1, 4),
        InvertedResidual(24, 48, 2, 4),
        InvertedResidual(48, 48, 1, 4),
        InvertedResidual(48, 48, 1, 4),
        InvertedResidual(48, 96, 1, 4),
    ], 96)


MODELS = {"inas-tiny": inas_tiny, "mcunet-s": mcunet_s, "mcunet-m": mcunet_m}
