"""Pure readers of a complaint's words: phones, order numbers, demands, language, quotes.

They take text and give fields; nothing here touches the database or a mail server,
so intake, scanned letters and the resolution workflow can all use them.
"""
