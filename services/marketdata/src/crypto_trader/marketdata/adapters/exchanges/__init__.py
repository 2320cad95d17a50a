"""Exchange adapters over ccxt's unified async REST API: one class, exchanges as data."""

from crypto_trader.marketdata.adapters.exchanges.ccxt_exchange import CcxtExchange
from crypto_trader.marketdata.adapters.exchanges.profile import EXCHANGE_PROFILES, ExchangeProfile

__all__ = ["EXCHANGE_PROFILES", "CcxtExchange", "ExchangeProfile"]
