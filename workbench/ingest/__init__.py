"""Ingest: Telegram Desktop exports -> parsed -> cleaned -> final Parquet datasets."""
