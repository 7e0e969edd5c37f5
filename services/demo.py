"""The Tetouan demonstration: commune, PAC 2023–2028, axes, neighbourhoods (DOMAIN.md §7),
one account per role, associations, and a few hundred ideas with supports and comments.

Deterministic for a given seed. Residents' text stays in the language it was written in.
"""
from __future__ import annotations

import os
import random
from datetime import date, timedelta

from sqlalchemy import select

from extensions import db
from models import (
    Association,
    AssociationRepresentative,
    AssociationSupport,
    Axis,
    Comment,
    Commune,
    Idea,
    IdeaStatus,
    Membership,
    Neighbourhood,
    Phase,
    Plan,
    Role,
    Support,
    User,
)
from models._base import utcnow
from services import accounts, phases
from services.text import normalize

DEMO_DOMAIN = "demo.tasharuk.ma"

AXES = [
    ("النظافة وتدبير النفايات", "Propreté et gestion des déchets", "ⵜⴰⵣⴷⴷⴰⴳⵜ ⴷ ⵓⵙⵡⵓⴷⴷⵓ ⵏ ⵉⵣⴱⵍⴰⵏ"),
    ("النقل الحضري والتنقل", "Transport urbain et mobilité", "ⴰⵙⵎⵓⵜⵜⵉ ⴰⵖⵔⵎⴰⵏ ⴷ ⵜⵎⵓⵙⵙⵓⵜ"),
    ("الإنارة العمومية", "Éclairage public", "ⴰⵙⵏⴼⴰⵡ ⴰⵎⴰⵜⴰⵢ"),
    ("المساحات الخضراء والبيئة", "Espaces verts et environnement", "ⵉⵙⵓⵔⴰ ⵉⵣⴳⵣⴰⵡⵏ ⴷ ⵜⵡⵏⵏⴰⴹⵜ"),
    ("الأسواق والقطب الغذائي", "Marchés et pôle alimentaire", "ⵜⵉⵙⵓⵇⵉⵏ ⴷ ⵓⵙⵏⵓⵍⴼⵓ ⵏ ⵜⵔⵎⵜ"),
    ("الخدمات الإدارية", "Services administratifs", "ⵜⵉⵏⴰⴼⵓⵜⵉⵏ ⵜⵉⵏⴱⴱⴰⴹⵉⵏ"),
    ("المساواة والنوع الاجتماعي", "Égalité et approche genre", "ⵜⴰⵏⵎⵏⴰⵍⴰⵙⵜ ⴷ ⵓⵎⵓⵏⵏⵓ ⵏ ⵓⵏⴰⵡ"),
    ("الولوجيات والأشخاص في وضعية إعاقة", "Accessibilité et handicap", "ⴰⵏⴽⵛⴰⵎ ⴷ ⵉⵎⴷⴷⵓⴽⴰⵍ ⵏ ⵜⵓⵏⵖⵉⴼⵉⵏ"),
    ("التراث والثقافة", "Patrimoine et culture", "ⴰⴽⴰⵙⴰⵙ ⴷ ⵜⴷⵍⵙⴰ"),
    ("الحق في الحصول على المعلومات", "Droit d'accès à l'information", "ⴰⵣⵔⴼ ⴳ ⵓⴼⴰⴷ ⵖⵔ ⵉⵙⴰⵍⵍⵏ"),
]

