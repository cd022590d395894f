"""Erasmus Without Paper (EWP) support for Hamkor.

Pure (no database, no clock):

* :mod:`ewp.iia_hash` - the IIAs API v7 ``iia-hash``, computed exactly like the
  official ``transform_version_7.xsl``, in pure Python (stdlib only).
* :mod:`ewp.model` - an IIA as immutable data, and its text-to-hash built from it.
* :mod:`ewp.writer` / :mod:`ewp.reader` - IIAs v7 get responses and IIAs
  Approval v2 responses, written from and read into that data.
* :mod:`ewp.rules` - valid condition values and academic years;
  :mod:`ewp.isced` - the ISCED-F 2013 detailed fields.
* :mod:`ewp.schema` - offline XSD validation (needs ``xmlschema``; the tests use it).

Services (a unit of work in, one commit):

* :mod:`ewp.identity` - the home institution's hei-id, partners' hei-ids, IIA ids.
* :mod:`ewp.store` - stored conditions and agreements as IIAs.
* :mod:`ewp.conditions` - cooperation conditions; mobility places for reports.
* :mod:`ewp.exchange` - export and import of get responses.
* :mod:`ewp.approvals` - approvals by hash and their status.
* :mod:`ewp.demo` - the demo's conditions and a simulated exchange with the partner.

Nothing is re-exported here on purpose: ``ewp.iia_hash`` is the module, and
its function of the same name is ``ewp.iia_hash.iia_hash``.
"""
