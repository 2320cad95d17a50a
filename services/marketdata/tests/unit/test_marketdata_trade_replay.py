"""Stored trades replayed with the candles: time order, resumable cursors, and real trade data."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from crypto_trader.common.model import Candle
from crypto_trader.marketdata import replay_runner
from crypto_trader.marketdata.adapters.candle_files import read_candle_file
from crypto_trader.marketdata.adapters.trade_files import read_trade_file
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
)
from crypto_trader.marketdata.domain.trade import TradeTick
from crypto_trader.marketdata.testing import (
    BTC_5M,
    START_MS,
    InMemoryCandleStore,
    InMemoryTradeStore,
    make_candles,
    make_trades,
)

STEP = BTC_5M.timeframe_ms
ETH_5M = MarketKey("binance", "ETH/USDT", "5m")
BTC_1M = MarketKey("binance", "BTC/USDT", "1m")

Event = Candle | TradeTick


class Tape:
    """What went out, candles and trades in one list; sets ``stop`` after ``stop_after`` events."""

    def __init__(self, *, stop_after: int | None = None, stop: asyncio.Event | None = None) -> None:
        self.events: list[Event] = []
        self._stop_after = stop_after
        self._stop = stop

    def _record(self, event: Event) -> None:
        self.events.append(event)
        if self._stop is not None and len(self.events) == self._stop_after:
            self._stop.set()

    async def publish(self, candle: Candle) -> None:
        self._record(candle)

    async def publish_trade(self, trade: TradeTick) -> None:
        self._record(trade)

    def labels(self) -> list[str]:
        return [_label(event) for event in self.events]


def _label(event: Event) -> str:
    if isinstance(event, Candle):
        return f"{event.symbol[:3]} candle {(event.open_time_ms - START_MS) // STEP}"
    return f"{event.symbol[:3]} trade {event.trade_id}"


def _plan(key: MarketKey = BTC_5M, start_ms: int = 0, end_ms: int | None = None) -> ReplayPlan:
    return ReplayPlan(SourceKind.STORE, ReplayWindow(key, start_ms, end_ms), synthetic=False)


async def _replay(
    plans: list[ReplayPlan],
    candles: InMemoryCandleStore,
    trades: InMemoryTradeStore,
    tape: Tape,
    *,
    stop: asyncio.Event | None = None,
    statuses: dict[MarketKey, ReplayStatus] | None = None,
) -> bool:
    return await replay_runner.replay_markets(
        plans,
        speed=0,
        store=candles,
        cursors=candles,
        publisher=tape,
        statuses=statuses or {plan.window.key: ReplayStatus() for plan in plans},
        stop=stop or asyncio.Event(),
        trades=replay_runner.TradeReplay(trades, tape),
    )


class TestTradeOrder:
    async def test_trades_go_out_at_their_time_and_each_candle_after_its_own_trades(self) -> None:
        candles = InMemoryCandleStore(make_candles(count=3))
        # In candle 0, in candle 0, exactly at candle 0's close (so in candle 1), in candle 2.
        times = [START_MS + 10, START_MS + 20, START_MS + STEP, START_MS + 2 * STEP + 5]
        trades = InMemoryTradeStore(make_trades(times_ms=times))
        tape = Tape()

        finished = await _replay([_plan()], candles, trades, tape)

        assert finished
        assert tape.labels() == [
            "BTC trade 1000",
            "BTC trade 1001",
            "BTC candle 0",
            "BTC trade 1002",
            "BTC candle 1",
            "BTC trade 1003",
            "BTC candle 2",
        ]

    async def test_trades_of_one_millisecond_go_out_in_id_order_numbers_compared_as_numbers(
        self,
    ) -> None:
        candles = InMemoryCandleStore(make_candles(count=1))
        trades = InMemoryTradeStore(
            make_trades(times_ms=[START_MS + 1] * 3, first_id=998)[::-1]  # ids 998, 999, 1000
        )
        tape = Tape()

        await _replay([_plan()], candles, trades, tape)

        assert tape.labels() == [
            "BTC trade 998",
            "BTC trade 999",
            "BTC trade 1000",
            "BTC candle 0",
        ]

    async def test_markets_interleave_by_time_and_a_market_without_trades_still_replays(
        self,
    ) -> None:
        candles = InMemoryCandleStore(
            [*make_candles(BTC_5M, count=2), *make_candles(ETH_5M, count=2)]
        )
        trades = InMemoryTradeStore(make_trades(ETH_5M, times_ms=[START_MS + STEP + 1]))
        tape = Tape()

        await _replay([_plan(BTC_5M), _plan(ETH_5M)], candles, trades, tape)

        assert tape.labels() == [
            "BTC candle 0",
            "ETH candle 0",
            "ETH trade 1000",
            "BTC candle 1",
            "ETH candle 1",
        ]

    async def test_trades_outside_the_replayed_candles_stay_unpublished(self) -> None:
        candles = InMemoryCandleStore(make_candles(count=6))
        times = [START_MS + 1, START_MS + 2 * STEP + 1, START_MS + 3 * STEP + 1]
        trades = InMemoryTradeStore(make_trades(times_ms=times))
        tape = Tape()

        # Candles 1 and 2: trades of candle 0 and of candle 3 lie outside.
        await _replay(
            [_plan(start_ms=START_MS + STEP, end_ms=START_MS + 2 * STEP + 1)], candles, trades, tape
        )

        assert tape.labels() == ["BTC candle 1", "BTC trade 1001", "BTC candle 2"]

    async def test_a_market_replayed_in_two_timeframes_publishes_its_trades_once(self) -> None:
        candles = InMemoryCandleStore(
            [*make_candles(BTC_5M, count=1), *make_candles(BTC_1M, count=5)]
        )
        trades = InMemoryTradeStore(make_trades(times_ms=[START_MS + 61_000, START_MS + 299_999]))
        tape = Tape()

        await _replay([_plan(BTC_5M), _plan(BTC_1M)], candles, trades, tape)

        published = [event for event in tape.events if isinstance(event, TradeTick)]
        assert [trade.trade_id for trade in published] == ["1000", "1001"]
        last = [(event.timeframe, event.open_time_ms) for event in tape.events[-2:]]
        assert last == [
            ("1m", START_MS + 4 * 60_000),
            ("5m", START_MS),
        ]  # the shorter first at a tie
        assert tape.events[-3] == published[-1]


class TestResume:
    async def test_a_stopped_replay_resumes_without_repeating_or_skipping_a_trade(self) -> None:
        candle_list = make_candles(count=10)
        times = [START_MS + index * STEP // 3 for index in range(30)]
        candles = InMemoryCandleStore(candle_list)
        trades = InMemoryTradeStore(make_trades(times_ms=times))
        stop = asyncio.Event()
        first = Tape(stop_after=17, stop=stop)

        finished = await _replay([_plan()], candles, trades, first, stop=stop)
        second = Tape()
        await _replay([_plan()], candles, trades, second)

        assert not finished
        everything = Tape()
        await _replay([_plan()], InMemoryCandleStore(candle_list), InMemoryTradeStore(
            make_trades(times_ms=times)), everything)  # fmt: skip
        assert first.labels() + second.labels() == everything.labels()
        assert len(everything.events) == 40

    async def test_trades_are_not_saved_one_by_one(self) -> None:
        candles = InMemoryCandleStore(make_candles(count=1))
        trades = InMemoryTradeStore(make_trades(times_ms=[START_MS + n for n in range(250)]))

        await _replay([_plan()], candles, trades, Tape())

        # Every 100 trades, and the last 50 when the replay ends.
        assert trades.cursor_saves == 3
        assert trades.cursors[("binance", "BTC/USDT")] == (START_MS + 249, 4, "1249")

    async def test_trades_of_candles_published_before_trades_were_stored_are_skipped(
        self,
    ) -> None:
        candle_list = make_candles(count=4)
        candles = InMemoryCandleStore(candle_list)
        candles.save_cursor(BTC_5M, candle_list[1].open_time_ms)  # candles 0 and 1 went out
        times = [START_MS + 1, START_MS + STEP + 1, START_MS + 2 * STEP + 1]
        trades = InMemoryTradeStore(make_trades(times_ms=times))
        tape = Tape()

        await _replay([_plan()], candles, trades, tape)

        assert tape.labels() == ["BTC trade 1002", "BTC candle 2", "BTC candle 3"]

    async def test_status_counts_published_trades(self) -> None:
        candles = InMemoryCandleStore(make_candles(count=2))
        trades = InMemoryTradeStore(make_trades(times_ms=[START_MS + 1, START_MS + 2]))
        status = ReplayStatus()

        await _replay([_plan()], candles, trades, Tape(), statuses={BTC_5M: status})

        assert (status.published, status.trades_published, status.finished) == (2, 2, True)


@pytest.mark.integration
async def test_real_trades_before_each_candle_add_up_to_that_candle(
    shared_data_dir: Path,
) -> None:
    # freqtrade built these 1m candles from these very trades (see the data README): replayed
    # together, the trades published since the previous candle must aggregate to each candle.
    folder = shared_data_dir / "freqtrade"
    key = MarketKey("binance", "XRP/ETH", "1m")
    candle_file = read_candle_file(folder / "XRP_ETH-1m.feather", exchange="binance",
                                   symbol="XRP/ETH", timeframe="1m")  # fmt: skip
    trade_file = read_trade_file(
        folder / "XRP_ETH-trades.feather", exchange="binance", symbol="XRP/ETH"
    )
    tape = Tape()

    await _replay(
        [_plan(key)],
        InMemoryCandleStore(candle_file.candles),
        InMemoryTradeStore(trade_file.trades),
        tape,
    )

    checked, pending = 0, list[TradeTick]()
    for event in tape.events:
        if isinstance(event, TradeTick):
            pending.append(event)
            continue
        assert all(event.open_time_ms <= t.ts_event < event.close_time_ms for t in pending)
        if pending:  # a minute without trades has no candle to compare
            prices = [trade.price for trade in pending]
            assert (event.open, event.high, event.low, event.close) == (
                prices[0], max(prices), min(prices), prices[-1],
            )  # fmt: skip
            assert event.volume == sum((trade.amount for trade in pending), Decimal(0))
            checked += 1
        pending = []
    assert checked == len(candle_file.candles) == 2469
    assert sum(isinstance(event, TradeTick) for event in tape.events) == 12_477
