"""Numbers as people read them: durations, sizes and a run's result in a few characters.

Torch-free and interface-free: the CLI, the app and the core all format through here.
"""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """Seconds as 1h02m, 3m05s or 12s."""
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def format_bytes(count: float) -> str:
    """A size as 12.3 MB."""
    for unit in ("B", "kB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def short_result(test_accuracy: float | None, final_loss: float | None) -> str | None:
    """A run's result in a few characters, 'acc 45.2%' or 'loss 0.0123'; None when it has neither."""
    if test_accuracy is not None:
        return f"acc {test_accuracy:.1f}%"
    if final_loss is not None:
        return f"loss {final_loss:.4f}"
    return None


def plural(count: int, word: str) -> str:
    """'1 epoch', '3 epochs', '1,000 updates'."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def printable(text: object) -> str:
    """Text read from disk made safe to print: control characters, newlines and other invisible
    characters escaped (`\\x1b`, `\\n`, `\\u202e`), so a name can neither drive the terminal nor forge a line."""
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
