"""`hamkor user ...` and `hamkor partner ...`."""

from __future__ import annotations

import click

from cli.app import App
from cli.output import emit_json, table


@click.group()
def user() -> None:
    """Add and list users (staff and their roles)."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True, metavar="viewer|officer|approver|admin")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_add(app: App, email: str, name: str, role: str, as_json: bool) -> None:
    """Add a user with a role."""
    from workflow.registry import add_user

    u = add_user(app.uow(), app.clock(), email, name, role)
    emit_json(u) if as_json else click.echo(f"added {u['email']} ({u['role']})")


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_list(app: App, as_json: bool) -> None:
    """List users."""
    from workflow.registry import list_users

    users = list_users(app.uow())
    if as_json:
        emit_json(users)
    else:
        table([(u["email"], u["name"], u["role"], "yes" if u["active"] else "no") for u in users],
              ["email", "name", "role", "active"])


@click.group()
def partner() -> None:
    """Add and list partner organisations."""


@partner.command("add")
@click.argument("name")
@click.option("--country", required=True, help="ISO 3166 alpha-2 code, e.g. JP.")
@click.option("--kind", default="university", show_default=True,
              metavar="university|company|government|ngo|other")
@click.option("--city")
@click.option("--erasmus-code")
@click.option("--pic", help="Participant Identification Code.")
@click.option("--website")
@click.option("--hei-id", help="EWP SCHAC code, e.g. polito.it.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def partner_add(app: App, name: str, country: str, kind: str, city: str | None,
                erasmus_code: str | None, pic: str | None, website: str | None,
                hei_id: str | None, as_json: bool) -> None:
    """Add a partner organisation (names are unique, ignoring case and spaces)."""
    from workflow.registry import add_partner

    p = add_partner(app.uow(), app.clock(), name, country=country, kind=kind, city=city,
                    erasmus_code=erasmus_code, pic=pic, website=website, hei_id=hei_id)
    emit_json(p) if as_json else click.echo(f"added partner {p['id']}: {p['name']} ({p['country']})")


@partner.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def partner_list(app: App, as_json: bool) -> None:
    """List partner organisations."""
    from workflow.registry import list_partners

    rows = list_partners(app.uow())
    if as_json:
        emit_json(rows)
    else:
        table([(p["id"], p["name"], p["country"], p["kind"], p["city"]) for p in rows],
              ["id", "name", "country", "kind", "city"])
