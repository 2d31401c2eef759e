"""Carriers (快递公司): PDD's carrier table, tracking-number shape checks and the rules that choose a carrier."""
