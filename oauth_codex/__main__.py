"""``python -m oauth_codex`` runs the CLI."""

from .cli import main

raise SystemExit(main())
