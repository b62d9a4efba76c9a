"""Screens of the Textual app (each module imported only when its screen is needed)."""
