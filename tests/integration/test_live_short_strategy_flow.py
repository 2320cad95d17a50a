"""A live short-capable strategy on real NATS: its paper fills are the backtest engine's trades.

The strategy service runs the SMA cross 10/30 with shorts on real BTC/USDT candles replayed as
marketdata publishes them; risk (shorts allowed), execution (paper) and portfolio run beside it.
The backtest engine runs the same strategy on the same candles with the same rules: market
orders at the next open, the same fee, no slippage. Both must open and close the same positions
at the same times and prices. Sizes follow each side's rule: risk sizes an entry from its
signal's close (a fixed notional, rounded down to the lot step), the engine from the fill price,
so sizes are checked against risk's rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from order_path import OrderPath, Service, eventually, running_order_path

from crypto_trader.common.embedded import free_port
from crypto_trader.common.model import Candle
from crypto_trader.common.sizing import FIXED_NOTIONAL, Sizing, quantity_for_notional
from crypto_trader.contracts.common.v1 import common_pb2
from crypto_trader.contracts.execution.v1 import orders_pb2
from crypto_trader.contracts.strategy.v1 import (
    signals_pb2,
    strategy_service_pb2,
    strategy_service_pb2_grpc,
)
from crypto_trader.execution import app as execution_app
from crypto_trader.execution.settings import ExecutionSettings
from crypto_trader.portfolio import app as portfolio_app
from crypto_trader.portfolio.settings import PortfolioSettings
from crypto_trader.risk import app as risk_app
from crypto_trader.risk.settings import RiskSettings
from crypto_trader.strategy import app as strategy_app
from crypto_trader.strategy.domain.backtesting import BacktestConfig, run_backtest
from crypto_trader.strategy.domain.framework import SmaCross
from crypto_trader.strategy.domain.registry import StrategyRegistry
from crypto_trader.strategy.settings import InstanceConfig, StrategySettings
from crypto_trader.strategy.testing import candle_frame

pytestmark = pytest.mark.integration

D = Decimal
CANDLES = 400
PARAMS = {"fast": 10, "slow": 30, "short": True}
FEE = D("0.001")
NOTIONAL = D(1000)
STEP = D("0.00001")


@dataclass(frozen=True)
class RoundTrip:
    side: str
    entry_time_ms: int
    entry_price: Decimal
    exit_time_ms: int
    exit_price: Decimal


def real_candles(shared_data_dir: Path) -> list[Candle]:
    path = shared_data_dir / "nostalgiaforinfinity" / "binance" / "BTC_USDT-5m.json"
    rows = json.loads(path.read_text(), parse_float=Decimal)[:CANDLES]
    return [
        Candle("binance", "BTC/USDT", "5m", int(r[0]), D(r[1]), D(r[2]), D(r[3]), D(r[4]), D(r[5]))
        for r in rows
    ]


class LiveFlow(OrderPath):
    @property
    def strategy(self) -> strategy_service_pb2_grpc.StrategyServiceStub:
        return strategy_service_pb2_grpc.StrategyServiceStub(self.channels["strategy"])

    async def processed(self, instance_id: str, candle: Candle) -> bool:
        reply = await self.strategy.GetInstance(
            strategy_service_pb2.GetInstanceRequest(instance_id=instance_id)
        )
        return reply.instance.last_candle_open_time_ms == candle.open_time_ms


@contextlib.asynccontextmanager
async def live_flow(
    nats_url: str, root: str, database_url: str, tmp_path: Path
) -> AsyncIterator[tuple[LiveFlow, str]]:
    instance_ids: list[str] = []

    def plan(shared: dict[str, Any]) -> list[Service]:
        strategy_settings = StrategySettings(
            grpc_port=free_port(),
            instances=(InstanceConfig(strategy="sma_cross", params=PARAMS),),
            **shared,
        )
        (spec,) = strategy_app.owned_specs(strategy_settings, StrategyRegistry.with_built_ins())
        instance_ids.append(spec.instance_id)
        risk = RiskSettings(
            grpc_port=free_port(),
            allow_short=True,
            order_notional=NOTIONAL,
            quantity_step=STEP,
            **shared,
        )
        execution = ExecutionSettings(
            grpc_port=free_port(), taker_fee=FEE, relay_interval_seconds=0.2, **shared
        )
        return [
            ("risk", risk_app.run, risk),
            ("execution", execution_app.run, execution),
            ("portfolio", portfolio_app.run, PortfolioSettings(grpc_port=free_port(), **shared)),
            ("strategy", strategy_app.run, strategy_settings),
        ]

    async with running_order_path(nats_url, root, database_url, tmp_path, plan) as path:
        yield LiveFlow(path.bus, path.root, path.marketdata, path.channels), instance_ids[0]


def round_trips(
    fills: list[orders_pb2.OrderFilled],
) -> tuple[list[RoundTrip], list[orders_pb2.OrderFilled], Decimal]:
    """Pair fills into closed positions; return them, the entry fills and what is still open."""
    trips: list[RoundTrip] = []
    entries: list[orders_pb2.OrderFilled] = []
    position = D(0)
    # A reversal fills its exit and its entry on the same open: take the exit first.
    ordered = sorted(
        enumerate(fills),
        key=lambda item: (item[1].ts_event, D(item[1].quantity) != abs(position), item[0]),
    )
    for _, fill in ordered:
        signed = D(fill.quantity) if fill.side == common_pb2.SIDE_BUY else -D(fill.quantity)
        if position == 0:
            position = signed
            entries.append(fill)
            continue
        # Anything but the exact opposite of the open position would be a sizing bug.
        assert position + signed == 0, f"fill {fill} neither opens nor closes {position}"
        entry = entries[-1]
        side = "long" if position > 0 else "short"
        trips.append(RoundTrip(side, entry.ts_event, D(entry.price), fill.ts_event, D(fill.price)))
        position = D(0)
    return trips, entries, position


class TestLiveShortStrategy:
    async def test_paper_fills_of_a_reversing_instance_equal_the_backtest_trades(
        self,
        nats_url: str,
        run_root: str,
        database_url: str,
        tmp_path: Path,
        shared_data_dir: Path,
    ) -> None:
        candles = real_candles(shared_data_dir)
        backtest = run_backtest(
            SmaCross(PARAMS),
            candle_frame(candles),
            BacktestConfig(
                initial_cash=1e9,
                fee_rate=float(FEE),
                sizing=Sizing(FIXED_NOTIONAL, float(NOTIONAL), float(STEP)),
            ),
        )
        fills_expected = 2 * len(backtest.trades) + (backtest.open_position is not None)
        async with live_flow(nats_url, run_root, database_url, tmp_path) as (flow, instance_id):
            for candle in candles:
                await flow.close(candle)
            await eventually(lambda: flow.processed(instance_id, candles[-1]), timeout=60)
            await eventually(lambda: flow.booked(fills_expected), timeout=60)
            await asyncio.sleep(1.0)  # a duplicate or a stray fill would show up now
            fills = await flow.fills()
            signals = await flow.signals()
            position = await flow.position()

        shorts = [t for t in backtest.trades if t.side == "short"]
        assert len(backtest.trades) >= 6 and shorts, "the replay must reverse several times"
        # The instance published reversals as an exit, then the opposite entry.
        actions = [signals_pb2.SignalAction.Name(s.action) for s in signals]
        assert "SIGNAL_ACTION_ENTER_SHORT" in actions
        for i, name in enumerate(actions):
            if name.startswith("SIGNAL_ACTION_ENTER") and i > 0:
                assert actions[i - 1].startswith("SIGNAL_ACTION_EXIT")
                assert signals[i - 1].candle_open_time_ms == signals[i].candle_open_time_ms
        # Same positions, opened and closed at the same opens as the backtest's trades.
        trips, entries, still_open = round_trips(fills)
        assert trips == [
            RoundTrip(
                t.side,
                t.entry_time_ms,
                D(repr(t.entry_price)),
                t.exit_time_ms,
                D(repr(t.exit_price)),
            )  # fmt: skip
            for t in backtest.trades
        ]
        held = backtest.open_position
        if held is None:
            assert still_open == 0
        else:
            assert (still_open > 0) == (held.side == "long") and still_open != 0
            assert entries[-1].ts_event == held.entry_time_ms
        assert D(position.quantity) == still_open
        # Entries are sized by risk's rule (the notional at the signal candle's close); every
        # fill pays the same fee rate.
        close_before = {c.open_time_ms + 300_000: c.close for c in candles}
        for entry in entries:
            expected = quantity_for_notional(NOTIONAL, close_before[entry.ts_event], STEP)
            assert D(entry.quantity) == expected
        for fill in fills:
            assert D(fill.fee) == D(fill.quantity) * D(fill.price) * FEE
