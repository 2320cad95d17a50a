"""Replay rules: which sources to try, which candles to replay, how fast, and the progress made."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from crypto_trader.common.errors import ConfigurationError
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey


class SourceKind(enum.StrEnum):
    """Where the replayed candles come from."""

    FILE = "file"
    CCXT = "ccxt"
    STORE = "store"
    SYNTHETIC = "synthetic"


def source_plan(requested: str, *, has_replay_file: bool) -> tuple[SourceKind, ...]:
    """Return the sources to try, in order, for the configured ``source`` setting.

    An unreachable exchange never stops the service: "ccxt" falls back to the store, and "auto" ends
    with a synthetic series so that the platform always has candles to run on.

    Raises
    ------
    ConfigurationError
        When "file" is asked for without a replay file, or the source is unknown.
    """
    if requested == "file":
        if not has_replay_file:
            raise ConfigurationError("source 'file' needs CT_MARKETDATA_REPLAY_FILE")
        return (SourceKind.FILE,)
    if requested == "store":
        return (SourceKind.STORE,)
    if requested == "ccxt":
        return (SourceKind.CCXT, SourceKind.STORE)
    if requested == "auto":
        if has_replay_file:
            return (SourceKind.FILE,)
        return (SourceKind.CCXT, SourceKind.STORE, SourceKind.SYNTHETIC)
    raise ConfigurationError(f"unknown source {requested!r}; use auto, ccxt, store or file")


@dataclass(frozen=True, slots=True)
class ReplayWindow:
    """The stored candles of one market to replay: open times in [start_ms, end_ms).

    ``end_ms`` None means up to the newest stored candle.
    """

    key: MarketKey
    start_ms: int
    end_ms: int | None

    def resume_from(self, cursor_ms: int | None) -> int:
        """Return the first open time still to publish, given the last one published."""
        if cursor_ms is None:
            return self.start_ms
        return max(self.start_ms, cursor_ms + 1)


@dataclass(frozen=True, slots=True)
class ReplayPlan:
    """The chosen source and the window it replays."""

    source: SourceKind
    window: ReplayWindow
    synthetic: bool


@dataclass(slots=True)
class ReplayStatus:
    """Progress of the replay, read by the gRPC status query."""

    key: MarketKey | None = None
    source: str = "starting"
    synthetic: bool = False
    published: int = 0
    total: int = 0
    finished: bool = False
    last_open_time_ms: int = 0
    # Open time of the newest candle released to the world: set just before it is published, so a
    # service that sees it on the bus can already read it (and nothing newer) from the history.
    horizon_ms: int = 0

    def start(self, plan: ReplayPlan, *, total: int, already_published: int) -> None:
        """Record the chosen plan and how far an earlier run already got."""
        self.key = plan.window.key
        self.source = plan.source.value
        self.synthetic = plan.synthetic
        self.total = total
        self.published = already_published
        self.finished = False

    def release(self, candle: Candle) -> None:
        """Make a candle part of history: it is about to be published."""
        self.horizon_ms = max(self.horizon_ms, candle.open_time_ms)

    def record(self, candle: Candle) -> None:
        """Count one published candle."""
        self.published += 1
        self.last_open_time_ms = candle.open_time_ms


def candle_event_id(candle: Candle) -> str:
    """Return the event id (and Nats-Msg-Id) of a closed candle: the same on every replay."""
    return stable_id(
        "candle", candle.exchange, candle.symbol, candle.timeframe, candle.open_time_ms
    )


def pacing_interval_seconds(timeframe_ms: int, replay_speed: float) -> float:
    """Return the wall-clock gap between replayed candles at ``replay_speed`` times real time."""
    if replay_speed <= 0:
        raise ConfigurationError(f"replay speed must be positive, got {replay_speed}")
    return timeframe_ms / 1000.0 / replay_speed


class ReplayPacer:
    """Schedule publishes at a fixed interval on a monotonic clock, without bursts after a stall."""

    def __init__(self, interval_seconds: float) -> None:
        self._interval = interval_seconds
        self._next_due: float | None = None

    def delay(self, now: float) -> float:
        """Return how long to wait before the next publish, and book that publish's slot."""
        if self._next_due is None or now - self._next_due > self._interval:
            # First candle, or more than one slot late (a slow broker): restart the schedule now
            # rather than firing a burst of candles to catch up.
            self._next_due = now
        wait = max(0.0, self._next_due - now)
        self._next_due += self._interval
        return wait
