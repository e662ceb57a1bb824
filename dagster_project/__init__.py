"""TTV warehouse: Dagster assets, dbt models and Great Expectations checks for time to value."""
