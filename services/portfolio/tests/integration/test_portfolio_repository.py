"""The SQL ledger and price book on SQLite and PostgreSQL: once-only booking and exact decimals."""

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.database import make_engine, migrate
from crypto_trader.common.model import Side
from crypto_trader.portfolio.adapters.repository import SqlAlchemyLedger, SqlAlchemyPriceBook
from crypto_trader.portfolio.adapters.tables import journal, postings
from crypto_trader.portfolio.app import MIGRATIONS_DIR
from crypto_trader.portfolio.domain.ledger import EntryKind, deposit_entry, fill_entry
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.domain.valuation import PriceMark, PriceSource
from crypto_trader.portfolio.testing import make_fill

pytestmark = pytest.mark.integration
D = Decimal


@pytest.fixture
def engine(database_url: str, tmp_path: Path):
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS_DIR, version_table="portfolio_alembic_version")
    migrate(
        engine, MIGRATIONS_DIR, version_table="portfolio_alembic_version"
    )  # a no-op the second time
    yield engine
    engine.dispose()


async def test_books_each_source_key_once_with_its_position(engine) -> None:
    ledger = SqlAlchemyLedger(engine, FakeClock(7))
    fill = make_fill("t-1", quantity="0.1", price="30000", fee="3")
    assert await ledger.book_entry(deposit_entry("paper", "USDT", D("10000"), ts_ms=1))

    first = await ledger.book_fill(fill_entry(fill), fill)
    again = await ledger.book_fill(fill_entry(fill), fill)
    deposit_again = await ledger.book_entry(deposit_entry("paper", "USDT", D("5"), ts_ms=2))

    assert first is not None and first.quantity == D("0.1")
    assert again is None
    assert deposit_again is False
    assert await ledger.fills_booked("paper") == 1
    assert await ledger.balances("paper") == {"USDT": D("6997"), "BTC": D("0.1")}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(journal)).scalar_one() == 2
        assert conn.execute(select(func.count()).select_from(postings)).scalar_one() == 7


async def test_keeps_eighteen_decimal_places_exactly(engine) -> None:
    ledger = SqlAlchemyLedger(engine, FakeClock(7))
    fills = [
        make_fill("1", quantity="1", price="100"),
        make_fill("2", quantity="2", price="101"),
        make_fill("3", side=Side.SELL, quantity="1", price="102.123456789"),
    ]
    expected = Position("paper", "binance", "BTC/USDT")
    for fill in fills:
        expected = expected.apply(fill)
        await ledger.book_fill(fill_entry(fill), fill)

    stored = await ledger.position("paper", "binance", "BTC/USDT")

    assert stored == expected
    assert stored.cost_basis == D("201.333333333333333333")
    assert stored.realised_pnl == D("102.123456789") - D("100.666666666666666667")


async def test_lists_the_journal_newest_first_with_balanced_postings(engine) -> None:
    ledger = SqlAlchemyLedger(engine, FakeClock(7))
    await ledger.book_entry(deposit_entry("paper", "USDT", D("10000"), ts_ms=1))
    for i in range(3):
        fill = make_fill(f"t{i}", ts_ms=10 + i)
        await ledger.book_fill(fill_entry(fill), fill)

    entries = await ledger.journal("paper", None, 10)
    fills = await ledger.journal("paper", EntryKind.FILL, 2)

    assert [e.source_key for e in entries] == [
        "fill:binance:paper:t2",
        "fill:binance:paper:t1",
        "fill:binance:paper:t0",
        "deposit:paper:initial",
    ]
    assert entries[0] == fill_entry(make_fill("t2", ts_ms=12))
    assert [e.source_key for e in fills] == ["fill:binance:paper:t2", "fill:binance:paper:t1"]
    assert await ledger.journal("other", None, 10) == []


async def test_price_book_keeps_the_mark_that_supersedes(engine) -> None:
    book = SqlAlchemyPriceBook(engine)

    assert await book.record(PriceMark("binance", "BTC/USDT", D("30000.5"), 10, PriceSource.FILL))
    assert await book.record(PriceMark("binance", "BTC/USDT", D("31000.25"), 5, PriceSource.CANDLE))
    assert not await book.record(PriceMark("binance", "BTC/USDT", D("1"), 4, PriceSource.CANDLE))
    assert not await book.record(PriceMark("binance", "BTC/USDT", D("2"), 99, PriceSource.FILL))

    assert await book.prices() == {("binance", "BTC/USDT"): D("31000.25")}