# (Arabic, French, Tifinagh transliteration)
NEIGHBOURHOODS = [
    ("المدينة العتيقة - البلد", "Médina - Blad", "ⵍⵎⴷⵉⵏⴰ - ⴱⵍⴰⴷ"),
    ("المدينة العتيقة - الطلعة", "Médina - Tala'a", "ⵍⵎⴷⵉⵏⴰ - ⵟⴰⵍⵄⴰ"),
    ("المدينة العتيقة - العيون", "Médina - Laayoune", "ⵍⵎⴷⵉⵏⴰ - ⵍⵄⵢⵓⵏ"),
    ("المدينة العتيقة - الترانكات", "Médina - Trankat", "ⵍⵎⴷⵉⵏⴰ - ⵜⵔⴰⵏⴽⴰⵜ"),
    ("المدينة العتيقة - ربض السفلي", "Médina - Rbat Asfal", "ⵍⵎⴷⵉⵏⴰ - ⵔⴱⴰⴹ ⴰⵙⴼⴰⵍ"),
    ("المدينة العتيقة - المصلى القديمة", "Médina - Msalla Qdima", "ⵍⵎⴷⵉⵏⴰ - ⵎⵚⴰⵍⵍⴰ ⵇⴷⵉⵎⴰ"),
    ("المدينة العتيقة - الملاح", "Médina - Mellah", "ⵍⵎⴷⵉⵏⴰ - ⵎⵍⵍⴰⵃ"),
    ("الإنسانشي", "Ensanche", "ⵍⴰⵏⵙⴰⵏⵛⵉ"),
    ("سيدي طلحة", "Sidi Talha", "ⵙⵉⴷⵉ ⵟⴰⵍⵃⴰ"),
    ("سانية الرمل", "Sania Rmel", "ⵙⴰⵏⵢⴰ ⵔⵎⵍ"),
    ("ظهر المحنش", "Dhar Mhannech", "ⴹⵀⵔ ⵎⵃⴰⵏⵏⵛ"),
    ("الطوابل", "Touabel", "ⵟⵡⴰⴱⵍ"),
    ("بوجراح", "Boujarrah", "ⴱⵓⵊⵔⵔⴰⵃ"),
    ("دار المرسية", "Dar Mersia", "ⴷⴰⵔ ⵎⵔⵙⵢⴰ"),
    ("بوسافو", "Boussafou", "ⴱⵓⵙⴰⴼⵓ"),
    ("واد الشجرة", "Oued Chejra", "ⵡⴰⴷ ⵛⵊⵔⴰ"),
    ("الطبولة", "Taboula", "ⵟⴱⵓⵍⴰ"),
    ("جامع مزواق", "Jamaa Mezouak", "ⵊⴰⵎⵄ ⵎⵣⵡⴰⵇ"),
    ("جبل درسة", "Jbel Dersa", "ⴰⴷⵔⴰⵔ ⵏ ⴷⵔⵙⴰ"),
    ("الباريو", "Barrio", "ⴱⴰⵔⵢⵓ"),
    ("النقاطة", "Nakatta", "ⵏⵇⴰⵟⵟⴰ"),
]

# Idea templates per axis: (Arabic title, Arabic description, French title, French description)
IDEA_TEMPLATES = [
    ("إضافة حاويات للنفايات في {n}", "الحاويات الحالية غير كافية وتمتلئ بسرعة، مما يؤدي إلى تراكم الأزبال في الأزقة. نقترح إضافة حاويات مغلقة وتنظيم جمع ليلي.",
     "Plus de conteneurs à déchets à {n}", "Les conteneurs actuels débordent vite et les déchets s'accumulent dans les ruelles. Nous proposons des conteneurs fermés et une collecte de nuit."),
    ("خط حافلات يربط {n} بوسط المدينة", "يضطر السكان إلى المشي طويلا للوصول إلى أقرب محطة. خط مباشر سيسهل التنقل للطلبة والعمال والمسنين.",
     "Une ligne de bus entre {n} et le centre-ville", "Les habitants marchent longtemps jusqu'à l'arrêt le plus proche. Une ligne directe aiderait les étudiants, les travailleurs et les personnes âgées."),
    ("تحسين الإنارة العمومية في أزقة {n}", "بعض الأزقة مظلمة ليلا مما يسبب شعورا بعدم الأمان خاصة للنساء. نقترح مصابيح اقتصادية بالطاقة الشمسية.",
     "Améliorer l'éclairage des ruelles de {n}", "Certaines ruelles sont sombres la nuit, ce qui crée un sentiment d'insécurité, surtout pour les femmes. Nous proposons des lampadaires solaires économes."),
    ("إحداث حديقة للقرب في {n}", "لا توجد مساحة خضراء قريبة للأطفال والعائلات. نقترح تهيئة الأرض غير المستغلة إلى حديقة بأشجار ومقاعد وألعاب.",
     "Créer un jardin de proximité à {n}", "Il n'y a pas d'espace vert proche pour les enfants et les familles. Nous proposons d'aménager le terrain vague en jardin avec arbres, bancs et jeux."),
    ("تأهيل السوق البلدي في {n}", "السوق يحتاج إلى تهيئة: أرضية، إنارة، مرافق صحية ونظام لتصريف المياه، لتحسين ظروف التجار والزبناء.",
     "Réhabiliter le marché municipal de {n}", "Le marché a besoin d'un sol refait, d'éclairage, de sanitaires et d'évacuation des eaux pour les commerçants et les clients."),
    ("ملحقة إدارية رقمية في {n}", "استخراج الوثائق الإدارية يتطلب التنقل والانتظار. نقترح شباكا رقميا قريبا مع مواعيد عبر الهاتف.",
     "Une annexe administrative numérique à {n}", "Obtenir un document administratif demande de se déplacer et d'attendre. Nous proposons un guichet numérique proche avec rendez-vous par téléphone."),
    ("فضاء للنساء والشباب في {n}", "نقترح فضاء متعدد الخدمات للتكوين والإرشاد ودعم المبادرات النسائية والشبابية.",
     "Un espace femmes et jeunes à {n}", "Nous proposons un espace multiservices pour la formation, l'orientation et l'appui aux initiatives des femmes et des jeunes."),
    ("ولوجيات للأشخاص في وضعية إعاقة في {n}", "الأرصفة مرتفعة ولا توجد منحدرات. نقترح منحدرات وممرات آمنة وإشارات صوتية عند ممرات الراجلين.",
     "Rendre {n} accessible aux personnes handicapées", "Les trottoirs sont hauts et sans rampes. Nous proposons des rampes, des cheminements sûrs et des feux sonores aux passages piétons."),
    ("ترميم واجهات المدينة العتيقة قرب {n}", "الواجهات التاريخية تتدهور. نقترح برنامج ترميم بالتعاون مع الحرفيين المحليين للحفاظ على التراث المصنف.",
     "Restaurer les façades historiques près de {n}", "Les façades historiques se dégradent. Nous proposons un programme de restauration avec les artisans locaux pour préserver le patrimoine classé."),
    ("نشر ميزانية الجماعة بشكل مبسط لسكان {n}", "نقترح لوحات معلومات وصفحات مبسطة تشرح مشاريع الجماعة وميزانيتها وتقدم الأشغال في كل حي.",
     "Publier simplement le budget communal pour {n}", "Nous proposons des panneaux et des pages simples qui expliquent les projets, le budget et l'avancement des travaux dans chaque quartier."),
]

