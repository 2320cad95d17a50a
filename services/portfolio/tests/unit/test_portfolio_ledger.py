"""The journal: balanced entries only, fills and deposits as postings, balances as sums."""

from decimal import Decimal

import pytest

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side
from crypto_trader.portfolio.domain.ledger import (
    EntryKind,
    JournalEntry,
    Posting,
    asset_totals,
    balances,
    deposit_entry,
    fill_entry,
)
from crypto_trader.portfolio.testing import make_fill


def lines(entry: JournalEntry) -> set[tuple[str, str, Decimal]]:
    return {(p.ledger_account, p.asset, p.amount) for p in entry.postings}


class TestJournalEntry:
    def test_refuses_postings_that_do_not_sum_to_zero_per_asset(self) -> None:
        with pytest.raises(InvalidInput, match="does not balance"):
            JournalEntry(
                entry_id="e",
                account="paper",
                kind=EntryKind.DEPOSIT,
                source_key="k",
                ts_ms=0,
                postings=(Posting("a", "USDT", Decimal("1")), Posting("b", "BTC", Decimal("-1"))),
            )

    def test_refuses_an_entry_without_postings(self) -> None:
        with pytest.raises(InvalidInput, match="no postings"):
            JournalEntry("e", "paper", EntryKind.DEPOSIT, "k", 0, ())

    def test_refuses_amounts_the_database_would_round(self) -> None:
        with pytest.raises(InvalidInput, match="more digits"):
            Posting("a", "USDT", Decimal("0.0000000000000000001"))


class TestFillEntry:
    def test_books_a_buy_as_base_in_quote_out_and_fee_to_the_venue(self) -> None:
        fill = make_fill(side=Side.BUY, quantity="0.1", price="30000", fee="3")

        entry = fill_entry(fill)

        assert entry.kind is EntryKind.FILL
        assert entry.source_key == "fill:binance:paper:t-1"
        assert lines(entry) == {
            ("account:paper:assets", "BTC", Decimal("0.1")),
            ("venue:binance", "BTC", Decimal("-0.1")),
            ("account:paper:assets", "USDT", Decimal("-3003")),
            ("venue:binance", "USDT", Decimal("3000")),
            ("fees:binance", "USDT", Decimal("3")),
        }

    def test_books_a_sell_as_the_mirror_with_the_fee_still_paid_by_the_account(self) -> None:
        fill = make_fill(side=Side.SELL, quantity="0.1", price="30000", fee="3")

        entry = fill_entry(fill)

        assert lines(entry) == {
            ("account:paper:assets", "BTC", Decimal("-0.1")),
            ("venue:binance", "BTC", Decimal("0.1")),
            ("account:paper:assets", "USDT", Decimal("2997")),
            ("venue:binance", "USDT", Decimal("-3000")),
            ("fees:binance", "USDT", Decimal("3")),
        }

    def test_leaves_out_the_fee_line_when_there_is_no_fee(self) -> None:
        entry = fill_entry(make_fill(fee="0"))

        assert len(entry.postings) == 4

    def test_gives_the_same_fact_the_same_entry_id(self) -> None:
        assert fill_entry(make_fill("x")).entry_id == fill_entry(make_fill("x")).entry_id
        assert fill_entry(make_fill("x")).entry_id != fill_entry(make_fill("y")).entry_id


class TestDeposit:
    def test_moves_cash_from_contributions_to_the_account(self) -> None:
        entry = deposit_entry("paper", "USDT", Decimal("10000"), ts_ms=5)

        assert entry.source_key == "deposit:paper:initial"
        assert lines(entry) == {
            ("account:paper:assets", "USDT", Decimal("10000")),
            ("equity:paper:contributions", "USDT", Decimal("-10000")),
        }

    def test_refuses_a_non_positive_amount(self) -> None:
        with pytest.raises(InvalidInput):
            deposit_entry("paper", "USDT", Decimal("0"), ts_ms=5)


class TestBalances:
    def test_sums_postings_per_ledger_account_and_asset(self) -> None:
        entries = [
            deposit_entry("paper", "USDT", Decimal("10000"), ts_ms=0),
            fill_entry(make_fill("1", side=Side.BUY, quantity="0.1", price="30000", fee="3")),
            fill_entry(make_fill("2", side=Side.SELL, quantity="0.04", price="31000", fee="1.24")),
        ]

        result = balances(entries)

        assert result[("account:paper:assets", "USDT")] == Decimal("8235.76")
        assert result[("account:paper:assets", "BTC")] == Decimal("0.06")
        assert result[("fees:binance", "USDT")] == Decimal("4.24")
        assert asset_totals(result) == {"USDT": 0, "BTC": 0}
