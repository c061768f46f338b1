"""The record layer: raw records in a Parquet lake, rolled up to every level of the map.

Streams: TPS results, the ormas registry, incidents and media signals (`lake.streams`).
"""
