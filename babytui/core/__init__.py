"""The headless core: plain PyTorch, never the interface (no textual, plotext or rich here)."""
