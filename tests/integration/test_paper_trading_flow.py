"""Risk, execution and portfolio on real NATS in paper mode: a short round trip and a stop-loss.

Signals are published as the strategy service publishes them; candles as marketdata does. The
fills must equal a computation made here without the services, and the ledger books each once.
"""

from __future__ import annotations

import asyncio
import contextlib
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import pytest
from order_path import OrderPath, Service, eventually, running_order_path

from crypto_trader.common.embedded import free_port
from crypto_trader.common.ids import stable_id
from crypto_trader.common.model import Candle
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.strategy.v1 import signals_pb2
from crypto_trader.execution import app as execution_app
from crypto_trader.execution.settings import ExecutionSettings
from crypto_trader.portfolio import app as portfolio_app
from crypto_trader.portfolio.settings import PortfolioSettings
from crypto_trader.risk import app as risk_app
from crypto_trader.risk.settings import RiskSettings

pytestmark = pytest.mark.integration

D = Decimal
T0 = 1_606_780_800_000
STEP_MS = 300_000
FEE = D("0.001")
NOTIONAL = D(1000)
QUANTITY_STEP = D("0.00001")
CASH = D(10000)


def at(index: int) -> int:
    return T0 + index * STEP_MS


def bar(index: int, open_: str, high: str, low: str, close: str) -> Candle:
    return Candle(
        exchange="binance",
        symbol="BTC/USDT",
        timeframe="5m",
        open_time_ms=at(index),
        open=D(open_),
        high=D(high),
        low=D(low),
        close=D(close),
        volume=D(1),
    )


def signal(action: int, index: int, reference: str, **hints: str) -> signals_pb2.SignalGenerated:
    name = signals_pb2.SignalAction.Name(action)
    return signals_pb2.SignalGenerated(
        event_id=stable_id("signal", "flow-instance", at(index), name),
        ts_event=at(index), ts_init=at(index), instance_id="flow-instance", strategy="sma_cross",
        account="paper", exchange="binance", symbol="BTC/USDT", timeframe="5m", action=action,
        reference_price=reference, candle_open_time_ms=at(index), **hints,
    )  # fmt: skip


def sized(reference: Decimal) -> Decimal:
    return (NOTIONAL / reference).quantize(QUANTITY_STEP, rounding=ROUND_DOWN)


def order_path(
    nats_url: str, root: str, database_url: str, tmp_path: Path
) -> contextlib.AbstractAsyncContextManager[OrderPath]:
    def plan(shared: dict[str, Any]) -> list[Service]:
        return [
            ("risk", risk_app.run, RiskSettings(grpc_port=free_port(), allow_short=True, **shared)),
            (
                "execution",
                execution_app.run,
                ExecutionSettings(grpc_port=free_port(), relay_interval_seconds=0.2, **shared),
            ),
            ("portfolio", portfolio_app.run, PortfolioSettings(grpc_port=free_port(), **shared)),
        ]

    return running_order_path(nats_url, root, database_url, tmp_path, plan)


