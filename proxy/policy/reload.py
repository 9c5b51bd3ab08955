"""Loading a policy with its customer data, and reloading it live (SIGHUP or file change).

This is the I/O half of the engine: it reads the policy file and the customer CSVs it names,
builds the customer index once, and hands the engine a finished `Loaded`. The engine swaps it
in atomically; a broken file leaves the policy in force and the `file:line:column` error in
the log (see Engine.reload).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from proxy.policy.engine import Engine, Loaded
from proxy.policy.loader import PolicyError, load_policy
from proxy.store import CustomerFileError, read_customers_csv

log = logging.getLogger(__name__)

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "policies" / "default.yaml"


def build_customer_index(rows: Sequence[Mapping[str, str]]) -> Any:
    """proxy.customers.CustomerIndex over `rows` (None when there are none: nothing to protect)."""
    if not rows:
        return None
    from proxy.customers import CustomerIndex
    if hasattr(CustomerIndex, "from_rows"):
        return CustomerIndex.from_rows(rows)
    return CustomerIndex(rows)


def load(
    policy_path: str | Path,
    *,
    customer_files: Iterable[str | Path] = (),
    store: Any = None,
) -> Loaded:
    """Policy + customers (its sources, then `customer_files`, then the store), index built once.

    Raises PolicyError (file:line:column lines) for a bad policy or an unreadable CSV.
    """
    policy = load_policy(policy_path)
    rows: list[dict[str, str]] = []
    for path in (*policy.customer_sources, *customer_files):
        try:
            rows.extend(read_customers_csv(path))
        except CustomerFileError as exc:
            raise PolicyError([str(exc)]) from None
    if store is not None:
        rows.extend(store.customers())
    return Loaded(policy, build_customer_index(unique_customers(rows)))


def unique_customers(rows: Iterable[Mapping[str, str]]) -> list[Mapping[str, str]]:
    """One row per customer across sources (keyed like the store: customer_id, else e-mail, else
    name; first source wins). The same person listed twice would otherwise look like another
    customer sharing the recipient's name, and `other-customer-data` would fire on the greeting."""
    seen: dict[str, Mapping[str, str]] = {}
    for row in rows:
        key = (row.get("customer_id") or "").strip() or (row.get("email") or "").strip().lower() or (row.get("name") or "").strip()
        if key and key not in seen:
            seen[key] = row
    return list(seen.values())


def open_engine(policy_path: str | Path | None = None, *, store: Any = None,
                customer_files: Iterable[str | Path] = (), **engine_kwargs: Any) -> Engine:
    """An Engine whose reload() re-reads the same files."""
    path = Path(policy_path or DEFAULT_POLICY)
    files = tuple(customer_files)

    def source() -> Loaded:
        return load(path, customer_files=files, store=store)

    return Engine(source(), store=store, source=source, **engine_kwargs)


class PolicyWatcher:
    """Reloads the engine when the policy file or one of its customer files changes.

    Call `poll()` periodically (the gateway does every few seconds) and `reload()` on SIGHUP.
    Polling mtimes keeps it dependency-free and works on every filesystem (inotify does not on NFS).
    """

    def __init__(self, engine: Engine, *, on_error: Callable[[str], None] | None = None):
        self.engine = engine
        self.on_error = on_error or (lambda text: log.error("%s", text))
        self._stamp = self._current_stamp()

    def _paths(self) -> list[Path]:
        policy = self.engine.policy
        return [Path(policy.path), *policy.customer_sources]

    def _current_stamp(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for path in self._paths():
            try:
                st = os.stat(path)
                out.append((str(path), st.st_mtime_ns, st.st_size))
            except OSError:
                out.append((str(path), -1, -1))
        return tuple(out)

    def poll(self) -> bool:
        """Reload if a file changed since the last look; True when a new policy is in force."""
        stamp = self._current_stamp()
        if stamp == self._stamp:
            return False
        self._stamp = stamp
        return self.reload()

    def reload(self) -> bool:
        """Reload now; on error the old policy stays in force and `on_error` gets the file:line:column text."""
        error = self.engine.reload()
        if error:
            self.on_error(error)
            return False
        self._stamp = self._current_stamp()
        return True


def gateway_engine(policy_path: str | Path, state_dir: str | Path, **engine_kwargs: Any) -> tuple[Engine, PolicyWatcher]:
    """What `serve` needs: an Engine over the state dir's store (originals + customers) and its watcher.

    Raises PolicyError when the policy cannot be loaded at start (then the gateway must not start).
    """
    from proxy.store import SQLiteStore

    store = SQLiteStore(Path(state_dir) / "replyguard.db")
    engine = open_engine(policy_path, store=store, **engine_kwargs)
    return engine, PolicyWatcher(engine)


async def watch_policy(watcher: PolicyWatcher, *, interval: float = 2.0, stop: Any = None) -> None:
    """Poll for policy changes until `stop` (an asyncio.Event) is set; also reload on SIGHUP."""
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGHUP, watcher.reload)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        pass
    stop = stop or asyncio.Event()
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), timeout=interval)
        except asyncio.TimeoutError:
            watcher.poll()
