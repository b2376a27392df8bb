"""The trial ledger: every trial of every strategy, in an Optuna study, as it happens.

An Optuna storage (a SQLite file by default, PostgreSQL for many machines) holds one study
per search. A trial is **claimed** (created ``RUNNING``, with its parameters, its
distributions and an owner) before it trains, and **finished** when it ends: the mean
score per epoch as Optuna intermediate values (so optuna-dashboard draws learning curves
for every strategy), one user attribute ``hpsearch`` with the fold scores, the curve per
fold, timings, error and strategy extras, then the state (``COMPLETE``, ``PRUNED`` or
``FAIL``) and value.

So a killed search loses at most its running trials; two processes on one study never
train the same candidate (of two claims of one candidate, the lower trial number wins and
the other process waits for its result); and a resumed search retrains the trials that a
dead process left ``RUNNING`` (its owner process is gone on this host, or its heartbeat is
older than ``GRACE_SECONDS``) or that were interrupted. Nothing is unpickled from the
ledger: it holds numbers and text.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import socket
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import optuna
from optuna.trial import FrozenTrial, TrialState

from search._optuna_util import quiet_optuna
from search.trial import Trial, params_key
from spaces import Space

__all__ = [
    "DEFAULT_STORAGE",
    "GRACE_SECONDS",
    "Ledger",
    "LedgerWriteError",
    "StorageURL",
    "mask_url",
    "redact",
]

DEFAULT_STORAGE = "sqlite:///hpsearch.db"
HEARTBEAT_SECONDS = 20
GRACE_SECONDS = 60
SQLITE_BUSY_SECONDS = 30.0
_ATTR = "hpsearch"
_RETRIES = (0.1, 0.5, 2.0)  # seconds between attempts of a failed write
_T = TypeVar("_T")

_STATE_TO_OPTUNA = {
    "complete": TrialState.COMPLETE,
    "pruned": TrialState.PRUNED,
    "failed": TrialState.FAIL,
}


class LedgerWriteError(RuntimeError):
    """A ledger write failed after its retries (the message never shows a password)."""


# ``password=`` in a query string (``?password=``, ``&pw=``) or in a libpq DSN
# (``host=h user=u password=secret``, quoted or not).
class _OtherSpaceError(ValueError):
    """A study written by hpsearch over another space (not a tampered record)."""


_QUERY_SECRET = re.compile(
    r"(?i)((?:^|[?&;\s])(?:password|passwd|pwd|pw)\s*=\s*)('[^']*'|\"[^\"]*\"|[^&;#\s]*)"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


def _split_secret(url: str) -> tuple[str, list[str]]:
    """The URL with every password replaced by ``***``, and the passwords found.

    The user-info part runs to the **last** ``@`` (a password may hold an unescaped ``@``);
    ``password=``/``pw=`` in a query string count too; a URL without a scheme
    (``user:pw@host``) is read the same way.
    """
    secrets = [m.group(2).strip("'\"") for m in _QUERY_SECRET.finditer(url) if m.group(2)]
    text = _QUERY_SECRET.sub(r"\1***", url)
    scheme = _SCHEME.match(text)
    head = scheme.group(0) if scheme else ""
    rest = text[len(head) :]
    # An '@' before the first '/' of the path marks user info; sqlite paths have none.
    at = rest.rfind("@")
    if at > 0 and not rest.startswith("/"):
        creds, host = rest[:at], rest[at + 1 :]
        if ":" in creds:
            user, password = creds.split(":", 1)
            if password:
                secrets.append(password)
            text = f"{head}{user}:***@{host}"
    return text, secrets


def mask_url(url: str | StorageURL) -> str:
    """A storage URL with its password hidden, safe for logs, reports and errors.

    Examples:
        >>> mask_url("postgresql://me:secret@db:5432/hp")
        'postgresql://me:***@db:5432/hp'
        >>> mask_url("postgresql://me:p@ss@db/hp"), mask_url("postgresql://me@db/hp?password=s")
        ('postgresql://me:***@db/hp', 'postgresql://me@db/hp?password=***')
    """
    if isinstance(url, StorageURL):
        return str(url)
    return _split_secret(str(url))[0]


def redact(text: str, url: str | StorageURL) -> str:
    """``text`` (a driver's message, say) with every password of ``url`` replaced."""
    raw = url.reveal() if isinstance(url, StorageURL) else str(url)
    for secret in _split_secret(raw)[1]:
        # A driver may quote it percent-decoded (``p%40ss`` in the URL, ``p@ss`` when used).
        for form in sorted({secret, urllib.parse.unquote(secret)}, key=len, reverse=True):
            if form:
                text = text.replace(form, "***")
    return text


class StorageURL:
    """An Optuna storage URL whose password never shows: ``repr``, ``str`` and pickles hold
    the masked form only (an unpickled copy cannot connect; pass the URL again).

    ``search(storage="...")`` wraps the URL in one, so the search estimator's parameters,
    its repr and a pickled result carry no password. Better still, keep the password out of
    the URL: psycopg2 reads ``PGPASSWORD`` and ``~/.pgpass``.

    Examples:
        >>> url = StorageURL("postgresql://me:secret@db/hp")
        >>> url, str(url), "secret" in repr(url)
        (StorageURL('postgresql://me:***@db/hp'), 'postgresql://me:***@db/hp', False)
    """

    __slots__ = ("__url",)
    __url: str

    def __new__(cls, url: str | StorageURL) -> StorageURL:
        if isinstance(url, StorageURL):
            return url  # immutable: wrapping again changes nothing
        if not isinstance(url, str) or not url:
            raise TypeError(f"storage must be a database URL string, got {type(url).__name__}.")
        self = super().__new__(cls)
        self.__url = url
        return self

    def __copy__(self) -> StorageURL:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> StorageURL:
        # A copy in this process (scikit-learn's clone) keeps the URL; a pickle does not.
        return self

    def reveal(self) -> str:
        """The URL itself, password included: only for opening the database."""
        return self.__url

    def __str__(self) -> str:
        return _split_secret(self.__url)[0]

    def __repr__(self) -> str:
        return f"StorageURL({str(self)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (StorageURL, (str(self),))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StorageURL) and other.reveal() == self.__url

    def __hash__(self) -> int:
        return hash(self.__url)


@dataclass
class Claim:
    """The answer to ``Ledger.claim``: this process owns trial ``number``, or another one
    does (``taken``), finished (``finished`` holds it) or still running."""

    number: int
    taken: bool = False
    finished: Trial | None = None
    offline: bool = False  # the ledger could not be written: train it, keep it in memory


def _owner() -> dict[str, Any]:
    return {"host": socket.gethostname(), "pid": os.getpid()}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Ledger:
    """One search's trials in an Optuna study (created, or loaded when it exists).

    Examples:
        >>> from spaces import Space, Int
        >>> ledger = Ledger("sqlite:///:memory:", "demo", Space(n=Int(1, 3)))
        >>> ledger.claim({"n": 2}, "random").number
        0
    """

    def __init__(self, storage: str | StorageURL, study_name: str, space: Space) -> None:
        if not isinstance(storage, (str, StorageURL)) or not storage:
            raise TypeError(f"storage must be a database URL string, got {type(storage).__name__}.")
        self._url = StorageURL(storage)
        storage = self._url.reveal()
        if not isinstance(study_name, str) or not study_name:
            raise ValueError(f"study_name must be a non-empty string, got {study_name!r}.")
        self.storage_url = mask_url(storage)
        self.study_name = study_name
        self._space = space
        self._distributions = space.to_optuna()
        self._ids: dict[int, int] = {}  # trial number -> storage trial id, for my claims
        self._unnumbered: set[int] = set()  # claims created, their numbers not read back
        self.missing = 0  # finished trials whose write failed for good (kept in memory)
        self._warned = False
        engine: dict[str, Any] = {}
        if storage.startswith("sqlite"):
            # Wait for another process's write instead of failing with "database is locked".
            engine = {"connect_args": {"timeout": SQLITE_BUSY_SECONDS}}
        last: Exception | None = None
        for delay in (0.0, 0.1, 0.3, 1.0):
            time.sleep(delay)
            try:
                with quiet_optuna(), warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    self._storage = optuna.storages.RDBStorage(
                        storage,
                        engine_kwargs=engine,
                        heartbeat_interval=HEARTBEAT_SECONDS,
                        grace_period=GRACE_SECONDS,
                    )
                    # Two processes starting together both create the study: the loser
                    # loads it on the next attempt.
                    self.study = optuna.create_study(
                        storage=self._storage,
                        study_name=study_name,
                        direction="maximize",
                        load_if_exists=True,
                    )
                break
            except Exception as exc:
                last = exc
        else:
            # The driver's message may quote the URL with its password: never show it.
            raise RuntimeError(
                f"cannot open the ledger study {study_name!r} at {self.storage_url}: "
                f"{type(last).__name__}. Check that the database is reachable and the "
                "URL is right."
            ) from None
        self._study_id = self.study._study_id
        self._stop_beating = threading.Event()
        threading.Thread(target=self._beat, name="hpsearch-ledger-heartbeat", daemon=True).start()

    def check_fingerprint(self, fields: dict[str, str]) -> None:
        """Record what makes this study's trials comparable, or refuse a study made
        differently (other data, splits, scoring, training settings, space or strategy)."""
        recorded = self.study.user_attrs.get("fingerprint")
        if recorded is None:
            self._retry(lambda: self.study.set_user_attr("fingerprint", fields))
            return
        differ = sorted(k for k in set(recorded) | set(fields) if recorded.get(k) != fields.get(k))
        if differ:
            details = "; ".join(
                f"{k}: ledger {_clip(recorded.get(k))} vs now {_clip(fields.get(k))}"
                for k in differ
            )
            raise ValueError(
                f"ledger study {self.study_name!r} at {self.storage_url} holds trials of a "
                f"search with other {', '.join(differ)} ({details}); their scores cannot be "
                "compared with this search's. Use another study_name (or drop study_name to "
                "get a name made from these settings), or rerun with the ledger's settings."
            )

    def __getstate__(self) -> dict[str, Any]:
        # A pickled ledger (inside a pickled result) keeps what it recorded, not the
        # connection: the database URL and its password stay out.
        state = dict(self.__dict__)
        for key in ("_storage", "study", "_url", "_stop_beating"):
            state.pop(key, None)
        return state

    # ------------------------------------------------------------------------------
    # Reading
    # ------------------------------------------------------------------------------
    def _all(self) -> list[FrozenTrial]:
        return self._retry(
            lambda: self._storage.get_all_trials(self._study_id, deepcopy=False), "read"
        )

    def trials(self) -> list[Trial]:
        """The trials that ran to an outcome, in trial-number order (stale claims are
        marked failed first; interrupted and abandoned ones are not outcomes)."""
        self.fail_stale()
        return [t for f in self._all() if (t := self._to_trial(f)) is not None]

    def _to_trial(self, frozen: FrozenTrial) -> Trial | None:
        """The ``Trial`` a ledger trial holds (JSON numbers and text, never code); a record
        that is not what hpsearch writes raises ``ValueError`` naming the trial."""
        try:
            return self._read_trial(frozen)
        except _OtherSpaceError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            raise ValueError(
                f"ledger study {self.study_name!r} at {self.storage_url}: trial "
                f"{frozen.number} holds a record hpsearch did not write ({type(exc).__name__}: "
                f"{str(exc)[:200]}); it was changed outside hpsearch. Nothing in it was run. "
                "Use another study_name, or delete that trial from the study."
            ) from None

    def _read_trial(self, frozen: FrozenTrial) -> Trial | None:
        attrs = frozen.user_attrs
        data = attrs.get(_ATTR)
        if data is None and "fold_scores" in attrs:  # written by hpsearch 0.1
            data = {**attrs, "state": "complete" if frozen.state.name == "COMPLETE" else "failed"}
        if data is not None and not isinstance(data, dict):
            raise TypeError(f"its {_ATTR!r} attribute is a {type(data).__name__}, not a mapping")
        if data is None:
            return None  # a claim that never ended, or a foreign trial
        if data.get("state") not in _STATE_TO_OPTUNA:
            raise ValueError(f"its state {data.get('state')!r} is none that hpsearch writes")
        if data.get("retry"):
            return None
        if (
            not set(self._space.active_names(frozen.params))
            <= set(frozen.params)
            <= set(self._space)
        ):
            raise _OtherSpaceError(
                f"ledger study {self.study_name!r} at {self.storage_url} holds trials over "
                f"parameters {sorted(frozen.params)}, not this space's {sorted(self._space)}; "
                "use another study_name for another space."
            )
        return Trial(
            number=frozen.number,
            strategy=str(data.get("strategy", "unknown")),
            params=self._space.cast(frozen.params),
            state=str(data["state"]),
            epochs=data.get("epochs"),
            fold_scores=[_nan(s) for s in data.get("fold_scores", [])],
            fold_epochs=[int(e) for e in data.get("fold_epochs", [])],
            curve=[[_nan(s) for s in fold] for fold in data.get("curve", [])],
            fold_fit_times=_floats(data, "fold_fit_times", "fit_time"),
            fold_score_times=_floats(data, "fold_score_times", "score_time"),
            queue_time=float(data.get("queue_time", 0.0)),
            error=data.get("error"),
            extras=dict(data.get("extras", {})),
            elapsed=float(data.get("elapsed", 0.0)),
            resumed=True,
            fidelity=data.get("fidelity"),
            parent=data.get("parent"),
            start_epoch=int(data.get("start_epoch", 0)),
        )

    def fail_stale(self) -> int:
        """Mark claims of dead processes failed (retried by the next search); how many."""
        here = socket.gethostname()
        stale = 0
        for frozen in self._all():
            if frozen.state != TrialState.RUNNING:
                continue
            owner = frozen.user_attrs.get("owner", {})
            mine = owner.get("pid") == os.getpid()
            if owner.get("host") == here and not mine and not _pid_alive(int(owner.get("pid", -1))):
                stale += self._end_stale(frozen._trial_id)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(self.study)  # other hosts: by heartbeat
        return stale

    # ------------------------------------------------------------------------------
    # Writing
    # ------------------------------------------------------------------------------
    def claim(self, params: dict[str, Any], strategy: str, key: str | None = None) -> Claim:
        """Create trial ``RUNNING`` for ``params`` unless another process has it already.

        ``key`` identifies the candidate (default ``params_key(params)``; a multi-fidelity
        trial's key names its epochs too).

        If the ledger cannot be written (after retries) the answer is ``offline``: the
        search trains the candidate anyway and the trial is counted in ``missing``.
        """
        try:
            return self._claim(params, strategy, key or params_key(params))
        except LedgerWriteError as exc:
            self._failed(exc)
            return Claim(-1, offline=True)

    def _claim(self, params: dict[str, Any], strategy: str, key: str) -> Claim:
        template = FrozenTrial(
            number=-1,
            state=TrialState.RUNNING,
            value=None,
            datetime_start=None,
            datetime_complete=None,
            params=params,
            distributions={name: self._distributions[name] for name in params},
            user_attrs={"key": key, "owner": _owner(), "strategy": strategy},
            system_attrs={},
            intermediate_values={},
            trial_id=-1,
        )
        trial_id = self._retry(lambda: self._storage.create_new_trial(self._study_id, template))
        self._unnumbered.add(trial_id)  # a Ctrl-C from here on: ``abandon_open`` ends it
        number = self._storage.get_trial_number_from_id(trial_id)
        self._ids[number] = trial_id
        self._unnumbered.discard(trial_id)
        self._retry(lambda: self._storage.record_heartbeat(trial_id))
        # Of several live claims of one candidate the lowest number wins: any later claim
        # was created after it, so its owner sees it here.
        rivals = [
            f
            for f in self._all()
            if f.user_attrs.get("key") == key and f.number != number and self._counts(f)
        ]
        if not rivals:
            return Claim(number)
        winner = min(rivals, key=lambda f: f.number)
        if winner.number > number:
            return Claim(number)
        self._abandon_id(trial_id, f"candidate claimed by trial {winner.number}", retry=True)
        del self._ids[number]
        return Claim(winner.number, taken=True, finished=self._to_trial(winner))

    @staticmethod
    def _counts(frozen: FrozenTrial) -> bool:
        """A claim that holds its candidate: running, or ended with an outcome."""
        if frozen.state == TrialState.RUNNING:
            return True
        data = frozen.user_attrs.get(_ATTR)
        return data is not None and not data.get("retry")

    def lookup(self, number: int) -> Trial | None:
        """Trial ``number`` if it ended with an outcome; None while it runs or if it will
        never end (its claim was abandoned: the candidate is free again)."""
        with contextlib.suppress(LedgerWriteError):
            return self._lookup(number)
        return None

    def _lookup(self, number: int) -> Trial | None:
        for frozen in self._all():
            if frozen.number == number:
                return self._to_trial(frozen)
        return None

    def is_abandoned(self, number: int) -> bool:
        for frozen in self._all():
            if frozen.number == number:
                return frozen.state != TrialState.RUNNING and self._to_trial(frozen) is None
        return True

    def count(self) -> int:
        """Trials that hold a candidate in this study: running ones and outcomes (0 when the
        ledger cannot be read: the search then counts its own)."""
        try:
            return sum(self._counts(f) for f in self._all())
        except LedgerWriteError:
            return 0

    def heartbeat(self) -> None:
        """Tell other processes that this process's running trials are alive."""
        for trial_id in list(self._ids.values()):
            # A beat that fails (a locked or lost database) is only late: the next one comes
            # HEARTBEAT_SECONDS later, and no trial is missing from the ledger for it.
            with contextlib.suppress(Exception):
                self._storage.record_heartbeat(trial_id)

    def _beat(self) -> None:
        # A thread, not the search loop: an in-process trial blocks the loop for its whole
        # fit, and a claim without heartbeats for GRACE_SECONDS reads as a dead process's.
        while not self._stop_beating.wait(HEARTBEAT_SECONDS):
            if self._ids:
                self.heartbeat()

    def close(self) -> None:
        """Stop the heartbeat thread (the trials stay in the study)."""
        self._stop_beating.set()

    def finish(self, trial: Trial) -> bool:
        """Write an ended trial; False (and a warning, once) if the write failed for good.

        The claim stays open until the write has returned, so a Ctrl-C during the write
        leaves it to ``abandon_open`` (or to a second ``finish``) instead of RUNNING forever.
        """
        trial_id = self._ids.get(trial.number)
        if trial_id is None:
            return False
        data = trial.to_dict()
        drop_keys = ("number", "params", "resumed", "status", "score_std", "fit_time", "score_time")
        for drop in drop_keys:
            data.pop(drop, None)

        def write() -> None:
            for step, value in enumerate(trial.mean_curve(), start=1):
                if math.isfinite(value):
                    self._storage.set_trial_intermediate_value(trial_id, step, value)
            self._storage.set_trial_user_attr(trial_id, _ATTR, data)
            values = [trial.score] if trial.complete else None
            self._storage.set_trial_state_values(trial_id, _STATE_TO_OPTUNA[trial.state], values)

        written = self._try(write)
        self._ids.pop(trial.number, None)
        return written

    def abandon(self, number: int, reason: str) -> None:
        """End a claim without an outcome (interrupted): a later search retries it."""
        trial_id = self._ids.pop(number, None)
        if trial_id is not None:
            self._abandon_id(trial_id, reason, retry=True)

    def abandon_open(self, reason: str) -> int:
        """End every claim of this process that has no outcome written (Ctrl-C or an error
        in the search): a later search retries them. Returns how many it ended."""
        open_ids = [*self._unnumbered, *self._ids.values()]
        self._unnumbered.clear()
        self._ids.clear()
        return sum(self._abandon_id(trial_id, reason, retry=True) for trial_id in open_ids)

    def _end_stale(self, trial_id: int) -> int:
        """End a dead process's claim; 1 if this ledger ended it, 0 if another did.

        Two processes resuming together may both see the claim RUNNING, and SQLite has no
        row lock to make "RUNNING, so FAIL" one step. Each writes its token under one
        attribute key before ending the trial: the database keeps one value (last writer
        wins), and only the process whose token it kept counts the claim as its own.
        """
        token = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        if not self._try(lambda: self._storage.set_trial_user_attr(trial_id, "ended_by", token)):
            return 0
        self._abandon_id(trial_id, "its process died")
        frozen = self._retry(lambda: self._storage.get_trial(trial_id), "read")
        return int(frozen.user_attrs.get("ended_by") == token)

    def _abandon_id(self, trial_id: int, reason: str, retry: bool = True) -> int:
        def write() -> None:
            self._storage.set_trial_user_attr(
                trial_id, _ATTR, {"state": "failed", "error": reason, "retry": retry}
            )
            self._storage.set_trial_state_values(trial_id, TrialState.FAIL)

        return int(self._try(write))

    # ------------------------------------------------------------------------------
    # Faults: retry, then go on without the ledger for that write
    # ------------------------------------------------------------------------------
    def _retry(self, fn: Callable[[], _T], what: str = "write") -> _T:
        last: Exception | None = None
        for delay in (0.0, *_RETRIES):
            time.sleep(delay)
            try:
                return fn()
            except optuna.exceptions.UpdateFinishedTrialError:
                raise
            except Exception as exc:
                last = exc
        raise LedgerWriteError(
            f"ledger {what} failed {len(_RETRIES) + 1} times at {self.storage_url} "
            f"(study {self.study_name!r}): {_first_line(last, self._url)}"
        ) from None

    def _try(self, fn: Callable[[], Any]) -> bool:
        try:
            self._retry(fn)
            return True
        except optuna.exceptions.UpdateFinishedTrialError:
            return False  # another process ended it first (stale-trial cleanup)
        except LedgerWriteError as exc:
            self._failed(exc)
            return False

    def _failed(self, exc: LedgerWriteError) -> None:
        self.missing += 1
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"{exc}. The search goes on and keeps its trials in memory; the result "
                "says how many are missing from the ledger (search_.ledger_missing_).",
                RuntimeWarning,
                stacklevel=4,
            )


def _floats(data: dict[str, Any], key: str, total_key: str) -> list[float]:
    if key in data:
        return [float(v) for v in data[key]]
    return [float(data.get(total_key, 0.0))]  # hpsearch 0.1 kept totals only


def _clip(text: str | None, width: int = 80) -> str:
    text = "(none)" if text is None else str(text)
    return text if len(text) <= width else text[: width - 3] + "..."


def _nan(value: Any) -> float:
    return math.nan if value is None else float(value)


def _root(exc: BaseException | None) -> BaseException | None:
    """The innermost cause: Optuna wraps the driver's "database is locked" in its own."""
    seen = 0
    while exc is not None and (exc.__cause__ or exc.__context__) is not None and seen < 10:
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return exc


def _first_line(exc: Exception | None, url: StorageURL) -> str:
    root = _root(exc)
    text = str(root).strip().splitlines()
    name = type(root).__name__
    return f"{name}: " + (redact(text[0], url)[:200] if text else "")
