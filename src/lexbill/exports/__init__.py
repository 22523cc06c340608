"""Taking all of a firm's data out: every table to CSV in one archive, and to Excel."""
