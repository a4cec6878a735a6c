"""Excel in and out: templates, the validated all-or-nothing import, styled exports."""