COMMENTS_AR = [
    ("for", "فكرة ممتازة، نحن في الحي نعاني من هذا المشكل منذ سنوات."),
    ("for", "أوافق، ويجب إشراك السكان في التتبع."),
    ("neutral", "هل توجد دراسة للتكلفة؟ يجب التأكد من الصيانة بعد الإنجاز."),
    ("against", "أظن أن هناك أولويات أخرى أكثر استعجالا في الحي."),
]
COMMENTS_FR = [
    ("for", "Très bonne idée, c'est un vrai besoin dans le quartier."),
    ("neutral", "Qui assurera l'entretien une fois le projet réalisé ?"),
    ("against", "Le coût me paraît élevé pour le nombre de bénéficiaires."),
]


def demo_password() -> str:
    return os.environ.get("DEMO_PASSWORD", "plan-2023-2028-demo")


ROLE_ACCOUNTS = [
    ("resident", "resident@" + DEMO_DOMAIN, "سلمى الإدريسي", (Role.RESIDENT,)),
    ("resident (phone)", "0612345678", "Youssef Benali", (Role.RESIDENT,)),
    ("association representative", "association@" + DEMO_DOMAIN, "Nadia Amrani", (Role.RESIDENT, Role.ASSOCIATION)),
    ("moderator", "moderator@" + DEMO_DOMAIN, "كريم الموذن", (Role.RESIDENT, Role.MODERATOR)),
    ("committee chair", "committee@" + DEMO_DOMAIN, "Leila Haddad", (Role.COMMITTEE,)),
    ("committee member (UNDP)", "undp@" + DEMO_DOMAIN, "Karim Benjelloun (PNUD)", (Role.COMMITTEE,)),
    ("committee member (commune 2)", "commune2@" + DEMO_DOMAIN, "سعاد الخمليشي", (Role.COMMITTEE,)),
    ("committee member (commune 3)", "commune3@" + DEMO_DOMAIN, "Hamid Ouazzani", (Role.COMMITTEE,)),
    ("committee observer (IEECAG)", "observer@" + DEMO_DOMAIN, "فاطمة الزهراء العلمي", (Role.COMMITTEE,)),
    ("commune admin", "admin@" + DEMO_DOMAIN, "مدير المنصة", (Role.ADMIN,)),
    ("council bureau (petitions)", "bureau@" + DEMO_DOMAIN, "مكتب المجلس الجماعي", (Role.BUREAU,)),
]


