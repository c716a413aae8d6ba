"""Command-line options with a fixed set of values refuse a wrong one by listing the right
ones (issue 15: `--role guard` failed without saying which roles exist)."""

import re

import click
import pytest

from clubsite.jobs.registry import registered_jobs
from clubsite.privacy.roles import ROLES
from clubsite.staff import service

# Help texts that enumerate values ("a, b or c") belong to options that should be a Choice.
ENUMERATION = re.compile(r"\b\w+, \w+(, \w+)* or \w+\b")


def _options(command, path=()):
    """(command path, option) for every option of every command under a group."""
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _options(sub, (*path, name))
        return
    for param in command.params:
        if isinstance(param, click.Option):
            yield " ".join(path), param


def test_an_unknown_role_lists_the_roles(runner):
    """`staff create --role guard` says guard is not a role and names every role there is."""
    result = runner.invoke(
        args=["staff", "create", "guard@klubs.lv", "--role", "guard", "--password-stdin"],
        input="correct horse battery staple 42\n",
    )
    assert result.exit_code == 2
    assert "'guard' is not one of" in result.output
    for role in ROLES:
        assert f"'{role}'" in result.output
    assert service.find_by_email("guard@klubs.lv") is None


def test_a_listed_role_still_creates_the_account(runner):
    """The Choice accepts the role ids, several at once."""
    result = runner.invoke(
        args=["staff", "create", "desk@klubs.lv", "--role", "reception", "--role", "accountant"]
        + ["--password-stdin"],
        input="correct horse battery staple 42\n",
    )
    assert result.exit_code == 0, result.output
    assert service.find_by_email("desk@klubs.lv").role_list == ["reception", "accountant"]


def test_an_unknown_job_lists_the_jobs(app, runner):
    """`jobs run --job nope` names the jobs there are (they are registered by the app)."""
    result = runner.invoke(args=["jobs", "run", "--once", "--job", "nope"])
    assert result.exit_code == 2
    assert "no such job: nope" in result.output
    names = [job.name for job in registered_jobs(app)]
    assert names and all(name in result.output for name in names)


@pytest.mark.parametrize(
    ("args", "values"),
    [(["privacy", "ropa", "--language", "de"], ["'lv'", "'en'"])],
)
def test_other_fixed_choices_list_their_values(runner, args, values):
    """Every other option with fixed values says which it takes."""
    result = runner.invoke(args=args)
    assert result.exit_code == 2
    assert all(value in result.output for value in values)


def test_no_option_lists_its_values_only_in_its_help(app):
    """An option whose help enumerates values ("admin, accountant or staff") checks them too."""
    loose = [
        f"{path} {option.opts[0]}"
        for path, option in _options(app.cli)
        if option.help
        and ENUMERATION.search(option.help)
        and not isinstance(option.type, click.Choice)
    ]
    assert loose == []
    roles = next(
        option
        for path, option in _options(app.cli)
        if path == "staff create" and "--role" in option.opts
    )
    assert isinstance(roles.type, click.Choice) and list(roles.type.choices) == list(ROLES)
