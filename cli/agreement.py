"""`hamkor agreement ...` and `hamkor diagram`."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli.output import emit_json, table
from root import App

JSON = click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
BY = click.option("--by", metavar="EMAIL", help="Acting user (default: HAMKOR_USER).")
ON = click.option("--on", "on", metavar="DATE", help="Business date of the event (back-dating).")


def parse_date(value: str | None, option: str) -> date | None:
    """`--starts 2026-01-31` and the like, by the rule book's date rule."""
    from workflow import rules

    return rules.day(value, option.lstrip("-").replace("-", "_"))


@click.group()
def agreement() -> None:
    """Create, advance, renew and inspect agreements."""


@agreement.command()
@click.option("--title", required=True)
@click.option("--partner", "partners", multiple=True, metavar="NAME_OR_ID", help="Repeatable.")
@click.option("--type", "type_", required=True,
              metavar="mou|exchange|cooperation|double_degree|internship|research|consortium|grant|other")
@click.option("--owner", metavar="EMAIL")
@click.option("--department")
@click.option("--starts", metavar="DATE")
@click.option("--expires", metavar="DATE", help="Last day in force.")
@click.option("--months", type=int, help="Term length: expires = starts + N months - 1 day.")
@click.option("--indefinite", is_flag=True)
@click.option("--auto-renew", is_flag=True, help="Renews tacitly unless notice is given.")
@click.option("--renewal-months", type=int)
@click.option("--notice-days", type=int)
@click.option("--form", "forms", multiple=True, help="Form of cooperation (repeatable).")
@click.option("--no-institution", is_flag=True, help="Do not add the home institution as a party.")
@click.option("--notes")
@ON
@BY
@JSON
@click.pass_obj
def create(app: App, title: str, partners: tuple[str, ...], type_: str, owner: str | None,
           department: str | None, starts: str | None, expires: str | None, months: int | None,
           indefinite: bool, auto_renew: bool, renewal_months: int | None,
           notice_days: int | None, forms: tuple[str, ...], no_institution: bool,
           notes: str | None, on: str | None, by: str | None, as_json: bool) -> None:
    """Create a draft agreement; prints its reference."""
    from workflow.agreements import NewAgreement, create as create_agreement

    spec = NewAgreement(
        title=title, partners=list(partners), type=type_, owner=owner, department=department,
        starts=parse_date(starts, "--starts"), expires=parse_date(expires, "--expires"),
        months=months, indefinite=indefinite, auto_renew=auto_renew,
        renewal_months=renewal_months, notice_days=notice_days, forms=list(forms),
        no_institution=no_institution, notes=notes,
    )
    a = create_agreement(app.uow(), app.clock(), app.office(), spec, by=app.actor(by),
                         on=parse_date(on, "--on"))
    emit_json(a) if as_json else click.echo(a["ref"])


@agreement.command()
@click.argument("ref")
@BY
@JSON
@click.pass_obj
def show(app: App, ref: str, by: str | None, as_json: bool) -> None:
    """Show state, term, parties, signatures and the possible next events."""
    from workflow.agreements import show as show_agreement

    # The CLI adds the EWP details and words each refusal with its options.
    a: dict[str, Any] = {**show_agreement(app.uow(), app.clock(), app.office(), ref, by=app.actor(by))}
    # EWP (issue 11): IIA ids and cooperation conditions.
    from ewp.conditions import describe, show_details

    a.update(show_details(app.uow(), app.home(), ref))
    if a["conditions"]:  # cooperation activity (issue 21): quotas against recorded mobility
        from cli.activity import utilisation_of

        a["utilisation"] = utilisation_of(app, ref)
    from cli.errors import option_name

    for ev in a["next_events"]:
        ev["reason"] = ev["reason"].text(option_name) if ev["reason"] else None
        ev["needs"] = [option_name(f) + (f" ({', '.join(ev['unsigned_parties'])})" if f == "party" else "")
                       for f in ev["needs"]]
    if as_json:
        emit_json(a)
        return
    term = f"{a['starts_on'] or '?'} .. {a['expires_on'] or ('indefinite' if a['indefinite'] else '?')}"
    click.echo(f"{a['ref']}  {a['title']}")
    click.echo(f"  state:      {a['state']}  (term {a['term']}, version {a['version']})")
    click.echo(f"  type:       {a['type']}    department: {a['department'] or '-'}")
    click.echo(f"  owner:      {a['owner'] or '-'}")
    click.echo(f"  in force:   {term}")
    if a["auto_renew"]:
        click.echo(f"  renewal:    automatic, {a['renewal_months']} months; notice {a['notice_days'] or 0} days")
    if a["notice_given_on"]:
        click.echo(f"  notice:     given on {a['notice_given_on']}, ends on {a['ends_on']}")
    if a["renews"]:
        click.echo(f"  renews:     {a['renews']}")
    if a["successors"]:
        click.echo(f"  successors: {', '.join(a['successors'])}")
    if a["forms"]:
        click.echo(f"  forms:      {', '.join(a['forms'])}")
    click.echo("  parties:")
    for p in a["parties"]:
        signed = f"signed {p['signed_on']}" if p["signed_on"] else "not signed"
        click.echo(f"    - {p['name']} ({p['country'] or '??'}, {p['kind']}): {signed}")
    if a["conditions"]:  # EWP (issue 11)
        click.echo("  conditions:")
        for c in a["conditions"]:
            click.echo(f"    {c['n']}. {describe(c)}")
        from cli.activity import print_utilisation

        print_utilisation(a["utilisation"])
    who = a["actor"]
    click.echo("  next events" + (f" for {who['email']} ({who['role']})" if who else "") + ":")
    if not a["next_events"]:
        click.echo("    (none: the agreement is closed or only automatic events remain)")
    for ev in a["next_events"]:
        needs = f" (needs {' '.join(ev['needs'])})" if ev["needs"] else ""
        mark = f"ok{needs}" if ev["allowed"] else f"not now: {ev['reason']}"
        click.echo(f"    {ev['event']:<20} {mark}")
    if a["next_due_on"]:
        click.echo(f"  next automatic check: {a['next_due_on']}")


