"""The double-entry ledger: journal entries that sum to zero per asset, and how facts become them.

Ledger accounts are named ``account:<acct>:assets`` (what the trading account holds),
``venue:<exchange>`` (the counterparty of every trade), ``fees:<exchange>`` (fees paid to the
venue) and ``equity:<acct>:contributions`` (cash paid in). A balance is the sum of the postings of
one (ledger account, asset); the account's cash is its assets balance in the quote currency.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Side
from crypto_trader.portfolio.domain.amount import exact_context, is_storable
from crypto_trader.portfolio.domain.fill import Fill


class EntryKind(enum.StrEnum):
    """What a journal entry records."""

    DEPOSIT = "deposit"
    FILL = "fill"


def assets_account(account: str) -> str:
    """Name the ledger account holding a trading account's assets."""
    return f"account:{account}:assets"


def venue_account(exchange: str) -> str:
    """Name the ledger account of a venue, the other side of every trade there."""
    return f"venue:{exchange}"


def fees_account(exchange: str) -> str:
    """Name the ledger account collecting the fees paid to a venue."""
    return f"fees:{exchange}"


def contributions_account(account: str) -> str:
    """Name the ledger account recording the cash paid into a trading account."""
    return f"equity:{account}:contributions"


def deposit_source_key(account: str) -> str:
    """Return the once-only key of an account's initial deposit."""
    return f"deposit:{account}:initial"


@dataclass(frozen=True, slots=True)
class Posting:
    """One line of an entry: ``amount`` of ``asset`` added to ``ledger_account`` (< 0: taken)."""

    ledger_account: str
    asset: str
    amount: Decimal

    def __post_init__(self) -> None:
        if not self.ledger_account or not self.asset:
            raise InvalidInput("a posting needs a ledger account and an asset")
        if not is_storable(self.amount):
            raise InvalidInput(
                f"posting {self.ledger_account} {self.asset} {self.amount}: "
                "more digits than the ledger keeps"
            )


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """An immutable, balanced set of postings booked once under its ``source_key``."""

    entry_id: str
    account: str
    kind: EntryKind
    source_key: str
    ts_ms: int
    postings: tuple[Posting, ...]

    def __post_init__(self) -> None:
        if not self.postings:
            raise InvalidInput(f"journal entry {self.source_key} has no postings")
        unbalanced = {asset: total for asset, total in _totals(self.postings).items() if total != 0}
        if unbalanced:
            raise InvalidInput(f"journal entry {self.source_key} does not balance: {unbalanced}")


def _totals(postings: Iterable[Posting]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with localcontext(exact_context()):
        for posting in postings:
            totals[posting.asset] += posting.amount
    return totals


def entry_id_for(source_key: str) -> str:
    """Return the journal entry id derived from its source key (the same fact, the same id)."""
    return stable_id("journal", source_key)


def deposit_entry(account: str, asset: str, amount: Decimal, *, ts_ms: int) -> JournalEntry:
    """Book the initial cash of an account: its assets up, its contributions down."""
    if amount <= 0:
        raise InvalidInput(f"a deposit must be positive, got {amount}")
    source_key = deposit_source_key(account)
    return JournalEntry(
        entry_id=entry_id_for(source_key),
        account=account,
        kind=EntryKind.DEPOSIT,
        source_key=source_key,
        ts_ms=ts_ms,
        postings=(
            Posting(assets_account(account), asset, amount),
            Posting(contributions_account(account), asset, -amount),
        ),
    )


def fill_entry(fill: Fill) -> JournalEntry:
    """Book a fill: base between account and venue, the notional back, the fee to the venue.

    A BUY of q at p with fee f posts base ``assets +q, venue -q`` and quote ``assets -(q*p + f),
    venue +q*p, fees +f``; a SELL mirrors the trade lines and still pays the fee from the assets.
    """
    with localcontext(exact_context()):
        notional = fill.quantity * fill.price
        direction = Decimal(1) if fill.side is Side.BUY else Decimal(-1)
        account_quote = -direction * notional - fill.fee
    assets = assets_account(fill.account)
    venue = venue_account(fill.exchange)
    postings = [
        Posting(assets, fill.base, direction * fill.quantity),
        Posting(venue, fill.base, -direction * fill.quantity),
        Posting(assets, fill.quote, account_quote),
        Posting(venue, fill.quote, direction * notional),
    ]
    if fill.fee:
        postings.append(Posting(fees_account(fill.exchange), fill.quote, fill.fee))
    return JournalEntry(
        entry_id=entry_id_for(fill.source_key),
        account=fill.account,
        kind=EntryKind.FILL,
        source_key=fill.source_key,
        ts_ms=fill.ts_ms,
        postings=tuple(postings),
    )


def balances(entries: Iterable[JournalEntry]) -> dict[tuple[str, str], Decimal]:
    """Sum postings per (ledger account, asset)."""
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    with localcontext(exact_context()):
        for entry in entries:
            for posting in entry.postings:
                totals[(posting.ledger_account, posting.asset)] += posting.amount
    return dict(totals)


def asset_totals(balance_by_key: Mapping[tuple[str, str], Decimal]) -> dict[str, Decimal]:
    """Sum balances per asset over every ledger account: zero for each asset in a sound ledger."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    with localcontext(exact_context()):
        for (_, asset), amount in balance_by_key.items():
            totals[asset] += amount
    return dict(totals)
