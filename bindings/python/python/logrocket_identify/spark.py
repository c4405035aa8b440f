"""Sync a Spark DataFrame of users to LogRocket, from the executors.

    from logrocket_identify.spark import identify_dataframe

    users = spark.table("warehouse.users")        # user_id, name, email, plan, revenue, ...
    summary = identify_dataframe(users, app_id="acme/web", rate_limit=3000,
                                 rejects_path="s3a://bucket/logrocket/rejects/2024-06-01")
    print(summary)                               # delivered, failed by reason, retried tasks

How it runs, as Spark's own guidance asks (no client per record, none shipped from the driver):

- **One client per Python worker process**, made on first use and reused by every partition
  and task that process runs (``ClientSettings.client()``). Spark runs one task at a time in a
  Python worker, so an executor with ``spark.executor.cores = C`` has C of them. The cache
  checks ``os.getpid()``: a forked worker makes its own.
- **The key** travels inside a ``ClientSettings``, pickled with the task like any closure and
  never as a Spark configuration entry, an environment variable set through Spark or a string
  in a lambda: its ``repr`` and ``str`` say ``<redacted>``, so neither Spark's UI, its event log
  nor a log line that prints the task shows it.
- **A rate limit** (requests per second, retries included) is for the whole job: it is split
  evenly over the tasks that can run at once, ``min(partitions, defaultParallelism)`` unless
  ``tasks_at_once`` says otherwise, and each task's client sends at its share. So 200
  partitions on 16 cores send at most the rate given, not 200 times it.
- **Failures** are counted on the driver through an accumulator (``SyncSummary``: delivered,
  failed, by reason), and each failed row is written to ``rejects_path`` as JSON Lines that
  ``logrocket import`` reads back (the ``input`` of each line is the row as sent).
- **Task retries** are at least once: a task that failed part way (an executor lost, an input
  that could not be read) is run again from its first row by Spark, so rows the failed attempt
  had already delivered are sent again, with the same values. Each rerun attempt is counted
  (``retried_tasks``, ``rows_resent``). Spark applies the accumulator updates of an action's
  successful task attempts only, one per partition, so the other counts never double.

The module imports without pyspark; the functions that need it import it when called.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from itertools import islice
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
)

from ._client import Client
from ._errors import ApiError, LogRocketError, TransportError, ValidationError

if TYPE_CHECKING:
    from pyspark import Accumulator, SparkContext
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

__all__ = [
    "DEFAULT_CONCURRENCY",
    "ClientSettings",
    "PartitionSender",
    "SyncSummary",
    "UserColumns",
    "failure_reason",
    "identify_dataframe",
    "new_counters",
    "partition_sender",
    "tasks_at_once",
]

DEFAULT_CONCURRENCY = 32
"""Requests in flight per running task (one Python worker process) unless told otherwise: an
executor with ``spark.executor.cores = C`` keeps at most ``C * concurrency`` in flight."""

CHUNK_ROWS = 10_000
"""Rows sent per ``identify_many`` call inside a partition. Only a chunk's rows are kept (to
write the failed ones to the rejects), so a partition of any size needs bounded memory."""

_log = logging.getLogger("logrocket_identify.spark")

Counts = Dict[str, int]
"""What the counters accumulator holds: counter name to count (see ``SyncSummary``)."""

_FAILED_PREFIX = "failed:"
_CLIENT_CACHE_SIZE = 8


def _pyspark_missing(error: ImportError) -> ImportError:
    return ImportError(
        "logrocket_identify.spark needs pyspark, which is not installed here "
        "(pip install 'pyspark>=4,<5', the versions it is tested with): " + str(error)
    )


# ---------------------------------------------------------------------------------------------
# The client's settings, shipped to executors, and the per-process client cache


# Options of ``Client`` whose values are shown by ``ClientSettings``' repr; others (proxy,
# ca_cert, org_id) are shown only as set, since a proxy URL may carry credentials.
_SHOWN_OPTIONS = frozenset(
    {"timeout", "max_retries", "http1_only", "connect_timeout", "allow_insecure_http",
     "proxy_from_env"}
)
# Options the settings set themselves, and background delivery's, which a sync does not use.
_REFUSED_OPTIONS = frozenset(
    {"queue_capacity", "queue_max_bytes", "when_full", "enqueue_timeout", "on_failure",
     "exit_timeout", "rate_limit", "concurrency", "api_key", "app_id", "base_url"}
)


class ClientSettings:
    """What an executor needs to make its client: picklable, and safe to print.

    Arguments left as ``None`` are read here, on the machine that makes the settings (the
    driver), from ``LOGROCKET_API_KEY``, ``LOGROCKET_APP_ID`` (``"org/app"``) and
    ``LOGROCKET_BASE_URL``, so executors need none of them in their environment. The settings
    are checked at once by building a client (which sends nothing): a missing key or a bad app
    id is a ``ConfigError`` on the driver, before any task starts.

    ``rate_limit`` is this one client's limit in requests per second (``identify_dataframe``
    sets it to the job's share per task); ``concurrency`` bounds its requests in flight.
    ``options`` are other ``Client`` arguments (``max_retries``, ``timeout``, ``proxy``,
    ``ca_cert``, ``http1_only``, ...).

    ``repr``/``str`` never show the key or a proxy's URL. The key is in the pickled bytes, as
    it must be to reach the executors: Spark sends them to its executors and does not log them.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        app_id: Optional[str] = None,
        base_url: Optional[str] = None,
        *,
        rate_limit: Optional[float] = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        **options: Any,
    ) -> None:
        refused = sorted(set(options) & _REFUSED_OPTIONS)
        if refused:
            raise TypeError(
                f"ClientSettings does not take {', '.join(refused)} as a client option"
            )
        self._api_key = api_key if api_key is not None else os.environ.get("LOGROCKET_API_KEY")
        self.app_id = app_id if app_id is not None else os.environ.get("LOGROCKET_APP_ID")
        self.base_url = (
            base_url if base_url is not None else os.environ.get("LOGROCKET_BASE_URL")
        )
        self.rate_limit = rate_limit
        self.concurrency = concurrency
        self.options: Dict[str, Any] = dict(options)
        # The core's own checks, with its messages: key, app id, URL, rate, concurrency, options.
        Client(**self._client_arguments())

    def _client_arguments(self) -> Dict[str, Any]:
        return {
            "api_key": self._api_key,
            "app_id": self.app_id,
            "base_url": self.base_url,
            "rate_limit": self.rate_limit,
            "concurrency": self.concurrency,
            **self.options,
        }

    def with_rate_limit(self, rate_limit: Optional[float]) -> ClientSettings:
        """A copy whose client sends at most ``rate_limit`` requests per second."""
        copy = object.__new__(ClientSettings)
        copy.__dict__.update(self.__dict__)
        copy.options = dict(self.options)
        copy.rate_limit = rate_limit
        Client(**copy._client_arguments())
        return copy

    def _key(self) -> Tuple[Any, ...]:
        options = tuple(sorted((name, repr(value)) for name, value in self.options.items()))
        return (
            self._api_key,
            self.app_id,
            self.base_url,
            self.rate_limit,
            self.concurrency,
            options,
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ClientSettings) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        shown = [
            f"{name}={value!r}" if name in _SHOWN_OPTIONS else f"{name}=<set>"
            for name, value in sorted(self.options.items())
        ]
        extra = "".join(", " + s for s in shown)
        key = "<redacted>" if self._api_key else "None"
        return (
            f"ClientSettings(app_id={self.app_id!r}, base_url={self.base_url!r}, "
            f"api_key={key}, rate_limit={self.rate_limit!r}, "
            f"concurrency={self.concurrency!r}{extra})"
        )

    __str__ = __repr__

    def client(self) -> Client:
        """This process's client for these settings: made on first use, then the same one for
        every partition and task this process runs (a forked child makes its own)."""
        return _client_cache().get(self)

    def new_client(self) -> Client:
        """A new client for these settings (``client()`` caches one per process)."""
        return Client(**self._client_arguments())


