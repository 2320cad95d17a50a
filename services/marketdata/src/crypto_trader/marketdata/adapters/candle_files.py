"""Read candle files (freqtrade JSON, CSV, Binance klines, feather, parquet) into valid candles.

Prices stay exact: JSON numbers and CSV cells are parsed straight into Decimal. The float columns of
feather/parquet files are read to 15 significant digits (the most a double holds reliably), which
recovers the exchange's decimals even when the writer's float parser was one ulp off (freqtrade's
feather files came through pandas' fast JSON parser: 0.00162 is stored as 0.0016200000000000001, so
``Decimal(repr(x))`` would not match the JSON file). Rows that cannot be candles are counted per
reason, not raised.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, TypeVar

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import Candle, to_decimal
from crypto_trader.marketdata.domain.market import MarketKey, is_aligned

TIME_COLUMNS = ("open_time", "timestamp", "time", "date", "datetime", "open time")
VALUE_COLUMNS = ("open", "high", "low", "close", "volume")

REASON_MALFORMED = "malformed row"
REASON_NOT_FINITE = "missing or non-finite number"
REASON_BAD_TIME = "unreadable time"
REASON_MISALIGNED = "open time not aligned to timeframe"
REASON_HIGH_BELOW_LOW = "high below low"
REASON_OUTSIDE_RANGE = "open or close outside high-low"
REASON_NEGATIVE_VOLUME = "negative volume"
REASON_CONFLICT = "conflicting duplicate open time"

RawRow = tuple[Any, Any, Any, Any, Any, Any]
_Row = TypeVar("_Row")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True, slots=True)
class CandleFile:
    """The valid, distinct candles of a file (sorted by open time) and what was dropped."""

    path: Path
    candles: list[Candle]
    rows_read: int
    duplicates: int
    rejected: dict[str, int]

    @property
    def rejected_total(self) -> int:
        """Return the number of rows rejected for any reason."""
        return sum(self.rejected.values())


def read_candle_file(path: Path, *, exchange: str, symbol: str, timeframe: str) -> CandleFile:
    """Read and validate a candle file of one market; the format follows the file name's suffix.

    Raises
    ------
    InvalidInput
        When the market is malformed, the file is missing or unreadable, its format unknown or its
        header lacks a needed column.
    """
    key = MarketKey.parse(exchange, symbol, timeframe)
    rows = raw_candle_rows(path)
    return _validate(path, key, rows)


def raw_candle_rows(path: Path) -> list[RawRow | None]:
    """Return a candle file's rows as read, before any check (None: a row of the wrong shape).

    Raises
    ------
    InvalidInput
        When the file is missing or unreadable, or its format unknown.
    """
    return read_raw_rows(
        path, "candle", json_rows=_json_rows, csv_rows=_csv_rows, arrow_rows=_arrow_rows
    )


def read_raw_rows(
    path: Path,
    what: str,
    *,
    json_rows: Callable[[IO[str]], Iterator[_Row]],
    csv_rows: Callable[[IO[str]], Iterator[_Row]],
    arrow_rows: Callable[..., Iterator[_Row]],
) -> list[_Row]:
    """Read a file's raw rows with the reader its suffix calls for (``what``: candle, trade).

    Raises
    ------
    InvalidInput
        When the file is missing or unreadable, or its format unknown.
    """
    if not path.is_file():
        raise InvalidInput(f"no {what} file at {path}")
    kind, compressed = file_kind(path)
    try:
        if kind == ".json":
            with open_text(path, compressed) as stream:
                return list(json_rows(stream))
        if kind in (".csv", ".txt"):
            with open_text(path, compressed) as stream:
                return list(csv_rows(stream))
        if kind in (".feather", ".arrow", ".ipc", ".parquet") and not compressed:
            return list(arrow_rows(path, parquet=kind == ".parquet"))
    except (UnicodeDecodeError, EOFError, gzip.BadGzipFile, csv.Error) as error:
        raise InvalidInput(f"cannot read {path.name}: {error}") from None
    raise InvalidInput(
        f"unknown {what} file format {path.name!r}; use .json, .json.gz, .csv, .csv.gz, "
        ".feather or .parquet"
    )


def file_kind(path: Path) -> tuple[str, bool]:
    """Return a file's format suffix (``.json`` for ``x.json.gz``) and whether it is gzipped."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    compressed = suffixes[-1:] == [".gz"]
    kind = suffixes[-2] if compressed and len(suffixes) > 1 else suffixes[-1] if suffixes else ""
    return kind, compressed


