"""Generated documents (SPEC §9): exam documents as PDF (ReportLab, built-in CID font) and xlsx."""
