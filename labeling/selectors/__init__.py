"""Reads: functions that query the database and return rows or plain values, never write."""
