"""Use cases: one public function = one use case, run inside one transaction (db.Database.write).

The only code that drives a lifecycle machine or writes a table. HTTP routes, pages, the CLI and
Prefect flows all call these.
"""
