"""Kuaifa (快发): self-hosted order processing for Pinduoduo merchants."""

__version__ = "0.1.0"
