"""Choosing the device to train on, with a clear error when it is not there."""

from __future__ import annotations

import torch

from .errors import DeviceError


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def available_devices() -> list[str]:
    """The device names this machine can train on, cpu always included."""
    names = ["cpu"]
    if torch.cuda.is_available():
        names.append("cuda")
    if _mps_available():
        names.append("mps")
    return names


def resolve_device(name: str) -> torch.device:
    """Turn 'auto', 'cpu', 'cuda', 'cuda:N' or 'mps' into a device that exists here."""
    name = name.strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name == "cuda" or name.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {name!r} was asked for, but PyTorch finds no CUDA GPU on this machine; "
                "choose device auto or cpu (--device, or d in the app)"
            )
        if ":" in name:
            index = int(name.split(":", 1)[1])
            count = torch.cuda.device_count()
            if index >= count:
                raise DeviceError(f"device {name!r} was asked for, but this machine has {count} CUDA GPU(s)")
        return torch.device(name)
    if name == "mps":
        if not _mps_available():
            raise DeviceError("device 'mps' was asked for, but Apple's Metal backend is not available here")
        return torch.device("mps")
    raise DeviceError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:N or mps")