class _ClientCache:
    """One client per settings in this process, the most recent few kept."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.clients: OrderedDict[ClientSettings, Client] = OrderedDict()
        self.made = 0

    def get(self, settings: ClientSettings) -> Client:
        with self.lock:
            client = self.clients.get(settings)
            if client is not None:
                self.clients.move_to_end(settings)
                return client
            client = settings.new_client()
            self.made += 1
            self.clients[settings] = client
            while len(self.clients) > _CLIENT_CACHE_SIZE:
                _, old = self.clients.popitem(last=False)
                old.close()
            return client


_cache = _ClientCache()


def _client_cache() -> _ClientCache:
    """This process's cache. A forked child starts a new one: the parent's lock may have been
    held at the fork, and its clients are the parent's."""
    global _cache
    if _cache.pid != os.getpid():
        _cache = _ClientCache()
    return _cache


def _clients_made() -> Tuple[int, int]:
    """(pid, clients this process's cache has made): for tests of the cache."""
    cache = _client_cache()
    return (cache.pid, cache.made)


# ---------------------------------------------------------------------------------------------
# Columns: which column is which field, checked on the driver against the schema

# Spark type names (``DataType.typeName()``) each field accepts.
_INTEGRAL = frozenset({"long", "integer", "short", "byte"})
_TEXT = frozenset({"string", "char", "varchar"})
_USER_ID_TYPES = _TEXT | _INTEGRAL
_TEXT_FIELD_TYPES = _TEXT | {"void"}
_TIMESTAMP_TYPES = _INTEGRAL | {"timestamp", "timestamp_ntz", "date", "void"}
_TRAIT_TYPES = (
    _TEXT | _INTEGRAL | {"boolean", "float", "double", "decimal", "date", "timestamp",
                         "timestamp_ntz", "void"}
)


