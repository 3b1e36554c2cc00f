"""Every ``complaints`` command and the poller start without loading what they do not use."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


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


def test_a_built_runtime_has_its_mapped_classes_set_up(tmp_path: Path) -> None:
    """GIVEN a fresh interpreter WHEN the runtime is built THEN the ORM's classes are set
    up already: the first complaint a new worker handles does not pay for it."""
    probe = ("import sys; from pathlib import Path; from config.settings import Settings; "
             "from workers.app import build_runtime; "
             "from pipeline.db.models import Case; "
             "build_runtime(Settings(data_dir=Path(sys.argv[1]))); "
             "print(Case.__mapper__.configured)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                            text=True, check=True, timeout=120, env=env)
    assert result.stdout.strip() == "True"
