"""Text of the Tetouan committee demo (services.demo_committee): the plan's criteria with their
0–5 levels, and the table of projects the committee makes from the demo ideas.

Plain data, in Arabic, French and Standard Moroccan Amazigh (Tifinagh). Where no settled
Amazigh term was known, the Tifinagh text uses a plain descriptive phrase rather than a
transliteration of French. `{n}` in a project title is the name of the neighbourhood of the
ideas it was made from, in the same language.
"""
from __future__ import annotations

# --- criteria --------------------------------------------------------------------------------
# code, kind, weight, (name ar, fr, zgh), (description ar, fr, zgh), six levels 0–5 as (ar, fr, zgh)

CRITERIA = [
    {
        "code": "citizen-support",
        "kind": "support",
        "weight": 20.0,
        "name": ("الدعم المواطن", "Soutien citoyen", "ⴰⵙⵏⴰⴷ ⵏ ⵉⵎⵣⴷⴰⵖ"),
        "description": (
            "يُحتسب آليا ولا يُنقط: عدد السكان المختلفين الذين دعموا فكرة واحدة على الأقل من أفكار المشروع، "
            "مقارنة بالمشروع الأكثر دعما في الجولة (5 × الدعم ÷ أكبر عدد من الدعم).",
            "Calculé, jamais noté : le nombre d'habitants distincts ayant soutenu au moins une des idées "
            "du projet, rapporté au projet le plus soutenu du tour (5 × soutiens ÷ plus grand nombre de soutiens).",
            "ⵉⵜⵜⵓⵙⵙⵉⴹⵏ, ⵓⵔ ⵜ ⵜⵜⵏⵇⵇⴰⵣⵏ ⵉⵎⴷⵓⴽⴽⴰⵍ: ⵎⵏⵛⴽ ⵏ ⵉⵎⵣⴷⴰⵖ ⵉⵎⵣⴰⵔⴰⵢⵏ ⵉⵙⵏⴷⵏ ⵢⴰⵜ ⵜⵡⵏⴳⵉⵎⵜ ⵏ ⵓⵙⵏⴼⴰⵔ ⵖⴰⵙ, "
            "ⵖⵔ ⵓⵙⵏⴼⴰⵔ ⵍⵍⵉ ⵢⵓⴳⵔⵏ ⴳ ⵓⵙⵏⴰⴷ ⴳ ⵜⵣⵡⵉ ⴰⴷ.",
        ),
        "levels": [
            ("لا أحد دعم أفكار المشروع.",
             "Personne n'a soutenu les idées du projet.",
             "ⵓⵍⴰ ⵢⴰⵏ ⵓⵔ ⵉⵙⵏⴷ ⵜⵉⵡⵏⴳⵉⵎⵉⵏ ⵏ ⵓⵙⵏⴼⴰⵔ."),
            ("حوالي 20% من دعم المشروع الأكثر دعما.",
             "Environ 20 % des soutiens du projet le plus soutenu.",
             "ⵣⵓⵏⴷ 20% ⵏ ⵉⵙⵏⴰⴷⵏ ⵏ ⵓⵙⵏⴼⴰⵔ ⵍⵍⵉ ⵢⵓⴳⵔⵏ ⴳ ⵓⵙⵏⴰⴷ."),
            ("حوالي 40% من دعم المشروع الأكثر دعما.",
             "Environ 40 % des soutiens du projet le plus soutenu.",
             "ⵣⵓⵏⴷ 40% ⵏ ⵉⵙⵏⴰⴷⵏ ⵏ ⵓⵙⵏⴼⴰⵔ ⵍⵍⵉ ⵢⵓⴳⵔⵏ ⴳ ⵓⵙⵏⴰⴷ."),
            ("حوالي 60% من دعم المشروع الأكثر دعما.",
             "Environ 60 % des soutiens du projet le plus soutenu.",
             "ⵣⵓⵏⴷ 60% ⵏ ⵉⵙⵏⴰⴷⵏ ⵏ ⵓⵙⵏⴼⴰⵔ ⵍⵍⵉ ⵢⵓⴳⵔⵏ ⴳ ⵓⵙⵏⴰⴷ."),
            ("حوالي 80% من دعم المشروع الأكثر دعما.",
             "Environ 80 % des soutiens du projet le plus soutenu.",
             "ⵣⵓⵏⴷ 80% ⵏ ⵉⵙⵏⴰⴷⵏ ⵏ ⵓⵙⵏⴼⴰⵔ ⵍⵍⵉ ⵢⵓⴳⵔⵏ ⴳ ⵓⵙⵏⴰⴷ."),
            ("المشروع الأكثر دعما في الجولة.",
             "Le projet le plus soutenu du tour.",
             "ⴰⵙⵏⴼⴰⵔ ⵍⵍⵉ ⵢⵓⴳⵔⵏ ⴳ ⵓⵙⵏⴰⴷ ⴳ ⵜⵣⵡⵉ ⴰⴷ."),
        ],
    },
    {
        "code": "social-impact",
        "kind": "scored",
        "weight": 15.0,
        "name": ("الأثر الاجتماعي والمستفيدون", "Impact social et bénéficiaires",
                 "ⵎⴰ ⵉⵜⵜⴰⵡⵉ ⵓⵙⵏⴼⴰⵔ ⵉ ⵜⵎⵓⵏⵜ ⴷ ⵎⵉⴷⴷⵏ ⵖⴼ ⵉⵍⴽⵎ"),
        "description": (
            "عدد الأشخاص الذين يستفيدون من المشروع، وحجم التحسن في حياتهم اليومية ومدة استمراره.",
            "Combien de personnes le projet touche, à quel point il améliore leur vie quotidienne, et pour combien de temps.",
            "ⵎⵏⵛⴽ ⵏ ⵎⵉⴷⴷⵏ ⵖⴼ ⵉⵍⴽⵎ ⵓⵙⵏⴼⴰⵔ, ⵎⴰⵏⵉⴽ ⴰⵔ ⵉⵙⵙⴼⵓⴽⵍ ⵜⵓⴷⵔⵜ ⵏⵏⵙⵏ ⵏ ⴽⵓ ⴰⵙⵙ, ⴷ ⵎⴰⵏⵣⵓ ⵜⵉⵣⵉ ⴰⵔ ⵜⵜⵇⵇⵉⵎ.",
        ),
        "levels": [
            ("لا فائدة ظاهرة للسكان.",
             "Aucun bénéfice visible pour les habitants.",
             "ⵓⵔ ⵉⵍⵍⵉ ⵎⴰ ⵉⵜⵜⴰⵡⵉ ⵉ ⵢⵉⵎⵣⴷⴰⵖ."),
            ("يفيد بضع أسر أو زقاقا واحدا.",
             "Profite à quelques foyers ou à une seule rue.",
             "ⵉⵙⵙⵏⴼⴰⵄ ⴽⵔⴰ ⵏ ⵜⵉⴷⴷⴰⵔ ⵏⵖ ⵢⴰⵏ ⵓⵖⴰⵔⴰⵙ ⵖⴰⵙ."),
            ("يفيد جزءا من الحي (بضع مئات من الأشخاص).",
             "Profite à une partie du quartier (quelques centaines de personnes).",
             "ⵉⵙⵙⵏⴼⴰⵄ ⵢⴰⵏ ⵓⵃⵟⵟⵓ ⵏ ⵓⴳⵔⵓⵜ (ⴽⵔⴰ ⵏ ⵜⵉⵎⵉⴹ ⵏ ⵎⵉⴷⴷⵏ)."),
            ("يفيد حيا كاملا (بضعة آلاف من الأشخاص).",
             "Profite à tout un quartier (quelques milliers de personnes).",
             "ⵉⵙⵙⵏⴼⴰⵄ ⴰⴳⵔⵓⵜ ⴰⴽⴽⵯ (ⴽⵔⴰ ⵏ ⵉⴳⵉⵎⴰⵏ ⵏ ⵎⵉⴷⴷⵏ)."),
            ("يفيد عدة أحياء أو فئة هشة بشكل دائم.",
             "Profite durablement à plusieurs quartiers ou à un groupe vulnérable.",
             "ⵉⵙⵙⵏⴼⴰⵄ ⵓⴳⴳⴰⵔ ⵏ ⵢⴰⵏ ⵓⴳⵔⵓⵜ ⵏⵖ ⵎⵉⴷⴷⵏ ⵉⵣⵍⵏ, ⵙ ⵜⵖⴰⵔⴰ ⵉⵣⴷⵖⵏ."),
            ("يفيد جزءا كبيرا من المدينة، بمن فيهم الفئات الأكثر هشاشة، بشكل دائم.",
             "Profite durablement à une grande partie de la ville, les plus vulnérables compris.",
             "ⵉⵙⵙⵏⴼⴰⵄ ⴰⵃⵟⵟⵓ ⴰⵎⵇⵔⴰⵏ ⵏ ⵜⵎⴷⵉⵏⵜ, ⴷ ⵎⵉⴷⴷⵏ ⵉⵣⵍⵏ ⵙ ⵓⴳⴳⴰⵔ, ⵙ ⵜⵖⴰⵔⴰ ⵉⵣⴷⵖⵏ."),
        ],
    },
    {
        "code": "gender-inclusion",
        "kind": "scored",
        "weight": 12.0,
        "name": ("النوع الاجتماعي والإدماج", "Genre et inclusion", "ⴰⵏⴰⵡ ⴷ ⵓⵙⴽⵛⵎ ⵏ ⵎⴰⵕⵕⴰ"),
        "description": (
            "هل يقلص المشروع الفوارق بين النساء والرجال، وهل يراعي الأشخاص في وضعية إعاقة والشباب والمسنين "
            "(مقاربة النوع، المادة 78 من القانون التنظيمي 113-14)؟",
            "Le projet réduit-il les inégalités entre femmes et hommes, et tient-il compte des personnes en situation "
            "de handicap, des jeunes et des personnes âgées (approche genre, art. 78 de la loi organique 113-14) ?",
            "ⵉⵙ ⵉⵙⵎⵥⵥⵉ ⵓⵙⵏⴼⴰⵔ ⴰⵎⵣⴰⵔⴰⵢ ⴳⵔ ⵜⵎⵖⴰⵔⵉⵏ ⴷ ⵉⵔⴳⴰⵣⵏ, ⵉⵙ ⵉⵙⵙⵏ ⵎⴰ ⵔⴰⵏ ⵎⵉⴷⴷⵏ ⴳ ⵡⴰⴷⴷⴰⴷ ⵏ ⵜⵓⵏⵖⵉⴼⵜ, "
            "ⵉⵍⵎⵥⵢⴰⵏ ⴷ ⵉⵎⵖⴰⵔⵏ? (ⴰⵙⵍⴳⵏ ⴰⵏⴰⵎⴰⵙ 113-14, ⵜⴰⵙⵏⴰⵡⵜ 78)",
        ),
        "levels": [
            ("يزيد من فارق قائم أو يقصي فئة.",
             "Creuse une inégalité ou exclut un groupe.",
             "ⵉⵙⵙⵉⵎⵖⵓⵔ ⴰⵎⵣⴰⵔⴰⵢ ⵏⵖ ⵉⵙⵙⵓⴼⵖ ⴽⵔⴰ ⵏ ⵎⵉⴷⴷⵏ."),
            ("يتجاهل الحاجات المختلفة للنساء والرجال والأشخاص في وضعية إعاقة.",
             "Ignore les besoins différents des femmes, des hommes et des personnes handicapées.",
             "ⵓⵔ ⵉⵙⵙⵏ ⵎⴰ ⵔⴰⵏⵜ ⵜⵎⵖⴰⵔⵉⵏ, ⵎⴰ ⵔⴰⵏ ⵉⵔⴳⴰⵣⵏ ⴷ ⵎⵉⴷⴷⵏ ⴳ ⵡⴰⴷⴷⴰⴷ ⵏ ⵜⵓⵏⵖⵉⴼⵜ."),
            ("يأخذ هذه الحاجات بعين الاعتبار جزئيا.",
             "En tient compte en partie.",
             "ⵉⵙⵙⵏ ⴰⵢⴰ ⵖⴰⵙ ⵙ ⵓⵃⵟⵟⵓ."),
            ("صُمم مع الفئات المعنية، وتُوزع فوائده بإنصاف.",
             "Conçu avec les groupes concernés ; ses bénéfices sont répartis équitablement.",
             "ⵉⵜⵜⵓⵙⵎⴷ ⴷ ⵎⵉⴷⴷⵏ ⵖⴼ ⵉⵍⴽⵎ; ⵎⴰ ⵉⵜⵜⴰⵡⵉ ⵉⵜⵜⵓⴱⴹⴰ ⵙ ⵜⵖⴰⵔⴰ ⵉⵖⵓⴷⴰⵏ."),
            ("يقلص فارقا واضحا (الولوج، الأمان، الدخل).",
             "Réduit une inégalité nette (accès, sécurité, revenus).",
             "ⵉⵙⵎⵥⵥⵉ ⴰⵎⵣⴰⵔⴰⵢ ⵉⴱⴰⵢⵏⵏ (ⴰⵏⴽⵛⴰⵎ, ⵜⴰⵍⵡⵉⵜ, ⵉⴷⵔⵉⵎⵏ)."),
            ("هدفه الرئيسي المساواة والإدماج، بمؤشرات مصنفة حسب الجنس والإعاقة.",
             "Objectif principal : égalité et inclusion, avec des indicateurs ventilés par sexe et handicap.",
             "ⴰⵡⵜⵜⴰⵙ ⵏⵏⵙ ⴰⵎⵇⵔⴰⵏ ⴷ ⵜⴰⵏⵎⵏⴰⵍⴰⵙⵜ ⴷ ⵓⵙⴽⵛⵎ ⵏ ⵎⴰⵕⵕⴰ, ⵙ ⵉⵎⴰⵜⴰⵔⵏ ⵉⴱⴹⴰⵏ ⵙ ⵓⵏⴰⵡ ⴷ ⵜⵓⵏⵖⵉⴼⵜ."),
        ],
    },
    {
        "code": "environment",
        "kind": "scored",
        "weight": 12.0,
        "name": ("البيئة والمناخ", "Environnement et climat", "ⵜⴰⵡⵏⵏⴰⴹⵜ ⴷ ⵓⵏⵣⵡⵉ"),
        "description": (
            "أثر المشروع على البيئة (النفايات، الماء، الطاقة، المساحات الخضراء) ومساهمته في التكيف مع المخاطر المناخية "
            "(الفيضانات، موجات الحر).",
            "Effet du projet sur l'environnement (déchets, eau, énergie, espaces verts) et contribution à l'adaptation "
            "aux risques climatiques (inondations, vagues de chaleur).",
            "ⵎⴰ ⵉⵙⴽⴰⵔ ⵓⵙⵏⴼⴰⵔ ⵉ ⵜⵡⵏⵏⴰⴹⵜ (ⵉⵣⴱⵍⴰⵏ, ⴰⵎⴰⵏ, ⵉⵙⵓⵔⴰ ⵉⵣⴳⵣⴰⵡⵏ) ⴷ ⵎⴰⵏⵉⴽ ⴰⵔ ⵉⵜⵜⴰⵡⵙ ⵎⵉⴷⴷⵏ "
            "ⴰⴷ ⵜⵜⵎⵢⴰⵡⴰⵙⵏ ⴷ ⵓⵅⴰⵜⴰⵔ ⵏ ⵓⵏⵣⵡⵉ (ⴰⵎⴰⵏ ⵏ ⵉⵏⵣⴰⵔ, ⴰⵣⵖⴰⵍ).",
        ),
        "levels": [
            ("يضر بالبيئة (تلوث، فقدان مساحة خضراء).",
             "Nuit à l'environnement (pollution, perte d'espace vert).",
             "ⵉⵙⵙⵓⵙⵎ ⵜⴰⵡⵏⵏⴰⴹⵜ (ⴰⵙⵙⵔⴽⵙ, ⴰⵙⵓⵔ ⴰⵣⴳⵣⴰⵡ ⵉⵜⵜⵓⵥⴹⴰⵏ)."),
            ("أثر ملموس دون إجراءات للتخفيف.",
             "Effet sensible, sans mesure d'atténuation.",
             "ⵉⵍⵍⴰ ⵎⴰ ⵉⵙⴽⴰⵔ ⵉ ⵜⵡⵏⵏⴰⴹⵜ, ⵓⵔ ⵉⵍⵍⵉ ⵎⴰ ⵜ ⵉⵙⵎⵥⵥⵉⵏ."),
            ("محايد.",
             "Neutre.",
             "ⵓⵔ ⵉⵙⴽⴰⵔ ⵓⵍⴰ ⴰⵢⵏⵏ ⵉⵖⵓⴷⴰⵏ ⵓⵍⴰ ⴰⵢⵏⵏ ⵉⵅⵙⵔⵏ."),
            ("فائدة محدودة (اقتصاد في الطاقة، نفايات أقل).",
             "Quelques bénéfices (économies d'énergie, moins de déchets).",
             "ⴽⵔⴰ ⵏ ⵜⵏⴼⵓⵜ (ⵉⵙⵎⵥⵥⵉ ⴰⵙⵙⵎⵔⵙ ⵏ ⵜⵣⵎⵔⵜ ⵏⵖ ⵉⵣⴱⵍⴰⵏ)."),
            ("فائدة واضحة: الانبعاثات، الماء، النفايات أو الغطاء النباتي.",
             "Bénéfice net : émissions, eau, déchets ou couvert végétal.",
             "ⵜⴰⵏⴼⵓⵜ ⵉⴱⴰⵢⵏⵏ: ⴰⴳⴳⵓ, ⴰⵎⴰⵏ, ⵉⵣⴱⵍⴰⵏ ⵏⵖ ⵉⵙⴽⵍⴰ."),
            ("هدفه الرئيسي التكيف مع المخاطر المناخية (فيضانات، حرارة) أو خفض كبير للانبعاثات.",
             "Objectif principal : adaptation aux risques climatiques (inondations, chaleur) ou forte baisse des émissions.",
             "ⴰⵡⵜⵜⴰⵙ ⵏⵏⵙ ⴰⵎⵇⵔⴰⵏ: ⴰⵎⵢⴰⵡⴰⵙ ⴷ ⵓⵅⴰⵜⴰⵔ ⵏ ⵓⵏⵣⵡⵉ (ⴰⵎⴰⵏ ⵏ ⵉⵏⵣⴰⵔ, ⴰⵣⵖⴰⵍ) ⵏⵖ ⴰⵙⵎⵥⵥⵉ ⴰⵎⵇⵔⴰⵏ ⵏ ⵓⴳⴳⵓ."),
        ],
    },
]

