"""Use cases of the portfolio: open the account, book fills once, mark to market, answer queries."""

from __future__ import annotations

import enum
import logging
from decimal import Decimal

from crypto_trader.common.clock import Clock
from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.portfolio.domain.fill import Fill
from crypto_trader.portfolio.domain.ledger import EntryKind, JournalEntry, deposit_entry, fill_entry
from crypto_trader.portfolio.domain.valuation import (
    EquitySnapshot,
    PositionValue,
    PriceMark,
    PriceSource,
    mark,
    value_account,
)
from crypto_trader.portfolio.ports import Ledger, PortfolioPublisher, PriceBook

log = logging.getLogger(__name__)

DEFAULT_JOURNAL_LIMIT = 100
MAX_JOURNAL_LIMIT = 1000


class Outcome(enum.StrEnum):
    """What handling one message did (the consumer counts these)."""

    BOOKED = "booked"
    DUPLICATE = "duplicate"
    MARKED = "marked"
    IGNORED = "ignored"


async def open_account(
    account: str, currency: str, initial_cash: Decimal, *, ledger: Ledger, clock: Clock
) -> bool:
    """Book the account's initial deposit unless already booked; return whether it was now."""
    entry = deposit_entry(account, currency, initial_cash, ts_ms=clock.now_ms())
    booked = await ledger.book_entry(entry)
    if booked:
        log.info("deposited %s %s into %s", initial_cash, currency, account)
    return booked


async def book_fill(
    fill: Fill,
    *,
    quote_currency: str,
    ledger: Ledger,
    prices: PriceBook,
    publisher: PortfolioPublisher,
    clock: Clock,
) -> Outcome:
    """Book a fill exactly once per (exchange, account, trade id), then publish position and equity.

    A repeated fill changes nothing. If it is still the latest fill of its position, its events are
    published again under the same ids: that repairs a crash between booking and publishing, and
    JetStream drops the copies inside its duplicate window.
    """
    if fill.quote != quote_currency:
        raise InvalidInput(
            f"fill {fill.trade_id}: {fill.symbol} does not settle in the account currency "
            f"{quote_currency}"
        )
    position = await ledger.book_fill(fill_entry(fill), fill)
    outcome = Outcome.BOOKED
    if position is None:
        outcome = Outcome.DUPLICATE
        position = await ledger.position(fill.account, fill.exchange, fill.symbol)
        if position is None or position.last_trade_id != fill.trade_id:
            log.info("fill %s already booked", fill.source_key)
            return outcome
    # Idempotent: a fill price only ever replaces another fill price, never a candle's.
    await prices.record(
        PriceMark(fill.exchange, fill.symbol, fill.price, fill.ts_ms, PriceSource.FILL)
    )
    now = clock.now_ms()
    last_prices = await prices.prices()
    await publisher.position_changed(
        PositionValue(position, last_prices.get((fill.exchange, fill.symbol))),
        event_id=stable_id("position", fill.account, fill.exchange, "fill", fill.trade_id),
        ts_event=fill.ts_ms,
        ts_init=now,
    )
    snapshot = await account_equity(
        fill.account, quote_currency=quote_currency, ledger=ledger, prices=prices
    )
    await publisher.equity_updated(
        snapshot,
        event_id=stable_id("equity", fill.account, fill.exchange, "fill", fill.trade_id),
        ts_event=fill.ts_ms,
        ts_init=now,
    )
    return outcome


async def on_candle(
    candle: Candle,
    *,
    account: str,
    quote_currency: str,
    ledger: Ledger,
    prices: PriceBook,
    publisher: PortfolioPublisher,
    clock: Clock,
) -> Outcome:
    """Take a closed candle's close as the market's last price; publish positions and equity.

    Forming candles are ignored: their events would share the closed candle's ids (deduplicated).
    """
    if not candle.closed:
        return Outcome.IGNORED
    await prices.record(
        PriceMark(
            candle.exchange, candle.symbol, candle.close, candle.close_time_ms, PriceSource.CANDLE
        )
    )
    now = clock.now_ms()
    last_prices = await prices.prices()
    holders = await ledger.positions_in(candle.exchange, candle.symbol)
    for position in holders:
        if position.is_flat:
            continue
        await publisher.position_changed(
            PositionValue(position, last_prices.get((candle.exchange, candle.symbol))),
            event_id=stable_id(
                "position",
                position.account,
                candle.exchange,
                candle.symbol,
                "candle",
                candle.open_time_ms,
            ),
            ts_event=candle.close_time_ms,
            ts_init=now,
        )
    for holder in sorted({account} | {p.account for p in holders}):
        snapshot = await account_equity(
            holder, quote_currency=quote_currency, ledger=ledger, prices=prices
        )
        await publisher.equity_updated(
            snapshot,
            event_id=stable_id(
                "equity", holder, candle.exchange, candle.symbol, candle.open_time_ms
            ),
            ts_event=candle.close_time_ms,
            ts_init=now,
        )
    return Outcome.MARKED


async def position_values(
    account: str, *, ledger: Ledger, prices: PriceBook
) -> list[PositionValue]:
    """Return the account's positions marked at their last prices."""
    return mark(await ledger.positions(account), await prices.prices())


async def account_equity(
    account: str, *, quote_currency: str, ledger: Ledger, prices: PriceBook
) -> EquitySnapshot:
    """Return cash (the quote balance) plus every position at its last price, with PnL and fees."""
    balances = await ledger.balances(account)
    return value_account(
        account,
        quote_currency,
        cash=balances.get(quote_currency, Decimal(0)),
        positions=await position_values(account, ledger=ledger, prices=prices),
        fills_booked=await ledger.fills_booked(account),
    )


async def account_balances(account: str, *, ledger: Ledger) -> dict[str, Decimal]:
    """Return what the account holds, per asset."""
    return await ledger.balances(account)


async def journal_entries(
    account: str, *, kind: str, limit: int, ledger: Ledger
) -> list[JournalEntry]:
    """Return the account's newest entries; ``kind`` "" means all, ``limit`` 0 the default."""
    if kind and kind not in {k.value for k in EntryKind}:
        known = ", ".join(k.value for k in EntryKind)
        raise InvalidInput(f"unknown journal entry kind {kind!r}; use one of: {known}")
    if limit < 0:
        raise InvalidInput(f"limit must not be negative, got {limit}")
    chosen = min(limit or DEFAULT_JOURNAL_LIMIT, MAX_JOURNAL_LIMIT)
    return await ledger.journal(account, EntryKind(kind) if kind else None, chosen)
