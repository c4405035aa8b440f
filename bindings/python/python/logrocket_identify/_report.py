"""What ``identify_many`` returns: counts, and every failed row."""

from __future__ import annotations

from ._errors import LogRocketError


class BulkFailure:
    """One row that failed: its position in the input (from 0), its user id (``""`` when the
    row had none), and why."""

    __slots__ = ("index", "user_id", "error")

    def __init__(self, index: int, user_id: str, error: LogRocketError) -> None:
        self.index = index
        self.user_id = user_id
        self.error = error

    def __repr__(self) -> str:
        return f"BulkFailure(index={self.index}, user_id={self.user_id!r}, error={self.error!r})"


class BulkReport:
    """The outcome of ``identify_many``. Every row is either counted in ``succeeded`` or listed
    in ``failures`` (sorted by input index); nothing is dropped."""

    __slots__ = ("total", "succeeded", "failures")

    def __init__(
        self, total: int, succeeded: int, failures: list[tuple[int, str, LogRocketError]]
    ) -> None:
        self.total = total
        self.succeeded = succeeded
        self.failures = [BulkFailure(*f) for f in failures]

    @property
    def failed(self) -> int:
        """How many rows failed (``len(failures)``)."""
        return len(self.failures)

    @property
    def ok(self) -> bool:
        """Whether every row succeeded."""
        return not self.failures

    def __repr__(self) -> str:
        return f"BulkReport(total={self.total}, succeeded={self.succeeded}, failed={self.failed})"
