"""What the trade flow must produce from a list of candles, computed without the services."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

from crypto_trader.strategy.domain.framework import SmaCross
from crypto_trader.strategy.domain.indicators import CandleFrame


@dataclass(frozen=True)
class ExpectedFill:
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal


@dataclass(frozen=True)
class FlowRules:
    fast: int = 10
    slow: int = 30
    order_notional: Decimal = Decimal("1000")
    quantity_step: Decimal = Decimal("0.00001")
    max_position_notional: Decimal = Decimal("2500")
    taker_fee: Decimal = Decimal("0.001")
    initial_cash: Decimal = Decimal("10000")


def load_freqtrade_json(path: Path, limit: int) -> list[list[Decimal]]:
    """Rows ``[open_ms, open, high, low, close, volume]`` with exact decimals."""
    rows = json.loads(path.read_text(), parse_float=Decimal, parse_int=Decimal)
    return [[Decimal(v) for v in row] for row in rows[:limit]]


def expected_signals(rows: list[list[Decimal]], rules: FlowRules) -> list[tuple[int, str]]:
    """The live instance runs the framework's sma_cross through its event path; this is the
    framework's vectorised path over the same candles (float closes, as the live path reads)."""
    if not rows:
        return []
    frame = CandleFrame.from_rows([[float(value) for value in row] for row in rows])
    signals = SmaCross({"fast": rules.fast, "slow": rules.slow}).generate(frame)
    actions = [(int(i), "enter_long") for i in signals.enter_long.nonzero()[0]]
    actions += [(int(i), "exit_long") for i in signals.exit_long.nonzero()[0]]
    return sorted(actions)


def expected_fills(rows: list[list[Decimal]], rules: FlowRules) -> list[ExpectedFill]:
    closes = [row[4] for row in rows]
    fills: list[ExpectedFill] = []
    position = Decimal(0)
    for index, action in expected_signals(rows, rules):
        if index + 1 >= len(rows):
            break  # no next candle in the replay: the order stays open
        price = rows[index + 1][1]
        if action == "enter_long":
            quantity = (rules.order_notional / closes[index]).quantize(
                rules.quantity_step, ROUND_DOWN
            )
            if quantity <= 0 or (position + quantity) * closes[index] > rules.max_position_notional:
                continue
            position += quantity
            fills.append(ExpectedFill("buy", quantity, price, quantity * price * rules.taker_fee))
        elif position > 0:
            fills.append(ExpectedFill("sell", position, price, position * price * rules.taker_fee))
            position = Decimal(0)
    return fills


def expected_cash(fills: list[ExpectedFill], rules: FlowRules) -> Decimal:
    cash = rules.initial_cash
    for fill in fills:
        notional = fill.quantity * fill.price
        cash += -notional - fill.fee if fill.side == "buy" else notional - fill.fee
    return cash
