"""Every blueprint of the product, in one list."""
from __future__ import annotations


def all_blueprints():
    from blueprints.admin.routes import bp as admin
    from blueprints.associations.routes import bp as associations
    from blueprints.auth.routes import bp as auth
    from blueprints.ideas.routes import bp as ideas
    from blueprints.main.routes import bp as main
    from blueprints.me.routes import bp as me
    from blueprints.moderation.routes import bp as moderation

    return [main, auth, ideas, me, moderation, admin, associations]
