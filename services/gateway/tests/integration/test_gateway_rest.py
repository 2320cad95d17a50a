"""REST routes against fake backends: happy paths and the mapping of every failure to HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from crypto_trader.contracts.marketdata.v1 import market_data_service_pb2
from crypto_trader.contracts.strategy.v1 import strategy_service_pb2
from crypto_trader.gateway import testing
from crypto_trader.gateway.app import create_app
from crypto_trader.gateway.testing import SERVICES, FakeBackends

pytestmark = pytest.mark.integration


class TestHealth:
    def test_ok_when_every_service_serves_and_nats_is_connected(self, client: TestClient) -> None:
        response = client.get("/api/v1/health")

        assert response.status_code == 200
        assert response.json() == {
            "status": "ok",
            "services": dict.fromkeys(SERVICES, "serving"),
            "nats": "connected",
        }

    def test_degraded_when_a_service_is_down_or_not_serving(
        self, fakes: FakeBackends, make_settings
    ) -> None:
        fakes.servers["ml"].set_serving(False)
        with TestClient(create_app(make_settings(down=("risk",)))) as client:
            response = client.get("/api/v1/health")

        body = response.json()
        assert response.status_code == 200
        assert body["status"] == "degraded"
        assert body["services"]["risk"] == "unreachable"
        assert body["services"]["ml"] == "not_serving"
        assert body["services"]["portfolio"] == "serving"


class TestOrdersAndFills:
    def test_lists_the_accounts_orders_with_words_and_decimal_strings(
        self, fakes: FakeBackends, client: TestClient
    ) -> None:
        fakes.execution.orders = [
            testing.an_order("ct-1"),
            testing.an_order("ct-2", account="other"),
        ]

        response = client.get("/api/v1/orders", params={"limit": 5})

        assert response.status_code == 200
        orders = response.json()["orders"]
        assert [o["client_order_id"] for o in orders] == ["ct-1"]
        assert orders[0]["side"] == "buy"
        assert orders[0]["status"] == "filled"
        assert orders[0]["mode"] == "paper"
        assert orders[0]["quantity"] == "0.02699"
        assert fakes.execution.requests[-1].limit == 5

    def test_lists_fills(self, fakes: FakeBackends, client: TestClient) -> None:
        fakes.execution.fills = [testing.a_fill("ct-1"), testing.a_fill("ct-2")]

        response = client.get("/api/v1/fills")

        assert response.status_code == 200
        fills = response.json()["fills"]
        assert [f["trade_id"] for f in fills] == ["paper-ct-1-1", "paper-ct-2-1"]
        assert fills[0]["fee"] == "0.99863"
        assert fakes.execution.requests[-1].limit == 100

    @pytest.mark.parametrize("path", ["/api/v1/orders", "/api/v1/fills"])
    @pytest.mark.parametrize("limit", ["0", "1001", "many"])
    def test_bad_limit_is_a_validation_error(
        self, client: TestClient, path: str, limit: str
    ) -> None:
        response = client.get(path, params={"limit": limit})

        assert response.status_code == 422


class TestPortfolio:
    def test_lists_positions(self, fakes: FakeBackends, client: TestClient) -> None:
        fakes.portfolio.positions = [testing.a_position()]

        response = client.get("/api/v1/positions")

        assert response.status_code == 200
        assert response.json() == {
            "positions": [
                {
                    "account": "paper",
                    "exchange": "binance",
                    "symbol": "BTC/USDT",
                    "quantity": "0.02699",
                    "average_price": "37000",
                    "last_price": "37050.5",
                    "market_value": "999.992995",
                    "unrealised_pnl": "1.362995",
                    "realised_pnl": "0",
                }
            ]
        }

    def test_returns_equity(self, fakes: FakeBackends, client: TestClient) -> None:
        fakes.portfolio.equity["paper"] = testing.an_equity()

        response = client.get("/api/v1/equity")

        assert response.status_code == 200
        assert response.json()["equity"] == "10000.364365"
        assert response.json()["fills_booked"] == 1

    def test_not_found_in_the_backend_is_404_with_its_reason(self, client: TestClient) -> None:
        response = client.get("/api/v1/equity")

        assert response.status_code == 404
        assert response.json() == {"detail": "no account 'paper'"}


class TestCandles:
    def test_defaults_to_the_newest_200_binance_btc_usdt_5m_candles(
        self, fakes: FakeBackends, client: TestClient
    ) -> None:
        fakes.marketdata.candles = [
            testing.a_candle(testing.OPEN_TIME_MS + i * 300_000) for i in range(250)
        ]

        response = client.get("/api/v1/candles")

        body = response.json()
        assert response.status_code == 200
        assert len(body["candles"]) == 200
        assert body["candles"][-1]["open_time_ms"] == testing.OPEN_TIME_MS + 249 * 300_000
        assert body["candles"][0]["close"] == "37050.5"
        assert body["synthetic"] is False

    def test_flags_synthetic_data(self, fakes: FakeBackends, client: TestClient) -> None:
        fakes.marketdata.candles = [
            testing.a_candle(testing.OPEN_TIME_MS, timeframe="1h", synthetic=True)
        ]

        response = client.get("/api/v1/candles", params={"timeframe": "1h", "limit": 10})

        assert response.json()["synthetic"] is True
        assert response.json()["candles"][0]["synthetic"] is True

    def test_invalid_argument_from_the_backend_is_400_with_its_reason(
        self, client: TestClient
    ) -> None:
        response = client.get("/api/v1/candles", params={"timeframe": "7x"})

        assert response.status_code == 400
        assert response.json() == {"detail": "unknown timeframe '7x'"}

    @pytest.mark.parametrize("limit", ["0", "1001", "x"])
    def test_bad_limit_is_a_validation_error(self, client: TestClient, limit: str) -> None:
        assert client.get("/api/v1/candles", params={"limit": limit}).status_code == 422


class TestMarketDataAndStrategies:
    def test_returns_the_replay_status(self, fakes: FakeBackends, client: TestClient) -> None:
        fakes.marketdata.status = market_data_service_pb2.GetReplayStatusResponse(
            source="binance-5m",
            synthetic=False,
            published=10,
            total=100,
            finished=False,
            last_open_time_ms=testing.OPEN_TIME_MS,
        )

        response = client.get("/api/v1/marketdata/status")

        assert response.json() == {
            "source": "binance-5m",
            "synthetic": False,
            "published": 10,
            "total": 100,
            "finished": False,
            "last_open_time_ms": testing.OPEN_TIME_MS,
        }

    def test_lists_strategy_instances(self, fakes: FakeBackends, client: TestClient) -> None:
        fakes.strategy.instances = [
            strategy_service_pb2.StrategyInstance(
                instance_id="sma-1",
                strategy="sma_cross",
                account="paper",
                exchange="binance",
                symbol="BTC/USDT",
                timeframe="5m",
                parameters={"fast": "10", "slow": "30"},
                running=True,
                candles_seen=42,
            )
        ]

        response = client.get("/api/v1/strategies/instances")

        instance = response.json()["instances"][0]
        assert instance["parameters"] == {"fast": "10", "slow": "30"}
        assert instance["candles_seen"] == 42
        assert instance["running"] is True


class TestUnavailableBackends:
    @pytest.mark.parametrize(
        ("path", "service"),
        [
            ("/api/v1/orders", "execution"),
            ("/api/v1/fills", "execution"),
            ("/api/v1/positions", "portfolio"),
            ("/api/v1/equity", "portfolio"),
            ("/api/v1/candles", "marketdata"),
            ("/api/v1/marketdata/status", "marketdata"),
            ("/api/v1/strategies/instances", "strategy"),
        ],
    )
    def test_unreachable_service_is_503_naming_it(
        self, make_settings, path: str, service: str
    ) -> None:
        with TestClient(create_app(make_settings(down=(service,)))) as client:
            response = client.get(path)

        assert response.status_code == 503
        assert response.json() == {"detail": f"{service} unavailable"}

    def test_malformed_backend_data_is_502_without_a_traceback(
        self, fakes: FakeBackends, client: TestClient
    ) -> None:
        fakes.execution.fills = [testing.a_fill(price="NaN-ish")]

        response = client.get("/api/v1/fills")

        assert response.status_code == 502
        assert response.json() == {"detail": "a backend service sent invalid data"}


class TestPageAndSchema:
    def test_serves_the_page_at_root_while_api_routes_win(
        self, make_settings, tmp_path: Path
    ) -> None:
        (tmp_path / "index.html").write_text("<h1>placeholder</h1>")
        (tmp_path / "api").mkdir()
        (tmp_path / "api" / "v1").mkdir()
        (tmp_path / "api" / "v1" / "health").write_text("shadowed")
        with TestClient(create_app(make_settings(frontend_dir=tmp_path))) as client:
            page = client.get("/")
            health = client.get("/api/v1/health")
            unknown = client.get("/api/v1/nothing-here")

        assert page.status_code == 200
        assert "placeholder" in page.text
        assert health.json()["status"] == "ok"
        assert unknown.status_code == 404
        assert unknown.json() == {"detail": "Not Found"}

    def test_serves_no_page_without_a_frontend_dir(self, make_settings, tmp_path: Path) -> None:
        with TestClient(create_app(make_settings(frontend_dir=tmp_path / "missing"))) as client:
            assert client.get("/").status_code == 404

    def test_repository_page_loads_its_script_and_labels_synthetic_data(
        self, make_settings
    ) -> None:
        from crypto_trader.gateway.settings import default_frontend_dir

        with TestClient(create_app(make_settings(frontend_dir=default_frontend_dir()))) as client:
            page = client.get("/")
            script = client.get("/app.js")

        assert page.status_code == 200
        assert "SYNTHETIC" in page.text
        assert script.status_code == 200
        assert "/api/v1/ws" in script.text

    def test_operation_ids_are_tag_dash_name(self, client: TestClient) -> None:
        spec = client.get("/openapi.json").json()

        ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}

        assert {"orders-list_orders", "health-get_health", "candles-list_candles"} <= ids