def demo_phases(today: date) -> list[tuple[str, date, date]]:
    """Collection still open while support runs, as in the demo campaign."""
    d = lambda n: today + timedelta(days=n)  # noqa: E731
    return [
        ("collection", d(-90), d(30)),
        ("support", d(-30), d(45)),
        ("assessment", d(46), d(100)),
        ("drafting", d(101), d(150)),
        ("adoption", d(151), d(180)),
        ("execution", d(181), date(2028, 12, 31)),
    ]


def create_commune(slug: str = "tetouan", today: date | None = None) -> tuple[Commune, Plan]:
    """The Tetouan commune with its plan, phases, axes and neighbourhoods."""
    commune = Commune(
        slug=slug,
        name_ar="جماعة تطوان",
        name_fr="Commune de Tétouan",
        name_zgh="ⵜⴰⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ",
        population=380787,
        has_arrondissements=False,
        cndp_reference="D-GC-000/2026 (démo)",
        contact_email="contact@" + DEMO_DOMAIN,
    )
    db.session.add(commune)
    db.session.flush()
    plan = Plan(
        commune_id=commune.id,
        title_ar="برنامج عمل جماعة تطوان 2023–2028",
        title_fr="Programme d'action de la commune de Tétouan 2023–2028",
        title_zgh="ⴰⵖⴰⵡⴰⵙ ⵏ ⵜⵉⴳⴰⵡ ⵏ ⵜⴳⵎⵓⴹⴰ ⵏ ⵜⵉⵟⵟⴰⵡⵉⵏ 2023–2028",
        start_year=2023,
        end_year=2028,
        support_limit=10,
    )
    db.session.add(plan)
    db.session.flush()
    for kind, start, end in demo_phases(today or phases.today()):
        db.session.add(Phase(plan_id=plan.id, kind=kind, starts_on=start, ends_on=end))
    for i, (ar, fr, zgh) in enumerate(AXES):
        db.session.add(Axis(commune_id=commune.id, position=i, name_ar=ar, name_fr=fr, name_zgh=zgh))
    for i, (ar, fr, zgh) in enumerate(NEIGHBOURHOODS):
        db.session.add(Neighbourhood(commune_id=commune.id, position=i, name_ar=ar, name_fr=fr, name_zgh=zgh))
    db.session.flush()
    return commune, plan


