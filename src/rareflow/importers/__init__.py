"""Importers for the public data users already hold: USGS MCS, CEPII BACI, UN Comtrade."""
