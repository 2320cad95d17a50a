"""A backtest asked for as plain JSON values (a queued job): parse it, run it, encode the result."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import numpy as np

from crypto_trader.common.errors import InvalidInput
from crypto_trader.common.model import decimal_str
from crypto_trader.common.sizing import Sizing
from crypto_trader.strategy.domain.backtesting.account import BacktestConfig
from crypto_trader.strategy.domain.backtesting.costs import FeeModel, slippage_model
from crypto_trader.strategy.domain.backtesting.engine import ProgressCallback, run_backtest
from crypto_trader.strategy.domain.backtesting.result import BacktestResult
from crypto_trader.strategy.domain.framework import create_strategy
from crypto_trader.strategy.domain.indicators import CandleFrame

_OPTIONS = {
    "cash",
    "fee",
    "maker_fee",
    "taker_fee",
    "exchange",
    "slippage_model",
    "slippage_bps",
    "spread_bps",
    "order_type",
    "entry_offset_bps",
    "limit_offset_bps",
    "stop_loss",
    "take_profit",
    "trailing_stop",
    "sizing",
    "sizing_value",
    "quantity_step",
}


def _number(options: Mapping[str, object], name: str, default: float | None) -> float | None:
    raw = options.get(name)
    if raw is None:
        return default
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(f"{name} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{name} must be finite, got {raw!r}")
    return value


def _fees(options: Mapping[str, object]) -> FeeModel | None:
    exchange = options.get("exchange")
    maker, taker = _number(options, "maker_fee", None), _number(options, "taker_fee", None)
    if exchange is not None:
        market = {
            key: value for key, value in (("maker", maker), ("taker", taker)) if value is not None
        }
        return FeeModel.for_exchange(str(exchange), market)
    if maker is None and taker is None:
        return None
    fee = _number(options, "fee", 0.001)
    return FeeModel(fee if maker is None else maker, fee if taker is None else taker)  # type: ignore[arg-type]


def config_from_options(options: Mapping[str, object]) -> BacktestConfig:
    """Build a config from JSON options (``cash``, ``fee``, ``exchange``, ``slippage_model``, …).

    Raises
    ------
    InvalidInput
        When an option is unknown or invalid.
    """
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise InvalidInput(
            f"unknown backtest option {unknown[0]!r}; known: {', '.join(sorted(_OPTIONS))}"
        )
    bps = _number(options, "slippage_bps", 0.0) or 0.0
    step = _number(options, "quantity_step", 0.0) or 0.0
    sizing = Sizing(
        str(options.get("sizing", "all_in")), _number(options, "sizing_value", 1.0) or 0.0, step
    )
    return BacktestConfig(
        initial_cash=_number(options, "cash", 10_000.0),  # type: ignore[arg-type]
        fee_rate=_number(options, "fee", 0.001),  # type: ignore[arg-type]
        slippage_bps=bps,
        quantity_step=step,
        sizing=sizing,
        fee_model=_fees(options),
        slippage_model=slippage_model(
            str(options.get("slippage_model", "fixed")),
            bps=bps,
            spread_bps=_number(options, "spread_bps", None),
        ),
        order_type=str(options.get("order_type", "market")),
        entry_offset_bps=_number(options, "entry_offset_bps", 0.0),  # type: ignore[arg-type]
        limit_offset_bps=_number(options, "limit_offset_bps", 0.0),  # type: ignore[arg-type]
        stop_loss=_number(options, "stop_loss", None),
        take_profit=_number(options, "take_profit", None),
        trailing_stop=_number(options, "trailing_stop", None),
    )


def frame_from_rows(rows: Sequence[Sequence[object]]) -> CandleFrame:
    """Build a frame from ``[open_ms, open, high, low, close, volume]`` rows (numbers or strings).

    Raises
    ------
    InvalidInput
        When a row is malformed, a value is not a finite number or a price is not positive.
    """
    if not rows:
        raise InvalidInput("no candles to backtest")
    # numpy parses the whole table in C (a third of the time of float() per value); the rows
    # are looked at one by one only to say what is wrong with them.
    try:
        data = np.asarray(rows, dtype=np.float64)
    except (TypeError, ValueError) as error:
        _check_rows(rows)
        raise InvalidInput(f"candles must be numbers: {error}") from None
    if data.ndim != 2 or data.shape[1] != 6:
        _check_rows(rows)
        raise InvalidInput("candles must be rows of six numbers")
    if not bool(np.isfinite(data).all()):
        raise InvalidInput("candles must be finite numbers")
    frame = CandleFrame.from_rows(data)  # type: ignore[arg-type]
    prices = (frame.open, frame.high, frame.low, frame.close)
    if not all(bool((column > 0).all()) for column in prices):
        raise InvalidInput("candle prices must be positive")
    return frame


def _check_rows(rows: Sequence[Sequence[object]]) -> None:
    # Name the first row that is not a list of six values.
    for index, row in enumerate(rows):
        if not isinstance(row, Sequence) or isinstance(row, str | bytes) or len(row) != 6:
            raise InvalidInput(f"candle {index} must be [open_ms, open, high, low, close, volume]")


def run_requested_backtest(
    strategy: str,
    params: Mapping[str, object],
    rows: Sequence[Sequence[object]],
    options: Mapping[str, object],
    on_progress: ProgressCallback | None = None,
) -> BacktestResult:
    """Backtest a built-in strategy by name on candle rows with JSON options (fast path)."""
    config = config_from_options(options)
    instance = create_strategy(strategy, params)
    return run_backtest(instance, frame_from_rows(rows), config, on_progress)


def _finite(value: float | int | None) -> float | int | None:
    # JSON has no infinity or NaN: undefined values are null.
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def result_to_json(result: BacktestResult) -> dict[str, Any]:
    """Encode a result as JSON values: final equity, cash, fills, metrics and trades."""
    open_position = result.open_position
    return {
        "strategy": result.strategy,
        "params": result.params,
        "candles": len(result.open_time_ms),
        "initial_cash": result.config.initial_cash,
        "final_equity": result.final_equity,
        "cash": result.cash,
        "fees_paid": result.fees_paid,
        "fills": result.fills,
        "metrics": {name: _finite(value) for name, value in result.metrics.as_dict().items()},
        "trades": [trade.as_dict() for trade in result.trades],
        "open_position": None
        if open_position is None
        else {
            "side": open_position.side,
            "size": open_position.size,
            "entry_bar": open_position.entry_bar,
            "entry_price": open_position.entry_price,
        },
    }


def _money(value: float) -> str:
    # repr is the shortest decimal that reads back as the same float: 0.1, not 0.1000000000000000055
    return decimal_str(Decimal(repr(value)))


def result_to_fills_json(result: BacktestResult) -> dict[str, Any]:
    """Encode a market-order result as its fills, amounts as decimal strings.

    Each closed trade gives two fills (its entry and its exit), the open position one more;
    a fill's ``signal_index`` is the candle whose signal it acted on (the one before the fill).
    A fill's fee is its notional times the taker rate, the product the engine charged.
    """
    rate = result.config.fees.rate(maker=False)
    fills: list[dict[str, Any]] = []

    def fill(side: str, bar: int, time_ms: int, price: float, size: float) -> None:
        fills.append(
            {
                "side": side,
                "open_time_ms": time_ms,
                "price": _money(price),
                "quantity": _money(size),
                "fee": _money(size * price * rate),
                "signal_index": bar - 1,
            }
        )

    for trade in result.trades:
        buy, sell = ("buy", "sell") if trade.side == "long" else ("sell", "buy")
        fill(buy, trade.entry_bar, trade.entry_time_ms, trade.entry_price, trade.size)
        fill(sell, trade.exit_bar, trade.exit_time_ms, trade.exit_price, trade.size)
    held = result.open_position
    position = 0.0
    if held is not None:
        side = "buy" if held.side == "long" else "sell"
        fill(side, held.entry_bar, held.entry_time_ms, held.entry_price, held.size)
        position = held.size if held.side == "long" else -held.size
    return {
        "initial_cash": _money(result.config.initial_cash),
        "final_equity": _money(result.final_equity),
        "cash": _money(result.cash),
        "position": _money(position),
        "fees_paid": _money(result.fees_paid),
        "candles": len(result.open_time_ms),
        "trades": fills,
    }
