"""The core never loads the interface: a fresh interpreter proves it."""

from __future__ import annotations

import subprocess
import sys


def test_core_imports_no_textual_plotext_or_rich() -> None:
    code = (
        "import sys\n"
        "import babytui.core.train, babytui.core.export, babytui.core.lessons, babytui.core.datasets\n"
        "import babytui.core.settings, babytui.core.events, babytui.core.device, babytui.core.session\n"
        "import babytui.core\n"
        "import pkgutil, importlib\n"
        "for m in pkgutil.iter_modules(babytui.core.__path__): importlib.import_module('babytui.core.' + m.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'plotext', 'rich', 'textual_plotext'))\n"
        "print(','.join(bad))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
