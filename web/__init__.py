"""The web interface (`hamkor serve`): server-rendered pages and a JSON API over the same services."""
