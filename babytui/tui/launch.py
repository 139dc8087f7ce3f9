"""Start the app in this terminal: the colour depth it can show, then the main loop."""

from __future__ import annotations

import os

from .app import BabytuiApp
from .colors import choose_colors


def run_app(colors: str | None = None) -> int:
    """Run the app in this terminal (`colors` forces a depth); the exit code."""
    depth, warning = choose_colors(colors, os.environ)
    app = BabytuiApp(colors=depth, warning=warning)
    result = app.run()
    return result if isinstance(result, int) else (app.return_code or 0)
