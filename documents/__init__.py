"""Documents and files of an agreement: content-addressed storage, attachments,
agreement documents generated from Word templates, and export bundles."""