@dataclass(frozen=True)
class UserColumns:
    """Which column holds each field, and where it is in the rows: made by
    ``UserColumns.resolve`` from a schema, which checks every name and type on the driver.

    ``positions`` index the rows of that schema: ``user_id``, then ``name``, ``email`` and
    ``timestamp`` (``-1`` when absent), then one per trait."""

    user_id: str
    name: Optional[str]
    email: Optional[str]
    timestamp: Optional[str]
    timestamp_type: Optional[str]
    traits: Tuple[str, ...]
    positions: Tuple[int, ...]

    @classmethod
    def resolve(
        cls,
        schema: StructType,
        *,
        user_id: str = "user_id",
        name: Optional[str] = None,
        email: Optional[str] = None,
        timestamp: Optional[str] = None,
        traits: Optional[Sequence[str]] = None,
    ) -> UserColumns:
        """Checks the columns against ``schema``.

        ``name``, ``email`` and ``timestamp`` left as ``None`` take the column of that name
        when there is one (as ``logrocket import`` reads a CSV header). ``traits``: the trait
        columns (the column name is the trait key), or ``None`` for every column not used by
        another field; ``[]`` for none. A column that is missing, named twice in the schema or
        of a type the field cannot take is a ``ValueError`` naming it and the columns there
        are."""
        types: Dict[str, str] = {}
        duplicates = set()
        order: List[str] = []
        for struct_field in schema.fields:
            if struct_field.name in types:
                duplicates.add(struct_field.name)
            types[struct_field.name] = struct_field.dataType.typeName()
            order.append(struct_field.name)

        def listing() -> str:
            return ", ".join(f"{c} ({types[c]})" for c in order) or "(none)"

        def column(role: str, wanted: Optional[str], default: Optional[str]) -> Optional[str]:
            if wanted is None:
                return default if default in types else None
            if not isinstance(wanted, str):
                raise TypeError(f"{role} must be a column name (a str), got {wanted!r}")
            if wanted not in types:
                raise ValueError(
                    f"the {role} column {wanted!r} is not in the DataFrame; "
                    f"its columns are: {listing()}"
                )
            return wanted

        user_id_column = column("user_id", user_id, None)
        assert user_id_column is not None
        name_column = column("name", name, "name")
        email_column = column("email", email, "email")
        timestamp_column = column("timestamp", timestamp, "timestamp")
        used = [c for c in (user_id_column, name_column, email_column, timestamp_column) if c]
        if traits is None:
            trait_columns = tuple(c for c in order if c not in used)
        else:
            if isinstance(traits, str):
                raise TypeError(
                    f"traits must be a list of column names, not one string: [{traits!r}]"
                )
            trait_columns = tuple(traits)
            for trait in trait_columns:
                column("trait", trait, None)
            if len(set(trait_columns)) != len(trait_columns):
                raise ValueError(f"traits names a column twice: {list(trait_columns)}")

        clash = sorted(duplicates & (set(used) | set(trait_columns)))
        if clash:
            raise ValueError(
                f"the DataFrame has more than one column called {', '.join(clash)}: "
                "rename them (withColumnRenamed) or select one"
            )

        def check(role: str, col: Optional[str], allowed: frozenset[str], hint: str) -> None:
            if col is not None and types[col] not in allowed:
                raise ValueError(
                    f"the {role} column {col!r} is of type {types[col]}; {hint}"
                )

        check("user_id", user_id_column, _USER_ID_TYPES, "it must be a string or an integer")
        check("name", name_column, _TEXT_FIELD_TYPES, "it must be a string")
        check("email", email_column, _TEXT_FIELD_TYPES, "it must be a string")
        check(
            "timestamp",
            timestamp_column,
            _TIMESTAMP_TYPES,
            "it must be a timestamp, a date, or an integer of Unix milliseconds",
        )
        bad_traits = [c for c in trait_columns if types[c] not in _TRAIT_TYPES]
        if bad_traits:
            shown = ", ".join(f"{c} ({types[c]})" for c in bad_traits)
            raise ValueError(
                f"trait columns must hold strings, numbers, booleans, dates or timestamps; "
                f"these do not: {shown}. Pass traits=[...] without them, or convert them "
                "(e.g. to_json) first"
            )

        index = {c: i for i, c in enumerate(order)}
        positions = (
            index[user_id_column],
            index[name_column] if name_column else -1,
            index[email_column] if email_column else -1,
            index[timestamp_column] if timestamp_column else -1,
        ) + tuple(index[c] for c in trait_columns)
        return cls(
            user_id=user_id_column,
            name=name_column,
            email=email_column,
            timestamp=timestamp_column,
            timestamp_type=types[timestamp_column] if timestamp_column else None,
            traits=trait_columns,
            positions=positions,
        )

    def used(self) -> List[str]:
        """The columns used, in the order ``selected()`` expects them."""
        fields = [self.user_id, self.name, self.email, self.timestamp]
        return [c for c in fields if c is not None] + list(self.traits)

    def selected(self) -> UserColumns:
        """The same columns, positioned for rows of ``df.select(*self.used())``."""
        next_position = iter(range(len(self.used())))
        fields = (self.user_id, self.name, self.email, self.timestamp)
        head = tuple(next(next_position) if c is not None else -1 for c in fields)
        positions = head + tuple(next(next_position) for _ in self.traits)
        return UserColumns(
            user_id=self.user_id,
            name=self.name,
            email=self.email,
            timestamp=self.timestamp,
            timestamp_type=self.timestamp_type,
            traits=self.traits,
            positions=positions,
        )


