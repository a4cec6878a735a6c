"""A broken business rule, carrying the i18n key of its message so the user reads it in their language."""

from dashboard.i18n import t


class RuleError(ValueError):
    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def message(self) -> str:
        return t(self.key, **self.params)

    def __str__(self) -> str:
        return self.message()
