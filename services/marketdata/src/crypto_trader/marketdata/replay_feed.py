"""Use case part: read one replayed market's stored candles and trades, and save its cursors.

Cursors are saved in batches (``CursorSchedule``), never one database write per event: a restart
resumes after the last saved cursor and repeats what went out since, each event under its stable
id, which JetStream's duplicate window and the idempotent consumers absorb.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from crypto_trader.common.model import Candle
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import (
    CursorSchedule,
    ReplayOrder,
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    candle_replay_order,
    trade_replay_order,
)
from crypto_trader.marketdata.domain.trade import TradeOrder, TradeTick
from crypto_trader.marketdata.ports import CandleStore, ReplayCursors, TradeStore

log = logging.getLogger(__name__)

_T = TypeVar("_T", Candle, TradeTick)

_PAGE = 1000
# The candle cursor is saved every this many candles or seconds, before every wait of the replay
# (a paced replay, or one held back by a slow consumer or the broker) and when it stops. At speed
# "max" a crash so repeats at most this many candles; at paced speeds each candle is followed by a
# wait, so its cursor is saved at once, as it always was.
CANDLE_CURSOR_EVERY = 100
_CURSOR_SECONDS = 1.0
# Trades are saved every this many trades (or _CURSOR_SECONDS) and when the replay stops; a restart
# also skips every trade of a candle already published. So a crash repeats at most this many
# trades (with their stable event ids), all stamped after the last candle saved.
_TRADE_CURSOR_EVERY = 100
# A trade's price goes to the last-price cache at most once per this many seconds (wall time) per
# market: a cache round trip per trade would cost more than publishing the trade (at speed "max"
# the replay ran a third slower with one), while readers, who read in wall time, still see a price
# this fresh. Each candle's close is written as before, and it follows its own trades.
_TRADE_PRICE_EVERY_SECONDS = 0.1


class _Pages(Generic[_T]):
    # Stored items a page at a time: the next page is read in a worker thread while this one goes
    # out, so reading the store overlaps the waits for the broker instead of adding to them.

    def __init__(self, read: Callable[[_T | None], Sequence[_T]]) -> None:
        self._read = read  # the page after an item (None: the first page)
        self._items: deque[_T] = deque()
        self._next: asyncio.Future[Sequence[_T]] | None = None
        self._exhausted = False

    async def head(self) -> _T | None:
        if not self._items and not self._exhausted:
            pending = self._next or self._fetch(None)
            self._next = None
            page = await pending
            self._exhausted = not page
            if page:
                self._items.extend(page)
                self._next = self._fetch(page[-1])
        return self._items[0] if self._items else None

    def pop(self) -> None:
        self._items.popleft()

    def close(self) -> None:
        if self._next is not None:
            self._next.cancel()
            self._next = None

    def _fetch(self, last: _T | None) -> asyncio.Future[Sequence[_T]]:
        return asyncio.ensure_future(asyncio.to_thread(self._read, last))


class CandleFeed:
    """The market's candles still to publish, and the candle cursor."""

    def __init__(
        self,
        store: CandleStore,
        cursors: ReplayCursors,
        window: ReplayWindow,
        next_ms: int,
        monotonic: Callable[[], float],
    ) -> None:
        self._store = store
        self._cursors = cursors
        self._window = window
        self._first_ms = next_ms
        self._monotonic = monotonic
        self._pages = _Pages(self._read)
        self._head: tuple[ReplayOrder, Candle] | None = None
        self._schedule = CursorSchedule(CANDLE_CURSOR_EVERY, _CURSOR_SECONDS)
        self._unsaved: int | None = None

    async def head(self) -> tuple[ReplayOrder, Candle] | None:
        """Return the next candle and its place in the stream, or None when all went out."""
        if self._head is None:
            candle = await self._pages.head()
            if candle is not None:
                self._head = (candle_replay_order(candle), candle)
        return self._head

    async def published(self, candle: Candle) -> None:
        """Take the head candle off once the broker acknowledged it; save the cursor when due."""
        self._pages.pop()
        self._head = None
        self._unsaved = candle.open_time_ms
        if self._schedule.published(self._monotonic()):
            await self.save_cursor()

    async def save_cursor(self) -> None:
        """Save the cursor of the last candle published, if it is not saved yet."""
        if self._unsaved is not None:
            await asyncio.to_thread(self._cursors.save_cursor, self._window.key, self._unsaved)
        self._unsaved = None
        self._schedule.saved()

    def close(self) -> None:
        """Stop reading ahead."""
        self._pages.close()

    def _read(self, last: Candle | None) -> Sequence[Candle]:
        start = self._first_ms if last is None else last.open_time_ms + 1
        return self._store.read_candles(
            self._window.key, start_ms=start, end_ms=self._window.end_ms, limit=_PAGE
        )