# ---------------------------------------------------------------------------------------------
# Rows to requests (on the executors)

_EPOCH = datetime(1970, 1, 1)


def _millis(value: Any, spark_type: Optional[str]) -> Any:
    """A timestamp cell as Unix milliseconds; anything unexpected is passed on for the client
    to refuse with its own message."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            whole = value.replace(microsecond=0).timestamp()
        elif spark_type == "timestamp":
            # pyspark hands TIMESTAMP values over as naive local times of this process
            # (datetime.fromtimestamp); .timestamp() is its exact inverse, fold included.
            whole = value.replace(microsecond=0).timestamp()
        else:
            # TIMESTAMP_NTZ: a wall-clock time with no zone, read as UTC.
            whole = (value.replace(microsecond=0) - _EPOCH).total_seconds()
        return int(whole) * 1000 + value.microsecond // 1000
    if isinstance(value, date):
        return (value.toordinal() - _EPOCH.toordinal()) * 86_400_000
    return value


def _trait(value: Any) -> Any:
    """A trait cell as the client takes it; ``None`` (and NaN) mean: leave the trait out."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _cells(row: Any, columns: UserColumns, by_name: bool) -> List[Any]:
    """The row's cells for user_id, name, email, timestamp and each trait, ``None`` where a
    field has no column."""
    if by_name:
        names = (columns.user_id, columns.name, columns.email, columns.timestamp)
        return [row.get(c) if c is not None else None for c in names] + [
            row.get(c) for c in columns.traits
        ]
    return [row[p] if p >= 0 else None for p in columns.positions]


def _request(cells: List[Any], columns: UserColumns) -> Dict[str, Any]:
    """One row's cells as an ``identify_many`` row (a JSON-friendly dict: it is also what the
    rejects keep as the row's ``input``). NULL and NaN cells are left out, never sent as blanks
    (a blank trait would remove it), as ``logrocket import`` leaves out empty CSV cells."""
    user_id = cells[0]
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    request: Dict[str, Any] = {"user_id": user_id}
    if cells[1] is not None:
        request["name"] = cells[1]
    if cells[2] is not None:
        request["email"] = cells[2]
    if cells[3] is not None:
        request["timestamp"] = _millis(cells[3], columns.timestamp_type)
    if columns.traits:
        traits = {}
        for key, cell in zip(columns.traits, cells[4:]):
            value = _trait(cell)
            if value is not None:
                traits[key] = value
        if traits:
            request["traits"] = traits
    return request


def _raw_request(cells: List[Any], columns: UserColumns) -> Dict[str, Any]:
    """A row whose cells could not be converted, for the rejects: the cells as they came
    (written as text where JSON has no such value)."""
    raw: Dict[str, Any] = {"user_id": cells[0]}
    for key, cell in zip(("name", "email", "timestamp"), cells[1:4]):
        if cell is not None:
            raw[key] = cell
    traits = {k: v for k, v in zip(columns.traits, cells[4:]) if v is not None}
    if traits:
        raw["traits"] = traits
    return raw


def failure_reason(error: BaseException) -> str:
    """The reason a row failed, as the summary counts it: ``validation:<field>``
    (``validation:email``), ``api:<status>`` (``api:503``), ``transport:<reason>``
    (``transport:connect``), the error's kind (``timeout``), or ``input:<exception>`` for a
    cell that could not be converted (``input:OverflowError``)."""
    if isinstance(error, ValidationError):
        return f"validation:{error.field}"
    if isinstance(error, ApiError):
        return f"api:{error.status}"
    if isinstance(error, TransportError):
        return f"transport:{error.reason}"
    if isinstance(error, LogRocketError):
        return error.kind
    return f"input:{type(error).__name__}"


def _error_json(error: BaseException) -> Dict[str, Any]:
    """The error as ``logrocket import`` writes it in its rejects file."""
    if not isinstance(error, LogRocketError):
        return {"kind": "input", "message": f"{type(error).__name__}: {error}"}
    out: Dict[str, Any] = {"kind": error.kind, "message": error.message}
    if isinstance(error, ValidationError):
        out["field"] = error.field
        if error.detail:
            out["detail"] = error.detail
    if isinstance(error, ApiError):
        out["status"] = error.status
    if isinstance(error, TransportError):
        out["reason"] = error.reason
    out["text"] = str(error)
    return out


def _json_default(value: Any) -> Any:
    # Only values the schema check let through and the client then refused get here.
    return str(value)


# ---------------------------------------------------------------------------------------------
# The accumulator of counts


class _CountsParam:
    """``AccumulatorParam`` for a dict of counts: merging adds them up. (Duck-typed, so the
    module imports without pyspark.)"""

    def zero(self, value: Counts) -> Counts:
        return {}

    def addInPlace(self, total: Counts, more: Counts) -> Counts:  # noqa: N802 (Spark's name)
        for name, count in more.items():
            total[name] = total.get(name, 0) + count
        return total


