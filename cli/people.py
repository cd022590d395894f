"""`hamkor user ...` and `hamkor partner ...`."""

from __future__ import annotations

from typing import Any

import click

from cli.output import emit_json, table
from root import App

BY = click.option("--by", metavar="EMAIL", help="Acting user (default: HAMKOR_USER).")
#: User administration acts as --by only: HAMKOR_USER is usually an officer, and the
#: command line is also how the first admin is made.
ADMIN_BY = click.option("--by", metavar="EMAIL",
                        help="Acting admin (default: the operator of this command line).")


@click.group()
def user() -> None:
    """Add and list users (staff and their roles)."""


@user.command("add")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", required=True, metavar="viewer|officer|approver|admin")
@click.option("--lang", default="en", show_default=True, metavar="en|uz|ru",
              help="The language of the user's mail.")
@click.option("--link", "with_link", is_flag=True,
              help="Also make a one-time set-password link (printed; mailed when HAMKOR_BASE_URL is set).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_add(app: App, email: str, name: str, role: str, lang: str, with_link: bool,
             as_json: bool) -> None:
    """Add a user with a role."""
    from workflow.registry import add_user

    if with_link:
        _add_with_link(app, email, name, role, lang, as_json)
        return

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
    """Add, edit and list partner organisations and their contact persons."""


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


@partner.command("edit")
@click.argument("name")
@click.option("--name", "new_name", help="A new name (unique, ignoring case and spaces).")
@click.option("--country", help="ISO 3166 alpha-2 code, e.g. JP.")
@click.option("--kind", metavar="university|company|government|ngo|other")
@click.option("--city", help="'' removes it (as for every optional field).")
@click.option("--erasmus-code")
@click.option("--pic", help="Participant Identification Code.")
@click.option("--website")
@click.option("--hei-id", help="EWP SCHAC code, e.g. polito.it ('' removes it).")
@BY
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def partner_edit(app: App, name: str, new_name: str | None, country: str | None,
                 kind: str | None, city: str | None, erasmus_code: str | None, pic: str | None,
                 website: str | None, hei_id: str | None, by: str | None, as_json: bool) -> None:
    """Change a partner's fields (NAME: its name, id or hei-id); each change is recorded
    in the partner's history with its old and new value."""
    from workflow.partners import edit_partner

    given = {"name": new_name, "country": country, "kind": kind, "city": city,
             "erasmus_code": erasmus_code, "pic": pic, "website": website, "hei_id": hei_id}
    done = edit_partner(app.uow(), app.clock(), name,
                        {k: v for k, v in given.items() if v is not None},
                        actor_email=app.actor(by), home=app.settings.institution)
    p = done["partner"]
    if as_json:
        emit_json({**p, "changes": done["changes"]})
        return
    click.echo(f"partner {p['id']}: {p['name']}" + ("" if done["changes"] else " (nothing changed)"))
    for c in done["changes"]:
        click.echo(f"  {c['field']}: {c['old'] or '-'} -> {c['new'] or '-'}")


@partner.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def partner_show(app: App, name: str, as_json: bool) -> None:
    """A partner's fields, contact persons and history."""
    from workflow.partners import partner_detail

    d = partner_detail(app.uow(), name)
    if as_json:
        emit_json(d)
        return
    for field, value in d["partner"].items():
        click.echo(f"{field}: {'' if value is None else value}")
    click.echo("contacts:")
    _contact_table(d["contacts"])
    click.echo("history:")
    for e in d["history"]:
        click.echo(f"  {e['recorded_at'][:19]} {e['event']} by {e['actor']}")
        for line in (e["note"] or "").splitlines():
            click.echo(f"    {line}")


@partner.group("contact")
def partner_contact() -> None:
    """A partner's contact persons (signatories sign the agreement documents)."""


def _contact_table(rows: list[Any]) -> None:
    table([(c["id"], c["name"], c["role"], c["position"], c["email"], c["phone"]) for c in rows],
          ["id", "name", "role", "position", "email", "phone"])


@partner_contact.command("add")
@click.argument("partner_name", metavar="PARTNER")
@click.option("--name", required=True)
@click.option("--role", default="other", show_default=True, metavar="signatory|coordinator|other")
@click.option("--position", help="e.g. Rector (printed under a signatory's name).")
@click.option("--email", "email_", metavar="EMAIL")
@click.option("--phone")
@BY
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def contact_add(app: App, partner_name: str, name: str, role: str, position: str | None,
                email_: str | None, phone: str | None, by: str | None, as_json: bool) -> None:
    """Add a contact person to PARTNER."""
    from workflow.partners import add_contact

    c = add_contact(app.uow(), app.clock(), partner_name, name=name, role=role, email=email_,
                    phone=phone, position=position, actor_email=app.actor(by))
    emit_json(c) if as_json else click.echo(f"added contact {c['id']}: {c['name']} ({c['role']}) "
                                            f"of {c['partner']}")


