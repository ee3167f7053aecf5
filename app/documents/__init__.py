"""Files in and out (SPEC §9): exam documents and certificates as PDF (ReportLab, built-in CID font), and xlsx —
xlsx_out (the one formula-safe cell rule and the streaming writer), xlsx_in (the one guarded workbook reader)."""
