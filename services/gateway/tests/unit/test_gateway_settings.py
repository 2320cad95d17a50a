"""Gateway settings: env prefix and where the web page comes from."""

from __future__ import annotations

from pathlib import Path

import pytest

from crypto_trader.gateway.settings import GatewaySettings, default_frontend_dir


class TestGatewaySettings:
    def test_defaults(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("CT_GATEWAY_PORT", raising=False)

        settings = GatewaySettings()

        assert (settings.host, settings.port, settings.request_timeout_seconds) == (
            "127.0.0.1",
            8000,
            5.0,
        )

    def test_reads_its_own_env_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CT_GATEWAY_PORT", "8123")
        monkeypatch.setenv("CT_GATEWAY_REQUEST_TIMEOUT_SECONDS", "2.5")

        settings = GatewaySettings()

        assert settings.port == 8123
        assert settings.request_timeout_seconds == 2.5

    def test_empty_frontend_dir_serves_no_page(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("CT_GATEWAY_FRONTEND_DIR", "")

        assert GatewaySettings().frontend_dir is None


class TestDefaultFrontendDir:
    def test_source_checkout_serves_the_repository_frontend_folder(self) -> None:
        found = default_frontend_dir()

        # The tests run from the checkout, whose frontend/ sits beside services/.
        assert found is not None
        assert found.name == "frontend"
        assert (found.parent / "services" / "gateway").is_dir()
        assert Path(__file__).resolve().is_relative_to(found.parent)
