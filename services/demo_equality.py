"""The equality body's part of the Tetouan demo: the committee's observer (فاطمة الزهراء العلمي) is
also a member of the IEECAG; the committee responds to the body's opinion on the adopted version 1
(recorded by services.demo_programme); the member publishes an opinion on a project and a thematic
opinion on the commune's accessibility plan.

Called by services.demo.seed_tetouan after the committee and programme are seeded. Everything goes
through services.equality (rules, audit log, the author's notification). Stored text is what the
body and the committee would write — French and Arabic; it is data, not interface text.
Deterministic: no randomness, projects chosen by their markers and codes.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import Commune, EqualityOpinion, Membership, Plan, Project, ProgrammeVersion, Role, User
from services import equality, phases

DEMO_DOMAIN = "demo.tasharuk.ma"

RESPONSE = (
    "Le comité remercie l'instance pour son avis. Les recommandations sur l'accessibilité des équipements "
    "sont reprises dans les cahiers des charges des projets concernés, et les indicateurs des projets "
    "retenus seront désormais ventilés par sexe et par situation de handicap dans les rapports de suivi.\n\n"
    "تشكر اللجنة الهيئة على رأيها. وقد تم إدراج التوصيات المتعلقة بولوجيات المرافق في دفاتر التحملات "
    "الخاصة بالمشاريع المعنية، وستُفصَّل مؤشرات المشاريع حسب الجنس ووضعية الإعاقة في تقارير التتبع."
)

PROJECT_TITLE = "Avis sur le projet {code} : accessibilité et sécurité des femmes"
PROJECT_BODY = (
    "L'instance a examiné la fiche du projet {code}. Elle salue la prise en compte des personnes à mobilité "
    "réduite mais relève que l'éclairage et les cheminements ne font l'objet d'aucun indicateur de sécurité "
    "pour les femmes et les filles. Elle demande que les bénéficiaires soient estimés par sexe et que les "
    "associations du quartier soient consultées avant le lancement des études.\n\n"
    "درست الهيئة بطاقة المشروع {code}، وتنوه بمراعاة الأشخاص ذوي الحركة المحدودة، غير أنها تلاحظ غياب أي "
    "مؤشر يتعلق بأمن النساء والفتيات في الإنارة والممرات."
)
PROJECT_RECOMMENDATIONS = (
    "1. Ajouter un indicateur de fréquentation par sexe.\n"
    "2. Prévoir des rampes et des bandes podotactiles à chaque accès.\n"
    "3. Associer les associations de femmes du quartier au suivi."
)

THEME_PLAN_TITLE = "المخطط الجماعي للولوجيات 2024"
THEME_TITLE = "رأي الهيئة في المخطط الجماعي للولوجيات"
THEME_BODY = (
    "تسجل هيئة المساواة وتكافؤ الفرص ومقاربة النوع بإيجابية إعداد الجماعة لمخططها للولوجيات، وتؤكد أن "
    "الولوجيات شرط أساسي لمشاركة الأشخاص في وضعية إعاقة في الحياة العامة. وتلاحظ الهيئة أن المخطط يركز على "
    "المباني الإدارية ويغفل الأسواق والحدائق ومحطات الحافلات، كما أنه لا يحدد جدولا زمنيا ولا ميزانية لكل "
    "عملية.\n\n"
    "L'instance salue le plan communal d'accessibilité mais regrette qu'il se limite aux bâtiments "
    "administratifs et ne fixe ni calendrier ni budget par opération."
)
THEME_RECOMMENDATIONS = (
    "توسيع المخطط ليشمل الأسواق والحدائق ومحطات النقل؛ تحديد جدول زمني وميزانية لكل عملية؛ إشراك جمعيات "
    "الأشخاص في وضعية إعاقة في التتبع."
)


def _user(local: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}"))


def _project(plan: Plan) -> Project | None:
    """The project the body looks at: the most accessibility-marked one, then by code."""
    return db.session.scalars(
        select(Project).where(Project.plan_id == plan.id)
        .order_by(Project.marker_accessibility.desc(), Project.marker_gender.desc(), Project.code)).first()


def seed_equality(commune: Commune, plan: Plan) -> dict:
    """Returns what was made: the ids of the opinions published and of the opinion responded to."""
    member, chair = _user("observer"), _user("committee")
    if member is None or chair is None:
        return {}
    if Role.EQUALITY not in member.roles_in(commune.id):
        db.session.add(Membership(user_id=member.id, commune_id=commune.id, role=Role.EQUALITY))
        db.session.flush()
        db.session.refresh(member, ["memberships"])
    made: dict = {}
    # The committee responds to the body's opinion on version 1 (adopted), recorded by the demo programme.
    opinion = db.session.scalar(
        select(EqualityOpinion).join(ProgrammeVersion, ProgrammeVersion.id == EqualityOpinion.version_id)
        .where(ProgrammeVersion.plan_id == plan.id).order_by(EqualityOpinion.id))
    if opinion is not None and not opinion.responded:
        equality.respond(commune, opinion, RESPONSE, chair)
        made["responded"] = opinion.id
    today = phases.today()
    project = _project(plan)
    if project is not None:
        made["project_opinion"] = equality.publish(commune, equality.OpinionInput(
            subject_kind="project", project_id=project.id, title=PROJECT_TITLE.format(code=project.code),
            body=PROJECT_BODY.format(code=project.code), recommendations=PROJECT_RECOMMENDATIONS),
            member, today=today - timedelta(days=20)).id
    made["theme_opinion"] = equality.publish(commune, equality.OpinionInput(
        subject_kind="theme", theme="disability", plan_title=THEME_PLAN_TITLE, title=THEME_TITLE, body=THEME_BODY,
        recommendations=THEME_RECOMMENDATIONS), member, today=today - timedelta(days=10)).id
    db.session.flush()
    return made
