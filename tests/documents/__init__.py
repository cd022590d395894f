"""Documents and files of an agreement (issue 20)."""
