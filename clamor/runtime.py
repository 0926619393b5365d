"""What the dashboard process holds: the config, the store, and the running scheduler.

`clamor run` passes its choices to the Streamlit process in environment variables
(CLAMOR_DB — a file or a team store —, CLAMOR_DATA_PATH, CLAMOR_CONFIG, CLAMOR_DEMO,
CLAMOR_SCHEDULER, CLAMOR_MEMORY_LIMIT); `load` reads them back and opens everything once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from clamor import scheduler, sources
from clamor.config import Config, ConfigError, config_path, load_config
from clamor.store import DASHBOARD_MEMORY_LIMIT, Store, memory_limit, store_location


@dataclass(frozen=True)
class Runtime:
    config: Config
    store: Store
    demo: bool


def demo_from_env() -> bool:
    return os.environ.get("CLAMOR_DEMO", "") not in ("", "0", "false")


def load(*, start_scheduler: bool = True) -> Runtime:
    """Open config and store from the environment and start the scheduler (once).

    Raises ConfigError, StoreBusy or LakeError with a sentence for the user.
    """
    demo = demo_from_env()
    config = load_config(config_path(demo=demo))
    try:
        memory = memory_limit(os.environ.get("CLAMOR_MEMORY_LIMIT") or DASHBOARD_MEMORY_LIMIT)
    except ValueError as exc:
        raise ConfigError(f"CLAMOR_MEMORY_LIMIT: {exc}") from None
    store = Store(store_location(demo=demo), memory=memory)  # (a team store's: CLAMOR_DATA_PATH)
    if start_scheduler and os.environ.get("CLAMOR_SCHEDULER", "1") != "0":
        scheduler.start(store, config, sources.collectors(config, demo=demo))
    return Runtime(config, store, demo)
