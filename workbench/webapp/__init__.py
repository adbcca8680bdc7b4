"""``workbench serve``: the team's web app (ad studio, leaderboard, curation dashboard).

The annotation UI stays in the labeling tool; this app is for marketers (write a brief, get
candidate ads grounded in the channel's past ads, pick the best) and analysts (the latest
leaderboard, labeling and curation progress).

Modules
-------
``store``
    The SQLite database under ``DIR/webapp/``: accounts, sessions, login attempts, briefs,
    generations, picks.
``passwords``
    Argon2id hashing.
``accounts``
    ``workbench users add/ls/remove/passwd``.
``security``
    Sessions, CSRF tokens, the login throttle, response headers.
``studio``
    Briefs and generations as a company sees them.
``leaderboard`` / ``dashboard``
    What the analyst pages show, read from the stage folders.
``app``
    The FastAPI application and its routes.
"""