@partner_contact.command("list")
@click.argument("partner_name", metavar="PARTNER")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def contact_list(app: App, partner_name: str, as_json: bool) -> None:
    """PARTNER's contact persons."""
    from workflow.partners import list_contacts

    rows = list_contacts(app.uow(), partner_name)
    emit_json(rows) if as_json else _contact_table(rows)


@partner_contact.command("edit")
@click.argument("contact_id", type=int, metavar="ID")
@click.option("--name")
@click.option("--role", metavar="signatory|coordinator|other")
@click.option("--position", help="'' removes it (as for --email and --phone).")
@click.option("--email", "email_", metavar="EMAIL")
@click.option("--phone")
@BY
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def contact_edit(app: App, contact_id: int, name: str | None, role: str | None,
                 position: str | None, email_: str | None, phone: str | None, by: str | None,
                 as_json: bool) -> None:
    """Change contact person ID (see `partner contact list`)."""
    from workflow.partners import edit_contact

    given = {"name": name, "role": role, "position": position, "email": email_, "phone": phone}
    c = edit_contact(app.uow(), app.clock(), contact_id,
                     {k: v for k, v in given.items() if v is not None}, actor_email=app.actor(by))
    emit_json(c) if as_json else click.echo(f"contact {c['id']}: {c['name']} ({c['role']}) "
                                            f"of {c['partner']}")


@partner_contact.command("remove")
@click.argument("contact_id", type=int, metavar="ID")
@BY
@click.pass_obj
def contact_remove(app: App, contact_id: int, by: str | None) -> None:
    """Remove contact person ID (the partner's history keeps who it was)."""
    from workflow.partners import remove_contact

    c = remove_contact(app.uow(), app.clock(), contact_id, actor_email=app.actor(by))
    click.echo(f"removed contact {c['id']}: {c['name']} of {c['partner']}")


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


# --- user administration: set-password links, deactivation ------------------------------


@user.command("reset-link")
@click.argument("email")
@ADMIN_BY
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def user_reset_link(app: App, email: str, by: str | None, as_json: bool) -> None:
    """Make a one-time set-password link for EMAIL (valid 72 hours, replaces older ones);
    mailed too when HAMKOR_BASE_URL is set."""
    from workflow.users import issue_link

    clock = app.clock()
    link = issue_link(app.uow(), clock, email, actor_email=by, mailer=app.password_mailer(clock))
    url = app.password_link(link.token)
    if as_json:
        emit_json({"email": link.email, "link": url, "expires_at": link.expires_at.isoformat(),
                   "mailed": link.mailed})
        return
    click.echo(url)
    hint = "" if app.settings.base_url else " (set HAMKOR_BASE_URL to print the full address)"
    click.echo(f"set-password link for {link.email}, valid until {link.expires_at:%Y-%m-%d %H:%M} UTC"
               f"{'; mailed' if link.mailed else ''}{hint}", err=True)


def _add_with_link(app: App, email: str, name: str, role: str, lang: str, as_json: bool) -> None:
    """`user add --link`: the user and their set-password link, in one transaction."""
    from dataclasses import asdict

    from workflow.users import add_user

    clock = app.clock()
    added = add_user(app.uow(), clock, email, name, role, lang, actor_email=None,
                     mailer=app.password_mailer(clock))
    url = app.password_link(added.link.token)
    if as_json:
        emit_json({**asdict(added.user), "link": url, "expires_at": added.link.expires_at.isoformat(),
                   "mailed": added.link.mailed})
        return
    u = added.user
    click.echo(f"added {u.email} ({u.role}, mail in {u.lang})")
    click.echo(url)
    click.echo(f"set-password link valid until {added.link.expires_at:%Y-%m-%d %H:%M} UTC"
               f"{'; mailed' if added.link.mailed else ''}", err=True)


def _set_active(app: App, email: str, active: bool, by: str | None) -> None:
    from workflow.users import set_active

    u = set_active(app.uow(), app.clock(), email, active, actor_email=by)
    click.echo(f"{u.email} is {'active' if u.active else 'deactivated'}")


@user.command("deactivate")
@click.argument("email")
@ADMIN_BY
@click.pass_obj
def user_deactivate(app: App, email: str, by: str | None) -> None:
    """Deactivate EMAIL: signed out at once, API tokens and links stop working."""
    _set_active(app, email, False, by)


@user.command("reactivate")
@click.argument("email")
@ADMIN_BY
@click.pass_obj
def user_reactivate(app: App, email: str, by: str | None) -> None:
    """Reactivate EMAIL (their password, if any, works again)."""
    _set_active(app, email, True, by)
