"""In-memory fakes of the risk ports and a signal builder, for tests."""

from __future__ import annotations

from decimal import Decimal

from crypto_trader.common.errors import RetryableError
from crypto_trader.common.ids import stable_id
from crypto_trader.common.protective_exit import NO_HINTS, ExitHints
from crypto_trader.risk.domain.decision import DecisionRecord
from crypto_trader.risk.domain.exposure import ExposureChange
from crypto_trader.risk.domain.signal import SignalAction, TradeSignal


def make_signal(
    action: SignalAction = SignalAction.ENTER_LONG,
    *,
    price: str = "20000",
    candle_open_time_ms: int = 1_606_780_800_000,
    account: str = "paper",
    exchange: str = "binance",
    symbol: str = "BTC/USDT",
    timeframe: str = "5m",
    hints: ExitHints = NO_HINTS,
) -> TradeSignal:
    """Build a signal with a contract-style id."""
    return TradeSignal(
        signal_id=stable_id("signal", "test-instance", candle_open_time_ms, action.value),
        account=account,
        exchange=exchange,
        symbol=symbol,
        timeframe=timeframe,
        action=action,
        reference_price=Decimal(price),
        candle_open_time_ms=candle_open_time_ms,
        hints=hints,
    )


class FakePositionReader:
    """Positions from a dict keyed by (account, exchange, symbol); records every question."""

    def __init__(self, positions: dict[tuple[str, str, str], Decimal] | None = None) -> None:
        self.positions = dict(positions or {})
        self.asked: list[tuple[str, str, str]] = []
        self.unavailable = False

    async def position_quantity(self, account: str, exchange: str, symbol: str) -> Decimal:
        self.asked.append((account, exchange, symbol))
        if self.unavailable:
            raise RetryableError("portfolio unavailable (fake)")
        return self.positions.get((account, exchange, symbol), Decimal(0))


class InMemoryDecisionRepository:
    """Keep decisions in a dict keyed by signal id."""

    def __init__(self) -> None:
        self.records: dict[str, DecisionRecord] = {}

    def get(self, signal_id: str) -> DecisionRecord | None:
        return self.records.get(signal_id)

    def get_by_order(self, client_order_id: str) -> DecisionRecord | None:
        for record in self.records.values():
            if record.approved and record.client_order_id == client_order_id:
                return record
        return None

    def add(self, record: DecisionRecord) -> DecisionRecord:
        return self.records.setdefault(record.signal_id, record)

    def counts(self, account: str) -> tuple[int, int]:
        mine = [r for r in self.records.values() if r.account == account]
        approved = sum(r.approved for r in mine)
        return approved, len(mine) - approved


class RecordingDecisionPublisher:
    """Record every publication (duplicates included) and fail on demand."""

    def __init__(self) -> None:
        self.published: list[DecisionRecord] = []
        self.failures_left = 0

    async def publish(self, record: DecisionRecord) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise RetryableError("bus unavailable (fake)")
        self.published.append(record)


class InMemoryExposureRepository:
    """Keep exposure changes in a dict keyed by client order id."""

    def __init__(self) -> None:
        self.changes: dict[str, ExposureChange] = {}

    def add_change(self, change: ExposureChange) -> bool:
        if change.client_order_id in self.changes:
            return False
        self.changes[change.client_order_id] = change
        return True
