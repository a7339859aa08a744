"""Writes and workflows: every change to the data goes through a function here."""
