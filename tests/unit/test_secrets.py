"""The secret key: configured, or created once in the data directory and kept."""

from __future__ import annotations

import stat
from pathlib import Path

from pydantic import SecretStr

from config.secrets import KEY_FILE, secret_key
from config.settings import Settings


def test_configured_key_wins(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=SecretStr("from-env"))
    assert secret_key(settings) == "from-env"
    assert not (tmp_path / KEY_FILE).exists()


def test_generated_key_is_private_and_stable(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = secret_key(settings)
    assert len(first) >= 48 and secret_key(settings) == first
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600


def _race(data_dir: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        results.put(secret_key(Settings(data_dir=Path(data_dir))))  # type: ignore[attr-defined]
    except Exception as err:  # noqa: BLE001 - reported to the test
        results.put(f"error: {err}")  # type: ignore[attr-defined]


def test_processes_starting_together_all_get_the_same_whole_key(tmp_path: Path) -> None:
    import multiprocessing

    context = multiprocessing.get_context("fork")
    for attempt in range(5):
        folder = tmp_path / str(attempt)
        barrier, results = context.Barrier(6), context.Queue()
        workers = [context.Process(target=_race, args=(str(folder), barrier, results))
                   for _ in range(6)]
        for worker in workers:
            worker.start()
        keys = {results.get(timeout=30) for _ in workers}
        for worker in workers:
            worker.join(timeout=30)
        assert len(keys) == 1 and len(keys.pop()) >= 48  # no empty read, no second key
        assert [p.name for p in folder.iterdir()] == [KEY_FILE]  # no temporary left behind
        assert stat.S_IMODE((folder / KEY_FILE).stat().st_mode) == 0o600
