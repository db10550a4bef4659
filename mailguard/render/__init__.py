"""Renderers take the model and compute no verdicts; adding a measure never touches them."""
