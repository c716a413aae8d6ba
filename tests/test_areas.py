"""Each area registers its routes and hooks from its own init_app: create_app alone, in a fresh
interpreter that imports nothing by hand, gives the app every hook and route it should have."""

import json
import subprocess
import sys
from pathlib import Path

from clubsite import hooks

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = {
    "retention_blocker": {"fees": ["clubsite.fees.hooks.members_with_open_invoices"]},
    "retention_task": {
        "invoices": ["clubsite.fees.hooks.delete_expired_invoices"],
        "memberships": ["clubsite.fees.hooks.lapse_unpaid_memberships"],
        "checkins": ["clubsite.access.hooks.prune_check_ins"],
        "bookings": ["clubsite.bookings.privacy_hooks.anonymise_old_bookings"],
        "bookings_undecided": ["clubsite.bookings.privacy_hooks.drop_undecided_bookings"],
        "used_links": ["clubsite.public.tokens.prune_used_tokens"],
        "import_uploads": ["clubsite.members.import_files.purge_expired_uploads"],
        "prepared_exports": ["clubsite.web.exports.expire_prepared_exports"],
        "statement_lines": ["clubsite.fees.bank_hooks.expire_statement_lines"],
        "undeliverable_marks": ["clubsite.newsletter.undeliverable.prune_stale_marks"],
    },
    "erasure_hook": {
        None: [
            "clubsite.access.hooks.delete_check_ins",
            "clubsite.bookings.privacy_hooks.unlink_erased_member",
            "clubsite.fees.hooks.detach_invoices",
            "clubsite.newsletter.hooks.cancel_deliveries",
        ]
    },
    "subject_access_section": {
        "invoices": ["clubsite.fees.hooks.invoices_section"],
        "memberships": ["clubsite.fees.hooks.memberships_section"],
        "check_ins": ["clubsite.access.hooks.check_ins_section"],
        "bookings": ["clubsite.bookings.privacy_hooks.member_bookings"],
        "newsletters": ["clubsite.newsletter.hooks.newsletters_received"],
        "direct_debit": ["clubsite.fees.bank_hooks.mandates_section"],
    },
}
EXPECTED_PANELS = {
    "clubsite.access.hooks.recent_panel",
    "clubsite.fees.hooks.overdue_panel",
    "clubsite.fees.document_routes.desk_invoices_panel",
    "clubsite.fees.bank_hooks.statement_lines_panel",
    "clubsite.bookings.routes.bookings_panel",
    "clubsite.bookings.routes.occupancy_panel",
    "clubsite.registers.routes.registers_panel",
    "clubsite.backup.routes.backup_panel",
    "clubsite.newsletter.panels.newsletter_panel",
    "clubsite.newsletter.panels.undeliverable_panel",
    "clubsite.backoffice.staff_routes.training_due_panel",
    "clubsite.backoffice.member_panels.members_due_panel",
    "clubsite.backoffice.duplicates_routes.duplicates_panel",
    "clubsite.backoffice.twofactor_routes.two_factor_panel",
    "clubsite.backoffice.policy_routes.policy_reviews_panel",
    "clubsite.web.panels.account_panel",
    "clubsite.backoffice.operations_panels.outbox_panel",
    "clubsite.backoffice.operations_panels.jobs_panel",
}
# The job runner's jobs, each registered by the init_app of the area that owns it.
EXPECTED_JOBS = [
    ["retention", "clubsite.privacy.retention.retention_job"],
    ["fees_invoice_run", "clubsite.fees.mailing.invoice_run_job"],
    ["fees_reminders", "clubsite.fees.reminders.reminder_job"],
    ["backups", "clubsite.backup.schedule.backup_job"],
    ["db_statistics", "clubsite.backup.upkeep.statistics_job"],
    ["newsletter", "clubsite.newsletter.sender.send_newsletters"],
    ["newsletter_schedule", "clubsite.newsletter.schedule.start_scheduled"],
    ["reverify", "clubsite.public.reverify.reverify_job"],
    ["outbox", "clubsite.outbox.sender.send_due"],
]
# One endpoint of each area's back-office routes, served from the area's own package.
AREA_ENDPOINTS = {
    "backoffice.fees_home": "clubsite.fees.routes",
    "backoffice.bookings": "clubsite.bookings.routes",
    "backoffice.checkin": "clubsite.access.routes",
    "backoffice.registers": "clubsite.registers.routes",
    "backoffice.backups": "clubsite.backup.routes",
}

PROBE = """
import json, sys, tempfile
from clubsite import create_app, hooks
from clubsite.jobs import registered_jobs
app = create_app({"TESTING": True}, instance_path=tempfile.mkdtemp())
print(json.dumps({
    "jobs": [[j.name, f"{j.func.__module__}.{j.func.__qualname__}"] for j in registered_jobs(app)],
    "hooks": {kind: [[h.key, h.name] for h in hooks.registered(kind, app)] for kind in hooks.KINDS},
    "endpoints": {name: view.__module__ for name, view in app.view_functions.items()},
}))
"""


def _fresh_app_listing(tmp_path):
    """What create_app registers, seen from an interpreter that imported nothing else."""
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "CLUBSITE_INSTANCE_PATH": str(tmp_path)},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_create_app_alone_registers_every_area_hook(tmp_path):
    """Retention blockers and tasks, erasure hooks, export sections, panels and jobs only."""
    listing = _fresh_app_listing(tmp_path)
    for kind, expected in EXPECTED.items():
        found = {}
        for key, name in listing["hooks"][kind]:
            found.setdefault(key, []).append(name)
        assert {k: sorted(v) for k, v in found.items()} == {
            k: sorted(v) for k, v in expected.items()
        }, kind
    panels = {name for _key, name in listing["hooks"]["home_panel"]}
    assert panels >= EXPECTED_PANELS
    assert all(name.startswith("clubsite.") for name in panels)
    assert listing["jobs"] == EXPECTED_JOBS


def test_area_routes_live_in_their_area(tmp_path):
    """Each area's back-office pages come from the area's own routes module."""
    endpoints = _fresh_app_listing(tmp_path)["endpoints"]
    for endpoint, module in AREA_ENDPOINTS.items():
        assert endpoints.get(endpoint) == module, endpoint
    assert not any(m.startswith("clubsite.backoffice.") and "fees" in m for m in endpoints.values())


def test_a_hook_is_registered_only_by_its_area(app):
    """Marking a function does nothing until an init_app registers its module."""

    @hooks.hook("retention_task", "probe")
    def probe(now, dry_run):
        return 0

    assert "probe" not in hooks.by_key("retention_task", app)