def new_counters(sc: SparkContext) -> Accumulator[Counts]:
    """An accumulator for ``partition_sender(counters=...)``; read it on the driver with
    ``SyncSummary.from_counts(counters.value)`` once the action has finished."""
    return sc.accumulator({}, _CountsParam())  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# One partition


class PartitionSender:
    """Sends the rows of a partition: a function for ``df.foreachPartition`` (rows of the
    schema it was made for, as ``Row``s or tuples, or dicts by column name), also usable as
    ``rdd.mapPartitions(sender.reject_lines)``. Made by ``partition_sender``.

    Each call uses its process's client (``ClientSettings.client()``), sends the rows through
    ``identify_many`` in chunks of ``CHUNK_ROWS`` (so memory stays bounded), adds its counts to
    ``counters`` once the partition is done, and, given ``rejects_dir``, writes the failed rows
    to ``rejects_dir/part-<partition>.jsonl`` (first to a temporary name, renamed when the
    partition is done, so a failed attempt leaves no part file). An exception from the rows
    themselves (Spark failing to read the input) propagates and fails the task, which Spark
    may retry (see the module's notes on retries).
    """

    def __init__(
        self,
        settings: ClientSettings,
        columns: UserColumns,
        *,
        counters: Optional[Accumulator[Counts]] = None,
        rejects_dir: Optional[str] = None,
        chunk_rows: int = CHUNK_ROWS,
    ) -> None:
        if chunk_rows < 1:
            raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
        self.settings = settings
        self.columns = columns
        self.counters = counters
        self.rejects_dir = rejects_dir
        self.chunk_rows = chunk_rows

    def __repr__(self) -> str:
        return (
            f"PartitionSender({self.settings!r}, columns={self.columns.used()!r}, "
            f"rejects_dir={self.rejects_dir!r})"
        )

    def __call__(self, rows: Iterable[Any]) -> None:
        lines = self.reject_lines(rows)
        if self.rejects_dir is None:
            for _ in lines:
                pass
            return
        partition, attempt = _task_ids()
        _write_part(lines, self.rejects_dir, partition, attempt)

    def reject_lines(self, rows: Iterable[Any]) -> Iterator[str]:
        """Sends every row and yields one JSON line per failed row:
        ``{"partition", "index", "user_id", "error": {"kind", "message", ...}, "input"}``,
        ``input`` being the row as sent (``logrocket import`` imports that part). Counts are
        added to ``counters`` after the last row."""
        partition, attempt = _task_ids()
        client = self.settings.client()
        counts: Counts = {"partitions": 1}
        if attempt > 0:
            counts["retried_tasks"] = 1
        by_name: Optional[bool] = None
        sent = 0  # rows of this partition taken so far
        source = iter(rows)
        while True:
            chunk: List[Dict[str, Any]] = []
            # Rows whose cells could not be made into a request (a date out of range, say):
            # failed, never sent, and kept with the others.
            broken: List[Tuple[int, Dict[str, Any], BaseException]] = []
            chunk_at: List[int] = []  # each request's index in the partition
            taken = 0

            def feed() -> Iterator[Dict[str, Any]]:
                nonlocal by_name, taken
                for row in islice(source, self.chunk_rows):
                    taken += 1
                    if by_name is None:
                        by_name = isinstance(row, Mapping)
                    cells = _cells(row, self.columns, by_name)
                    try:
                        request = _request(cells, self.columns)
                    except Exception as error:  # noqa: BLE001 (reported as the row's failure)
                        broken.append((sent + taken - 1, _raw_request(cells, self.columns), error))
                        continue
                    chunk.append(request)
                    chunk_at.append(sent + taken - 1)
                    yield request

            report = client.identify_many(feed(), concurrency=self.settings.concurrency)
            if not taken:
                break
            counts["rows"] = counts.get("rows", 0) + taken
            counts["delivered"] = counts.get("delivered", 0) + report.succeeded
            failures: List[Tuple[int, Dict[str, Any], BaseException]] = [
                (chunk_at[failure.index], chunk[failure.index], failure.error)
                for failure in report.failures
            ]
            for index, request, error in sorted(broken + failures, key=lambda f: f[0]):
                reason = _FAILED_PREFIX + failure_reason(error)
                counts[reason] = counts.get(reason, 0) + 1
                counts["failed"] = counts.get("failed", 0) + 1
                yield json.dumps(
                    {
                        "partition": partition,
                        "index": index,
                        "user_id": request.get("user_id"),
                        "error": _error_json(error),
                        "input": request,
                    },
                    ensure_ascii=False,
                    allow_nan=False,
                    default=_json_default,
                )
            sent += taken
            if taken < self.chunk_rows:
                break
        if attempt > 0:
            counts["rows_resent"] = sent
        if self.counters is not None:
            self.counters.add(counts)

    def _reject_records(self, rows: Iterable[Any]) -> Iterator[Tuple[str]]:
        # For a one-column DataFrame of the rejects (Spark's text writer).
        for line in self.reject_lines(rows):
            yield (line,)


