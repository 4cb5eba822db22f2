"""Enrich stage: language, tags (NER + known aliases + salience) and category."""
