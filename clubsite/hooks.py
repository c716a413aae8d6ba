"""What each area adds to the shared flows (retention, erasure, subject access, the home page).

A decorator only marks a function; nothing is registered by importing a module. The area's
`init_app(app)` registers its marked functions with `register_module(app, module)`, so the app
holds exactly the hooks of the areas `create_app` set up, and a test can list them.
"""

from dataclasses import dataclass, field

from flask import current_app

# The kinds of hook, and what each function is given and returns:
KINDS = (
    "retention_blocker",  # key: purpose id; (member ids) -> ids whose purpose data must stay
    "retention_task",  # key: name; (now, dry_run) -> rows affected
    "erasure_hook",  # (member ids) -> None; runs before members are deleted
    "legal_keep",  # (member) -> [what the law keeps], shown before an erasure
    "subject_access_section",  # key: section name; (member, language) -> data or None
    "home_panel",  # key: permission; (staff user) -> template context
)
_MARK = "__clubsite_hooks__"
_EXTENSION = "clubsite.hooks"


@dataclass(frozen=True)
class Hook:
    """One registered hook: its kind, key (purpose, name, permission), function and details."""

    kind: str
    key: str | None
    func: object
    meta: dict = field(default_factory=dict, compare=False)

    @property
    def name(self):
        """module.function, for listings and tests."""
        return f"{self.func.__module__}.{self.func.__qualname__}"


def hook(kind, key=None, **meta):
    """Mark a function as a hook of this kind (registered later by its area's init_app)."""
    if kind not in KINDS:
        raise ValueError(f"unknown hook kind {kind!r}")

    def mark(func):
        marks = list(getattr(func, _MARK, ()))
        marks.append((kind, key, meta))
        setattr(func, _MARK, marks)
        return func

    return mark


def register_module(app, module):
    """Register every marked function of a module with the app."""
    registry = app.extensions.setdefault(_EXTENSION, {kind: [] for kind in KINDS})
    for value in vars(module).values():
        if getattr(value, "__module__", None) != module.__name__:
            continue  # imported from elsewhere: its own module registers it
        for kind, key, meta in getattr(value, _MARK, ()):
            entry = Hook(kind, key, value, dict(meta))
            if entry not in registry[kind]:
                registry[kind].append(entry)
    for entries in registry.values():
        entries.sort(key=lambda entry: entry.meta.get("order", 50))


def registered(kind, app=None):
    """The hooks of a kind registered with the app (the current one by default), in order."""
    app = app or current_app
    if kind not in KINDS:
        raise ValueError(f"unknown hook kind {kind!r}")
    return list(app.extensions.get(_EXTENSION, {}).get(kind, ()))


def by_key(kind, app=None):
    """The hooks of a kind by key (several hooks may share one key)."""
    grouped = {}
    for entry in registered(kind, app):
        grouped.setdefault(entry.key, []).append(entry.func)
    return grouped
