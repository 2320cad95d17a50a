"""The ``ct`` command: the development composition root of Crypto Trader."""
