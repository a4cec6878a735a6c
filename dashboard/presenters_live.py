"""直播现场 page: its sections and the shared bits the section modules use (app_pages/live*.py)."""

SECTIONS = ("capture", "comments", "cases", "topics")


def section_of(value: object) -> str:
    """The section a URL's ?section= names; the first for anything else."""
    return value if isinstance(value, str) and value in SECTIONS else SECTIONS[0]
