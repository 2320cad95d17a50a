"""Which symbols `ct backtest` runs, where each one's candles come from, and their common times."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from pathlib import Path

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import validate_symbol
from crypto_trader.strategy.domain.indicators import CandleFrame

DEFAULT_SYMBOL = "BTC/USDT"


@dataclass(frozen=True, slots=True)
class Market:
    """The exchange and timeframe every symbol of one backtest shares."""

    exchange: str
    timeframe: str

    def label(self, symbol: str) -> str:
        """Return ``binance BTC/USDT 5m``."""
        return f"{self.exchange} {symbol} {self.timeframe}"

    def store_label(self, symbol: str) -> str:
        """Return how the ``--output`` file names stored candles: ``store:binance/BTC/USDT/5m``."""
        return f"store:{self.exchange}/{symbol}/{self.timeframe}"


@dataclass(frozen=True, slots=True)
class MarketSource:
    """One symbol to backtest and its candle file (None: the candle store)."""

    symbol: str
    path: Path | None = None


def market_sources(data: Sequence[str], symbols: Sequence[str]) -> list[MarketSource]:
    """Return the symbols of ``--data`` and ``--symbol`` with where their candles come from.

    One ``--data FILE`` is the candles of ``--symbol``; several files are given as
    ``--data SYMBOL=FILE``; without ``--data``, every ``--symbol`` is read from the store.

    Raises
    ------
    InvalidInput
        When the two options do not fit together, a symbol is malformed or given twice.
    """
    if not data:
        sources = [MarketSource(validate_symbol(s)) for s in symbols or [DEFAULT_SYMBOL]]
    elif len(data) == 1 and _symbol_and_file(data[0]) is None:
        if len(symbols) > 1:
            raise InvalidInput(
                "one --data FILE holds one symbol's candles: give several symbols as "
                "--data SYMBOL=FILE"
            )
        return [MarketSource(symbols[0] if symbols else DEFAULT_SYMBOL, Path(data[0]))]
    else:
        if symbols:
            raise InvalidInput("--data SYMBOL=FILE names its symbol: leave out --symbol")
        sources = [_file_source(item) for item in data]
    seen: set[str] = set()
    for source in sources:
        if source.symbol in seen:
            raise InvalidInput(f"symbol {source.symbol} given twice")
        seen.add(source.symbol)
    return sources


def _file_source(item: str) -> MarketSource:
    split = _symbol_and_file(item)
    if split is None:
        raise InvalidInput(
            "give each of several --data as SYMBOL=FILE (e.g. BTC/USDT=BTC_USDT-5m.json), "
            f"got {item!r}"
        )
    return MarketSource(*split)


def _symbol_and_file(item: str) -> tuple[str, Path] | None:
    symbol, separator, path = item.partition("=")
    # A file whose name holds "=" is still a file.
    if not separator or Path(item).exists():
        return None
    return validate_symbol(symbol.strip()), Path(path)


def align_frames(
    frames: Mapping[str, CandleFrame],
) -> tuple[dict[str, CandleFrame], dict[str, int]]:
    """Keep the candles whose open time every symbol has; return them and how many each lost.

    A portfolio trades all symbols at each candle time, so a candle only some symbols have (an
    outage of one market, or a longer file) cannot be backtested.

    Raises
    ------
    InvalidInput
        When the symbols share no candle time.
    """
    common = reduce(np.intersect1d, (frame.open_time_ms for frame in frames.values()))
    if not len(common):
        raise InvalidInput(f"the candles of {', '.join(frames)} share no open time")
    aligned: dict[str, CandleFrame] = {}
    dropped: dict[str, int] = {}
    for symbol, frame in frames.items():
        keep = np.isin(frame.open_time_ms, common)
        aligned[symbol] = CandleFrame(
            frame.open_time_ms[keep],
            frame.open[keep],
            frame.high[keep],
            frame.low[keep],
            frame.close[keep],
            frame.volume[keep],
        )
        dropped[symbol] = len(frame.open_time_ms) - int(keep.sum())
    return aligned, dropped
