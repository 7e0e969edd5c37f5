"""The petitions part of the Tetouan demo (organic law 113-14, arts. 121-125).

* A residents' petition collecting signatures (the demo resident is its author and agent), signed
  by the first 87 demo residents — Tetouan needs 200.
* Three petitions of the demo associations, filed in their own name (no signatures): one the
  bureau declared admissible (on the next ordinary session's agenda), one refused with its
  reasons, and one still waiting, past its three-month deadline (flagged on the bureau's list).

Everything goes through services.petitions (rules, receipts, audit log, notifications); dates are
relative to today, so the deadlines always look the same. Stored text is what residents and
associations would write (Arabic and French): data, not interface text. Deterministic.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from extensions import db
from models import Association, Commune, Membership, Role, User
from services import petitions, phases

DEMO_DOMAIN = "demo.tasharuk.ma"
SIGNATURES = 87

RESIDENTS_PETITION = petitions.PetitionInput(
    title="إحداث ممر آمن للراجلين أمام مدرسة سيدي طلحة",
    request="نطلب من المجلس إدراج نقطة في جدول أعماله حول تهيئة ممر آمن للراجلين وتثبيت إشارات ضوئية أمام "
            "المدرسة الابتدائية بحي سيدي طلحة.",
    reasons="يعبر مئات الأطفال كل صباح طريقا سريعا دون إشارات ضوئية أو ممر محمي، وقد سجلت عدة حوادث خلال "
            "السنة الماضية. تهيئة الطرق والإشارات من اختصاصات الجماعة.",
    competence="own", field="education")

ASSOCIATION_PETITIONS = [
    # (association receipt number, input, outcome, days since filing)
    ("TET-2016-0311", petitions.PetitionInput(
        title="Un plan communal de compostage des déchets verts",
        request="Nous demandons au conseil d'inscrire à son ordre du jour la création de plateformes de "
                "compostage des déchets verts des jardins publics et des marchés.",
        reasons="Les déchets verts partent aujourd'hui en décharge. Le compostage réduirait les coûts de collecte "
                "et fournirait un amendement gratuit aux espaces verts de la commune.",
        competence="own", field="environment"), "admissible", 40),
    ("TET-2016-0311", petitions.PetitionInput(
        title="Interdire les sacs plastiques sur les marchés de la commune",
        request="Nous demandons au conseil d'inscrire à son ordre du jour l'interdiction des sacs plastiques "
                "sur les marchés communaux.",
        reasons="Les sacs plastiques bouchent les canalisations de la médina lors des pluies d'hiver.",
        competence="own", field="environment"), "refused", 70),
    ("TET-2019-0520", petitions.PetitionInput(
        title="ولوجيات مقر الجماعة والملحقات الإدارية",
        request="نطلب من المجلس إدراج نقطة حول تهيئة ولوجيات مقر الجماعة وملحقاتها الإدارية للأشخاص في وضعية "
                "إعاقة في جدول أعماله.",
        reasons="ما زالت عدة ملحقات إدارية دون منحدرات أو مصاعد، مما يحرم الأشخاص في وضعية إعاقة من الولوج "
                "إلى الخدمات الإدارية.",
        competence="own", field="disability"), "waiting", 100),
]

REFUSAL = ("La réglementation des emballages plastiques relève de la loi nationale 77-15 et non des "
           "compétences propres de la commune. Le bureau invite l'association à saisir les services "
           "de l'État compétents ; la commune soutiendra les campagnes de sensibilisation sur ses marchés.")
COMMITTEE = "لجنة المرافق العمومية والخدمات"


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def seed_petitions(commune: Commune) -> None:
    today = phases.today()
    author = _user("resident@" + DEMO_DOMAIN)
    bureau = _user("bureau@" + DEMO_DOMAIN) or _user("admin@" + DEMO_DOMAIN)
    representative = _user("association@" + DEMO_DOMAIN)

    petition = petitions.create_draft(author, commune, RESIDENTS_PETITION)
    petitions.open_for_signatures(author, petition, commune)
    signers = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.commune_id == commune.id, Membership.role == Role.RESIDENT)
        .order_by(User.id).limit(SIGNATURES))
    for signer in signers:
        petitions.sign(signer, petition.id, commune.id, declared=True)

    # Filed oldest first, so the receipt numbers follow the filing dates.
    for receipt, data, outcome, days in sorted(ASSOCIATION_PETITIONS, key=lambda item: -item[3]):
        association = db.session.scalar(select(Association).where(
            Association.commune_id == commune.id, Association.receipt_number == receipt))
        data = petitions.PetitionInput(**{**data.__dict__, "association_id": association.id})
        filed = petitions.create_draft(representative, commune, data)
        petitions.file(representative, filed.id, commune, today=today - timedelta(days=days))
        if outcome == "admissible":
            petitions.decide_admissible(bureau, filed.id, commune.id, COMMITTEE, today=today - timedelta(days=10))
        elif outcome == "refused":
            petitions.decide_refused(bureau, filed.id, commune.id, ground="outside_competence", reasons=REFUSAL,
                                     today=today - timedelta(days=20))
    db.session.flush()