CRITERIA += [
    {
        "code": "feasibility",
        "kind": "scored",
        "weight": 12.0,
        "name": ("قابلية الإنجاز والجاهزية", "Faisabilité et maturité", "ⵜⴰⵣⵎⵔⵜ ⵏ ⵓⵙⵎⴷⵓ ⴷ ⵓⵙⵡⵊⴷ"),
        "description": (
            "هل يمكن إنجاز المشروع خلال مدة البرنامج: العقار، الدراسات، الشركاء، الإطار القانوني وقدرة المصلحة المكلفة بالتنفيذ.",
            "Le projet peut-il être réalisé pendant le programme : foncier, études, partenaires, cadre juridique "
            "et capacité du service chargé de l'exécution.",
            "ⵉⵙ ⵉⵣⵎⵔ ⵓⵙⵏⴼⴰⵔ ⴰⴷ ⵉⵎⴷⵓ ⴳ ⵓⵖⴰⵡⴰⵙ ⴰⴷ: ⴰⴽⴰⵍ, ⵜⵉⵣⵔⴰⵡⵉⵏ, ⵉⵎⴷⵓⴽⴽⴰⵍ, ⴰⵙⵍⴳⵏ "
            "ⴷ ⵜⵣⵎⵔⵜ ⵏ ⵜⵏⴰⴼⵓⵜ ⵍⵍⵉ ⵔⴰⴷ ⵜ ⵉⴳⵏ.",
        ),
        "levels": [
            ("غير قابل للإنجاز في وضعه الحالي (العقار، القانون، التقنية).",
             "Irréalisable en l'état (foncier, droit, technique).",
             "ⵓⵔ ⵉⵣⵎⵉⵔ ⴰⴷ ⵉⵎⴷⵓ ⵖⵉⵍⴰ (ⴰⴽⴰⵍ, ⴰⵙⵍⴳⵏ, ⵜⴰⵖⴰⵔⴰ ⵏ ⵜⵉⴳⵉ)."),
            ("مجرد فكرة، مع عوائق كبيرة.",
             "Simple idée, avec des obstacles majeurs.",
             "ⵜⴰⵡⵏⴳⵉⵎⵜ ⵖⴰⵙ, ⵙ ⵉⵎⵓⵇⵇⵔⴰⵏ ⵉⵅⵙⵔⵏ ⵉⵎⵇⵔⴰⵏⵏ."),
            ("ممكن، لكن ينقص العقار أو الدراسات أو الشركاء.",
             "Possible, mais il manque le foncier, les études ou les partenaires.",
             "ⵉⵣⵎⵔ ⴰⴷ ⵉⵎⴷⵓ, ⵎⴰⵛⴰ ⵓⵔ ⵍⵍⵉⵏ ⵓⵍⴰ ⴰⴽⴰⵍ ⵓⵍⴰ ⵜⵉⵣⵔⴰⵡⵉⵏ ⵓⵍⴰ ⵉⵎⴷⵓⴽⴽⴰⵍ."),
            ("دراسة أولية منجزة، والعقار محدد.",
             "Étude préliminaire faite, terrain identifié.",
             "ⵜⴰⵣⵔⴰⵡⵜ ⵜⴰⵎⵣⵡⴰⵔⵓⵜ ⵜⵎⴷⴰ, ⴰⴽⴰⵍ ⵉⵜⵜⵓⵙⵙⵏ."),
            ("دراسة تقنية منجزة، العقار متوفر والشركاء ملتزمون.",
             "Étude technique faite, terrain disponible, partenaires engagés.",
             "ⵜⴰⵣⵔⴰⵡⵜ ⵜⵎⴷⴰ, ⴰⴽⴰⵍ ⵉⵍⵍⴰ, ⵉⵎⴷⵓⴽⴽⴰⵍ ⵡⴰⵍⴰⵏ."),
            ("جاهز للانطلاق: دراسة مفصلة، تمويل متفق عليه ومصلحة جاهزة.",
             "Prêt à démarrer : étude détaillée, financement convenu, service prêt.",
             "ⵢⵓⵊⴷ ⴰⴷ ⵉⴱⴷⵓ: ⵜⴰⵣⵔⴰⵡⵜ ⵜⴽⵎⵎⵍ, ⵉⴷⵔⵉⵎⵏ ⵍⵍⴰⵏ, ⵜⴰⵏⴰⴼⵓⵜ ⵜⵓⵊⴷ."),
        ],
    },
    {
        "code": "cost-effectiveness",
        "kind": "scored",
        "weight": 10.0,
        "name": ("الفعالية مقارنة بالتكلفة", "Coût-efficacité", "ⴰⵜⵉⴳ ⴷ ⵎⴰ ⵉⵜⵜⴰⵡⵉ"),
        "description": (
            "ما يقدمه المشروع مقارنة بتكلفته: التكلفة لكل مستفيد، مساهمة الشركاء، وتكاليف التسيير والصيانة بعد الإنجاز.",
            "Ce que le projet apporte au regard de son coût : coût par bénéficiaire, part des partenaires, "
            "coûts de fonctionnement et d'entretien après la réalisation.",
            "ⵎⴰ ⵉⵜⵜⴰⵡⵉ ⵓⵙⵏⴼⴰⵔ ⵖⵔ ⵓⵜⵉⴳ ⵏⵏⵙ: ⴰⵜⵉⴳ ⵉ ⴽⵓ ⵢⴰⵏ ⵖⴼ ⵉⵍⴽⵎ, ⵎⴰ ⵙⵙⵓⴼⵓⵖⵏ ⵉⵎⴷⵓⴽⴽⴰⵍ, "
            "ⴷ ⵓⵜⵉⴳ ⵏ ⵓⵃⴹⴰⵢ ⵏⵏⵙ ⴷⴼⴼⵉⵔ ⵎⴰ ⵉⵎⴷⴰ.",
        ),
        "levels": [
            ("تكلفة لا تتناسب إطلاقا مع الفائدة.",
             "Coût sans commune mesure avec le bénéfice.",
             "ⴰⵜⵉⴳ ⵉⴳⴳⵓⴳ ⴱⴰⵀⵔⴰ ⵖⴼ ⵎⴰ ⵉⵜⵜⴰⵡⵉ."),
            ("مكلف جدا لكل مستفيد، وتكاليف التسيير غير ممولة.",
             "Très cher par bénéficiaire ; fonctionnement non financé.",
             "ⵉⵖⵍⴰ ⴱⴰⵀⵔⴰ ⵉ ⴽⵓ ⵢⴰⵏ; ⵓⵔ ⵍⵍⵉⵏ ⵉⴷⵔⵉⵎⵏ ⵏ ⵓⵃⴹⴰⵢ ⵏⵏⵙ."),
            ("مكلف، وتوجد بدائل أقل كلفة.",
             "Coûteux ; des solutions moins chères existent.",
             "ⵉⵖⵍⴰ; ⵍⵍⴰⵏⵜ ⵜⵖⴰⵔⵉⵡⵉⵏ ⵢⴰⴹⵏⵉⵏ ⵉⵔⵅⴰⵏ."),
            ("تكلفة معقولة مقارنة بالفائدة المنتظرة.",
             "Coût raisonnable pour le bénéfice attendu.",
             "ⴰⵜⵉⴳ ⵉⵖⵓⴷⴰ ⵖⵔ ⵎⴰ ⵔⴰⴷ ⵢⴰⵡⵉ."),
            ("مردودية جيدة، تكاليف التسيير مبرمجة وتمويل مشترك.",
             "Bon rapport coût-bénéfice ; fonctionnement prévu ; cofinancement.",
             "ⵉⵖⵓⴷⴰ ⵖⵔ ⵓⵜⵉⴳ ⵏⵏⵙ; ⴰⵃⴹⴰⵢ ⵉⵜⵜⵓⵙⵡⵊⴷ; ⵉⵎⴷⵓⴽⴽⴰⵍ ⵙⵙⵓⴼⵓⵖⵏ ⵉⴷⵔⵉⵎⵏ."),
            ("مردودية ممتازة: تكلفة منخفضة لكل مستفيد، تمويل مشترك قوي وصيانة مضمونة.",
             "Excellent : faible coût par bénéficiaire, fort cofinancement, entretien assuré.",
             "ⵉⴼⵓⵍⴽⵉ ⴱⴰⵀⵔⴰ: ⴰⵜⵉⴳ ⵉⵔⵅⴰ ⵉ ⴽⵓ ⵢⴰⵏ, ⵉⵎⴷⵓⴽⴽⴰⵍ ⵙⵙⵓⴼⵓⵖⵏ ⴰⵟⵟⴰⵚ, ⴰⵃⴹⴰⵢ ⵉⵜⵜⵓⵎⵏ."),
        ],
    },
    {
        "code": "urgency",
        "kind": "scored",
        "weight": 10.0,
        "name": ("الاستعجالية", "Urgence", "ⵜⴰⵣⵔⴱⵜ"),
        "description": (
            "إلى أي حد لا يمكن انتظار المشروع: الأخطار على السلامة أو الصحة، والحاجة التي يعيشها السكان يوميا.",
            "À quel point le projet ne peut pas attendre : risques pour la sécurité ou la santé, besoin vécu "
            "au quotidien par les habitants.",
            "ⵎⴰⵏⵉⴽ ⵓⵔ ⵉⵣⵎⵉⵔ ⵓⵙⵏⴼⴰⵔ ⴰⴷ ⵉⵔⴰⵊⵓ: ⴰⵅⴰⵜⴰⵔ ⵖⴼ ⵜⴰⴷⵓⵙⵉ ⵏⵖ ⵜⵓⴷⵔⵜ ⵏ ⵎⵉⴷⴷⵏ, "
            "ⴷ ⵎⴰ ⴰⵔ ⵜⵜⵉⵏⵉⵏ ⵉⵎⵣⴷⴰⵖ ⴽⵓ ⴰⵙⵙ.",
        ),
        "levels": [
            ("يمكن أن ينتظر ما بعد البرنامج.",
             "Peut attendre au-delà du programme.",
             "ⵉⵣⵎⵔ ⴰⴷ ⵉⵔⴰⵊⵓ ⴰⵔ ⴷⴼⴼⵉⵔ ⵓⵖⴰⵡⴰⵙ."),
            ("مفيد، دون ضغط.",
             "Utile, sans pression.",
             "ⵉⵙⵙⵏⴼⴰⵄ, ⵎⴰⵛⴰ ⵉⵣⵎⵔ ⴰⴷ ⵉⵔⴰⵊⵓ."),
            ("ضروري خلال مدة البرنامج.",
             "Nécessaire pendant le programme.",
             "ⵉⵇⵇⴰⵏ ⴳ ⵓⵖⴰⵡⴰⵙ ⴰⴷ."),
            ("حاجة يعيشها السكان يوميا.",
             "Besoin vécu chaque jour par les habitants.",
             "ⵉⵎⵣⴷⴰⵖ ⵜⵜⵉⵏⵉⵏ ⵖⴼⵙ ⴽⵓ ⴰⵙⵙ."),
            ("خطر على السلامة أو الصحة أو الكرامة.",
             "Risque pour la sécurité, la santé ou la dignité.",
             "ⴰⵅⴰⵜⴰⵔ ⵖⴼ ⵜⴰⵍⵡⵉⵜ, ⵜⴰⴷⵓⵙⵉ ⵏⵖ ⴰⵣⵔⴼ ⵏ ⵎⵉⴷⴷⵏ."),
            ("خطر فوري على الأشخاص (فيضانات، انهيار، نقط سوداء غير مضاءة).",
             "Danger immédiat pour les personnes (inondations, effondrement, points noirs non éclairés).",
             "ⴰⵅⴰⵜⴰⵔ ⵖⵉⵍⴰ ⵖⴼ ⵎⵉⴷⴷⵏ (ⴰⵎⴰⵏ ⵏ ⵉⵏⵣⴰⵔ, ⴰⵔⵥⴰⵥ ⵏ ⵜⵉⴷⴷⴰⵔ, ⵉⵙⵓⵔⴰ ⵉⵍⵍⴰⵏ ⴳ ⵜⵍⵍⴰⵙ)."),
        ],
    },
    {
        "code": "fit",
        "kind": "scored",
        "weight": 9.0,
        "name": ("الانسجام مع برنامج التنمية الجهوية وأهداف التنمية المستدامة",
                 "Cohérence avec le programme de développement régional (PDR) et les ODD",
                 "ⴰⵎⵙⴰⵙⴰ ⴷ ⵓⵖⴰⵡⴰⵙ ⵏ ⵓⵏⴱⵓⵖⵍⵓ ⵏ ⵜⵎⵏⴰⴹⵜ ⴷ ⵉⵡⵜⵜⴰⵙⵏ ⵏ ⵓⵏⴱⵓⵖⵍⵓ ⵉⵖⵣⵣⵉⴼⵏ"),
        "description": (
            "انسجام المشروع مع اختصاصات الجماعة، ومع برنامج التنمية الجهوية لجهة طنجة-تطوان-الحسيمة، "
            "ومساهمته في أهداف التنمية المستدامة السبعة عشر.",
            "Cohérence du projet avec les compétences de la commune et le programme de développement régional "
            "de Tanger-Tétouan-Al Hoceïma, et contribution aux 17 objectifs de développement durable.",
            "ⴰⵎⵙⴰⵙⴰ ⵏ ⵓⵙⵏⴼⴰⵔ ⴷ ⵜⵣⵎⵉⵔⵉⵏ ⵏ ⵜⴳⵎⵓⴹⴰ, ⴷ ⵓⵖⴰⵡⴰⵙ ⵏ ⵓⵏⴱⵓⵖⵍⵓ ⵏ ⵜⵎⵏⴰⴹⵜ ⵏ ⵟⴰⵏⵊⴰ-ⵜⵉⵟⵟⴰⵡⵉⵏ-ⵍⵃⵓⵙⵉⵎⴰ, "
            "ⴷ ⵎⴰ ⵉⵙⵙⵓⴼⵓⵖ ⵉ 17 ⵏ ⵉⵡⵜⵜⴰⵙⵏ ⵏ ⵓⵏⴱⵓⵖⵍⵓ ⵉⵖⵣⵣⵉⴼⵏ.",
        ),
        "levels": [
            ("يتعارض مع برنامج التنمية الجهوية أو يخرج عن اختصاصات الجماعة.",
             "Contraire au PDR ou hors des compétences de la commune.",
             "ⵉⵎⵢⴰⵔⴰ ⴷ ⵓⵖⴰⵡⴰⵙ ⵏ ⵜⵎⵏⴰⴹⵜ ⵏⵖ ⵉⴼⴼⵓⵖ ⵜⵉⵣⵎⵉⵔⵉⵏ ⵏ ⵜⴳⵎⵓⴹⴰ."),
            ("لا علاقة له بهما.",
             "Aucun lien.",
             "ⵓⵔ ⵉⵍⵍⵉ ⵓⵣⴷⴰⵢ."),
            ("علاقة غير مباشرة.",
             "Lien indirect.",
             "ⴰⵣⴷⴰⵢ ⵓⵔ ⵉⴱⴰⵢⵏⵏ."),
            ("ينسجم مع محور من البرنامج الجهوي أو مع غاية من أهداف التنمية المستدامة.",
             "S'inscrit dans un axe du PDR ou une cible d'un ODD.",
             "ⵉⵎⵙⴰⵙⴰ ⴷ ⵢⴰⵏ ⵓⴳⵍⴰⵎ ⵏ ⵓⵖⴰⵡⴰⵙ ⵏ ⵜⵎⵏⴰⴹⵜ ⵏⵖ ⴷ ⵢⴰⵏ ⵓⵡⵜⵜⴰⵙ."),
            ("يخدم مباشرة برنامجا من البرنامج الجهوي ويساهم في عدة أهداف.",
             "Sert directement un programme du PDR et plusieurs ODD.",
             "ⵉⵜⵜⴰⵡⵙ ⵙ ⵜⵖⴰⵔⴰ ⵉⴱⴰⵢⵏⵏ ⴰⵖⴰⵡⴰⵙ ⵏ ⵜⵎⵏⴰⴹⵜ ⴷ ⵓⴳⴳⴰⵔ ⵏ ⵢⴰⵏ ⵓⵡⵜⵜⴰⵙ."),
            ("أولوية في البرنامج الجهوي، مع إمكانية تمويل مشترك من الجهة ومساهمة قابلة للقياس في الأهداف.",
             "Priorité du PDR, cofinancement de la Région possible, contribution mesurable aux ODD.",
             "ⵜⴰⵣⵡⴰⵔⵜ ⴳ ⵓⵖⴰⵡⴰⵙ ⵏ ⵜⵎⵏⴰⴹⵜ, ⵜⴰⵎⵏⴰⴹⵜ ⵜⵣⵎⵔ ⴰⴷ ⵜⵙⵙⵓⴼⵖ ⵉⴷⵔⵉⵎⵏ, ⵎⴰ ⵉⵙⵙⵓⴼⵓⵖ ⵉ ⵉⵡⵜⵜⴰⵙⵏ ⵉⵜⵜⵓⵙⵡⵉⵏⴳⵉⵎ."),
        ],
    },
]

