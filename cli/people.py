"""`hamkor user ...` and `hamkor partner ...`."""

from __future__ import annotations

import click

from cli.output import emit_json, table
from root import App


@click.group()
def user() -> None:
    """Add and list users (staff and their roles)."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True, metavar="viewer|officer|approver|admin")
@click.option("--lang", default="en", show_default=True, metavar="en|uz|ru",
              help="The language of the user's mail.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_add(app: App, email: str, name: str, role: str, lang: str, as_json: bool) -> None:
    """Add a user with a role."""
    from workflow.registry import add_user

    u = add_user(app.uow(), app.clock(), email, name, role, lang)
    emit_json(u) if as_json else click.echo(f"added {u['email']} ({u['role']}, mail in {u['lang']})")


@user.command("edit")
@click.argument("email")
@click.option("--name")
@click.option("--role", metavar="viewer|officer|approver|admin")
@click.option("--lang", metavar="en|uz|ru", help="The language of the user's mail.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_edit(app: App, email: str, name: str | None, role: str | None, lang: str | None,
              as_json: bool) -> None:
    """Change a user's name, role or mail language."""
    from workflow.registry import edit_user

    u = edit_user(app.uow(), email, name=name, role=role, lang=lang)
    if as_json:
        emit_json(u)
    else:
        click.echo(f"{u['email']}: {u['name']} ({u['role']}, mail in {u['lang']})")


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
        table([(u["email"], u["name"], u["role"], u["lang"], "yes" if u["active"] else "no")
               for u in users],
              ["email", "name", "role", "lang", "active"])


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


@partner.command("edit")  # EWP (issue 11)
@click.argument("name")
@click.option("--hei-id", required=True, help="EWP SCHAC code, e.g. polito.it ('' removes it).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def partner_edit(app: App, name: str, hei_id: str, as_json: bool) -> None:
    """Set a partner's EWP hei-id (NAME: its name, id or current hei-id)."""
    from ewp.identity import set_partner_hei_id

    p = set_partner_hei_id(app.uow(), name, hei_id)
    emit_json(p) if as_json else click.echo(f"partner {p['id']}: {p['name']} hei-id {p['hei_id'] or '-'}")


# --- web sign-in: passwords and API tokens ----------------------------------------------


@user.command("set-password")
@click.argument("email")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.pass_obj
def user_set_password(app: App, email: str, password_stdin: bool) -> None:
    """Set the password EMAIL signs in to the web interface with."""
    import sys

    from workflow.accounts import set_password

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat password")
    u = set_password(app.uow(), email, password)
    click.echo(f"password set for {u['email']}")


@user.group("token")
def user_token() -> None:
    """Create, list and revoke API tokens (Authorization: Bearer TOKEN)."""


@user_token.command("create")
@click.argument("email")
@click.option("--name", required=True, help="What the token is for, e.g. 'reporting script'.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_token_create(app: App, email: str, name: str, as_json: bool) -> None:
    """Create an API token for EMAIL; it is shown once, only its SHA-256 is kept."""
    from workflow.accounts import create_token

    t = create_token(app.uow(), app.clock(), email, name)
    if as_json:
        emit_json(t)
        return
    click.echo(t["token"])
    click.echo(f"token {t['id']} ({t['name']}) for {t['user']}: copy it now, it will not be shown again",
               err=True)


@user_token.command("list")
@click.argument("email", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_token_list(app: App, email: str | None, as_json: bool) -> None:
    """List API tokens (all users', or EMAIL's); never their secret."""
    from workflow.accounts import list_tokens

    rows = list_tokens(app.uow(), email)
    if as_json:
        emit_json(rows)
    else:
        table([(t["id"], t["user"], t["name"], t["created_at"][:19], (t["last_used_at"] or "")[:19],
                "revoked" if t["revoked"] else "active") for t in rows],
              ["id", "user", "name", "created", "last used", "status"])


@user_token.command("revoke")
@click.argument("token_id", type=int, metavar="ID")
@click.pass_obj
def user_token_revoke(app: App, token_id: int) -> None:
    """Revoke API token ID: requests with it are refused from now on."""
    from workflow.accounts import revoke_token

    t = revoke_token(app.uow(), token_id)
    click.echo(f"revoked token {t['id']} ({t['name']}) of {t['user']}")
