"""Settings for a bulk run (an import, retention): pause the cyclic garbage collector, and give
SQLite a large page cache for the run's connection.

Both are put back afterwards; neither changes what the run writes.
"""

import gc
from contextlib import contextmanager

from clubsite.extensions import db


@contextmanager
def gc_paused():
    """Pause Python's cyclic garbage collector for bulk work (also a decorator).

    A bulk run makes and keeps hundreds of thousands of small objects (cells, rows, tuples,
    ciphertexts), none of them in a reference cycle. Each pass of the collector walks them all,
    and every other object of the process, to find nothing: a quarter of an import's time in a
    process holding many objects, a tenth of retention's. Reference counting frees everything
    as usual meanwhile. The collector runs again at the end if it ran before (another thread's
    pause only ends sooner).
    """
    running = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if running:
            gc.enable()


@contextmanager
def page_cache(kib=65536):
    """On SQLite, a page cache of 64 MB for the session's connection, then back to what it was.

    With the default 2 MB, writing or deleting rows at random places in big indexes (blind
    indexes, name tokens) reads and spills the same pages over and over: a fifth of retention's
    database time. The setting belongs to the connection, so it is put back on that same
    connection (the session hands it back to the pool at commit), and the memory is freed then.
    """
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.dbapi_connection
    before = driver.execute("PRAGMA cache_size").fetchone()[0]
    driver.execute(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        driver.execute(f"PRAGMA cache_size={int(before)}")
