"""Article search: the query syntax readers type, parsed into a record the store runs."""
