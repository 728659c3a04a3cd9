"""Pure-Python file and report formats of the vendors (no Airflow, no HTTP).

Everything here can be used outside Airflow, e.g. in a notebook or a unit test.
"""
