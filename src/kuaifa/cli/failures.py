"""What went wrong, in a sentence a person can act on.

:func:`explain` turns an exception escaping a command into ``(code, message)``: a :class:`DomainError` is already a
refusal; the failures of the world around Kuaifa (settings, the database, the disk, files) are mapped to refusals
of their own here, once, for every command. Anything else is a defect and keeps its traceback.
"""

from __future__ import annotations

import csv
import errno
import zipfile
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, DataError, OperationalError
from django.utils.translation import gettext

from kuaifa.domain.shared.errors import DomainError, fill
from kuaifa.persistence.secrets import SecretKeyMissing
from kuaifa.platforms.pdd_export.table import TableError

#: parameters of an error template that hold one of the words of ``cli/vocabulary.py`` (or a status): shown translated
TRANSLATED_PARAMS = ("kind", "field", "status", "current", "target", "state")


class ConfigError(DomainError):
    code = "config.invalid"
    template = "The setting %(setting)s cannot be used: %(reason)s."


class DatabaseNotReady(DomainError):
    code = "database.not_initialised"
    template = "The database is not set up yet (or is older than this version): run `kuaifa init`."


class DatabaseUnreachable(DomainError):
    code = "database.unreachable"
    template = "Cannot reach the database: %(reason)s. Check DATABASE_URL and that the server is running."


class DatabaseUnwritable(DomainError):
    code = "database.unwritable"
    template = (
        "Cannot open or write the database in %(home)s: %(reason)s. Check that KUAIFA_HOME exists and is writable."
    )


class DatabaseBusy(DomainError):
    code = "database.busy"
    template = "The database stayed locked by another Kuaifa process; nothing was changed. Try again in a moment."


class DiskFull(DomainError):
    code = "disk.full"
    template = "The disk is full: nothing was changed. Free some space and try again."


class FileProblem(DomainError):
    code = "file.unusable"
    template = "%(path)s: %(reason)s."


class FileUnreadable(DomainError):
    code = "file.malformed"
    template = "A file could not be read: %(reason)s. Check that it is the kind of file the command expects."


class NumberOutOfRange(DomainError):
    code = "number.out_of_range"
    template = "A number is too large or too small to store: %(reason)s."


def translate(template: str, params: object = None) -> str:
    text = gettext(template)
    return text % params if params else text


def explain(error: BaseException) -> tuple[str, str] | None:
    """``(stable code, translated sentence)`` for a refusal, or None for a defect."""
    refusal = error if isinstance(error, DomainError) else _as_refusal(error)
    if refusal is None:
        return None
    params = {
        k: gettext(v) if k in TRANSLATED_PARAMS and isinstance(v, str) and v else v for k, v in refusal.params.items()
    }
    return refusal.code, fill(gettext(refusal.template), params, gettext, refusal.template)


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split()).rstrip(".") or type(error).__name__


def _as_refusal(error: BaseException) -> DomainError | None:
    if isinstance(error, TableError):
        cause = error.__cause__
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return DiskFull()
        if isinstance(cause, OSError) and cause.filename is not None:
            return FileProblem(path=str(cause.filename), reason=cause.strerror or _reason(cause))
        return FileUnreadable(reason=_reason(error))
    text = _reason(error).lower()
    home = str(settings.KUAIFA_HOME)
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or "database or disk is full" in text:
        return DiskFull()
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return DatabaseNotReady()
    if isinstance(error, DataError | OverflowError) and ("out of range" in text or "too large" in text):
        return NumberOutOfRange(reason=_reason(error))
    if "database is locked" in text:
        return DatabaseBusy()
    if isinstance(error, DatabaseError):
        if any(s in text for s in ("unable to open database", "readonly database", "read-only", "disk i/o")):
            return DatabaseUnwritable(home=home, reason=_reason(error))
        if isinstance(error, OperationalError):
            return DatabaseUnreachable(reason=_reason(error))
        return None
    if isinstance(error, ImproperlyConfigured) and "SECRET_KEY" in str(error):
        return SecretKeyMissing(path=str(settings.SECRET_KEY_FILE))
    if isinstance(error, ImproperlyConfigured):
        return ConfigError(setting="DATABASE_URL" if "DATABASE" in str(error) else "settings", reason=_reason(error))
    if isinstance(error, UnicodeError | csv.Error | zipfile.BadZipFile | ParseError):
        return FileUnreadable(reason=_reason(error))
    if isinstance(error, OSError) and error.filename is not None:
        return FileProblem(path=str(error.filename), reason=error.strerror or _reason(error))
    if isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
        return FileProblem(path=home, reason=error.strerror or _reason(error))
    return None
