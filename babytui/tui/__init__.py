"""The Textual interface: renders what the core yields, never computes on its own."""
