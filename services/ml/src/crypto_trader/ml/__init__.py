"""ML service: features, models, the model registry and the autopilot."""
