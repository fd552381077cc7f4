"""The rareflow service: API (`app.create_app`), job workers (`jobs`) and dashboard (`pages`).

Started by `rareflow serve` (see `commands.serve`); nothing is imported here so that
`python -m rareflow.web.jobs` starts a worker without loading the web application.
"""
