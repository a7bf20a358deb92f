"""GraphQL of charts: chart and chartWindows queries and the chart subscription."""
