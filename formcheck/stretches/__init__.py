"""The stretches: catalogue (data), recognition, form rules, warnings and hold timing."""

from formcheck.stretches.catalogue import STRETCH_IDS, Catalogue, Rule, Stretch, load_catalogue

__all__ = ["STRETCH_IDS", "Catalogue", "Rule", "Stretch", "load_catalogue"]
