"""Ledger and position invariants over random fill sequences (Hypothesis)."""

import asyncio
from collections import defaultdict
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from crypto_trader.common.clock import FakeClock
from crypto_trader.common.model import Side, base_asset
from crypto_trader.portfolio import handlers
from crypto_trader.portfolio.domain.fill import Fill
from crypto_trader.portfolio.domain.ledger import (
    asset_totals,
    assets_account,
    balances,
    deposit_entry,
    fill_entry,
)
from crypto_trader.portfolio.domain.position import Position
from crypto_trader.portfolio.testing import (
    InMemoryLedger,
    InMemoryPriceBook,
    RecordingPublisher,
    make_fill,
)

INITIAL = Decimal("10000")
FEE_RATE = Decimal("0.001")
SYMBOLS = ("BTC/USDT", "ETH/USDT")

quantities = st.integers(1, 1_000_000).map(lambda n: Decimal(n).scaleb(-5))
prices = st.integers(1, 10_000_000).map(lambda n: Decimal(n).scaleb(-2))
trades = st.lists(
    st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(Side), quantities, prices),
    min_size=1,
    max_size=30,
)


def to_fills(drawn: list[tuple[str, Side, Decimal, Decimal]]) -> list[Fill]:
    return [
        make_fill(
            f"t{i}",
            symbol=symbol,
            side=side,
            quantity=quantity,
            price=price,
            fee=quantity * price * FEE_RATE,
            ts_ms=i,
        )
        for i, (symbol, side, quantity, price) in enumerate(drawn)
    ]


def replay(fills: list[Fill]) -> dict[str, Position]:
    positions: dict[str, Position] = {}
    for fill in fills:
        current = positions.get(fill.symbol, Position(fill.account, fill.exchange, fill.symbol))
        positions[fill.symbol] = current.apply(fill)
    return positions


@given(trades)
def test_ledger_sums_to_zero_per_asset_after_any_fill_sequence(drawn) -> None:
    entries = [deposit_entry("paper", "USDT", INITIAL, ts_ms=0)]
    entries += [fill_entry(fill) for fill in to_fills(drawn)]

    totals = asset_totals(balances(entries))

    assert set(totals) == {"USDT"} | {base_asset(symbol) for symbol, *_ in drawn}
    assert all(total == 0 for total in totals.values())


@given(trades, st.lists(prices, min_size=len(SYMBOLS), max_size=len(SYMBOLS)))
def test_cash_and_holdings_match_an_independent_calculation(drawn, last_prices) -> None:
    fills = to_fills(drawn)
    entries = [deposit_entry("paper", "USDT", INITIAL, ts_ms=0)] + [fill_entry(f) for f in fills]
    ledger = balances(entries)
    positions = replay(fills)
    last = dict(zip(SYMBOLS, last_prices, strict=True))

    expected_cash = INITIAL
    expected_base: dict[str, Decimal] = defaultdict(Decimal)
    for symbol, side, quantity, price in drawn:
        sign = 1 if side is Side.BUY else -1
        expected_cash -= sign * quantity * price + quantity * price * FEE_RATE
        expected_base[symbol] += sign * quantity
    cash = ledger[(assets_account("paper"), "USDT")]
    holdings = sum((p.quantity * last[s] for s, p in positions.items()), Decimal(0))

    assert cash == expected_cash
    for symbol, quantity in expected_base.items():
        assert ledger[(assets_account("paper"), base_asset(symbol))] == quantity
        assert positions[symbol].quantity == quantity
    assert cash + holdings == (
        INITIAL
        + sum(
            (p.realised_pnl + p.unrealised_pnl(last[s]) for s, p in positions.items()), Decimal(0)
        )
        - sum((p.fees_paid for p in positions.values()), Decimal(0))
    )


async def _book_all(fills: list[Fill]) -> tuple[InMemoryLedger, list[handlers.Outcome]]:
    ledger = InMemoryLedger()
    clock = FakeClock(1)
    await handlers.open_account("paper", "USDT", INITIAL, ledger=ledger, clock=clock)
    outcomes = [
        await handlers.book_fill(
            fill,
            quote_currency="USDT",
            ledger=ledger,
            prices=InMemoryPriceBook(),
            publisher=RecordingPublisher(),
            clock=clock,
        )
        for fill in fills
    ]
    return ledger, outcomes


@given(trades, st.data())
def test_duplicates_change_nothing(drawn, data) -> None:
    fills = to_fills(drawn)
    repeats = data.draw(st.lists(st.sampled_from(fills), max_size=10))
    with_duplicates = list(fills)
    for repeat in repeats:
        with_duplicates.insert(data.draw(st.integers(0, len(with_duplicates))), repeat)
    # A duplicate can only come after the original: keep each trade's first occurrence in order.
    first_seen = {}
    for fill in with_duplicates:
        first_seen.setdefault(fill.trade_id, fill)
    ordered = list(first_seen.values())

    clean, _ = asyncio.run(_book_all(ordered))
    noisy, outcomes = asyncio.run(_book_all(with_duplicates))

    assert noisy.entries == clean.entries
    assert noisy.positions_by_key == clean.positions_by_key
    assert outcomes.count(handlers.Outcome.BOOKED) == len(fills)
