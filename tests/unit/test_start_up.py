"""Every ``complaints`` command and the poller start without loading what they do not use."""

from __future__ import annotations

import subprocess
import sys


def test_the_command_line_and_services_load_no_machine_learning_or_array_library() -> None:
    """GIVEN a fresh interpreter WHEN the command line and the services are imported
    THEN neither scikit-learn (most of a second) nor numpy is loaded: only training a
    routing model or reading a scan needs them, and they import them there."""
    probe = ("import sys, workers.cli, workers.service; "
             "print(sorted({m.split('.')[0] for m in sys.modules}"
             " & {'sklearn', 'numpy', 'scipy'}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, timeout=120)
    assert result.stdout.strip() == "[]"
