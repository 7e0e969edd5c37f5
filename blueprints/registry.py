"""Every blueprint of the product, in one list."""
from __future__ import annotations


def all_blueprints():
    from blueprints.admin.routes import bp as admin
    from blueprints.associations.routes import bp as associations
    from blueprints.committee.routes import bp as committee
    from blueprints.equality.routes import bp as equality
    from blueprints.execution.routes import bp as execution
    from blueprints.auth.routes import bp as auth
    from blueprints.ideas.routes import bp as ideas
    from blueprints.main.routes import bp as main
    from blueprints.me.routes import bp as me
    from blueprints.moderation.routes import bp as moderation
    from blueprints.opendata.routes import bp as opendata
    from blueprints.pbrules.routes import bp as pbrules
    from blueprints.petitions.routes import bp as petitions
    from blueprints.privacy.routes import bp as privacy
    from blueprints.programme.routes import bp as programme
    from blueprints.programme_public.routes import bp as programme_public
    from blueprints.projects.routes import bp as projects
    from blueprints.ranking.routes import bp as ranking
    from blueprints.rounds.routes import bp as rounds

    return [main, auth, ideas, me, moderation, admin, associations, committee, projects, rounds, ranking,
            execution, pbrules, programme, programme_public, opendata, petitions,
            equality, privacy]
