"""Presentation rules shared by the web pages and the exports: colours, spreadsheet cells.

Plain data and functions, no Dash, matplotlib or geopandas: the map's components and
the image and table exports use the same rules without importing each other.
"""
