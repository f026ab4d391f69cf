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


# What SQLite, Chroma and the OS say, and the problem each is: checked in this order, on the error and its causes
TROUBLES = (
    ("store_full", ("database or disk is full", "no space left on device", "disk quota exceeded")),
    ("store_read_only", ("readonly database", "read-only file system", "attempt to write a readonly")),
    ("store_damaged", ("database disk image is malformed", "file is not a database", "malformed",
                       "error in compaction", "backfill request", "hnsw", "segment")),
)


def storage_trouble(error: BaseException, location: object) -> StorageError | None:
    """The storage problem `error` (or what caused it) is, worded with the store's `location` and what to do; None
    for any other error (a fault of ours keeps its traceback)."""
    said: list[str] = []
    seen: BaseException | None = error
    while seen is not None and len(said) < 5:
        said.append(f"{type(seen).__module__} {seen}".lower())
        seen = seen.__cause__ or seen.__context__
    text = " | ".join(said)
    if not any(kind in text for kind in ("chromadb", "sqlite", "oserror", "builtins")):
        return None
    for code, signs in TROUBLES:
        if any(sign in text for sign in signs):
            return StorageError(code, location=location, detail=str(error).strip().splitlines()[-1][:200])
    return None
