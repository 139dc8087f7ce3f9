"""How a network's weights start: PyTorch's own init, or a scheme chosen by name (settings.INITS).

A lesson's network calls `init_weights` at the end of its own __init__, so the exported script,
which copies the class and this function, starts from the very same weights for the same seed.
"""

from __future__ import annotations

from .lazy import nn


def init_weights(model, scheme, std=0.01, activation="relu"):
    """Start every linear and convolution layer's weights by `scheme`, their biases at 0.

    default: PyTorch's own (uniform, about 1/sqrt(3 * fan_in) in std), left as it is, biases too.
    zeros:   every weight 0, so every unit of a layer computes the same thing.
    normal:  drawn from a normal distribution with mean 0 and standard deviation `std`.
    xavier:  xavier_normal_, std = gain * sqrt(2 / (fan_in + fan_out)), the gain of `activation`.
    kaiming: kaiming_normal_ on fan_in, std = gain / sqrt(fan_in): sqrt(2 / fan_in) for relu.
    """
    if scheme == "default":
        return
    gain = nn.init.calculate_gain(activation)  # relu sqrt(2), tanh 5/3, sigmoid 1
    for module in model.modules():
        if not isinstance(module, (nn.Linear, nn.Conv2d)):
            continue
        if scheme == "zeros":
            nn.init.zeros_(module.weight)
        elif scheme == "normal":
            nn.init.normal_(module.weight, mean=0.0, std=std)
        elif scheme == "xavier":
            nn.init.xavier_normal_(module.weight, gain=gain)
        elif scheme == "kaiming":
            nn.init.kaiming_normal_(module.weight, mode="fan_in", nonlinearity=activation)
        else:
            raise ValueError(f"unknown init {scheme!r}")
        if module.bias is not None:
            nn.init.zeros_(module.bias)
