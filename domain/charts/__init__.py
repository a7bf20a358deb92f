"""Charts: hourly windows of the listening log and the daily Top 50."""
