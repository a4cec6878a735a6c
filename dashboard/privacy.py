"""Masking of personal data (names, phone numbers, ID-like codes) for views others can see.

Issue 4 decides per role who sees what; until then the meeting-mode switch hides it for the projector.
"""


def mask_name(name: str | None) -> str:
    """张*华 for three characters, 王* for two; the family name and the last character stay."""
    if not name:
        return ""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str | None) -> str:
    """138****1234: the carrier prefix and the last four digits stay."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
