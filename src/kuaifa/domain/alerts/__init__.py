"""Alerts: severity, routing to roles' chat robots, and the robots' message formats and signatures."""
