"""Use case: choose what a market replays (a file, the store or a synthetic series) and load it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import ConfigurationError, InvalidInput
from crypto_trader.marketdata.domain.market import MarketKey, floor_open_time
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayWindow,
    SourceKind,
    source_plan,
)
from crypto_trader.marketdata.domain.synthetic import random_walk_candles
from crypto_trader.marketdata.ports import CandleFileImport, CandleStore

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplayConfig:
    """What to replay, taken from the settings by the composition root."""

    key: MarketKey
    source: str = "auto"
    replay_file: Path | None = None
    replay_start_ms: int = 0
    replay_limit: int = 0
    synthetic_candles: int = 5000
    synthetic_seed: int = 7


async def prepare_replay(
    config: ReplayConfig,
    *,
    store: CandleStore,
    import_file: CandleFileImport,
    clock: Clock,
) -> ReplayPlan:
    """Try the configured sources in order, load the first that yields candles into the store.

    Raises
    ------
    ConfigurationError
        When an explicitly configured replay file cannot be read or holds no valid candle.
    """
    for kind in source_plan(config.source, has_replay_file=config.replay_file is not None):
        window = await _load_source(kind, config, store, import_file, clock)
        if window is not None:
            synthetic = kind is SourceKind.SYNTHETIC or (
                kind is SourceKind.STORE
                and await asyncio.to_thread(_is_synthetic, store, config.key)
            )
            if synthetic:
                log.warning(
                    "replaying SYNTHETIC candles for %s: generated data, not real market prices",
                    config.key,
                )
            return ReplayPlan(kind, await _limit(window, config, store), synthetic)
    log.warning("no candles to replay for %s (source %s)", config.key, config.source)
    empty = ReplayWindow(config.key, config.replay_start_ms, config.replay_start_ms)
    return ReplayPlan(SourceKind.STORE, empty, synthetic=False)


async def _load_source(
    kind: SourceKind,
    config: ReplayConfig,
    store: CandleStore,
    import_file: CandleFileImport,
    clock: Clock,
) -> ReplayWindow | None:
    if kind is SourceKind.FILE:
        return await _load_file(config, import_file)
    if kind is SourceKind.STORE:
        if await asyncio.to_thread(store.has_candles, config.key):
            return ReplayWindow(config.key, config.replay_start_ms, None)
        log.info("the store holds no candles of %s", config.key)
        return None
    return await _seed_synthetic(config, store, clock)


async def _load_file(config: ReplayConfig, import_file: CandleFileImport) -> ReplayWindow:
    if config.replay_file is None:  # source_plan only picks FILE when one is set
        raise ConfigurationError("no replay file configured")
    try:
        report = await asyncio.to_thread(import_file, config.replay_file)
    except InvalidInput as error:
        raise ConfigurationError(f"cannot replay {config.replay_file}: {error}") from None
    if report.first_open_time_ms is None or report.last_open_time_ms is None:
        raise ConfigurationError(f"replay file {config.replay_file} holds no valid candle")
    log.info(
        "imported replay file %s: %d rows, %d new, %d duplicates, %d rejected%s",
        report.path,
        report.rows_read,
        report.stored,
        report.duplicates_skipped,
        report.rejected_total,
        f" {report.rejected}" if report.rejected else "",
    )
    return _covering(config, report.first_open_time_ms, report.last_open_time_ms)


async def _seed_synthetic(config: ReplayConfig, store: CandleStore, clock: Clock) -> ReplayWindow:
    step = config.key.timeframe_ms
    last_closed = floor_open_time(clock.now_ms(), step) - step
    candles = random_walk_candles(
        config.key,
        start_ms=last_closed - (config.synthetic_candles - 1) * step,
        count=config.synthetic_candles,
        seed=config.synthetic_seed,
    )
    stored = await asyncio.to_thread(store.add_candles, candles)
    log.warning(
        "no real market data reachable: seeded %d SYNTHETIC candles of %s (random walk, seed %d)",
        stored,
        config.key,
        config.synthetic_seed,
    )
    return _covering(config, candles[0].open_time_ms, candles[-1].open_time_ms)


def _covering(config: ReplayConfig, first_ms: int, last_ms: int) -> ReplayWindow:
    return ReplayWindow(config.key, max(config.replay_start_ms, first_ms), last_ms + 1)


def _is_synthetic(store: CandleStore, key: MarketKey) -> bool:
    return any(item.key == key and item.synthetic for item in store.coverage(key.exchange))


async def _limit(window: ReplayWindow, config: ReplayConfig, store: CandleStore) -> ReplayWindow:
    if config.replay_limit <= 0:
        return window
    last = await asyncio.to_thread(
        store.nth_open_time,
        window.key,
        start_ms=window.start_ms,
        end_ms=window.end_ms,
        n=config.replay_limit,
    )
    return window if last is None else ReplayWindow(window.key, window.start_ms, last + 1)
