"""Datasets leaving (and Label Studio tasks entering) Tweezer, one format per module.

Every format reads labeling.exports.rows.export_records, which streams one row per item in item
id order, so an export's memory does not grow with the project (bench/results/export.md).
"""
