"""The rule book's sentences: one English template per rule code.

`{field}` is the concerned field's name, `{f_x}` the name of field x, the rest are the
problem's values. Each door words the field for its audience; the web's Uzbek and Russian
templates are the catalogs' `rule.<code>` entries (`web/locale`). The checks that raise
them are in `workflow.rules`, which re-exports `MESSAGES`.
"""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "required": "{field} must not be empty",
    "text.too_long": "{field} must have at most {limit} characters ({length} given)",
    "text.control": "{field} contains a control character ({char}); remove it",
    "text.surrogate": "{field} contains an unpaired surrogate (broken Unicode text)",
    "date.format": "{field} {value!r} is not a date (YYYY-MM-DD)",
    "date.range": "{field} {value} is outside {earliest}..{latest}",
    "date.future": "{field} {value} is in the future",
    "clock.future": "{field} {value} is after today ({today}): a tick on a future day writes and "
                    "sends for real; preview it with {f_dry_run}, or confirm with {f_allow_future}",
    "datetime.format": "{field} {value!r} is not an ISO date-time (e.g. 2026-03-01T08:00)",
    "integer.format": "{field} {value!r} is not a whole number",
    "integer.min": "{field} must be at least {minimum}",
    "integer.max": "{field} must be at most {maximum}",
    "email.format": "{field} {value!r} is not an email address (name@example.org)",
    "choice": "{field} {value!r} is not one of {choices}",
    "hei_id.format": "{field} {value!r} is not a lower-case SCHAC code such as polito.it",
    "country.format": "{field} {value!r} is not an ISO 3166 alpha-2 code (e.g. UZ, JP, IT)",
    "term.one_of": "give only one of {f_expires}, {f_months}, {f_indefinite}",
    "term.months_need_start": "{f_months} needs {f_starts}",
    "term.runs_past": "{f_months} {months} from {starts} runs past {latest}",
    "term.expires_before_starts": "{f_expires} {expires} is before {f_starts} {starts}",
    "term.auto_renew_needs_months": "{f_auto_renew} needs {f_renewal_months} N (N > 0)",
    "term.indefinite_auto_renew": "an indefinite agreement cannot renew automatically",
    "partners.required": "at least one {f_partners} is required",
    "partners.twice": "partner {name} is listed twice",
    "partners.two_parties": "an agreement needs at least two parties",
    "actor.missing": "no actor: pass {f_by} EMAIL or set HAMKOR_USER",
    "password.short": "the password must have at least {minimum} characters",
    "password.long": "the password must have at most {maximum} characters",
    "password.is_email": "the password must not be the email address",
    # Partners, their contact persons, user administration and set-password links.
    "partner.nothing_to_change": "nothing to change: give at least one field",
    "partner.home_name": "{name} is the home institution: its name is set in the configuration "
                         "(HAMKOR_INSTITUTION), not here",
    "website.format": "{field} {value!r} is not a web address (e.g. www.polito.it)",
    "phone.format": "{field} {value!r} is not a telephone number (digits, spaces, + - ( ))",
    "user.self_role": "you cannot change the role of your own account",
    "user.self_deactivate": "you cannot deactivate your own account",
    "user.last_admin": "{email} is the last active admin: make another user admin first",
    "user.inactive": "{email} is deactivated: reactivate it first",
    "link.invalid": "this set-password link is unknown, used, replaced by a newer one or expired",
    # Lifecycle refusals (the guards).
    "guard.source": "{event} is only possible from {allowed}",
    "guard.automatic": "{event} is automatic (run by the daily tick)",
    "guard.role": "{actor} is {role}; {event} needs role {needed} or above",
    "guard.on_future": "{f_on} {on} is in the future",
    "guard.on_before_last": "{f_on} {on} is before the previous event ({last})",
    "guard.on_before_approval": "{f_on} {on} is before the approval ({approved})",
    "renew.has_successor": "it already has a successor {successor}",
    "guard.note": "a note is required ({f_note})",
    "guard.incomplete": "incomplete: missing {missing}",
    "guard.four_eyes": "{actor} submitted it; another approver must approve (four eyes)",
    "guard.party_missing": "{f_party} is required: one of {parties}",
    "guard.party_unknown": "{party!r} is not a party of this agreement",
    "guard.party_signed": "{party} has already signed",
    "guard.not_started": "it starts on {starts}",
    "guard.no_start": "no start date",
    "guard.no_expiry": "no expiry date",
    "guard.window": "the renewal window opens on {opens}",
    "guard.not_auto": "it does not renew automatically",
    "guard.not_at_expiry": "it has not reached its expiry",
    "guard.not_past_expiry": "it has not passed its expiry",
    "guard.notice_given": "notice was already given on {on}",
    "guard.effective_missing": "{f_effective} DATE is required for an agreement without expiry",
    "guard.effective_before": "{f_effective} {effective} is before the notice date {on}",
    "guard.effective_after": "{f_effective} {effective} is after the expiry {expires}",
    "guard.signed_copy": "no signed copy is attached (HAMKOR_REQUIRE_SIGNED_COPY): attach one "
                         "with {f_kind} signed-copy",
    "guard.notice_late": "the notice period is {days} days: notice for {effective} had to be "
                         "given by {latest}",
    # Users, owners, drafts and corrections.
    "user.not_active": "user {email} is not active",
    "user.nothing_to_edit": "nothing to change: give {f_name}, {f_role} or {f_lang}",
    "language.choice": "language {value!r} is not one of {choices}",
    "owner.viewer": "{email} is a viewer and cannot own an agreement; choose an officer, approver "
                    "or admin",
    "owner.inactive": "{email} is deactivated and cannot own an agreement",
    "title.required": "the title must not be empty",
    "owner.required": "an agreement past draft must have an owner",
    "agreement.ref_busy": "could not allocate a reference; retry",
    "correct.unknown": "cannot correct {fields}; correctable after draft: {correctable} (terms "
                       "change through the lifecycle)",
    "correct.ended": "it has ended; an ended agreement is not corrected",
    "draft.unknown": "cannot edit {fields}; editable: {editable}",
    "draft.only_draft": "only a draft can be edited (request changes to return it to draft)",
    "renew.successor_exists": "it already has a successor",
    "conditions.frozen": "the approved text is out for signature; amend it once signed",
    "conditions.closed": "the agreement is closed",
    "search.sort": "{field} {value!r} is not one of {choices} (a leading - sorts descending)",
    # The outbox.
    "retry.sent": "it was sent already",
    "retry.pending": "it is queued already",
    "retry.sending": "a sender is delivering it now",
    "retry.skipped": "it was a missed reminder recorded as skipped",
    "retry.cancelled": "its term ended before it was sent",
    "retry.status": "its status is {status}",
    # Reports and generated documents.
    "report.format": "format {value!r} is not one of {choices}",
    "report.no_folder": "cannot write {path}: directory {folder} does not exist",
    "report.template_builtin": "{f_template} is for html, md, pdf and docx, not {format}",
    "report.no_catalog": "no compiled catalog for language {lang!r} in {folder}",
    "report.year_future": "year {year} is in the future (today is {today})",
    "report.year_early": "year {year} is before {first}",
    "report.pdf_missing": "the pdf format needs WeasyPrint and Pango: pip install 'hamkor[pdf]' "
                          "({detail})",
    "template.missing": "template {path} does not exist",
    "template.needs_docx": "template {name}: the docx format needs a Word .docx file",
    "template.needs_text": "template {name}: the {format} format needs a text (Jinja) file, not .docx",
    "template.too_large": "template {path} is larger than {mb} MB",
    "template.no_lang": "template {name} has no {lang} version; it has {langs}",
    "template.unknown": "no template {name!r}; templates: {names}",
    "pdf.no_libreoffice": "{f_format} pdf needs LibreOffice: install the Debian package {package} "
                          "(apt-get install {package}); {f_format} docx works without it",
    "pdf.timeout": "LibreOffice did not finish the PDF within {seconds} s",
    "pdf.failed": "LibreOffice could not print the PDF",
    "pdf.failed_why": "LibreOffice could not print the PDF: {detail}",
    # Files: uploads, the file store, downloads and bundles.
    "file.empty": "the file is empty",
    "file.type.program": "the file is not an accepted type (it is a program): upload {accepted}",
    "file.type.looks_like": "the file is not an accepted type (it looks like a .{ext} file): upload "
                            "{accepted}",
    "file.type.unknown": "the file is not an accepted type (its type is not recognised): upload "
                         "{accepted}",
    "file.type.odf": "the file is not an accepted type (it is {kind}): upload {accepted}",
    "file.type.macros": "the file is not an accepted type (it contains macros): upload {accepted}",
    "file.type.damaged_zip": "the file is not an accepted type (a damaged ZIP archive): upload "
                             "{accepted}",
    "file.choose": "choose a file to upload",
    "file.stored_missing": "the stored file of {name} is missing (an administrator can check the "
                           "whole file store)",
    "file.body_size": "the request body has more than {most:,} bytes",
    "file.not_file": "{path} is not a file",
    "file.missing": "{path} does not exist",
    "file.changed": "{path} changed while it was being read; try again",
    "file.shrunk": "the file became shorter while it was being read; try again",
    "file.removed": "file {id} of {ref} was already removed on {on} by {by}",
    "store.digest": "not a SHA-256 hex digest: {value!r}",
    "store.missing": "the stored file {sha}… is missing from the file store (an administrator "
                     "should verify the store)",
    "store.altered": "the stored file {sha} is altered (run `hamkor files verify`); no bundle "
                     "written",
    "target.directory": "{path} is a directory; give a file name",
    "target.exists": "{path} already exists; use {f_force} to overwrite it",
    "target.no_folder": "the folder {folder} does not exist",
    "bundle.suffix": "{source}: a bundle is a .zip file",
    "bundle.no_manifest": "{source}: not a Hamkor bundle (no manifest.json)",
    "bundle.manifest_json": "{source}: manifest.json is not valid JSON",
    "bundle.manifest_format": "{source}: not a Hamkor bundle (manifest format)",
    "bundle.version": "{source}: bundle version {version!r} is not supported",
    "bundle.fixed": "{source}: the manifest does not list {names}",
    "bundle.unlisted": "{source}: entries not in the manifest: {names}",
    "bundle.missing": "{source}: missing from the bundle: {names}",
    "bundle.unexpected": "{source}: unexpected entry {name!r}",
    "bundle.hash": "{source}: {name} does not match its hash in the manifest; nothing imported",
    "bundle.file_hash": "{source}: {name} does not match its hash; nothing imported",
    "bundle.zip": "{source}: not a readable ZIP file ({detail})",
    "bundle.file_absent": "{source}: {name!r} refers to a file not in the bundle",
    "bundle.not_empty": "a bundle is restored into an empty database; this one has agreements "
                        "(merge with an import of its agreements.json instead)",
    "bundle.orphan": "{source}: file {name!r} belongs to {ref!r}, which is not in the bundle",
    "bundle.not_list": "{source}: attachments.json is not a list",
    "bundle.record_keys": "{source}: attachments.json record {n} lacks one of {keys}",
    "bundle.record_kind": "{source}: attachments.json record {n}: kind {kind!r} or type "
                          "{media_type!r} is not accepted",
    "bundle.record_values": "{source}: attachments.json record {n}: size or uploaded_at is "
                            "unreadable",
    "bundle.record_zone": "{source}: attachments.json record {n}: uploaded_at has no time zone",
    # Import and export files (README, "Limits and safety").
    "import.csv_utf8": "{source}: not UTF-8 text ({reason}); save the CSV as UTF-8",
    "import.utf8": "{source}: not UTF-8 text ({reason})",
    "import.json": "{source}: not JSON: {detail}",
    "import.xlsx": "{source}: not an XLSX workbook ({detail})",
    "import.xlsx_unreadable": "{source}: not a readable XLSX workbook ({detail})",
    "import.file_type": "{source}: unknown file type {suffix}; import reads .csv, .xlsx or .json "
                        "files",
    "export.file_type": "{source}: export writes .csv or .json files",
    "export.list_sep": "{ref}: {column} value {item!r} contains '{sep}', the CSV list separator; "
                       "export to .json instead",
    "limit.file_size": "{source}: the file has {size:,} bytes; an import reads at most {most:,} "
                       "(see README \"Limits and safety\")",
    "limit.rows": "{source}: more than {most:,} rows; split the file (see README \"Limits and "
                  "safety\")",
    "limit.cell": "{source}: row {row}: a cell of {length:,} characters; a cell holds at most "
                  "{most:,} (see README \"Limits and safety\")",
    "limit.parts": "{source}: {count:,} parts in the workbook; at most {most:,} (see README "
                   "\"Limits and safety\")",
    "limit.unpacked": "{source}: the workbook unpacks to {size:,} bytes; at most {most:,} (see "
                      "README \"Limits and safety\")",
    "limit.shared_strings": "{source}: more than {most:,} shared strings (see README \"Limits and "
                            "safety\")",
    "limit.cells": "{source}: more than {most:,} cells (see README \"Limits and safety\")",
    "limit.dtd": "{source}: {part} declares a DTD (entities are not accepted in XLSX) (see README "
                 "\"Limits and safety\")",
    "limit.text_run": "{source}: {part} holds a text longer than a cell may be ({most:,} "
                      "characters) (see README \"Limits and safety\")",
    "limit.json_values": "{source}: more than {most:,} values (see README \"Limits and safety\")",
    "limit.json_depth": "{source}: nested deeper than {most} levels (see README \"Limits and "
                        "safety\")",
    "limit.digits": "{source}: a number of {digits:,} digits; at most {most} (see README \"Limits "
                    "and safety\")",
    "limit.number": "{source}: the number {value} is too large (see README \"Limits and safety\")",
    # Activities (workflow/activity_rules.py): `{field}: ` in front, as the import's column.
    "activity.year_id": "{field}: {value!r} is not an academic year such as 2025/2026",
    "activity.year_next": "{field}: {value!r} is not an academic year: after {first} comes {next}",
    "activity.too_long": "{field}: is {length} characters long; at most {limit}",
    "activity.kind_missing": "{field}: missing is not one of {choices}",
    "activity.choice": "{field}: {value!r} is not one of {choices}",
    "activity.date": "{field}: {value!r} is not a date (YYYY-MM-DD)",
    "activity.date_range": "{field}: {value} is outside {earliest}..{latest}",
    "activity.whole": "{field}: {value!r} is not a whole number",
    "activity.at_least_one": "{field}: {n} must be at least 1",
    "activity.too_many": "{field}: {n} is more than {most}",
    "activity.year": "{field}: {value!r} is not a year (YYYY)",
    "activity.year_range": "{field}: {year} is outside 1900..2999",
    "activity.doi": "{field}: {value!r} is not a DOI (10.NNNN/suffix, e.g. 10.1000/xyz123)",
    "activity.amount": "{field}: {value!r} is not an amount (e.g. 125000.50)",
    "activity.amount_positive": "{field}: {value!r} must be a positive amount",
    "activity.amount_digits": "{field}: {value!r}: at most 2 decimals and 15 digits",
    "activity.currency": "{field}: {value!r} is not an ISO 4217 code (e.g. EUR, USD, UZS)",
    "activity.names_many": "{field}: {count} names; at most {most}",
    "activity.name_long": "{field}: a name is longer than 200 characters",
    "activity.not_for_kind": "{field}: is not recorded for a {kind}",
    "activity.needs": "{field}: a {kind} needs its {what}",
    "activity.ends_before": "{field}: {ends} is before the start {starts}",
    "activity.amount_currency": "{field}: an amount needs its currency and a currency its amount",
    "activity.year_mismatch": "{field}: {given} does not match the start date {starts} ({label})",
    "activity.no_agreement": "{field}: no agreement {ref}",
    "activity.no_partner": "{field}: no partner {key!r} (add the partner first)",
    "activity.link_needed": "{field}: give the agreement ({f_agreement}) or, where no agreement "
                            "covers the activity, {f_partner}",
    "activity.home_partner": "{field}: {partner!r} is the home institution, not a partner",
    "activity.not_party": "{field}: {name} is not a party of {ref} (partners: {names})",
    "activity.withdrawn": "{field}: {ref} was withdrawn and never in force: record the activity "
                          "against the partner ({f_partner})",
    "activity.after_end": "{field}: {ref} ended on {last} ({state}); an activity dated {day} is "
                          "after it",
    "activity.kind_fixed": "{field}: cannot change; remove the activity and record it again",
    "activity.unknown_field": "{field}: is not a field of an activity",
    "activity.nothing_to_change": "nothing to change: give at least one field",
    "activity.removed": "activity {id} was removed",
    "activity.no_names": "activity {id} has no participant names",
    "activity.reason": "{field}: give the reason",
    "activity.reason_long": "{field}: at most 2000 characters",
    "activity.bad_id": "{field}: {value!r} is not an activity id",
    "activity.id_twice": "{field}: {id} is also in row {row}",
    "activity.kind_changed": "{field}: activity {id} is a {kind}; the kind cannot change",
    "activity.link_needed_row": "{field}: give the agreement or, where no agreement covers the "
                                "activity, the partner",
    "activity.row_removed": "{field}: activity {id} was removed",
    # An import's rows (workflow/transfer/): `{field}: ` in front, the column.
    "row.unknown_column": "{field}: unknown column; expected some of {columns}",
    "row.column_twice": "{field}: column given twice",
    "row.column_missing": "{field}: required column is missing",
    "row.csv": "{field}: {detail}",
    "row.empty_file": "{field}: the file is empty",
    "row.empty_sheet": "{field}: the first sheet is empty",
    "row.cells": "{field}: {cells} cells for {columns} columns",
    "row.no_header": "{field}: {value!r} is under a column without a header",
    "row.not_list": "{field}: expected a list of {noun} objects",
    "row.not_object": "{field}: expected an object with the {noun}'s columns",
    "row.required": "{field}: required",
    "row.type_required": "{field}: required: one of {choices}",
    "row.choice": "{field}: {value!r} is not one of {choices}",
    "row.party_choice": "{field}: {party}: {value!r} is not one of {choices}",
    "row.months_and_expiry": "{field}: give {f_expires_on} or {f_months}, not both",
    "row.months_need_start": "{field}: needs {f_starts_on}",
    "row.expires_before": "{field}: {expires} is before {f_starts_on} {starts}",
    "row.auto_renew_months": "{field}: {f_auto_renew} needs {f_renewal_months}",
    "row.indefinite_auto_renew": "{field}: an indefinite agreement cannot renew automatically",
    "row.renews_itself": "{field}: an agreement cannot renew itself",
    "row.empty_name": "{field}: an empty name between '{sep}'",
    "row.two_parties": "{field}: an agreement needs at least two parties, separated by '{sep}'",
    "row.twice": "{field}: {name!r} is listed twice",
    "row.state_requires": "{field}: required for state {state} (an agreement is complete before "
                          "review)",
    "row.signatures_missing": "{field}: state {state} needs a signature date for every party; "
                              "missing for {names}",
    "row.all_signed": "{field}: every party has signed: the state is signed (or later)",
    "row.before_signature": "{field}: state {state} comes before any signature",
    "row.not_started": "{field}: state {state} but it starts on {starts} (a signed agreement that "
                       "has not started is 'signed')",
    "row.renewal_due_expiry": "{field}: state renewal_due needs an expiry date",
    "row.expired_expiry": "{field}: state expired needs an expiry date before today",
    "row.ends_without_notice": "{field}: is set by notice: give {f_notice_given_on} too",
    "row.notice_state": "{field}: notice is given on an agreement in force, not {state}",
    "row.notice_end": "{field}: notice needs the last day in force ({f_ends_on} or {f_expires_on})",
    "row.ends_after_expiry": "{field}: {end} is after {f_expires_on} {expires}",
    "row.ends_before_notice": "{field}: {end} is before {f_notice_given_on}",
    "row.one_value": "{field}: expected one value, not a list",
    "row.future": "{field}: {value} is in the future",
    "row.whole": "{field}: {value!r} is not a whole number",
    "row.min": "{field}: must be {minimum} or more",
    "row.max": "{field}: must be {maximum} or less",
    "row.flag": "{field}: {value!r} is not true or false",
    "row.list_items": "{field}: list items must be plain values, not objects or lists",
    "row.object": "{field}: expected a value or a list, not an object",
    "row.aligned": "{field}: {count} values for {partners} partners (separate them with '{sep}', "
                   "in the order of the partners)",
    "row.reference": "{field}: {value!r} is not a reference like AGR-2024-0001",
    "row.reference_new": "{field}: {value!r} is not a reference like AGR-2024-0001 (leave it empty "
                         "to get one)",
    "row.ref_twice": "{field}: {ref} is also in row {row}",
    "row.same_agreement": "{field}: the same agreement (title, partners, starts_on) as row {row}",
    "row.ambiguous": "{field}: matches agreements {refs} (same title, partners and start); give "
                     "the ref",
    "row.claimed": "{field}: {ref} is also changed by row {row}",
    "row.state_change": "{field}: {ref} is {state}; an import does not move agreements through the "
                        "lifecycle (record its events instead)",
    "row.keeps_owner": "{field}: {ref} is {state}: it keeps an owner (reminders go to the owner)",
    "row.after_draft": "{field}: {ref} is {state}: after draft an import changes only {fields} "
                       "(stored: {stored}, file: {given})",
    "row.code_of_other": "{field}: {code} is the code of {other}, not of {name}",
    "row.code_differs": "{field}: {name} has Erasmus code {stored}, not {given}",
    "row.country_differs": "{field}: {name} is in {stored}, not {given}",
    "row.no_predecessor": "{field}: no agreement {ref} in the database or in the file (give that "
                          "row its ref)",
    "row.live_successor": "{field}: {ref} already has the live successor {successors}",
    "row.both_in_force": "{field}: {ref} is still {state}: two agreements in force (import the "
                         "successor as signed, or end {ref} first)",
    # EWP: partner files, approvals and the home institution's hei-id.
    # A partner's IIA as its XML gives it (ewp/reader.py): `iia LABEL: ` in front.
    "iia.identifier": "iia {label}: {what} {value!r} is not 1 to 64 printable ASCII characters",
    "iia.boolean": "iia {label}: {what} {value!r} is not a boolean",
    "iia.partner_twice": "iia {label}: a partner has two {name} elements",
    "iia.partner_no_hei": "iia {label}: a partner has no hei-id",
    "iia.signing_date": "iia {label}: signing-date {value!r} is not a date",
    "iia.isced": "iia {label}: isced-f-code {value!r} is not 4 digits",
    "iia.v6": "iia {label}: v6-value {value!r} is not 1 to 3 digits",
    "iia.cefr": "iia {label}: cefr-level {value!r} is not one of {choices}",
    "iia.no_language": "iia {label}: a recommended-language-skill has no language",
    "iia.int_range": "iia {label}: {what} {value!r} is not a from 1 to {most} whole number",
    "iia.int_positive": "iia {label}: {what} {value!r} is not a positive whole number",
    "iia.int_most": "iia {label}: {what} {value!r} is not a positive whole number of at most {most:,}",
    "iia.spec_twice": "iia {label}: {name} has two {child} elements",
    "iia.spec_unexpected": "iia {label}: {name} has an unexpected element {child!r}",
    "iia.spec_missing": "iia {label}: {name} has no {required}",
    "iia.other_type": "iia {label}: {name} carries elements of the other mobility type",
    "iia.total": "iia {label}: {what} {value!r} is not a positive number",
    "iia.no_blended": "iia {label}: {name} has no blended",
    "iia.partners": "iia {label}: has {count} partner elements, not 2",
    "iia.no_in_effect": "iia {label}: has no in-effect",
    "iia.no_conditions": "iia {label}: has no cooperation-conditions",
    "iia.conditions_unexpected": "iia {label}: unexpected element {name!r} in cooperation-conditions",
    "iia.same_partners": "iia {label}: both partners are {hei_id}",
    "iia.spec_between": "iia {label}: {element} from {sending} to {receiving} is not between the "
                        "two partners",
    "iia.spec_itself": "iia {label}: {element} sends {sending} to itself",
    "iia.spec_order": "iia {label}: mobility specs are not in schema order (studies, traineeships, "
                      "teaching, training)",
    "ewp.not_bilateral": "{ref}: not an EWP IIA: it has {count} parties; an IIA is bilateral (the "
                         "home institution and one partner)",
    "ewp.home_not_party": "{ref}: not an EWP IIA: the home institution {home} is not one of its "
                          "parties",
    "ewp.partner_no_hei_id": "{ref}: not an EWP IIA: partner {name} has no hei-id (set its "
                             "{f_hei_id})",
    "ewp.condition_parties": "{ref}: not an EWP IIA: condition {n} is between organisations that "
                             "are not both its parties",
    # The same reasons without the agreement in front (a list of agreements names it).
    "ewp.why.not_bilateral": "it has {count} parties; an IIA is bilateral (the home institution "
                             "and one partner)",
    "ewp.why.home_not_party": "the home institution {home} is not one of its parties",
    "ewp.why.partner_no_hei_id": "partner {name} has no hei-id (set its {f_hei_id})",
    "ewp.why.condition_parties": "condition {n} is between organisations that are not both its "
                                 "parties",
    "ewp.why.no_iia_id": "no IIA id yet (export it or give it conditions)",
    "ewp.hash_ambiguous": "{what}: {count} elements where the iia-hash's XSLT accepts one",
    "ewp.hash_depth": "XML nested too deeply to compute its iia-hash",
    "report.template": "template {template}: {reason}",
    "report.template_line": "template {template}, line {line}: {reason}",
    "ewp.warn.isced": "iia {label}: isced-f-code {isced} is not an ISCED-F 2013 detailed field",
    "ewp.warn.not_yet_defined": "iia {label}: {name}/{child} is not-yet-defined; Hamkor's copy "
                                "defines it",
    "ewp.warn.not_approvable": "iia {label}: not valid for approval (not-yet-defined elements or a "
                               "v6-value)",
    "ewp.warn.hash_differs": "iia {label}: Hamkor's copy of these conditions will not hash the "
                             "same conditions text (values written in a form Hamkor normalises, "
                             "or elements Hamkor does not keep)",
    "ewp.warn.in_effect": "{ref}: the partner says the IIA is in effect, here it is {state}",
    # (the web's words name no state: a code, not the reader's word for it)
    "ewp.take.frozen": "{ref}: cannot take the partner's conditions in state {state}: the "
                       "approved text is out for signature; amend it once signed",
    "ewp.take.closed": "{ref}: cannot take the partner's conditions in state {state}: the "
                       "agreement is closed",
    # What an admin should know about reminders (the dashboard; the CLI says it with commands).
    "health.backlog": "{count} message(s) waiting for more than an hour",
    "health.backlog_since": "{count} message(s) waiting for more than an hour (oldest queued "
                            "{oldest} UTC)",
    "health.dead": "{count} dead message(s): retry them from the outbox (status dead)",
    "health.tick": "the daily tick has not run for {today} (last completed: {last})",
    "health.tick_never": "the daily tick has not run for {today} (it has never completed)",
    "auth.failed": "wrong email or password",
    "file.too_large": "the file is larger than the limit of {mb} MB (HAMKOR_MAX_UPLOAD_MB)",
    "ewp.file_size": "{source}: the file has {size:,} bytes; at most {most:,} are read (see README "
                     "\"Limits and safety\")",
    "ewp.xml_size": "the file has {size:,} bytes; at most {most:,} are read (see README \"Limits "
                    "and safety\")",
    "ewp.xml": "not well-formed XML: {detail}",
    "ewp.root": "not {what}: the root element is {tag!r}",
    "ewp.depth": "elements nested deeper than {most} levels (inside <{tag}>; see README \"Limits "
                 "and safety\")",
    "ewp.approval_id": "approval {n}: iia-id {iia_id!r} is missing or not an identifier",
    "ewp.approval_hash": "approval {n} (iia-id {iia_id}): iia-hash {iia_hash!r} is not 64 "
                         "lower-case hex digits",
    "ewp.no_hei_id": "HAMKOR_INSTITUTION_HEI_ID is not set: EWP needs the home institution's "
                     "hei-id (its SCHAC code, e.g. ttpu.uz)",
    "ewp.home_hei_id": "the home institution {name} has hei-id {hei_id} but "
                       "HAMKOR_INSTITUTION_HEI_ID is {configured}",
    "ewp.no_copy": "{ref}: there is no partner copy to approve; import the partner's IIA first",
    "ewp.copy_invalid": "{ref}: the partner's copy (iia-hash {iia_hash}) is not valid for "
                        "approval: it has not-yet-defined elements or v6 values",
    "ewp.not_approved": "{ref}: we have not approved the partner's copy (approve it first)",
    "ewp.no_partner_iia_id": "{ref}: the partner's iia-id is not known",
    "ewp.unknown_iia_ids": "unknown iia-id {ids}: no agreement here has it; nothing recorded",
    "ewp.hash_mismatch": "the declared iia-hash does not match the conditions for iia-id {ids}: "
                         "the whole file is refused",
    "ewp.not_ours": "iia {label}: neither partner is {hei_id} (HAMKOR_INSTITUTION_HEI_ID); this "
                    "IIA is not ours",
    "ewp.in_iia": "iia {label}: {why}",
    "ewp.partner_no_id": "iia {label}: the partner {hei_id} gives no iia-id of its own",
    "ewp.twice": "iia {label}: {hei_id} iia-id {iia_id} appears twice in the file",
    "ewp.mapped_many": "iia {label}: {refs} are all mapped to {hei_id} iia-id {iia_id}",
    "ewp.our_id": "iia {label}: the file gives our iia-id as {ours}, but {ref} (mapped to "
                  "{hei_id} iia-id {iia_id}) has iia-id {theirs}",
    "ewp.mapped_other": "iia {label}: {ref} is mapped to {hei_id} iia-id {mapped}, the file says "
                        "{iia_id}",
    "ewp.other_parties": "iia {label}: {ref} is not an agreement between {home} and {partner} "
                         "alone",
}
