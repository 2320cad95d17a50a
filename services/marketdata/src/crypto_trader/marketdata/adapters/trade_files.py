"""Read trade files (freqtrade JSON/feather/parquet, CSV with a header) into valid trades.

freqtrade writes rows of ``[timestamp, id, type, side, price, amount, cost]`` (older files: ccxt
trade dicts); feather, parquet and CSV files name their columns. The taker side comes from a
``side`` column or, as Binance reports it, from ``buyer_maker`` (true: the taker sold). Prices and
amounts are read exactly as candle files are; rows that cannot be trades are counted per reason.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Side, validate_symbol
from crypto_trader.marketdata.adapters.candle_files import (
    TIME_COLUMNS,
    arrow_times,
    epoch_ms,
    exact_number,
    read_arrow_table,
    read_raw_rows,
)
from crypto_trader.marketdata.domain.trade import MAX_TRADE_ID_LENGTH, TradeTick, parse_side

REASON_MALFORMED = "malformed row"
REASON_BAD_TIME = "unreadable time"
REASON_NO_ID = "missing or overlong trade id"
REASON_NOT_FINITE = "missing or non-finite number"
REASON_NOT_POSITIVE = "non-positive price or amount"
REASON_BAD_SIDE = "side not buy or sell"
REASON_CONFLICT = "conflicting duplicate trade id"

_TRADE_TIME_COLUMNS = (*TIME_COLUMNS, "ts")
_ID_COLUMNS = ("id", "trade_id", "tid")
_SIDE_COLUMNS = ("side", "taker_side")
_MAKER_COLUMNS = ("buyer_maker", "is_buyer_maker", "buyer_is_maker")
_PRICE_COLUMNS = ("price",)
_AMOUNT_COLUMNS = ("amount", "quantity", "qty", "size")
# freqtrade's trade list layout.
_JSON_TIME, _JSON_ID, _JSON_SIDE, _JSON_PRICE, _JSON_AMOUNT = 0, 1, 3, 4, 5

# (time, id, side, price, amount); side is a text side or a _MakerFlag.
RawTrade = tuple[Any, Any, Any, Any, Any]


@dataclass(frozen=True, slots=True)
class _MakerFlag:
    buyer_is_maker: Any


@dataclass(frozen=True, slots=True)
class TradeFile:
    """The valid, distinct trades of a file (in replay order) and what was dropped."""

    path: Path
    trades: list[TradeTick]
    rows_read: int
    duplicates: int
    rejected: dict[str, int]

    @property
    def rejected_total(self) -> int:
        """Return the number of rows rejected for any reason."""
        return sum(self.rejected.values())


def read_trade_file(path: Path, *, exchange: str, symbol: str) -> TradeFile:
    """Read and validate a trade file of one market; the format follows the file name's suffix.

    Raises
    ------
    InvalidInput
        When the market is malformed, the file is missing or unreadable, its format unknown or its
        columns lack a needed one.
    """
    validate_symbol(symbol)
    if not exchange:
        raise InvalidInput("exchange must not be empty")
    rows = read_raw_rows(
        path, "trade", json_rows=_json_rows, csv_rows=_csv_rows, arrow_rows=_arrow_rows
    )
    return _validate(path, exchange, symbol, rows)


def _json_rows(stream: IO[str]) -> Iterator[RawTrade | None]:
    try:
        document = json.load(stream, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"trade file is not valid JSON: {error}") from None
    if not isinstance(document, list):
        raise InvalidInput("trade JSON must be an array of trades")
    for item in document:
        if isinstance(item, list) and len(item) > _JSON_AMOUNT:
            yield (
                item[_JSON_TIME],
                item[_JSON_ID],
                item[_JSON_SIDE],
                item[_JSON_PRICE],
                item[_JSON_AMOUNT],
            )
        elif isinstance(item, dict):
            yield _mapped_row(item)
        else:
            yield None


def _mapped_row(item: Mapping[str, Any]) -> RawTrade | None:
    columns = _columns(list(item))
    if columns is None:
        return None
    time_name, id_name, side_name, maker, price_name, amount_name = columns
    side = _MakerFlag(item[side_name]) if maker else item[side_name]
    return (item[time_name], item[id_name], side, item[price_name], item[amount_name])


def _columns(names: Sequence[str]) -> tuple[str, str, str, bool, str, str] | None:
    # Returns (time, id, side or buyer-maker, is it buyer-maker, price, amount) names, or None.
    lower = {name.strip().lower(): name for name in names}

    def pick(candidates: Sequence[str]) -> str | None:
        return next((lower[name] for name in candidates if name in lower), None)

    side = pick(_SIDE_COLUMNS)
    maker = pick(_MAKER_COLUMNS) if side is None else None
    found = (pick(_TRADE_TIME_COLUMNS), pick(_ID_COLUMNS), side or maker)
    price, amount = pick(_PRICE_COLUMNS), pick(_AMOUNT_COLUMNS)
    if None in found or price is None or amount is None:
        return None
    time_name, id_name, side_name = (str(name) for name in found)
    return time_name, id_name, side_name, maker is not None, price, amount


def _require_columns(names: Sequence[str], source: str) -> tuple[str, str, str, bool, str, str]:
    columns = _columns(names)
    if columns is None:
        raise InvalidInput(
            f"{source} {list(names)!r} lacks a time, id, side (or buyer_maker), price or "
            "amount column"
        )
    return columns


def _csv_rows(stream: IO[str]) -> Iterator[RawTrade | None]:
    reader = csv.reader(stream)
    header = next(reader, None)
    if header is None:
        return
    time_name, id_name, side_name, maker, price_name, amount_name = _require_columns(
        header, "trade CSV header"
    )
    names = list(header)
    indexes = [names.index(name) for name in (time_name, id_name, side_name)]
    indexes += [names.index(price_name), names.index(amount_name)]
    for cells in reader:
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if len(cells) <= max(indexes):
            yield None
            continue
        time, trade_id, side, price, amount = (cells[index].strip() for index in indexes)
        yield (time, trade_id, _MakerFlag(side) if maker else side, price, amount)


def _arrow_rows(path: Path, *, parquet: bool) -> Iterator[RawTrade | None]:
    table = read_arrow_table(path, parquet=parquet)
    time_name, id_name, side_name, maker, price_name, amount_name = _require_columns(
        table.column_names, f"{path.name} columns"
    )
    times = arrow_times(table.column(time_name))
    ids, sides, prices, amounts = (
        table.column(name).to_pylist() for name in (id_name, side_name, price_name, amount_name)
    )
    for index, time in enumerate(times):
        side = _MakerFlag(sides[index]) if maker else sides[index]
        yield (time, ids[index], side, prices[index], amounts[index])


# ------------------------------------------------------------------------------------ validation


def _trade_id(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        text = str(value).strip()
    return text if 0 < len(text) <= MAX_TRADE_ID_LENGTH else None


def _side(value: Any) -> Side:
    if not isinstance(value, _MakerFlag):
        return parse_side(value)
    flag = value.buyer_is_maker
    if isinstance(flag, str):
        flag = {"true": True, "1": True, "false": False, "0": False}.get(flag.strip().lower())
    if isinstance(flag, bool | int) and flag in (0, 1):
        return Side.SELL if flag else Side.BUY
    raise InvalidInput(f"buyer_maker must be true or false, got {value.buyer_is_maker!r}")


def _trade(exchange: str, symbol: str, row: RawTrade, counts: Counter[str]) -> TradeTick | None:
    try:
        ts_event = epoch_ms(row[0], floor=True)
    except (ValueError, TypeError, ArithmeticError, OverflowError):
        counts[REASON_BAD_TIME] += 1
        return None
    trade_id = _trade_id(row[1])
    if trade_id is None:
        counts[REASON_NO_ID] += 1
        return None
    try:
        price, amount = exact_number(row[3], "price"), exact_number(row[4], "amount")
    except InvalidInput:
        counts[REASON_NOT_FINITE] += 1
        return None
    if price <= 0 or amount <= 0:
        counts[REASON_NOT_POSITIVE] += 1
        return None
    try:
        side = _side(row[2])
    except InvalidInput:
        counts[REASON_BAD_SIDE] += 1
        return None
    return TradeTick(exchange, symbol, trade_id, ts_event, side, price, amount)


def _validate(path: Path, exchange: str, symbol: str, rows: Sequence[RawTrade | None]) -> TradeFile:
    counts: Counter[str] = Counter()
    by_id: dict[str, TradeTick] = {}
    duplicates = 0
    for row in rows:
        if row is None:
            counts[REASON_MALFORMED] += 1
            continue
        trade = _trade(exchange, symbol, row, counts)
        if trade is None:
            continue
        first = by_id.setdefault(trade.trade_id, trade)  # the first row of an id wins
        if first is not trade:
            if first == trade:
                duplicates += 1
            else:
                counts[REASON_CONFLICT] += 1
    trades = sorted(by_id.values(), key=lambda trade: trade.order)
    return TradeFile(path, trades, len(rows), duplicates, dict(counts))
