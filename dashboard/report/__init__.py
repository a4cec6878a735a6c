"""季度汇报: the quarterly report's figures, comparisons, suppression, narrative and files (issue 17)."""
