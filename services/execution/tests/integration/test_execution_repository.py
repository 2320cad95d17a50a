"""The SQLAlchemy store on SQLite and PostgreSQL: unique orders and trades, atomic fills, outbox."""

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect

from crypto_trader.common.database import make_engine, migrate
from crypto_trader.execution.adapters.repository import SqlAlchemyOrderStore
from crypto_trader.execution.app import MIGRATIONS_DIR, VERSION_TABLE
from crypto_trader.execution.domain import paper_matching
from crypto_trader.execution.domain.events import order_filled, order_updated
from crypto_trader.execution.domain.order import Order, OrderStatus
from crypto_trader.execution.testing import candle, new_order

pytestmark = pytest.mark.integration

FEE = Decimal("0.001")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine, MIGRATIONS_DIR, version_table=VERSION_TABLE)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlAlchemyOrderStore:
    return SqlAlchemyOrderStore(engine)


def accepted(client_order_id: str = "ct-1", **changes: object) -> Order:
    order = new_order(client_order_id=client_order_id, created_ms=1, updated_ms=1, **changes)
    return order.accept(venue_order_id=f"paper-{client_order_id}", ts_ms=1)


async def add(store: SqlAlchemyOrderStore, order: Order) -> Order:
    assert await store.add(order, [order_updated(order, ts_init=1)])
    return order


async def fill_on(store: SqlAlchemyOrderStore, order: Order, open_price: str) -> bool:
    fill = paper_matching.match(order, candle(order.not_before_ms + 1, open_price), fee_rate=FEE)
    assert fill is not None
    after = order.apply_fill(fill, ts_ms=2)
    events = [order_filled(after, fill, ts_init=2), order_updated(after, ts_init=2)]
    return await store.save_fill(order, after, fill, events)


class TestMigrations:
    def test_creates_the_service_tables_and_can_run_again(self, engine: Engine) -> None:
        migrate(engine, MIGRATIONS_DIR, version_table=VERSION_TABLE)

        tables = set(inspect(engine).get_table_names())
        assert {"execution_orders", "execution_fills", "execution_outbox", VERSION_TABLE} <= tables


class TestOrders:
    async def test_an_order_reads_back_exactly_as_written(
        self, store: SqlAlchemyOrderStore
    ) -> None:
        order = await add(store, accepted(quantity=Decimal("0.00001")))

        assert await store.get("ct-1") == order
        assert await store.get("ct-unknown") is None

    async def test_a_second_order_with_the_same_client_order_id_is_refused(
        self, store: SqlAlchemyOrderStore
    ) -> None:
        await add(store, accepted())

        assert not await store.add(accepted(), [order_updated(accepted(), ts_init=9)])
        assert len(await store.unsent(100)) == 1

    async def test_open_orders_are_those_of_the_market_that_may_fill_by_then(
        self, store: SqlAlchemyOrderStore
    ) -> None:
        await add(store, accepted("ct-a", not_before_ms=100))
        await add(store, accepted("ct-b", not_before_ms=500))
        await add(store, accepted("ct-c", not_before_ms=100, symbol="ETH/USDT"))
        rejected = new_order(client_order_id="ct-d").reject(reason="no", ts_ms=1)
        await add(store, rejected)

        found = await store.open_orders("binance", "BTC/USDT", "5m", not_before_below_ms=500)

        assert [order.client_order_id for order in found] == ["ct-a"]

    async def test_lists_orders_newest_first(self, store: SqlAlchemyOrderStore) -> None:
        for index in range(3):
            await add(store, replace(accepted(f"ct-{index}"), created_ms=index))

        orders = await store.list_orders("paper", 2)

        assert [order.client_order_id for order in orders] == ["ct-2", "ct-1"]


class TestFills:
    async def test_a_fill_commits_order_fill_and_events_with_exact_money(
        self, store: SqlAlchemyOrderStore
    ) -> None:
        order = await add(store, accepted(quantity=Decimal("0.03321")))

        assert await fill_on(store, order, "43210.12345678")

        stored = await store.get("ct-1")
        assert stored is not None
        assert stored.status is OrderStatus.FILLED
        assert stored.filled_quantity == Decimal("0.03321")
        assert stored.average_price == Decimal("43210.12345678")
        assert stored.fees == Decimal("0.03321") * Decimal("43210.12345678") * FEE
        assert stored.trade_ids == {"paper-ct-1-1"}
        (fill,) = await store.list_fills("paper", 10)
        assert (fill.price, fill.fee) == ("43210.12345678", "1.4350081999996638")
        assert len(await store.unsent(100)) == 3

    async def test_a_write_based_on_a_stale_order_commits_nothing(
        self, store: SqlAlchemyOrderStore
    ) -> None:
        order = await add(store, accepted())
        assert await fill_on(store, order, "100")

        assert not await fill_on(store, order, "100")

        assert len(await store.list_fills("paper", 10)) == 1
        assert len(await store.unsent(100)) == 3

    async def test_a_trade_already_recorded_rolls_the_whole_write_back(
        self, store: SqlAlchemyOrderStore
    ) -> None:
        order = await add(store, accepted())
        assert await fill_on(store, order, "100")
        stored = await store.get("ct-1")
        assert stored is not None
        # Pretend an older copy of the order, at the current version, books the same trade again.
        stale = replace(order, version=stored.version)

        assert not await fill_on(store, stale, "100")

        assert await store.get("ct-1") == stored
        assert len(await store.unsent(100)) == 3


class TestOutbox:
    async def test_unsent_events_come_in_commit_order_until_marked_sent(
        self, store: SqlAlchemyOrderStore
    ) -> None:
        first = await add(store, accepted("ct-a"))
        await add(store, accepted("ct-b"))
        await fill_on(store, first, "100")

        pending = await store.unsent(100)
        await store.mark_sent(pending[0].event_id, 5)
        await store.mark_sent(pending[0].event_id, 6)

        assert [message.type_name.rsplit(".", 1)[1] for message in pending] == [
            "OrderUpdated",
            "OrderUpdated",
            "OrderFilled",
            "OrderUpdated",
        ]
        assert [message.event_id for message in await store.unsent(2)] == [
            message.event_id for message in pending[1:3]
        ]
