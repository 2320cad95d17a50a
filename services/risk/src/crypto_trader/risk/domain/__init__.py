"""Pure risk logic: signals as risk sees them, sizing, limits and decisions."""
