"""Zhengtong 政通: an integrated digital-government platform."""

__version__ = "0.1.0"
