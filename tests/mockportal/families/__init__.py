"""Mock portal families, one module per CMS platform (each builds mockportal Sites)."""
