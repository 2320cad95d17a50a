"""Use cases with in-memory fakes: booking once, publishing, marking to market, queries."""

from decimal import Decimal

import pytest

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle, Side
from crypto_trader.portfolio import handlers
from crypto_trader.portfolio.domain.ledger import EntryKind
from crypto_trader.portfolio.domain.valuation import PriceSource
from crypto_trader.portfolio.testing import (
    InMemoryLedger,
    InMemoryPriceBook,
    RecordingPublisher,
    make_fill,
)

D = Decimal
OPEN_MS = 1_700_000_100_000


class World:
    def __init__(self) -> None:
        self.ledger = InMemoryLedger()
        self.prices = InMemoryPriceBook()
        self.publisher = RecordingPublisher()
        self.clock = FakeClock(1_700_000_000_000)

    async def open(self, cash: str = "10000") -> bool:
        return await handlers.open_account(
            "paper", "USDT", D(cash), ledger=self.ledger, clock=self.clock
        )

    async def book(self, fill) -> handlers.Outcome:
        return await handlers.book_fill(
            fill,
            quote_currency="USDT",
            ledger=self.ledger,
            prices=self.prices,
            publisher=self.publisher,
            clock=self.clock,
        )

    async def candle(self, close: str, open_ms: int = OPEN_MS, closed: bool = True):
        candle = Candle(
            exchange="binance",
            symbol="BTC/USDT",
            timeframe="5m",
            open_time_ms=open_ms,
            open=D(close),
            high=D(close),
            low=D(close),
            close=D(close),
            volume=D("1"),
            closed=closed,
        )
        return await handlers.on_candle(
            candle,
            account="paper",
            quote_currency="USDT",
            ledger=self.ledger,
            prices=self.prices,
            publisher=self.publisher,
            clock=self.clock,
        )

    async def equity(self):
        return await handlers.account_equity(
            "paper", quote_currency="USDT", ledger=self.ledger, prices=self.prices
        )


@pytest.fixture
async def world() -> World:
    world = World()
    await world.open()
    return world


class TestOpenAccount:
    async def test_deposits_the_initial_cash_once(self, world: World) -> None:
        again = await world.open(cash="5000")

        assert again is False
        assert await world.ledger.balances("paper") == {"USDT": D("10000")}
        assert len(await world.ledger.journal("paper", EntryKind.DEPOSIT, 10)) == 1


class TestBookFill:
    async def test_books_a_fill_and_updates_cash_and_position(self, world: World) -> None:
        outcome = await world.book(make_fill(quantity="0.1", price="30000", fee="3"))

        assert outcome is handlers.Outcome.BOOKED
        assert await world.ledger.balances("paper") == {"USDT": D("6997"), "BTC": D("0.1")}
        position = await world.ledger.position("paper", "binance", "BTC/USDT")
        assert position is not None
        assert position.quantity == D("0.1")

    async def test_a_repeated_trade_id_is_a_no_op(self, world: World) -> None:
        await world.book(make_fill("t-1"))
        await world.book(make_fill("t-2", side=Side.SELL, quantity="0.05"))

        outcome = await world.book(make_fill("t-1", price="99999"))

        assert outcome is handlers.Outcome.DUPLICATE
        assert await world.ledger.fills_booked("paper") == 2
        position = await world.ledger.position("paper", "binance", "BTC/USDT")
        assert position is not None and position.quantity == D("0.05")

    async def test_the_same_trade_id_on_another_exchange_is_another_fill(
        self, world: World
    ) -> None:
        await world.book(make_fill("t-1"))

        outcome = await world.book(make_fill("t-1", exchange="kraken"))

        assert outcome is handlers.Outcome.BOOKED
        assert await world.ledger.fills_booked("paper") == 2

    async def test_publishes_position_and_equity_with_deterministic_ids(self, world: World) -> None:
        await world.book(make_fill("t-1", quantity="0.1", price="30000", fee="3"))

        position_id = stable_id("position", "paper", "binance", "fill", "t-1")
        equity_id = stable_id("equity", "paper", "binance", "fill", "t-1")
        assert set(world.publisher.positions) == {position_id}
        assert set(world.publisher.equities) == {equity_id}
        equity = world.publisher.equities[equity_id]
        # Marked at the fill price until a candle arrives: 6997 cash + 0.1 * 30000.
        assert equity.equity == D("9997")
        assert equity.fees_paid == D("3")
        assert equity.fills_booked == 1

    async def test_republishes_a_duplicate_that_is_still_the_latest_fill(
        self, world: World
    ) -> None:
        await world.book(make_fill("t-1"))
        before = world.publisher.attempts

        await world.book(make_fill("t-1"))

        assert world.publisher.attempts == before + 2
        assert len(world.publisher.equities) == 1

    async def test_does_not_republish_an_older_duplicate(self, world: World) -> None:
        await world.book(make_fill("t-1"))
        await world.book(make_fill("t-2"))
        before = world.publisher.attempts

        await world.book(make_fill("t-1"))

        assert world.publisher.attempts == before

    async def test_refuses_a_market_that_does_not_settle_in_the_account_currency(
        self, world: World
    ) -> None:
        with pytest.raises(InvalidInput, match="account currency"):
            await world.book(make_fill(symbol="ETH/BTC"))

        assert world.ledger.entries[-1].kind is EntryKind.DEPOSIT

    async def test_refuses_a_fill_whose_notional_the_ledger_cannot_keep_exactly(
        self, world: World
    ) -> None:
        fill = make_fill(quantity="0.123456789", price="1.0000000001", fee="0")

        with pytest.raises(InvalidInput, match="more digits"):
            await world.book(fill)

        assert len(world.ledger.entries) == 1
        assert await world.ledger.position("paper", "binance", "BTC/USDT") is None
        assert world.publisher.attempts == 0

    async def test_stamps_fill_events_with_the_fill_time(self, world: World) -> None:
        await world.book(make_fill("t-1", ts_ms=123))

        assert set(world.publisher.times.values()) == {(123, world.clock.now_ms())}