def open_text(path: Path, compressed: bool) -> IO[str]:
    """Open a (possibly gzipped) UTF-8 text file for the csv and json readers."""
    if compressed:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


# ------------------------------------------------------------------------------------------ JSON


def _json_rows(stream: IO[str]) -> Iterator[RawRow | None]:
    try:
        # Every number stays exact; NaN becomes a Decimal NaN and is rejected with the row later.
        document = json.load(stream, parse_float=Decimal, parse_constant=Decimal)
    except json.JSONDecodeError as error:
        raise InvalidInput(f"candle file is not valid JSON: {error}") from None
    if not isinstance(document, list):
        raise InvalidInput("candle JSON must be an array of [open_time_ms, o, h, l, c, v] rows")
    for item in document:
        if isinstance(item, list) and len(item) >= 6:
            yield (item[0], item[1], item[2], item[3], item[4], item[5])
        else:
            yield None


# ------------------------------------------------------------------------------------------- CSV


def _csv_rows(stream: IO[str]) -> Iterator[RawRow | None]:
    reader = csv.reader(stream)
    first = next(reader, None)
    if first is None:
        return
    if first and looks_like_number(first[0]):
        # No header: Binance public-data kline layout, open time (ms or µs) then o, h, l, c, v.
        columns: tuple[int, ...] = (0, 1, 2, 3, 4, 5)
        rows: Iterable[list[str]] = itertools.chain([first], reader)
    else:
        columns = _header_columns(first)
        rows = reader
    for cells in rows:
        if not cells or all(not cell.strip() for cell in cells):
            continue
        if len(cells) <= max(columns):
            yield None
            continue
        yield tuple(cells[index].strip() for index in columns)  # type: ignore[misc]


def looks_like_number(text: str) -> bool:
    """Tell whether a text cell holds a decimal number."""
    try:
        Decimal(text.strip())
    except ArithmeticError:
        return False
    return True


def _header_columns(header: Sequence[str]) -> tuple[int, ...]:
    names = [name.strip().lower() for name in header]
    time_index = next((names.index(name) for name in TIME_COLUMNS if name in names), None)
    if time_index is None and names and names[0] == "":
        time_index = 0  # an unnamed index column (pandas' to_csv) holds the time
    missing = [name for name in VALUE_COLUMNS if name not in names]
    if time_index is None or missing:
        wanted = ", ".join(missing) if missing else "a time column (" + "/".join(TIME_COLUMNS) + ")"
        raise InvalidInput(f"candle CSV header {header!r} lacks {wanted}")
    return (time_index, *(names.index(name) for name in VALUE_COLUMNS))


# --------------------------------------------------------------------------------- feather/parquet


def _arrow_rows(path: Path, *, parquet: bool) -> Iterator[RawRow | None]:
    table = read_arrow_table(path, parquet=parquet)
    names = {name.lower(): name for name in table.column_names}
    time_name = next((names[name] for name in TIME_COLUMNS if name in names), None)
    missing = [name for name in VALUE_COLUMNS if name not in names]
    if time_name is None or missing:
        raise InvalidInput(
            f"{path.name} columns {table.column_names} lack {missing or 'a time column'}"
        )
    time_values = arrow_times(table.column(time_name))
    values = [table.column(names[name]).to_pylist() for name in VALUE_COLUMNS]
    for index, open_time in enumerate(time_values):
        yield (open_time, *(column[index] for column in values))


def read_arrow_table(path: Path, *, parquet: bool) -> Any:
    """Read a feather or parquet file into a pyarrow Table; raise InvalidInput if unreadable."""
    import pyarrow as pa
    from pyarrow import feather
    from pyarrow import parquet as pq

    try:
        return pq.read_table(path) if parquet else feather.read_table(path)
    except (pa.ArrowInvalid, OSError) as error:
        raise InvalidInput(f"cannot read {path.name}: {error}") from None


