"""Several markets replayed as one stream: open-time order, one resumable cursor per market."""

from __future__ import annotations

import asyncio

from crypto_trader.marketdata import handlers, replay_runner
from crypto_trader.marketdata.domain.market import MarketKey
from crypto_trader.marketdata.domain.replay import (
    ReplayPlan,
    ReplayStatus,
    ReplayWindow,
    SourceKind,
)
from crypto_trader.marketdata.testing import (
    BTC_5M,
    START_MS,
    FakePriceCache,
    InMemoryCandleStore,
    RecordingPublisher,
    make_candles,
)

ETH_5M = MarketKey("binance", "ETH/USDT", "5m")
STEP = BTC_5M.timeframe_ms


def _store() -> InMemoryCandleStore:
    # ETH starts one candle later and ends one later: the markets overlap but are not aligned.
    return InMemoryCandleStore(
        [*make_candles(BTC_5M, count=6), *make_candles(ETH_5M, count=6, start_ms=START_MS + STEP)]
    )


def _plans() -> list[ReplayPlan]:
    return [
        ReplayPlan(SourceKind.STORE, ReplayWindow(key, START_MS, None), synthetic=False)
        for key in (ETH_5M, BTC_5M)
    ]


async def _replay(
    store: InMemoryCandleStore,
    publisher: RecordingPublisher,
    statuses: dict[MarketKey, ReplayStatus],
    stop: asyncio.Event,
    prices: FakePriceCache | None = None,
) -> bool:
    return await replay_runner.replay_markets(
        _plans(),
        speed=1e9,
        store=store,
        cursors=store,
        publisher=publisher,
        statuses=statuses,
        stop=stop,
        prices=prices,
    )


def _order(publisher: RecordingPublisher) -> list[tuple[int, str]]:
    return [((c.open_time_ms - START_MS) // STEP, c.symbol) for c in publisher.published]


async def test_interleaves_markets_in_open_time_order_with_ties_broken_by_symbol() -> None:
    store, publisher, prices = _store(), RecordingPublisher(), FakePriceCache()
    statuses = {BTC_5M: ReplayStatus(), ETH_5M: ReplayStatus()}

    finished = await _replay(store, publisher, statuses, asyncio.Event(), prices)

    assert finished
    expected = sorted([(i, "BTC/USDT") for i in range(6)] + [(i, "ETH/USDT") for i in range(1, 7)])
    assert _order(publisher) == expected
    assert statuses[BTC_5M].published == 6 and statuses[ETH_5M].published == 6
    assert prices.prices[("binance", "ETH/USDT")][1] == START_MS + 7 * STEP


async def test_each_market_resumes_from_its_own_cursor_without_repeats() -> None:
    store = _store()
    stop = asyncio.Event()
    first = RecordingPublisher(stop_after=5, stop=stop)

    finished = await _replay(store, first, {BTC_5M: ReplayStatus(), ETH_5M: ReplayStatus()}, stop)
    statuses = {BTC_5M: ReplayStatus(), ETH_5M: ReplayStatus()}
    second = RecordingPublisher()
    await _replay(store, second, statuses, asyncio.Event())

    assert not finished
    assert store.cursors == {BTC_5M: START_MS + 5 * STEP, ETH_5M: START_MS + 6 * STEP}
    combined = _order(first) + _order(second)
    assert combined == sorted(set(combined)) and len(combined) == 12
    assert (statuses[BTC_5M].total, statuses[ETH_5M].total) == (6, 6)


async def test_history_of_each_replayed_market_ends_at_its_released_candle() -> None:
    store = _store()
    stop = asyncio.Event()
    statuses = {BTC_5M: ReplayStatus(), ETH_5M: ReplayStatus()}
    await _replay(store, RecordingPublisher(stop_after=4, stop=stop), statuses, stop)

    btc = handlers.get_candles(
        store, exchange="binance", symbol="BTC/USDT", timeframe="5m", status=statuses[BTC_5M]
    )
    eth = handlers.get_candles(
        store, exchange="binance", symbol="ETH/USDT", timeframe="5m", status=statuses[ETH_5M]
    )

    # Published so far: BTC 0, BTC 1, ETH 1, BTC 2.
    assert [(c.open_time_ms - START_MS) // STEP for c in btc] == [0, 1, 2]
    assert [(c.open_time_ms - START_MS) // STEP for c in eth] == [1]


async def test_a_price_cache_that_is_down_never_stops_the_replay() -> None:
    store, publisher, prices = _store(), RecordingPublisher(), FakePriceCache(down=True)

    finished = await _replay(
        store, publisher, {BTC_5M: ReplayStatus(), ETH_5M: ReplayStatus()}, asyncio.Event(), prices
    )

    assert finished and len(publisher.published) == 12 and prices.failed == 12
