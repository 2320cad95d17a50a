"""Load user strategies from a folder: every BaseStrategy subclass of each ``*.py`` module.

A module that fails to import is registered as failed (named after the file, with the error) and a
class that fails validation as failed under its name; the other strategies still load.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import sys
from pathlib import Path

from crypto_trader.common.ids import stable_id
from crypto_trader.strategy.domain.framework import BaseStrategy
from crypto_trader.strategy.domain.registry import StrategyEntry, StrategyRegistry

log = logging.getLogger(__name__)


def load_strategies_dir(folder: Path, registry: StrategyRegistry) -> list[StrategyEntry]:
    """Register the strategies of every ``*.py`` file in ``folder`` (sorted); return the entries."""
    if not folder.is_dir():
        log.warning("strategies folder %s does not exist", folder)
        return []
    entries: list[StrategyEntry] = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        entries.extend(_load_file(path, registry))
    for entry in entries:
        if entry.failed:
            log.error("strategy %s from %s failed: %s", entry.name, entry.source, entry.error)
        else:
            log.info("loaded strategy %s from %s", entry.name, entry.source)
    return entries


def _load_file(path: Path, registry: StrategyRegistry) -> list[StrategyEntry]:
    # A unique module name per file keeps two folders' "my_strategy.py" apart.
    module_name = f"ct_user_strategy_{path.stem}_{stable_id(str(path.resolve()))[:8]}"
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import {path.name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - user code: report any failure, load the rest
        sys.modules.pop(module_name, None)
        failed = StrategyEntry(path.stem, str(path), error=f"{type(error).__name__}: {error}")
        return [registry.add(failed)]
    classes = [
        member
        for _, member in inspect.getmembers(module, inspect.isclass)
        if issubclass(member, BaseStrategy)
        and member.__module__ == module_name
        and not inspect.isabstract(member)
    ]
    if not classes:
        return [registry.add(StrategyEntry(path.stem, str(path), error="no strategy class"))]
    return [registry.add_class(member, str(path)) for member in classes]
