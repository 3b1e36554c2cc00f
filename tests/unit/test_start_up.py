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


def _fresh_modules(tmp_path: Path, code: str, loaded: str = "sys.modules") -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code`` (settings for
    an embedded runtime in ``tmp_path``, from a clean environment), or the names that
    ``code`` kept in the variable named by ``loaded``."""
    probe = ("import sys; from pathlib import Path; from config.settings import Settings; "
             "settings = Settings(data_dir=Path(sys.argv[1])); "
             f"{code}; print(' '.join(sorted({loaded})))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                            text=True, check=True, timeout=120, env=env)
    return set(result.stdout.split())


POLLER = ("import workers.cli, workers.service, workers.imap_poller; "
          "from workers.app import build_runtime; "
          "runtime = build_runtime(settings); "
          "workers.service.make_pollers(runtime); import workers.sweeper, workers.scan_poller")
# What a poller has no use for: laying out and reading PDFs, migrating a database that
# is current, and the pipeline that turns mail into cases (the workers run it).
NOT_FOR_POLLERS = {"reportlab", "pypdf", "alembic", "pipeline.intake.process",
                   "pipeline.outbound.send", "pipeline.scans.jobs"}


def test_a_poller_starts_without_the_pipeline_pdfs_or_migrations(tmp_path: Path) -> None:
    """GIVEN a current database and a fresh interpreter WHEN a runtime is built and the
    pollers and sweeper are set up THEN nothing only the workers use is loaded: it cost
    a poller half a second of CPU at every start."""
    _fresh_modules(tmp_path, "from workers.app import build_runtime; build_runtime(settings)")
    assert _fresh_modules(tmp_path, POLLER) & NOT_FOR_POLLERS == set()


def test_a_worker_loads_the_pipeline_before_it_is_ready(tmp_path: Path) -> None:
    """GIVEN a fresh interpreter WHEN a worker is ready THEN the pipeline its actors run
    is loaded already (the letter layout of postal acknowledgments too), not inside the
    first batch it is handed."""
    code = ("import threading; from workers.app import build_runtime; "
            "from workers.service import serve; runtime = build_runtime(settings); "
            "stop = threading.Event(); stop.set(); ready = set(); "
            "serve(runtime, poll=False, work=True, stop=stop, queues={'intake', 'outbox'}, "
            "on_ready=lambda: ready.update(sys.modules))")
    loaded = _fresh_modules(tmp_path, code, loaded="ready")
    assert {"pipeline.intake.process", "pipeline.outbound.send", "pipeline.scans.jobs",
            "letters.pdf.letter"} <= loaded


def test_a_started_service_freezes_its_start_up_objects_for_the_collector(
    tmp_path: Path,
) -> None:
    """GIVEN a fresh interpreter WHEN a service started from the command line is ready
    THEN what start-up built is frozen and the youngest generation is collected every
    10,000 new objects, not 700 (0.10 -> 0.02 ms of CPU per complaint)."""
    code = ("import gc, threading; from workers.cli import _serve; "
            "before = gc.get_freeze_count(); stop = threading.Event(); stop.set(); "
            "_serve(settings, poll=False, work=True, stop=stop, queues={'outbox'}); "
            "print('frozen', gc.get_freeze_count() > before, gc.get_threshold()[0])")
    probe = ("import sys; from pathlib import Path; from config.settings import Settings; "
             f"settings = Settings(data_dir=Path(sys.argv[1])); {code}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPLAINTS_")}
    result = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True,
                            text=True, check=True, timeout=120, env=env)
    assert result.stdout.strip().splitlines()[-1] == "frozen True 10000"