@agreement.command("list")
@click.option("--state")
@click.option("--partner")
@click.option("--expiring-within", type=int, metavar="DAYS")
@click.option("--limit", type=int)
@JSON
@click.pass_obj
def list_cmd(app: App, state: str | None, partner: str | None, expiring_within: int | None,
             limit: int | None, as_json: bool) -> None:
    """List agreements (filters: state, partner, expiring within DAYS)."""
    from workflow.register_query import list_agreements

    rows = list_agreements(app.uow(), app.clock(), state=state, partner=partner,
                           expiring_within=expiring_within, limit=limit)
    if as_json:
        emit_json(rows)
        return
    table(
        [(a["ref"], a["state"], a["expires_on"] or "", a["title"][:50],
          ", ".join(p["name"] for p in a["parties"])[:60]) for a in rows],
        ["ref", "state", "expires", "title", "parties"],
    )


@agreement.command()
@click.argument("ref")
@JSON
@click.pass_obj
def history(app: App, ref: str, as_json: bool) -> None:
    """The audit history, oldest first."""
    from workflow.agreements import history as get_history

    events = get_history(app.uow(), ref)
    if as_json:
        emit_json(events)
        return
    table(
        [(e["occurred_on"], e["event"], f"{e['from_state'] or ''} -> {e['to_state'] or ''}",
          e["actor"], e["party"] or "", e["note"] or "") for e in events],
        ["date", "event", "change", "actor", "party", "note"],
    )


@agreement.command()
@click.argument("ref")
@click.argument("event")
@BY
@click.option("--note")
@ON
@click.option("--party", metavar="NAME", help="For sign: the party signing.")
@click.option("--effective", metavar="DATE", help="For give_notice: last day in force.")
@JSON
@click.pass_obj
def advance(app: App, ref: str, event: str, by: str | None, note: str | None, on: str | None,
            party: str | None, effective: str | None, as_json: bool) -> None:
    """Fire EVENT (submit, approve, sign, activate, give_notice, terminate, ...)."""
    from workflow.agreements import advance as advance_agreement

    a = advance_agreement(app.uow(), app.clock(), app.office(), ref, event, by=app.actor(by),
                          note=note, on=parse_date(on, "--on"), party=party,
                          effective=parse_date(effective, "--effective"))
    emit_json(a) if as_json else click.echo(f"{a['ref']}: {event} -> {a['state']}")


@agreement.command()
@click.argument("ref")
@click.option("--starts", metavar="DATE", help="Default: the day after the predecessor's last day in force.")
@click.option("--expires", metavar="DATE")
@click.option("--months", type=int)
@ON
@BY
@JSON
@click.pass_obj
def renew(app: App, ref: str, starts: str | None, expires: str | None, months: int | None,
          on: str | None, by: str | None, as_json: bool) -> None:
    """Create the successor draft of REF; prints its reference."""
    from workflow.agreements import renew as renew_agreement

    a = renew_agreement(app.uow(), app.clock(), app.office(), ref, by=app.actor(by),
                        starts=parse_date(starts, "--starts"),
                        expires=parse_date(expires, "--expires"), months=months,
                        on=parse_date(on, "--on"))
    emit_json(a) if as_json else click.echo(a["ref"])


@click.command()
@click.option("--format", "fmt", type=click.Choice(["mermaid", "dot"]), default="mermaid",
              show_default=True)
def diagram(fmt: str) -> None:
    """Draw the lifecycle diagram from the transition table."""
    from workflow import diagram as d

    click.echo(d.mermaid() if fmt == "mermaid" else d.dot(), nl=False)


from cli.conditions import conditions  # noqa: E402 - EWP (issue 11): `agreement conditions`

agreement.add_command(conditions)

from cli.files import attach, detach, document, file_cmd, files  # noqa: E402 - issue 20

for _cmd in (attach, files, file_cmd, detach, document):
    agreement.add_command(_cmd)