# --- projects ---------------------------------------------------------------------------------
# One row per project, in the order of their codes (TET-01…). "axis" and "hoods" are positions in
# services.demo.AXES / NEIGHBOURHOODS: the project is made from the demo ideas of that axis in one
# of the preferred neighbourhoods (any neighbourhood of the axis when "hoods" is empty or none is
# left). "partners" are co-funders with their amounts; the commune pays the rest of "cost".
# "quality" is the latent merit behind the generated scores (0–5) and "profile" shifts it per
# criterion; neither is stored.

MEDINA = [0, 1, 2, 3, 4, 5, 6]

INDH = "Initiative nationale pour le développement humain (INDH)"
REGION = "Région Tanger-Tétouan-Al Hoceïma"
UNDP = "PNUD Maroc"
AMEE = "Agence marocaine pour l'efficacité énergétique (AMEE)"
INTERIOR = "Ministère de l'Intérieur — DGCT"
CULTURE = "Ministère de la Jeunesse, de la Culture et de la Communication"
SOLIDARITY = "Ministère de la Solidarité, de l'Insertion sociale et de la Famille"

PROJECTS = [
    {  # TET-01
        "axis": 2, "hoods": MEDINA,
        "title": ("إنارة عمومية اقتصادية (LED) في {n}", "Éclairage public LED à {n}",
                  "ⴰⵙⵏⴼⴰⵡ ⴰⵎⴰⵜⴰⵢ ⴰⵎⴰⵢⵏⵓ ⴳ {n}"),
        "sector": "Éclairage public", "competence": "own",
        "objectives": "Remplacer les lampes à sodium des ruelles par des luminaires LED pilotés, supprimer les "
                      "points noirs signalés par les habitantes et réduire de moitié la facture d'électricité.",
        "beneficiaries": (28_000, 14_300, 13_700, 900),
        "indicators": [("Points lumineux passés en LED", "points", 0, 2_400),
                       ("Consommation annuelle de l'éclairage", "MWh", 3_100, 1_400)],
        "cost": 12_500_000, "partners": [(AMEE, 3_000_000), (REGION, 4_000_000)],
        "duration": 2, "start": 2024, "department": "Division des travaux et de l'éclairage public",
        "sdgs": "7,11,13", "markers": (1, 2, 1), "quality": 3.9, "profile": {"urgency": 0.5},
    },
    {  # TET-02
        "axis": 3, "hoods": [8],
        "title": ("مساحة خضراء للقرب في {n}", "Espace vert de proximité à {n}", "ⴰⵙⵓⵔ ⴰⵣⴳⵣⴰⵡ ⵉ ⵢⵉⵎⵣⴷⴰⵖ ⵏ {n}"),
        "sector": "Espaces verts", "competence": "own",
        "objectives": "تهيئة أرض غير مستغلة إلى حديقة للقرب بأشجار ومقاعد وألعاب للأطفال، مع ممرات ولوجة "
                      "وإنارة، وإشراك جمعيات الحي في صيانتها.",
        "beneficiaries": (12_000, 6_200, 5_800, 350),
        "indicators": [("Surface verte aménagée", "m²", 0, 9_000), ("Arbres plantés", "arbres", 40, 600)],
        "cost": 6_800_000, "partners": [(INDH, 2_500_000), (REGION, 1_800_000)],
        "duration": 2, "start": 2024, "department": "Service des espaces verts",
        "sdgs": "3,11,13,15", "markers": (1, 2, 1), "quality": 3.6, "profile": {"environment": 0.8},
    },
    {  # TET-03
        "axis": 0, "hoods": [7, 9, 8],
        "title": ("الفرز الانتقائي للنفايات في {n}", "Tri sélectif des déchets à {n}", "ⴰⴼⵔⴰⵏ ⵏ ⵉⵣⴱⵍⴰⵏ ⴳ {n}"),
        "sector": "Propreté", "competence": "own",
        "objectives": "Installer des points d'apport volontaire (papier, plastique, verre), former les habitants "
                      "et les écoles au tri, et intégrer les récupérateurs informels dans une coopérative.",
        "beneficiaries": (45_000, 23_000, 22_000, 1_400),
        "indicators": [("Déchets triés à la source", "%", 0, 15),
                       ("Points d'apport volontaire installés", "points", 0, 120)],
        "cost": 9_500_000,
        "partners": [("Ministère de l'Intérieur — Programme national des déchets ménagers", 4_000_000),
                     (UNDP, 500_000)],
        "duration": 3, "start": 2025, "department": "Service de la propreté",
        "sdgs": "11,12,13", "markers": (0, 2, 0), "quality": 3.1, "profile": {"feasibility": -0.6},
    },
    {  # TET-04
        "axis": 1, "hoods": [12],
        "title": ("ملاجئ حافلات ولوجة في {n}", "Abribus accessibles à {n}",
                  "ⵉⵙⵓⵔⴰ ⵏ ⵓⵔⴰⵊⵓ ⵏ ⵜⴽⵔⵓⵙⵉⵏ ⵜⵉⵎⴰⵜⴰⵢⵉⵏ ⴳ {n}"),
        "sector": "Transport urbain", "competence": "own",
        "objectives": "Équiper les arrêts de bus d'abris éclairés, de bancs, de quais surélevés pour fauteuils "
                      "roulants et d'horaires lisibles en arabe, en amazighe et en français.",
        "beneficiaries": (18_000, 9_500, 8_500, 600),
        "indicators": [("Abribus accessibles installés", "abribus", 3, 30)],
        "cost": 2_400_000, "partners": [(REGION, 1_000_000)],
        "duration": 1, "start": 2024, "department": "Division de la circulation et des transports",
        "sdgs": "9,11", "markers": (1, 1, 2), "quality": 3.4, "profile": {"feasibility": 0.8},
    },
    {  # TET-05
        "axis": 7, "hoods": [],
        "title": ("ولوجيات الملحقات الإدارية للجماعة", "Rampes d'accès aux annexes de la commune",
                  "ⴰⵏⴽⵛⴰⵎ ⵏ ⵉⵙⵓⵔⴰ ⵉⵏⴱⴱⴰⴹⵏ ⵏ ⵜⴳⵎⵓⴹⴰ ⵉ ⵎⵉⴷⴷⵏ ⴳ ⵡⴰⴷⴷⴰⴷ ⵏ ⵜⵓⵏⵖⵉⴼⵜ"),
        "sector": "Accessibilité", "competence": "own",
        "objectives": "Rendre les quatorze annexes administratives accessibles : rampes, portes élargies, "
                      "guichets abaissés, signalétique en relief et place de stationnement réservée.",
        "beneficiaries": (60_000, 31_000, 29_000, 4_500),
        "indicators": [("Annexes accessibles en fauteuil roulant", "annexes", 2, 14)],
        "cost": 1_800_000, "partners": [(INDH, 600_000), (SOLIDARITY, 400_000)],
        "duration": 1, "start": 2023, "department": "Service technique",
        "sdgs": "10,11,16", "markers": (1, 0, 2), "quality": 3.8,
        "profile": {"gender-inclusion": 0.9, "cost-effectiveness": 0.6},
    },
    {  # TET-06
        "axis": 6, "hoods": [9, 17, 20],
        "title": ("فضاء للتعاونيات النسائية في {n}", "Espace des coopératives féminines à {n}",
                  "ⴰⵙⵓⵔ ⵏ ⵜⵡⵓⵔⵉ ⵉ ⵜⵎⵖⴰⵔⵉⵏ ⴳ {n}"),
        "sector": "Développement social", "competence": "shared",
        "objectives": "Aménager un espace partagé (ateliers, salle de formation, point de vente, garderie) pour "
                      "les coopératives de femmes du quartier, avec un accompagnement à la gestion et au numérique.",
        "beneficiaries": (1_500, 1_200, 300, 120),
        "indicators": [("Coopératives féminines hébergées", "coopératives", 0, 25),
                       ("Femmes formées par an", "personnes", 0, 400)],
        "cost": 4_200_000, "partners": [(INDH, 2_000_000), (UNDP, 700_000)],
        "duration": 2, "start": 2025, "department": "Division des affaires sociales",
        "sdgs": "5,8,10", "markers": (2, 0, 1), "quality": 3.5, "profile": {"gender-inclusion": 1.2},
    },
    {  # TET-07
        "axis": 6, "hoods": [18],
        "title": ("دار الشباب في {n}", "Maison des jeunes à {n}", "ⵜⴰⴷⴷⴰⵔⵜ ⵏ ⵉⵍⵎⵥⵢⴰⵏ ⴳ {n}"),
        "sector": "Jeunesse", "competence": "shared",
        "objectives": "بناء دار للشباب بقاعة متعددة الوسائط وملعب للقرب وفضاء للإرشاد والتكوين، "
                      "مع حصص مخصصة للفتيات.",
        "beneficiaries": (6_000, 2_900, 3_100, 150),
        "indicators": [("Jeunes inscrits aux activités", "personnes", 0, 1_500)],
        "cost": 8_900_000, "partners": [(CULTURE, 4_000_000), (INDH, 2_000_000)],
        "duration": 3, "start": 2025, "department": "Division des affaires sociales",
        "sdgs": "4,5,8,10", "markers": (1, 1, 1), "quality": 3.0, "profile": {},
    },
    {  # TET-08
        "axis": 3, "hoods": [15],
        "title": ("تصريف مياه الأمطار وتهيئة ضفاف الوادي في {n}",
                  "Drainage des eaux pluviales et berges de l'oued à {n}",
                  "ⴰⵙⵙⵓⴼⵖ ⵏ ⵡⴰⵎⴰⵏ ⵏ ⵉⵏⵣⴰⵔ ⴷ ⵓⵙⵡⵓⴷⴷⵓ ⵏ ⵡⴰⵙⵉⴼ ⴳ {n}"),
        "sector": "Assainissement pluvial", "competence": "shared",
        "objectives": "Protéger le quartier des crues de l'oued : collecteurs d'eaux pluviales, recalibrage et "
                      "berges végétalisées, alerte des riverains ; aucune habitation inondée lors des fortes pluies.",
        "beneficiaries": (35_000, 17_800, 17_200, 1_100),
        "indicators": [("Canalisations pluviales posées", "km", 1.5, 9),
                       ("Logements inondés lors des fortes pluies", "logements", 420, 30)],
        "cost": 38_000_000,
        "partners": [("Ministère de l'Équipement et de l'Eau", 15_000_000), (REGION, 12_000_000),
                     ("Agence du bassin hydraulique du Loukkos", 5_000_000)],
        "duration": 4, "start": 2024, "department": "Division des travaux",
        "sdgs": "6,11,13", "markers": (0, 2, 1), "quality": 3.7,
        "profile": {"urgency": 1.3, "feasibility": -0.9, "cost-effectiveness": -0.5},
    },
]