def _task_ids() -> Tuple[int, int]:
    """(partition, attempt) of the running Spark task, the attempt counting from 0. Outside a
    task: (-1, 0)."""
    try:
        from pyspark import TaskContext
    except ImportError:  # rows from elsewhere than Spark
        return (-1, 0)
    context = TaskContext.get()
    if context is None:
        return (-1, 0)
    return (context.partitionId(), context.attemptNumber())


def _write_part(lines: Iterable[str], directory: str, partition: int, attempt: int) -> None:
    """Writes ``lines`` to ``directory/part-<partition>.jsonl`` through a temporary file renamed
    at the end, so only a partition that finished leaves a part file; none when no line."""
    temporary = os.path.join(directory, "_temporary")
    os.makedirs(temporary, exist_ok=True)
    part = f"part-{partition:05d}" if partition >= 0 else f"part-{uuid.uuid4().hex}"
    scratch = os.path.join(temporary, f"{part}-attempt-{attempt}-{uuid.uuid4().hex}.jsonl")
    written = 0
    try:
        with open(scratch, "w", encoding="utf-8") as out:
            for line in lines:
                out.write(line)
                out.write("\n")
                written += 1
    except BaseException:
        os.unlink(scratch)
        raise
    if written:
        os.replace(scratch, os.path.join(directory, part + ".jsonl"))
    else:
        os.unlink(scratch)
    try:
        os.rmdir(temporary)  # only when empty: another task may still be writing there
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# The summary


@dataclass(frozen=True)
class SyncSummary:
    """What a sync came to, from the counters of every partition's successful task.

    ``rows == delivered + failed``; ``failed_by_reason`` splits ``failed`` (see
    ``failure_reason``). ``retried_tasks`` counts task attempts after a task's first (a task
    Spark ran again after a failure): each sent its partition's rows from the start, so up to
    ``rows_resent`` rows may have reached the API twice (with the same values: at least once).
    """

    rows: int
    delivered: int
    failed: int
    failed_by_reason: Dict[str, int]
    partitions: int
    retried_tasks: int
    rows_resent: int
    tasks_at_once: Optional[int] = None
    rate_limit_per_task: Optional[float] = None
    rejects_path: Optional[str] = None
    seconds: float = 0.0
    counts: Dict[str, int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int], **extra: Any) -> SyncSummary:
        """The summary of a counters accumulator's value (``new_counters``)."""
        by_reason = {
            name[len(_FAILED_PREFIX):]: count
            for name, count in sorted(counts.items())
            if name.startswith(_FAILED_PREFIX)
        }
        return cls(
            rows=counts.get("rows", 0),
            delivered=counts.get("delivered", 0),
            failed=counts.get("failed", 0),
            failed_by_reason=by_reason,
            partitions=counts.get("partitions", 0),
            retried_tasks=counts.get("retried_tasks", 0),
            rows_resent=counts.get("rows_resent", 0),
            counts=dict(counts),
            **extra,
        )

    @property
    def ok(self) -> bool:
        """Whether every row was delivered."""
        return self.failed == 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def __str__(self) -> str:
        text = (
            f"{self.rows} rows in {self.partitions} partitions: {self.delivered} delivered, "
            f"{self.failed} failed"
        )
        if self.failed_by_reason:
            text += " (" + ", ".join(f"{r}: {n}" for r, n in self.failed_by_reason.items()) + ")"
        if self.seconds:
            text += f", {self.seconds:.1f} s ({self.rows_per_second:,.0f} rows/s)"
        if self.retried_tasks:
            text += (
                f"; {self.retried_tasks} task(s) ran again after a failure and re-sent "
                f"{self.rows_resent} rows (at least once)"
            )
        if self.failed and self.rejects_path:
            text += f"; failed rows in {self.rejects_path}"
        return text


# ---------------------------------------------------------------------------------------------
# Entry points


def tasks_at_once(df: DataFrame) -> int:
    """How many partitions of ``df`` can be sent at once: ``min(partitions,
    defaultParallelism)``. ``defaultParallelism`` is the cores of the executors running now
    (``spark.default.parallelism`` when set); with dynamic allocation, executors added later
    are not in it, so give ``tasks_at_once`` yourself (max executors times cores per
    executor)."""
    return _at_once(df.rdd.getNumPartitions(), df.sparkSession.sparkContext)


def _at_once(partitions: int, sc: SparkContext) -> int:
    return max(1, min(partitions, sc.defaultParallelism))


def _task_settings(
    api_key: Optional[str],
    app_id: Optional[str],
    base_url: Optional[str],
    *,
    rate_limit: Optional[float],
    at_once: int,
    concurrency: int,
    options: Mapping[str, Any],
) -> ClientSettings:
    """Each task's client settings: checked by the core with the job's own rate limit (so a
    bad one is reported as given), then that rate split over the tasks that run at once."""
    settings = ClientSettings(
        api_key, app_id, base_url, rate_limit=rate_limit, concurrency=concurrency, **options
    )
    if rate_limit is None:
        return settings
    return settings.with_rate_limit(float(rate_limit) / at_once)


