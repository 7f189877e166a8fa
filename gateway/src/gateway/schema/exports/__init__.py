"""Reports: a summary across campaigns for a date range (its CSV and PDF files are REST)."""
