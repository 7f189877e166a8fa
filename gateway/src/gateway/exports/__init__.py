"""Exports as files: a campaign's recipients and stats and a summary across campaigns as CSV,
the stats page as PDF. Pure: rows and bytes from the services' JSON; the operations fetch."""
