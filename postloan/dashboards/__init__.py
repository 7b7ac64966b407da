"""The leaders' dashboards (领导看板): warnings and their handling, programme health, cross-selling, ranking."""