def _check_tasks_at_once(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"tasks_at_once must be a whole number of at least 1, got {value!r}")
    return value


def partition_sender(
    schema: StructType,
    *,
    app_id: Optional[str] = None,
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    user_id: str = "user_id",
    name: Optional[str] = None,
    email: Optional[str] = None,
    timestamp: Optional[str] = None,
    traits: Optional[Sequence[str]] = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: Optional[float] = None,
    tasks_at_once: Optional[int] = None,
    counters: Optional[Accumulator[Counts]] = None,
    rejects_dir: Optional[str] = None,
    max_retries: Optional[int] = None,
    timeout: Optional[float] = None,
    client_options: Optional[Mapping[str, Any]] = None,
) -> PartitionSender:
    """A ``foreachPartition`` function for a job you build yourself:

        counters = new_counters(spark.sparkContext)
        send = partition_sender(df.schema, app_id="acme/web", rate_limit=3000,
                                tasks_at_once=16, counters=counters,
                                rejects_dir="/dbfs/logrocket/rejects/run-1")
        df.foreachPartition(send)
        print(SyncSummary.from_counts(counters.value))

    Columns and client settings are as for ``identify_dataframe`` and checked here, on the
    driver, against ``schema`` (the rows' schema). ``rate_limit`` is the whole job's and needs
    ``tasks_at_once`` (``tasks_at_once(df)`` estimates it) to be split. ``rejects_dir`` must be
    a directory every executor and the driver see (local mode, or a shared mount) and hold no
    part files yet; each partition with failures writes ``part-<partition>.jsonl`` there.
    ``identify_dataframe`` writes its rejects through Spark instead, to any filesystem."""
    columns = UserColumns.resolve(
        schema, user_id=user_id, name=name, email=email, timestamp=timestamp, traits=traits
    )
    if rate_limit is not None and tasks_at_once is None:
        raise ValueError(
            "rate_limit is the whole job's: give tasks_at_once too (how many partitions run "
            "at once; tasks_at_once(df) estimates it) so it can be split over them"
        )
    settings = _task_settings(
        api_key,
        app_id,
        base_url,
        rate_limit=rate_limit,
        at_once=_check_tasks_at_once(tasks_at_once or 1),
        concurrency=concurrency,
        options=_options(max_retries, timeout, client_options),
    )
    if rejects_dir is not None:
        rejects_dir = os.fspath(rejects_dir)
        if os.path.isdir(rejects_dir) and any(
            entry.startswith("part-") for entry in os.listdir(rejects_dir)
        ):
            raise ValueError(
                f"rejects_dir {rejects_dir!r} already holds part files: give a new directory "
                "for each run, so one run's rejects never mix with another's"
            )
    return PartitionSender(settings, columns, counters=counters, rejects_dir=rejects_dir)


def _options(
    max_retries: Optional[int], timeout: Optional[float], more: Optional[Mapping[str, Any]]
) -> Dict[str, Any]:
    options: Dict[str, Any] = dict(more or {})
    if max_retries is not None:
        options["max_retries"] = max_retries
    if timeout is not None:
        options["timeout"] = timeout
    return options