class TradeFeed:
    """The market's trades still to publish, and the trade cursor."""

    def __init__(
        self,
        store: TradeStore,
        key: MarketKey,
        *,
        start_ms: int,
        end_ms: int | None,
        after: TradeOrder | None,
        monotonic: Callable[[], float],
    ) -> None:
        self._store = store
        self._key = key
        self._start_ms = start_ms
        self._end_ms = end_ms
        self._first_after = after
        self._monotonic = monotonic
        self._pages = _Pages(self._read)
        self._head: tuple[ReplayOrder, TradeTick] | None = None
        self._schedule = CursorSchedule(_TRADE_CURSOR_EVERY, _CURSOR_SECONDS)
        self._unsaved: TradeTick | None = None
        self._priced_at: float | None = None

    async def head(self) -> tuple[ReplayOrder, TradeTick] | None:
        """Return the next trade and its place in the stream, or None when all went out."""
        if self._head is None:
            trade = await self._pages.head()
            if trade is not None:
                self._head = (trade_replay_order(trade), trade)
        return self._head

    async def published(self, trade: TradeTick) -> None:
        """Take the head trade off once it went out; save the cursor when due."""
        self._pages.pop()
        self._head = None
        self._unsaved = trade
        if self._schedule.published(self._monotonic()):
            await self.save_cursor()

    def price_due(self) -> bool:
        """Tell whether a trade's price should refresh the cache (_TRADE_PRICE_EVERY_SECONDS)."""
        now = self._monotonic()
        if self._priced_at is not None and now - self._priced_at < _TRADE_PRICE_EVERY_SECONDS:
            return False
        self._priced_at = now
        return True

    async def save_cursor(self) -> None:
        """Save the cursor of the last trade published, if it is not saved yet."""
        if self._unsaved is not None:
            await asyncio.to_thread(self._store.save_trade_cursor, self._unsaved)
        self._unsaved = None
        self._schedule.saved()

    def close(self) -> None:
        """Stop reading ahead."""
        self._pages.close()

    def _read(self, last: TradeTick | None) -> Sequence[TradeTick]:
        return self._store.read_trades(
            self._key.exchange, self._key.symbol, start_ms=self._start_ms, end_ms=self._end_ms,
            after=self._first_after if last is None else last.order, limit=_PAGE,
        )  # fmt: skip


@dataclass(slots=True)
class MarketReplay:
    """One market of the replay: its plan, its status and its two feeds."""

    plan: ReplayPlan
    status: ReplayStatus
    candles: CandleFeed
    trades: TradeFeed | None

    async def head(self) -> tuple[ReplayOrder, Candle | TradeTick] | None:
        """Return the market's next event and its place in the stream, or None when done."""
        candle = await self.candles.head()
        trade = None if self.trades is None else await self.trades.head()
        if trade is not None and (candle is None or trade[0] < candle[0]):
            return trade
        return candle

    async def stop(self) -> None:
        """Stop reading ahead and save both cursors of what went out."""
        self.candles.close()
        await self.candles.save_cursor()
        if self.trades is not None:
            self.trades.close()
            await self.trades.save_cursor()


async def start_market(
    plan: ReplayPlan,
    *,
    store: CandleStore,
    cursors: ReplayCursors,
    status: ReplayStatus,
    trade_store: TradeStore | None,
    monotonic: Callable[[], float],
) -> MarketReplay:
    """Resume a market from its saved cursors; with ``trade_store``, its trades go out too."""
    window = plan.window
    cursor = await asyncio.to_thread(cursors.load_cursor, window.key)
    next_ms = window.resume_from(cursor)
    total = await asyncio.to_thread(
        store.count_candles, window.key, start_ms=window.start_ms, end_ms=window.end_ms
    )
    done_end = next_ms if window.end_ms is None else min(next_ms, window.end_ms)
    already = await asyncio.to_thread(
        store.count_candles, window.key, start_ms=window.start_ms, end_ms=done_end
    )
    status.start(plan, total=total, already_published=already)
    if cursor is not None:
        status.last_open_time_ms = cursor
        status.horizon_ms = cursor
    log.info(
        "replaying %s from %d (%d of %d already published)", window.key, next_ms, already, total
    )
    trade_feed = None
    if trade_store is not None:
        trade_feed = await _trade_feed(trade_store, window, cursor, monotonic)
    candle_feed = CandleFeed(store, cursors, window, next_ms, monotonic)
    return MarketReplay(plan, status, candle_feed, trade_feed)


async def _trade_feed(
    store: TradeStore, window: ReplayWindow, cursor: int | None, monotonic: Callable[[], float]
) -> TradeFeed:
    key = window.key
    step = key.timeframe_ms
    # The trades of the candles replayed: up to the close of the window's last candle; and none
    # of a candle already published (its trades went out before it).
    start = window.start_ms if cursor is None else max(window.start_ms, cursor + step)
    end = None if window.end_ms is None else window.end_ms - 1 + step
    after = await asyncio.to_thread(store.load_trade_cursor, key.exchange, key.symbol)
    return TradeFeed(store, key, start_ms=start, end_ms=end, after=after, monotonic=monotonic)
