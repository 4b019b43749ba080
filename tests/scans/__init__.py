"""Degraded scans of born-digital reports, with the born-digital reading as truth (issue 16)."""
