"""Exchange adapters over ccxt's unified API (REST, and ccxt.pro websockets): exchanges as data."""

from crypto_trader.marketdata.adapters.exchanges.ccxt_exchange import CcxtExchange
from crypto_trader.marketdata.adapters.exchanges.ccxt_stream import CcxtStreamExchange
from crypto_trader.marketdata.adapters.exchanges.profile import EXCHANGE_PROFILES, ExchangeProfile

__all__ = ["EXCHANGE_PROFILES", "CcxtExchange", "CcxtStreamExchange", "ExchangeProfile"]
