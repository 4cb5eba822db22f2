"""Who is speaking: facts about outlets (country, languages, ownership, whether the outlet
is state-affiliated) bundled with tagwire in ``facts.json``, found by an outlet's domain or
name (``facts``), and the checks of the facts users give (``checks``)."""
