"""The `hamkor` command: the composition root that builds engines and sessions."""
