"""Replay rules: which sources to try, what to replay in which order, how fast, and progress."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from crypto_trader.common.errors import ConfigurationError
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.trade import TradeTick


class SourceKind(enum.StrEnum):
    """Where the replayed candles come from."""

    FILE = "file"
    CCXT = "ccxt"
    STORE = "store"
    SYNTHETIC = "synthetic"


def source_plan(requested: str, *, has_replay_file: bool) -> tuple[SourceKind, ...]:
    """Return the sources to try, in order, for the configured ``source`` setting.

    The exchange is never a replay source: "ccxt" and "auto" follow it live when it answers, and
    only come here when it does not. Then "ccxt" replays the store and "auto" ends with a synthetic
    series, so that the platform always has candles to run on.

    Raises
    ------
    ConfigurationError
        When "file" is asked for without a replay file, or the source is unknown.
    """
    if requested == "file":
        if not has_replay_file:
            raise ConfigurationError("source 'file' needs CT_MARKETDATA_REPLAY_FILE")
        return (SourceKind.FILE,)
    if requested in ("store", "ccxt"):
        return (SourceKind.STORE,)
    if requested == "auto":
        if has_replay_file:
            return (SourceKind.FILE,)
        return (SourceKind.STORE, SourceKind.SYNTHETIC)
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
    # Trades published by this run (trades have no count in the store to resume from).
    trades_published: int = 0
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
    """Return the wall-clock gap between replayed candles at ``replay_speed`` times real time.

    Speed 0 means "as fast as the consumers keep up": no pacing gap at all.
    """
    if replay_speed < 0:
        raise ConfigurationError(
            f"replay speed must be positive (or 0 for max), got {replay_speed}"
        )
    if replay_speed == 0:
        return 0.0
    return timeframe_ms / 1000.0 / replay_speed


ReplayOrder = tuple[int, int, str, int, int, str]


def candle_replay_order(candle: Candle) -> ReplayOrder:
    """Return where a candle goes in the replayed stream: at its close, before trades of then.

    A trade stamped at a candle's close time belongs to the next candle, so the candle goes first;
    every trade of the candle itself is stamped earlier and has already gone out.
    """
    step = candle.close_time_ms - candle.open_time_ms
    return (candle.close_time_ms, 0, candle.symbol, step, 0, "")


def trade_replay_order(trade: TradeTick) -> ReplayOrder:
    """Return where a trade goes in the replayed stream: at its own time."""
    ts_event, id_length, trade_id = trade.order
    return (ts_event, 1, trade.symbol, 0, id_length, trade_id)


class ReplayPacer:
    """Map event times to a wall-clock schedule at a speed factor, without bursts after a stall.

    Each event is due ``elapsed event time / speed`` after the previous one, with the elapsed time
    capped at one candle: a gap in the data (an exchange outage) costs one candle's slot, not hours
    of silence. Candles one step apart therefore go out one ``interval`` apart, and the trades
    between them at their proportional instants.
    """

    def __init__(self, step_ms: int, speed: float) -> None:
        self._step_ms = step_ms
        self._interval = pacing_interval_seconds(step_ms, speed)
        self._seconds_per_ms = self._interval / step_ms
        self._due: float | None = None
        self._event_ms = 0

    def delay(self, now: float, event_ms: int) -> float:
        """Return how long to wait before publishing the event at ``event_ms``."""
        if self._due is None:
            self._due = now
        else:
            elapsed_ms = min(max(0, event_ms - self._event_ms), self._step_ms)
            self._due += elapsed_ms * self._seconds_per_ms
            if now - self._due > self._interval:
                # More than one slot late (a slow broker): restart the schedule now rather than
                # firing a burst of events to catch up.
                self._due = now
        self._event_ms = max(self._event_ms, event_ms)
        return max(0.0, self._due - now)


class CursorSchedule:
    """Tell when a replay cursor is due to be saved: after ``every`` items or ``seconds``.

    A database write per published item would cost more than publishing it. The replay counts
    what it published since the last save and saves once ``every`` items, or the first of them
    ``seconds`` ago, are unsaved; and always before it stops. A crash therefore repeats at most
    that many items, each under its stable event id.
    """

    def __init__(self, every: int, seconds: float) -> None:
        if every <= 0:
            raise ConfigurationError(f"a cursor is saved every n > 0 items, got {every}")
        if seconds < 0:
            raise ConfigurationError(f"a cursor's save interval is never negative, got {seconds}")
        self._every = every
        self._seconds = seconds
        self._unsaved = 0
        self._first_unsaved_at = 0.0

    def published(self, now: float) -> bool:
        """Count one item published at ``now`` (seconds); return whether a save is due."""
        if self._unsaved == 0:
            self._first_unsaved_at = now
        self._unsaved += 1
        return self._unsaved >= self._every or now - self._first_unsaved_at >= self._seconds

    def saved(self) -> None:
        """Record that the cursor of everything published so far was saved."""
        self._unsaved = 0
