"""Posture views shared by the CLI, the web page and the exports: findings as an admin works them (what fails
first, grouped by check, the objects affected), the standards tables (STIG, HealthInsight), exceptions, trends
and the reports.

These modules only read the store (through its connection, with portable SQL: ``?`` placeholders, no
SQLite-only functions unless marked); every write stays in :mod:`connector_host.store`. No Flask here.
"""