PROJECTS += [
    {  # TET-09
        "axis": 4, "hoods": [11, 10],
        "title": ("تأهيل سوق الجملة (القطب الغذائي)", "Rénovation du marché de gros (pôle alimentaire)",
                  "ⴰⵙⵎⴰⵢⵏⵓ ⵏ ⵜⵙⵓⵇ ⵜⴰⵎⵇⵔⴰⵏⵜ ⵏ ⵜⵉⵔⵎⵜ"),
        "sector": "Marchés et pôle alimentaire", "competence": "own",
        "objectives": "Rénover le marché de gros des fruits et légumes : halles couvertes, chambres froides, "
                      "sanitaires, quais de déchargement et traitement des déchets organiques, pour réduire les pertes.",
        "beneficiaries": (120_000, 61_000, 59_000, 3_800),
        "indicators": [("Surface couverte rénovée", "m²", 0, 12_000),
                       ("Pertes de fruits et légumes", "%", 18, 8)],
        "cost": 24_000_000, "partners": [(INTERIOR, 10_000_000), (REGION, 6_000_000)],
        "duration": 3, "start": 2026, "department": "Service des marchés et du pôle alimentaire",
        "sdgs": "2,8,9,12", "markers": (1, 1, 1), "quality": 3.2,
        "profile": {"social-impact": 0.7, "feasibility": -0.7},
    },
    {  # TET-10
        "axis": 5, "hoods": [],
        "title": ("الشباك الرقمي الموحد للخدمات الإدارية", "Guichet unique numérique des services administratifs",
                  "ⴰⵙⵓⵔ ⵉⵊⵊⵏ ⵉ ⵜⵉⵏⴰⴼⵓⵜⵉⵏ ⵜⵉⵏⴱⴱⴰⴹⵉⵏ ⵏ ⵜⴳⵎⵓⴹⴰ"),
        "sector": "Services administratifs", "competence": "own",
        "objectives": "Mettre en ligne les démarches les plus demandées (légalisation, copies d'actes, "
                      "autorisations), avec prise de rendez-vous par téléphone et un guichet d'aide dans chaque annexe.",
        "beneficiaries": (380_000, 193_000, 187_000, 12_000),
        "indicators": [("Démarches disponibles en ligne", "démarches", 4, 40),
                       ("Délai moyen de délivrance", "jours", 6, 1)],
        "cost": 3_500_000,
        "partners": [(UNDP, 800_000), ("Agence de développement du digital (ADD)", 1_200_000)],
        "duration": 2, "start": 2023, "department": "Division des systèmes d'information",
        "sdgs": "9,16", "markers": (1, 0, 1), "quality": 3.9,
        "profile": {"cost-effectiveness": 0.9, "environment": -0.8},
    },
    {  # TET-11
        "axis": 8, "hoods": MEDINA,
        "title": ("ترميم الواجهات التاريخية في {n}", "Restauration des façades historiques à {n}",
                  "ⴰⵙⵎⴰⵢⵏⵓ ⵏ ⵜⵉⴷⴷⴰⵔ ⵜⵉⵇⴱⵓⵔⵉⵏ ⵏ ⵓⴽⴰⵙⴰⵙ ⴳ {n}"),
        "sector": "Patrimoine", "competence": "shared",
        "objectives": "ترميم واجهات المدينة العتيقة المصنفة تراثا عالميا مع الحرفيين المحليين (الجبص، الزليج، "
                      "الخشب)، وتكوين شباب الحي في مهن الترميم.",
        "beneficiaries": (15_000, 7_600, 7_400, 400),
        "indicators": [("Façades restaurées", "façades", 0, 180)],
        "cost": 16_000_000,
        "partners": [(CULTURE, 6_000_000), (REGION, 4_000_000),
                     ("Agence pour la promotion et le développement du Nord", 3_000_000)],
        "duration": 4, "start": 2024, "department": "Service du patrimoine",
        "sdgs": "8,11", "markers": (0, 1, 0), "quality": 2.9, "profile": {"fit": 1.0, "urgency": -0.6},
    },
    {  # TET-12
        "axis": 9, "hoods": [],
        "title": ("لوحات إخبارية حول ميزانية الجماعة وأوراشها في {n}",
                  "Panneaux d'information sur le budget et les chantiers à {n}",
                  "ⴰⵙⴱⴰⵢⵏ ⵏ ⵉⴷⵔⵉⵎⵏ ⴷ ⵉⵙⵏⴼⴰⵔⵏ ⵏ ⵜⴳⵎⵓⴹⴰ ⵉ ⵢⵉⵎⵣⴷⴰⵖ ⵏ {n}"),
        "sector": "Accès à l'information", "competence": "own",
        "objectives": "Afficher dans le quartier et en ligne, en arabe, en amazighe et en français, le budget "
                      "de la commune, les chantiers en cours, leur coût et leur avancement (loi 31-13).",
        "beneficiaries": (380_000, 193_000, 187_000, 12_000),
        "indicators": [("Panneaux d'information installés", "panneaux", 0, 42),
                       ("Consultations des pages budget", "visites par an", 0, 20_000)],
        "cost": 600_000, "partners": [(UNDP, 250_000)],
        "duration": 1, "start": 2023, "department": "Service de la communication",
        "sdgs": "16", "markers": (1, 0, 1), "quality": 2.8,
        "profile": {"cost-effectiveness": 1.2, "urgency": -1.0, "environment": -0.5},
    },
    {  # TET-13
        "axis": 2, "hoods": [18, 20, 16],
        "title": ("مصابيح بالطاقة الشمسية في أزقة {n}", "Lampadaires solaires dans les ruelles de {n}",
                  "ⵉⵙⵏⴼⴰⵡⵏ ⵙ ⵜⴼⵓⴽⵜ ⴳ ⵉⵣⵏⵇⴰⵏ ⵏ {n}"),
        "sector": "Éclairage public", "competence": "own",
        "objectives": "Éclairer les ruelles en pente non raccordées au réseau avec des lampadaires solaires, "
                      "en priorité sur les trajets des écolières et des travailleuses de nuit.",
        "beneficiaries": (9_000, 4_700, 4_300, 250),
        "indicators": [("Lampadaires solaires installés", "lampadaires", 0, 350)],
        "cost": 3_200_000, "partners": [(AMEE, 1_200_000)],
        "duration": 1, "start": 2025, "department": "Division des travaux et de l'éclairage public",
        "sdgs": "7,11", "markers": (1, 2, 0), "quality": 3.3, "profile": {"urgency": 0.6},
    },
    {  # TET-14
        "axis": 0, "hoods": MEDINA,
        "title": ("التنظيف والجمع الليلي للنفايات في {n}", "Nettoiement et collecte de nuit à {n}",
                  "ⴰⵙⵙⵉⵔⴷ ⴷ ⵓⵙⵎⵓⵏ ⵏ ⵉⵣⴱⵍⴰⵏ ⴳ ⵢⵉⴹ ⴳ {n}"),
        "sector": "Propreté", "competence": "own",
        "objectives": "جمع ليلي للنفايات بعربات صغيرة تناسب أزقة المدينة العتيقة، وحاويات مغلقة، "
                      "وحملات تحسيسية مع التجار.",
        "beneficiaries": (40_000, 20_500, 19_500, 1_200),
        "indicators": [("Ruelles collectées chaque nuit", "%", 35, 95)],
        "cost": 5_400_000, "partners": [(REGION, 1_400_000)],
        "duration": 2, "start": 2024, "department": "Service de la propreté",
        "sdgs": "3,11", "markers": (0, 1, 0), "quality": 3.4, "profile": {"urgency": 0.9, "feasibility": 0.6},
    },
    {  # TET-15
        "axis": 1, "hoods": [13, 14, 11],
        "title": ("خط حافلات بين {n} ووسط المدينة", "Ligne de bus entre {n} et le centre-ville",
                  "ⴰⴱⵔⵉⴷ ⵏ ⵜⴽⵔⵓⵙⵉⵏ ⵜⵉⵎⴰⵜⴰⵢⵉⵏ ⴳⵔ {n} ⴷ ⵡⴰⵎⵎⴰⵙ ⵏ ⵜⵎⴷⵉⵏⵜ"),
        "sector": "Transport urbain", "competence": "own",
        "objectives": "Créer une ligne directe vers le centre-ville toutes les vingt minutes, avec des bus "
                      "à plancher bas et un tarif réduit pour les élèves, les étudiants et les personnes âgées.",
        "beneficiaries": (22_000, 11_600, 10_400, 700),
        "indicators": [("Habitants à moins de 400 m d'un arrêt", "%", 55, 80)],
        "cost": 7_500_000, "partners": [(REGION, 3_500_000), (INTERIOR, 2_000_000)],
        "duration": 2, "start": 2026, "department": "Division de la circulation et des transports",
        "sdgs": "9,11", "markers": (1, 1, 1), "quality": 2.7, "profile": {"environment": 0.6},
    },
    {  # TET-16
        "axis": 4, "hoods": [7, 19],
        "title": ("تأهيل السوق البلدي في {n}", "Réhabilitation du marché municipal à {n}",
                  "ⴰⵙⵎⴰⵢⵏⵓ ⵏ ⵜⵙⵓⵇ ⵏ ⵜⴳⵎⵓⴹⴰ ⴳ {n}"),
        "sector": "Marchés et pôle alimentaire", "competence": "own",
        "objectives": "Refaire le sol, l'éclairage, les sanitaires et l'évacuation des eaux du marché, et "
                      "réserver des étals aux vendeuses de produits du terroir.",
        "beneficiaries": (14_000, 7_300, 6_700, 300),
        "indicators": [("Étals rénovés", "étals", 0, 160)],
        "cost": 4_800_000, "partners": [(INDH, 1_500_000)],
        "duration": 2, "start": 2025, "department": "Service des marchés et du pôle alimentaire",
        "sdgs": "8,11", "markers": (1, 0, 1), "quality": 2.6, "profile": {},
    },
]

