"""What can go wrong with a store; each message says what to do."""
from catalog.errors import UserError


class StoreError(UserError, RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


class StoreMismatchError(StoreError):
    """The store was built with another embedding space than the encoder in use."""


class StoreBusyError(StoreError):
    """Another process is writing to the embedded store."""


class StorageError(StoreError):
    """The store's files cannot be read or written as they are: damaged, on a full disk, or read-only."""


# What SQLite, Chroma and the OS say of each trouble, on the error and its causes
FULL = ("database or disk is full", "no space left on device", "disk quota exceeded")
READ_ONLY = ("readonly database", "read-only file system", "attempt to write a readonly")
DAMAGED = ("database disk image is malformed", "file is not a database", "malformed", "error in compaction",
           "backfill request", "hnsw", "segment", "error getting embedding", "error finding id")


def storage_trouble(error: BaseException, location: object) -> StorageError | None:
    """The storage problem `error` (or what caused it) is, worded with the store's `location` and what to do; None
    for any other error (a fault of ours keeps its traceback). A `StorageError` is already one (the crash probe's)."""
    if isinstance(error, StorageError):
        return error
    said: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(said) < 5:
        said.append(f"{type(seen).__module__} {seen}".lower())
        seen = seen.__cause__ or seen.__context__
    text = " | ".join(said)
    if not any(kind in text for kind in ("chromadb", "sqlite", "oserror", "builtins")):
        return None
    detail = str(error).strip().splitlines()[-1][:200] if str(error).strip() else type(error).__name__
    if any(sign in text for sign in FULL):  # first: a full disk also fails compaction
        return StorageError("store_full", location=location, detail=detail)
    if any(sign in text for sign in READ_ONLY):
        return StorageError("store_read_only", location=location, detail=detail)
    if any(sign in text for sign in DAMAGED):
        return StorageError("store_damaged", location=location, detail=detail)
    return None
