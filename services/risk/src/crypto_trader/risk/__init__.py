"""Risk service: sizes strategy signals, checks limits and approves or rejects order intents."""
