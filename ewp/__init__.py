"""Erasmus Without Paper (EWP) support for Hamkor.

* :mod:`ewp.iia_hash` - the IIAs API v7 ``iia-hash``, computed exactly like the
  official ``transform_version_7.xsl``, in pure Python (stdlib only).
* :mod:`ewp.schema` - offline XSD validation of IIAs v7 get responses and
  IIAs Approval v2 responses (needs ``xmlschema``).

Nothing is re-exported here on purpose: ``ewp.iia_hash`` is the module, and
its function of the same name is ``ewp.iia_hash.iia_hash``.
"""