class TestPaperTradingFlow:
    async def test_a_short_round_trip_is_sold_covered_and_booked_once(
        self, nats_url: str, run_root: str, database_url: str, tmp_path: Path
    ) -> None:
        candles = [
            bar(0, "20100", "20200", "19900", "20000"),
            bar(1, "19950.5", "20050", "19800", "19850"),
            bar(2, "19800", "19900", "19500", "19600"),
            bar(3, "19610.25", "19700", "19400", "19450"),
        ]
        async with order_path(nats_url, run_root, database_url, tmp_path) as flow:
            await flow.close(candles[0])
            await flow.signal(signal(signals_pb2.SIGNAL_ACTION_ENTER_SHORT, 0, "20000"))
            await flow.close(candles[1])
            await eventually(lambda: flow.booked(1))
            await flow.close(candles[2])
            await eventually(
                lambda: _equity_marked(flow, candles[2].close),
            )
            short = await flow.position()
            marked = await flow.equity()
            await flow.signal(signal(signals_pb2.SIGNAL_ACTION_EXIT_SHORT, 2, "19600"))
            await flow.close(candles[3])
            await eventually(lambda: flow.booked(2))
            await asyncio.sleep(1.0)  # a duplicate would show up now
            fills = await flow.fills()
            equity = await flow.equity()
            flat = await flow.position()

        quantity = sized(D(20000))
        sell_price, buy_price = candles[1].open, candles[3].open
        sell_fee, buy_fee = quantity * sell_price * FEE, quantity * buy_price * FEE
        assert [(f.side, D(f.quantity), D(f.price), D(f.fee)) for f in fills] == [
            (2, quantity, sell_price, sell_fee),
            (1, quantity, buy_price, buy_fee),
        ]
        assert D(short.quantity) == -quantity and D(short.average_price) == sell_price
        cash_while_short = CASH + quantity * sell_price - sell_fee
        assert D(marked.cash) == cash_while_short
        assert D(marked.equity) == cash_while_short - quantity * candles[2].close
        assert int(equity.fills_booked) == 2
        assert D(flat.quantity) == 0
        assert D(flat.realised_pnl) == quantity * (sell_price - buy_price)
        assert D(equity.equity) == CASH + quantity * (sell_price - buy_price) - sell_fee - buy_fee

    async def test_a_stop_loss_closes_the_long_once_and_a_late_exit_signal_trades_nothing(
        self, nats_url: str, run_root: str, database_url: str, tmp_path: Path
    ) -> None:
        candles = [
            bar(0, "100", "101", "99", "100"),
            bar(1, "100.5", "102", "99", "101"),
            bar(2, "100", "100.5", "96", "97"),
            bar(3, "97", "98", "95", "96"),
            bar(4, "96", "97", "95", "96"),
        ]
        async with order_path(nats_url, run_root, database_url, tmp_path) as flow:
            await flow.close(candles[0])
            await flow.signal(
                signal(signals_pb2.SIGNAL_ACTION_ENTER_LONG, 0, "100", stop_loss="97.5")
            )
            await flow.close(candles[1])
            await eventually(lambda: flow.booked(1))
            await flow.close(candles[2])
            await eventually(lambda: flow.booked(2))
            # The strategy knows nothing of the stop and exits a candle later.
            await flow.signal(signal(signals_pb2.SIGNAL_ACTION_EXIT_LONG, 3, "96"))
            await flow.close(candles[3])
            await flow.close(candles[4])
            await eventually(lambda: _has_rejection_or_refusal(flow))
            await asyncio.sleep(1.0)
            fills = await flow.fills()
            equity = await flow.equity()
            position = await flow.position()

        quantity = sized(D(100))
        entry_price, stop_price = candles[1].open, D("97.5")
        entry_fee, stop_fee = quantity * entry_price * FEE, quantity * stop_price * FEE
        assert [(f.side, D(f.quantity), D(f.price), D(f.fee)) for f in fills] == [
            (1, quantity, entry_price, entry_fee),
            (2, quantity, stop_price, stop_fee),
        ]
        assert fills[1].ts_event == at(2)
        assert int(equity.fills_booked) == 2
        assert D(position.quantity) == 0
        assert D(position.realised_pnl) == quantity * (stop_price - entry_price)
        assert D(equity.cash) == CASH - quantity * (entry_price - stop_price) - entry_fee - stop_fee


async def _equity_marked(flow: OrderPath, close: Decimal) -> bool:
    position = await flow.position()
    return position is not None and position.last_price != "" and D(position.last_price) == close


async def _has_rejection_or_refusal(flow: OrderPath) -> bool:
    # Either risk saw the stop's fill first ("no position to close"), or execution refused the
    # exit that raced it ("position already closed by its stop_loss").
    if any(r.reason == "no position to close" for r in await flow.rejections()):
        return True
    return any(
        e.order.status == orders_pb2.ORDER_STATUS_REJECTED
        and e.order.reason == "position already closed by its stop_loss"
        for e in await flow.order_updates()
    )
