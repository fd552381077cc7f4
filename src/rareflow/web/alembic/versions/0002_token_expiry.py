"""Index API tokens by creation time: expired tokens are deleted by it on every sign-in.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_api_tokens_created", "api_tokens", ["created"])


def downgrade() -> None:
    op.drop_index("ix_api_tokens_created", table_name="api_tokens")
