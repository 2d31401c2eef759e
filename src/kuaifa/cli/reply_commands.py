"""Auto-reply commands."""