PROJECTS += [
    {  # TET-17
        "axis": 5, "hoods": [12, 10],
        "title": ("ملحقة إدارية للقرب في {n}", "Annexe administrative de proximité à {n}",
                  "ⴰⵙⵓⵔ ⴰⵏⴱⴱⴰⴹ ⵏ ⵜⴳⵎⵓⴹⴰ ⴳ {n}"),
        "sector": "Services administratifs", "competence": "own",
        "objectives": "Ouvrir une annexe de l'état civil et de la légalisation dans le quartier, accessible "
                      "et reliée au guichet numérique, pour éviter aux habitants le déplacement au centre.",
        "beneficiaries": (30_000, 15_400, 14_600, 900),
        "indicators": [("Temps de trajet moyen jusqu'au guichet", "minutes", 45, 15)],
        "cost": 5_600_000, "partners": [(INTERIOR, 2_000_000)],
        "duration": 2, "start": 2026, "department": "Division de l'état civil",
        "sdgs": "16", "markers": (0, 0, 1), "quality": 3.0, "profile": {},
    },
    {  # TET-18
        "axis": 7, "hoods": [7, 8],
        "title": ("ممرات ولوجة وإشارات صوتية في {n}", "Cheminements accessibles et feux sonores à {n}",
                  "ⴰⵏⴽⵛⴰⵎ ⵏ ⵉⴱⵔⵉⴷⵏ ⵉ ⵎⵉⴷⴷⵏ ⴳ ⵡⴰⴷⴷⴰⴷ ⵏ ⵜⵓⵏⵖⵉⴼⵜ ⴳ {n}"),
        "sector": "Accessibilité", "competence": "own",
        "objectives": "Abaisser les bordures de trottoir, poser des bandes podotactiles et équiper les passages "
                      "piétons de feux sonores, avec l'association des personnes aveugles de Tétouan.",
        "beneficiaries": (25_000, 12_900, 12_100, 2_100),
        "indicators": [("Passages piétons accessibles", "passages", 6, 80)],
        "cost": 3_900_000, "partners": [(INDH, 1_200_000), (SOLIDARITY, 900_000)],
        "duration": 2, "start": 2025, "department": "Service technique",
        "sdgs": "10,11", "markers": (1, 0, 2), "quality": 3.5, "profile": {"gender-inclusion": 1.0},
    },
    {  # TET-19
        "axis": 6, "hoods": [13, 14, 16, 12],
        "title": ("روض جماعي للأطفال في {n}", "Crèche communale à {n}", "ⴰⵙⵓⵔ ⵏ ⵓⵃⴹⴰⵢ ⵏ ⵜⴰⵔⵡⴰ ⴳ {n}"),
        "sector": "Petite enfance", "competence": "shared",
        "objectives": "فتح روض للأطفال بأثمنة رمزية لتمكين الأمهات العاملات والباحثات عن عمل من متابعة "
                      "التكوين والشغل.",
        "beneficiaries": (900, 700, 200, 40),
        "indicators": [("Places d'accueil", "places", 0, 90)],
        "cost": 2_600_000, "partners": [(INDH, 1_300_000), (UNDP, 300_000)],
        "duration": 1, "start": 2026, "department": "Division des affaires sociales",
        "sdgs": "4,5,8", "markers": (2, 0, 1), "quality": 3.3, "profile": {"gender-inclusion": 1.3},
    },
    {  # TET-20
        "axis": 8, "hoods": MEDINA,
        "title": ("ترميم السقايات التاريخية في {n}", "Restauration des fontaines historiques de {n}",
                  "ⴰⵙⵎⴰⵢⵏⵓ ⵏ ⵉⵖⴱⴰⵍⵓⵜⵏ ⵉⵇⴱⵓⵔⵏ ⵏ ⵡⴰⵎⴰⵏ ⴳ {n}"),
        "sector": "Patrimoine", "competence": "shared",
        "objectives": "Restaurer les fontaines publiques (sqayas) et leur réseau d'eau ancien, et les remettre "
                      "en eau potable pour les passants.",
        "beneficiaries": (8_000, 4_100, 3_900, 200),
        "indicators": [("Fontaines remises en eau", "fontaines", 3, 22)],
        "cost": 1_900_000, "partners": [(CULTURE, 800_000)],
        "duration": 2, "start": 2026, "department": "Service du patrimoine",
        "sdgs": "6,11", "markers": (0, 1, 0), "quality": 2.9, "profile": {},
    },
    {  # TET-21
        "axis": 9, "hoods": [],
        "title": ("بوابة البيانات المفتوحة للجماعة", "Portail des données ouvertes de la commune",
                  "ⵜⴰⵡⵡⵓⵔⵜ ⵏ ⵉⵙⴼⴽⴰ ⵉⵕⵥⵎⵏ ⵏ ⵜⴳⵎⵓⴹⴰ"),
        "sector": "Accès à l'information", "competence": "own",
        "objectives": "Publier en données ouvertes le budget, les marchés publics, les délibérations et "
                      "l'avancement du programme d'action, dans des formats réutilisables.",
        "beneficiaries": (380_000, 193_000, 187_000, 12_000),
        "indicators": [("Jeux de données publiés", "jeux", 0, 60)],
        "cost": 900_000, "partners": [(UNDP, 400_000)],
        "duration": 1, "start": 2026, "department": "Division des systèmes d'information",
        "sdgs": "16,17", "markers": (0, 0, 1), "quality": 3.1, "profile": {"cost-effectiveness": 0.8},
    },
    {  # TET-22
        "axis": 3, "hoods": [18, 10],
        "title": ("التشجير ومسارات المشي في {n}", "Reboisement et sentiers de promenade à {n}",
                  "ⴰⵥⵥⵓ ⵏ ⵉⵙⴽⵍⴰ ⴷ ⵉⴱⵔⵉⴷⵏ ⵏ ⵓⴹⴰⵕ ⴳ {n}"),
        "sector": "Environnement", "competence": "shared",
        "objectives": "Reboiser les pentes dégradées pour limiter l'érosion et les coulées de boue, et ouvrir "
                      "des sentiers de promenade balisés avec des points de vue sur la ville.",
        "beneficiaries": (20_000, 10_200, 9_800, 500),
        "indicators": [("Surface reboisée", "hectares", 0, 60)],
        "cost": 4_500_000,
        "partners": [("Agence nationale des eaux et forêts", 2_500_000), (REGION, 1_000_000)],
        "duration": 3, "start": 2025, "department": "Service des espaces verts",
        "sdgs": "13,15", "markers": (0, 2, 0), "quality": 3.2, "profile": {"environment": 1.2},
    },
    {  # TET-23
        "axis": 0, "hoods": MEDINA + [16],
        "title": ("حاويات أرضية مدفونة في {n}", "Conteneurs enterrés à {n}",
                  "ⵉⵙⵏⴷⵓⵇⵏ ⵏ ⵉⵣⴱⵍⴰⵏ ⴷⴷⴰⵡ ⵡⴰⴽⴰⵍ ⴳ {n}"),
        "sector": "Propreté", "competence": "own",
        "objectives": "Remplacer les bacs qui débordent par des conteneurs enterrés de grande capacité, vidés "
                      "par camion-grue, aux entrées des ruelles.",
        "beneficiaries": (26_000, 13_300, 12_700, 700),
        "indicators": [("Conteneurs enterrés installés", "conteneurs", 0, 90)],
        "cost": 11_000_000,
        "partners": [("Ministère de l'Intérieur — Programme national des déchets ménagers", 5_000_000)],
        "duration": 2, "start": 2026, "department": "Service de la propreté",
        "sdgs": "11,12", "markers": (0, 2, 1), "quality": 3.1, "profile": {"cost-effectiveness": -0.6},
    },
    {  # TET-24
        "axis": 7, "hoods": [17, 16, 19],
        "title": ("مسارات آمنة نحو المدارس في {n}", "Chemins sûrs vers les écoles à {n}",
                  "ⵉⴱⵔⵉⴷⵏ ⵏ ⵓⴹⴰⵕ ⵖⵔ ⵜⵉⵏⵎⴰⵍ ⴳ {n}"),
        "sector": "Sécurité routière", "competence": "own",
        "objectives": "Sécuriser les trajets à pied vers les écoles : trottoirs continus, ralentisseurs, "
                      "passages surélevés et accompagnement des élèves aux heures d'entrée.",
        "beneficiaries": (7_500, 3_800, 3_700, 180),
        "indicators": [("Écoles dotées d'un chemin sécurisé", "écoles", 1, 12)],
        "cost": 2_200_000, "partners": [("Agence nationale de la sécurité routière (NARSA)", 900_000)],
        "duration": 1, "start": 2025, "department": "Division de la circulation et des transports",
        "sdgs": "3,4,11", "markers": (1, 0, 2), "quality": 3.4, "profile": {"urgency": 0.7},
    },
]

