"""Server-rendered web pages for caseworkers, auditors and citizens (Danish)."""