def seed_tetouan(n_ideas: int = 300, seed: int = 2023, n_residents: int = 150) -> list[tuple[str, str]]:
    """Create the demo if absent. Returns the (role, identifier) of the demo accounts created."""
    if db.session.scalar(select(Commune.id).where(Commune.slug == "tetouan")) is not None:
        return []
    rng = random.Random(seed)
    commune, plan = create_commune()
    axes = list(db.session.scalars(select(Axis).where(Axis.commune_id == commune.id).order_by(Axis.position)))
    hoods = list(
        db.session.scalars(select(Neighbourhood).where(Neighbourhood.commune_id == commune.id).order_by(Neighbourhood.position))
    )
    password_hash = accounts.hash_password(demo_password())  # one hash for every demo account

    created: list[tuple[str, str]] = []
    people: dict[str, User] = {}
    for label, identifier, name, roles in ROLE_ACCOUNTS:
        kind, value = accounts.parse_identifier(identifier)
        user = User(display_name=name, password_hash=password_hash, consented_at=utcnow(), **{kind: value})
        db.session.add(user)
        db.session.flush()
        for role in roles:
            db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=role))
        people[label] = user
        created.append((label, identifier))

    associations = [
        Association(commune_id=commune.id, name="جمعية أصدقاء المدينة العتيقة", receipt_number="TET-2012-0147",
                    founded_on=date(2012, 3, 14), presence="seat", address="درب الجامع، المدينة العتيقة، تطوان",
                    field="heritage", contact_email="medina@" + DEMO_DOMAIN),
        Association(commune_id=commune.id, name="Association Tétouan Environnement", receipt_number="TET-2016-0311",
                    founded_on=date(2016, 6, 2), presence="seat", address="Avenue Mohammed V, Tétouan",
                    field="environment", contact_email="env@" + DEMO_DOMAIN),
        Association(commune_id=commune.id, name="جمعية النور للأشخاص في وضعية إعاقة", receipt_number="TET-2019-0520",
                    founded_on=date(2019, 11, 20), presence="branch", address="حي سيدي طلحة، تطوان",
                    field="disability", contact_phone="+212539000000"),
    ]
    admin = people["commune admin"]
    for association in associations:
        association.verified_at = utcnow()
        association.verified_by_id = admin.id
        db.session.add(association)
    db.session.flush()
    representative = people["association representative"]
    db.session.add(AssociationRepresentative(association_id=associations[1].id, user_id=representative.id))
    db.session.add(AssociationRepresentative(association_id=associations[2].id, user_id=representative.id))

    residents = [people["resident"], people["resident (phone)"], people["moderator"]]
    for i in range(n_residents):
        user = User(display_name=f"ساكن {i + 1}" if i % 2 == 0 else f"Habitant {i + 1}",
                    email=f"resident{i + 1}@{DEMO_DOMAIN}", password_hash=password_hash, consented_at=utcnow())
        db.session.add(user)
        residents.append(user)
    db.session.flush()
    for user in residents[3:]:
        db.session.add(Membership(user_id=user.id, commune_id=commune.id, role=Role.RESIDENT))

    now = utcnow()
    ideas: list[Idea] = []
    for i in range(n_ideas):
        t = rng.randrange(len(IDEA_TEMPLATES))
        hood = rng.choice(hoods)
        arabic = rng.random() < 0.6
        ar_title, ar_desc, fr_title, fr_desc = IDEA_TEMPLATES[t]
        title = (ar_title.format(n=hood.name_ar) if arabic else fr_title.format(n=hood.name_fr))[:150]
        description = ar_desc if arabic else fr_desc
        author = rng.choice(residents)
        submitted = now - timedelta(days=rng.randint(1, 80), minutes=rng.randint(0, 1440))
        status = IdeaStatus.ACCEPTED if rng.random() < 0.5 else IdeaStatus.SUBMITTED
        idea = Idea(
            commune_id=commune.id, plan_id=plan.id, author_id=author.id, title=title, description=description,
            axis_id=axes[t % len(axes)].id, neighbourhood_id=hood.id,
            estimated_cost=rng.choice([None, 50_000, 120_000, 300_000, 750_000, 2_000_000, 5_500_000]),
            status=status, submitted_at=submitted, created_at=submitted, updated_at=submitted,
            reviewed_at=submitted + timedelta(days=1) if status == IdeaStatus.ACCEPTED else None,
            reviewed_by_id=people["moderator"].id if status == IdeaStatus.ACCEPTED else None,
            search_text=normalize(f"{title} {description}"),
        )
        db.session.add(idea)
        ideas.append(idea)
    db.session.flush()

    # Supports with a long tail: a few ideas gather many, most gather a handful.
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(ideas))]
    order = ideas[:]
    rng.shuffle(order)
    limit = plan.support_limit or 10
    for user in residents[3:]:
        k = rng.randint(0, limit)
        chosen = {id(x): x for x in rng.choices(order, weights=weights, k=k)}.values()
        for idea in chosen:
            db.session.add(Support(idea_id=idea.id, user_id=user.id, plan_id=plan.id, created_at=idea.submitted_at))
            idea.support_count += 1
    for association in associations:
        for idea in rng.sample(ideas, k=min(12, len(ideas))):
            db.session.add(AssociationSupport(idea_id=idea.id, association_id=association.id, by_user_id=admin.id))
            idea.association_support_count += 1

    for idea in ideas:
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
            stance, body = rng.choice(COMMENTS_AR if rng.random() < 0.6 else COMMENTS_FR)
            as_association = rng.random() < 0.15
            comment = Comment(
                idea_id=idea.id, author_id=representative.id if as_association else rng.choice(residents).id,
                association_id=associations[1].id if as_association else None, stance=stance, body=body,
                created_at=idea.submitted_at + timedelta(hours=rng.randint(1, 200)),
            )
            db.session.add(comment)
            idea.comment_count += 1
            setattr(idea, f"comments_{stance}", getattr(idea, f"comments_{stance}") + 1)
    db.session.flush()
    # The committee: seats, criteria, projects from these ideas, a published and an open round.
    from services.demo_committee import seed_committee

    seed_committee(commune, plan, rng=rng)
    from services.personal_data import seed_demo as seed_privacy

    seed_privacy(commune)  # the commune's privacy settings (law 09-08)
    # The equality body (IEECAG): the committee's response to its opinion, an opinion on a project, a thematic one.
    from services.demo_equality import seed_equality

    seed_equality(commune, plan)
    # Petitions to the council: one collecting signatures, associations' petitions filed and decided.
    from services.demo_petitions import seed_petitions

    seed_petitions(commune)
    return created
