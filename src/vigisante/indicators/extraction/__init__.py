"""Indicator extraction (pure Python, no Django): `extract`, `extract_bytes`, `canonical`,
`guess_type`. See docs/indicators.md."""

from ._engine import TYPES, canonical, extract, guess_type, refang
from ._inputs import ExtractionError, extract_bytes, extract_file, parse_email

__all__ = ["TYPES", "ExtractionError", "canonical", "extract", "extract_bytes", "extract_file",
           "guess_type", "parse_email", "refang"]
