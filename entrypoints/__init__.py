"""Entry points that sit above the library: the `govlake` command, the demo, the Airflow environment."""