def identify_dataframe(
    df: DataFrame,
    *,
    app_id: Optional[str] = None,
    api_key: Optional[str] = None,
    base_url: Optional[str] = None,
    user_id: str = "user_id",
    name: Optional[str] = None,
    email: Optional[str] = None,
    timestamp: Optional[str] = None,
    traits: Optional[Sequence[str]] = None,
    concurrency: int = DEFAULT_CONCURRENCY,
    rate_limit: Optional[float] = None,
    rejects_path: Optional[str] = None,
    tasks_at_once: Optional[int] = None,
    max_retries: Optional[int] = None,
    timeout: Optional[float] = None,
    client_options: Optional[Mapping[str, Any]] = None,
) -> SyncSummary:
    """Identifies every row of ``df`` (one user a row) from the executors, and returns what it
    came to once the job is done. Nothing is sent from the driver.

    Columns (checked against ``df.schema`` before anything runs; a missing one is a
    ``ValueError`` listing the columns there are):

    - ``user_id``: the user id column (string or integer), ``"user_id"`` by default.
    - ``name``, ``email``, ``timestamp``: their columns; ``None`` takes the column of that
      name if there is one. ``timestamp`` is a TIMESTAMP, TIMESTAMP_NTZ (read as UTC) or DATE
      column, or integers of Unix milliseconds.
    - ``traits``: the trait columns (the column name is the trait key), ``None`` for every
      other column, ``[]`` for none. Strings, numbers, booleans, dates and timestamps (sent as
      ISO 8601 text); decimals are sent as their exact text.
    - NULL cells (and NaN) are left out, never sent as blanks: a NULL trait keeps what the
      user had (as ``logrocket import`` leaves out empty CSV cells).

    Client: ``app_id`` (``"org/app"``), ``api_key`` and ``base_url`` default to
    ``LOGROCKET_APP_ID``, ``LOGROCKET_API_KEY`` and ``LOGROCKET_BASE_URL`` read on the driver,
    and go to the executors inside a ``ClientSettings``, whose repr hides the key.
    ``max_retries``, ``timeout`` and ``client_options`` (other ``Client`` arguments, such as
    ``proxy`` or ``ca_cert``) are the client's. Each Python worker process makes one client
    and reuses it for every partition it runs.

    Pace: ``concurrency`` bounds the requests in flight per running task (adaptive below it:
    the client finds the server's pace). ``rate_limit`` (requests per second, retries
    included) is for the whole job: each task's client gets ``rate_limit / tasks_at_once``,
    where ``tasks_at_once`` defaults to ``min(partitions, sc.defaultParallelism)``. Give it
    yourself when more tasks may run at once than that (dynamic allocation).

    Failures: every row is either delivered or counted as failed, by reason, in the returned
    ``SyncSummary``. With ``rejects_path`` (any path Spark can write: a local directory in
    local mode, ``hdfs://``, ``s3a://``, ``dbfs:/``...; it must not exist yet), Spark writes
    the failed rows there as text part files of JSON Lines (``part-*``), one
    ``{"partition", "index", "user_id", "error", "input"}`` a line, through its output
    committer, so a task attempt that failed leaves nothing behind. ``logrocket import`` reads
    them back: ``cat rejects/part-* | logrocket import - --format jsonl``; so does
    ``spark.read.json(rejects_path)``, e.g. to save them as a table. Without ``rejects_path``
    failed rows are only counted (and logged as a warning).

    Task retries: see the module's notes. A task Spark runs again sends its partition again
    from the first row (at least once); ``retried_tasks`` and ``rows_resent`` say how often.
    Keep ``spark.speculation`` off (its default) for this job: a speculative copy of a task
    sends the same rows at the same time.
    """
    try:
        from pyspark.sql.types import StringType, StructField, StructType
    except ImportError as error:
        raise _pyspark_missing(error) from None
    columns = UserColumns.resolve(
        df.schema, user_id=user_id, name=name, email=email, timestamp=timestamp, traits=traits
    )
    spark = df.sparkSession
    sc = spark.sparkContext
    selected = df.select(*[_quoted(c) for c in columns.used()])
    try:
        rdd = selected.rdd
    except Exception as error:  # Spark Connect has no RDD API
        raise TypeError(
            "identify_dataframe needs a DataFrame of a classic SparkSession (it runs on RDD "
            f"partitions; Spark Connect has none): {error}"
        ) from error
    partitions = rdd.getNumPartitions()
    at_once = _check_tasks_at_once(
        tasks_at_once if tasks_at_once is not None else _at_once(partitions, sc)
    )
    settings = _task_settings(
        api_key,
        app_id,
        base_url,
        rate_limit=rate_limit,
        at_once=at_once,
        concurrency=concurrency,
        options=_options(max_retries, timeout, client_options),
    )
    per_task = settings.rate_limit
    counters = new_counters(sc)
    sender = PartitionSender(settings, columns.selected(), counters=counters)
    _log.info(
        "identify_dataframe: %d partitions, %d at once, rate limit %s, %s",
        partitions,
        at_once,
        "none" if per_task is None else f"{per_task:g}/s per task",
        settings,
    )
    if rejects_path is not None:
        rejects_path = os.fspath(rejects_path)
        if _path_exists(sc, rejects_path):
            raise ValueError(
                f"rejects_path {rejects_path!r} already exists: give a new path for each run, "
                "so one run's rejects never mix with another's (nothing was sent)"
            )
    started = time.monotonic()
    if rejects_path is not None:
        schema = StructType([StructField("value", StringType(), nullable=False)])
        rejects = spark.createDataFrame(rdd.mapPartitions(sender._reject_records), schema)
        rejects.write.mode("errorifexists").text(rejects_path)
    else:
        rdd.foreachPartition(sender)
    summary = SyncSummary.from_counts(
        counters.value,
        tasks_at_once=at_once,
        rate_limit_per_task=per_task,
        rejects_path=rejects_path,
        seconds=time.monotonic() - started,
    )
    if summary.failed and rejects_path is None:
        _log.warning(
            "identify_dataframe: %s; no rejects_path was given, so they were not kept",
            summary,
        )
    else:
        _log.info("identify_dataframe: %s", summary)
    return summary


def _path_exists(sc: SparkContext, path: str) -> bool:
    """Whether ``path`` exists, asked of the filesystem Spark writes it with (Hadoop's, so any
    scheme Spark knows). Unknown (no JVM to ask): False, and Spark's writer refuses an existing
    path itself, before any task runs."""
    try:
        jvm = sc._jvm
        assert jvm is not None
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        return bool(hadoop_path.getFileSystem(sc._jsc.hadoopConfiguration()).exists(hadoop_path))
    except Exception:  # noqa: BLE001 (best effort: the writer checks again)
        return False


def _quoted(column: str) -> Any:
    """The column by its exact name, even one with dots or backticks in it."""
    from pyspark.sql import functions

    return functions.col("`" + column.replace("`", "``") + "`")
