"""Shared kernel of Crypto Trader: what two or more services need, and nothing service-specific."""
