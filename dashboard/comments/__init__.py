"""Livestream comments (issue 16): reading a platform's export, setting chatter aside, masking personal data, and
grouping near-duplicate comments into candidate requests. Plain functions, no database."""