# --- round 1: the override and the recusal ----------------------------------------------------

ROUND_1_NAME = "Priorités 2023–2025"
ROUND_2_NAME = "Mise à jour 2026"
RECUSAL_REASON = "Membre du bureau de l'association porteuse de l'idée"
OVERRIDE_JUSTIFICATION = (
    "Le projet est avancé : la Région a confirmé son cofinancement pour 2024 et la saison des pluies "
    "a de nouveau inondé des logements du quartier ; attendre le ferait perdre. Décision motivée du président "
    "du comité, à présenter au conseil communal."
)
OVERRIDE_JUSTIFICATION_OTHER = (
    "Le projet est avancé : son cofinancement a été confirmé pour l'année prochaine et attendre le ferait "
    "perdre. Décision motivée du président du comité, à présenter au conseil communal."
)

# A few members' comments on low and high scores (members write in the language they work in).
LOW_SCORE_COMMENTS = [
    "Le foncier n'est pas encore identifié.",
    "التكلفة مرتفعة مقارنة بعدد المستفيدين.",
    "Aucune étude technique à ce stade.",
    "لا نرى أثرا واضحا على النساء والأشخاص في وضعية إعاقة.",
]
HIGH_SCORE_COMMENTS = [
    "Besoin exprimé dans tous les ateliers de quartier.",
    "مشروع ناضج والشركاء ملتزمون.",
    "Très bon rapport coût-bénéfice, cofinancement acquis.",
    "يستجيب لحاجة يومية للسكان.",
]