class TestOnCandle:
    async def test_marks_positions_to_the_close_and_publishes_equity(self, world: World) -> None:
        await world.book(make_fill(quantity="0.1", price="30000", fee="3"))

        outcome = await world.candle("31000")

        assert outcome is handlers.Outcome.MARKED
        equity_id = stable_id("equity", "paper", "binance", "BTC/USDT", OPEN_MS)
        equity = world.publisher.equities[equity_id]
        assert equity.cash == D("6997")
        assert equity.positions_value == D("3100")
        assert equity.equity == D("10097")
        assert equity.unrealised_pnl == D("100")
        position_id = stable_id("position", "paper", "binance", "BTC/USDT", "candle", OPEN_MS)
        assert world.publisher.positions[position_id].last_price == D("31000")

    async def test_publishes_equity_even_without_positions(self, world: World) -> None:
        await world.candle("31000")

        assert [e.equity for e in world.publisher.equities.values()] == [D("10000")]
        assert world.publisher.positions == {}

    async def test_an_older_candle_does_not_move_the_price_back(self, world: World) -> None:
        await world.candle("31000", open_ms=OPEN_MS)
        await world.candle("29000", open_ms=OPEN_MS - 300_000)

        assert await world.prices.prices() == {("binance", "BTC/USDT"): D("31000")}

    async def test_a_candle_replaces_a_fill_price_whatever_its_time(self, world: World) -> None:
        await world.book(make_fill(price="30000", ts_ms=OPEN_MS * 2))
        await world.candle("31000")
        await world.book(make_fill("t-2", price="32000", ts_ms=OPEN_MS * 3))

        assert world.prices.marks[("binance", "BTC/USDT")].source is PriceSource.CANDLE
        assert (await world.equity()).positions_value == D("0.2") * D("31000")

    async def test_ignores_a_forming_candle(self, world: World) -> None:
        outcome = await world.candle("31000", closed=False)

        assert outcome is handlers.Outcome.IGNORED
        assert await world.prices.prices() == {}


class TestEquity:
    async def test_equity_is_cash_plus_quantity_times_last_price(self, world: World) -> None:
        await world.book(make_fill("1", quantity="0.1", price="30000", fee="3"))
        await world.book(make_fill("2", side=Side.SELL, quantity="0.04", price="31000", fee="1.24"))
        await world.candle("32000")

        equity = await world.equity()

        assert equity.cash == D("8235.76")
        assert equity.positions_value == D("0.06") * D("32000")
        assert equity.equity == D("8235.76") + D("1920")
        assert equity.realised_pnl == D("40")
        assert equity.unrealised_pnl == D("120")
        assert equity.fees_paid == D("4.24")
        assert equity.equity == D("10000") + D("40") + D("120") - D("4.24")


class TestJournalEntries:
    async def test_lists_newest_first_and_filters_by_kind(self, world: World) -> None:
        await world.book(make_fill("1"))
        await world.book(make_fill("2"))

        everything = await handlers.journal_entries("paper", kind="", limit=0, ledger=world.ledger)
        fills = await handlers.journal_entries("paper", kind="fill", limit=1, ledger=world.ledger)

        assert [e.kind for e in everything] == [EntryKind.FILL, EntryKind.FILL, EntryKind.DEPOSIT]
        assert [e.source_key for e in fills] == ["fill:binance:paper:2"]

    async def test_refuses_an_unknown_kind(self, world: World) -> None:
        with pytest.raises(InvalidInput, match="unknown journal entry kind"):
            await handlers.journal_entries("paper", kind="bogus", limit=0, ledger=world.ledger)

    async def test_refuses_a_negative_limit(self, world: World) -> None:
        with pytest.raises(InvalidInput):
            await handlers.journal_entries("paper", kind="", limit=-1, ledger=world.ledger)

    async def test_caps_the_limit(self) -> None:
        ledger = LimitSpy()

        await handlers.journal_entries("paper", kind="", limit=5000, ledger=ledger)
        await handlers.journal_entries("paper", kind="", limit=0, ledger=ledger)

        assert ledger.limits == [handlers.MAX_JOURNAL_LIMIT, handlers.DEFAULT_JOURNAL_LIMIT]


class LimitSpy(InMemoryLedger):
    def __init__(self) -> None:
        super().__init__()
        self.limits: list[int] = []

    async def journal(self, account, kind, limit):
        self.limits.append(limit)
        return []