def arrow_times(times: Any) -> list[Any]:
    """Return an arrow time column's values for ``epoch_ms`` (timestamps keep their unit)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not pa.types.is_timestamp(times.type):
        return list(times.to_pylist())
    units: dict[str, int | Decimal] = {"s": Decimal("0.001"), "ms": 1, "us": 1000, "ns": 10**6}
    per_ms = units[times.type.unit]
    raw = pc.cast(times, pa.int64()).to_pylist()
    return [None if value is None else _ArrowTime(value, per_ms) for value in raw]


@dataclass(frozen=True, slots=True)
class _ArrowTime:
    value: int
    per_ms: int | Decimal

    def milliseconds(self, *, floor: bool) -> int:
        quotient = Decimal(self.value) / Decimal(self.per_ms)
        if quotient != quotient.to_integral_value() and not floor:
            raise ValueError("sub-millisecond open time")
        return int(quotient)


# ------------------------------------------------------------------------------------ validation


def epoch_ms(value: Any, *, floor: bool = False) -> int:
    """Read a time (epoch s/ms/µs/ns, ISO text, datetime) as epoch milliseconds.

    A time finer than a millisecond raises ValueError, or is floored when ``floor`` is set.
    """
    if isinstance(value, _ArrowTime):
        return value.milliseconds(floor=floor)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        elapsed = moment - _EPOCH
        if elapsed % _MILLISECOND and not floor:
            raise ValueError("sub-millisecond open time")
        return elapsed // _MILLISECOND
    if isinstance(value, date):
        return epoch_ms(datetime(value.year, value.month, value.day, tzinfo=UTC))
    if isinstance(value, bool):
        raise ValueError("boolean time")
    if isinstance(value, str) and not looks_like_number(value):
        return epoch_ms(datetime.fromisoformat(value.strip().replace("Z", "+00:00")), floor=floor)
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if number != number.to_integral_value() or number < 0:
        raise ValueError(f"not an integral epoch time: {value!r}")
    epoch = int(number)
    # Epoch seconds, milliseconds, microseconds (Binance spot files since 2025) or nanoseconds.
    for limit, divisor in ((10**11, None), (10**14, 1), (10**17, 1000), (10**20, 1_000_000)):
        if epoch < limit:
            if divisor is None:
                return epoch * 1000
            if epoch % divisor and not floor:
                raise ValueError("sub-millisecond open time")
            return epoch // divisor
    raise ValueError(f"epoch time out of range: {value!r}")


def exact_number(value: Any, field: str) -> Decimal:
    """Read a cell as an exact Decimal (floats to 15 significant digits); raise InvalidInput."""
    if isinstance(value, float):
        # 15 significant digits: see the module docstring. NaN/inf stay non-finite and are rejected.
        value = Decimal(format(value, ".15g"))
    if value is None or isinstance(value, bool):
        raise InvalidInput(f"{field} is missing")
    return to_decimal(value, field=field)


def _candle(key: MarketKey, step_ms: int, row: RawRow, counts: Counter[str]) -> Candle | None:
    try:
        open_time = epoch_ms(row[0])
    except (ValueError, TypeError, ArithmeticError, OverflowError):
        counts[REASON_BAD_TIME] += 1
        return None
    try:
        o, h, low, c, v = (
            exact_number(value, name) for value, name in zip(row[1:], VALUE_COLUMNS, strict=True)
        )
    except InvalidInput:
        counts[REASON_NOT_FINITE] += 1
        return None
    if not is_aligned(open_time, step_ms):
        counts[REASON_MISALIGNED] += 1
        return None
    try:
        return Candle(key.exchange, key.symbol, key.timeframe, open_time, o, h, low, c, v)
    except InvalidInput:
        # Candle's own checks decide; the label only says which one failed.
        reason = (
            REASON_HIGH_BELOW_LOW
            if h < low
            else REASON_NEGATIVE_VOLUME
            if v < 0
            else REASON_OUTSIDE_RANGE
        )
        counts[reason] += 1
        return None


def _validate(path: Path, key: MarketKey, rows: Sequence[RawRow | None]) -> CandleFile:
    counts: Counter[str] = Counter()
    valid: list[Candle] = []
    step_ms = key.timeframe_ms
    for row in rows:
        if row is None:
            counts[REASON_MALFORMED] += 1
            continue
        candle = _candle(key, step_ms, row, counts)
        if candle is not None:
            valid.append(candle)
    valid.sort(key=lambda candle: candle.open_time_ms)  # stable: the first row of a time wins
    distinct: list[Candle] = []
    duplicates = 0
    for candle in valid:
        if distinct and distinct[-1].open_time_ms == candle.open_time_ms:
            if distinct[-1] == candle:
                duplicates += 1
            else:
                counts[REASON_CONFLICT] += 1
            continue
        distinct.append(candle)
    return CandleFile(path, distinct, len(rows), duplicates, dict(counts))
