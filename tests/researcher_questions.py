"""The questions researchers ask of the graph, as SPARQL: each a function of ``select`` (a
query → rows of strings), so that the same questions, assertions unchanged, are asked of the
embedded store (tests/test_researcher_queries.py) and of a remote engine
(tests/test_virtuoso.py). ``QUESTIONS`` maps each name to its function.

The expected figures here are typed from the documents by hand, independently of
graph_data/figures.csv: the 2024 General Information block pair by pair, and the MPL's
tables and statements.
"""

from __future__ import annotations

from decimal import Decimal

from kgsupport import BASE

# indicator, area, period, value, unit local name, source dataset: both sides of every pair
# of the 2024 profile's General Information block.
GENERAL_INFORMATION = [
    ("population", "2024", "20592571", "unit-persons", "world-bank-wdi"),
    ("population", "2024", "20243981", "unit-persons", "stat-kz"),
    ("immigrant-stock", "2024", "2089797", "unit-persons", "un-desa-ims-2024"),
    ("immigration-flow", "2024-q3", "20383", "unit-persons", "stat-kz"),
    ("emigrant-stock", "2024", "2796572", "unit-persons", "un-desa-ims-2024"),
    ("emigration-flow", "2024-q3", "10201", "unit-persons", "stat-kz"),
    ("working-age-population", "2024", "12761934", "unit-persons", "world-bank-wdi"),
    ("working-age-population", "2024-q3", "9735000", "unit-persons", "stat-kz"),
    ("unemployment-rate", "2022", "4.9", "PERCENT", "world-bank-wdi"),
    ("unemployment-rate", "2024-q3", "4.6", "PERCENT", "stat-kz"),
    ("gdp-current-prices", "2024", "288406138230.7", "CCY_USD", "world-bank-wdi"),
    ("gdp-current-prices", "2023", "119748439100000", "CCY_KZT", "stat-kz"),
    ("refugees", "2024", "65833", "unit-persons", "unhcr-refugee-statistics"),
    ("refugees", "2023", "259", "unit-persons", "cis-stat"),
    ("asylum-seekers", "2024", "319", "unit-persons", "unhcr-refugee-statistics"),
    ("asylum-seekers", "2023", "316", "unit-persons", "cis-stat"),
    ("idps", "2024", "0", "unit-persons", "unhcr-refugee-statistics"),
    ("naturalisation-residence-requirement", "2024", "5", "YR", "globalcit"),
    ("territory-area", "undated-profile-2024", "2724900", "KiloM2", "cia-world-factbook"),
]


#: Stocks placed by residence: Kazakhstan's emigrants live in the world (refArea) and come from
#: Kazakhstan (counterpartArea); every other General Information figure is Kazakhstan's own.
DIRECTION = {"emigrant-stock": ("world", "kz")}


def general_information_figure(select, indicator, period, value, unit, source):
    area, counterpart = DIRECTION.get(indicator, ("kz", "world"))
    rows = select(f"""
        SELECT ?value ?unit ?locator WHERE {{
            ?obs mig:indicator <{BASE}id/indicator/{indicator}> ;
                 sdmx-dimension:refArea <{BASE}id/area/{area}> ;
                 sdmx-dimension:refPeriod <{BASE}id/period/{period}> ;
                 mig:counterpartArea <{BASE}id/area/{counterpart}> ;
                 prov:hadPrimarySource <{BASE}id/source/{source}> ;
                 prov:wasDerivedFrom <{BASE}id/publication/profile-2024> ;
                 sdmx-measure:obsValue ?value ; sdmx-attribute:unitMeasure ?unit ; mig:locator ?locator .
        }}""")
    assert len(rows) == 1, rows
    assert Decimal(rows[0]["value"]) == Decimal(value)
    assert rows[0]["unit"].endswith(unit)
    assert rows[0]["locator"].startswith("General Information")


def question_citizenship_facts_are_coded_with_their_qualifier(select):
    rows = select(f"""
        SELECT ?indicator ?valueLabel ?qualifier WHERE {{
            ?obs mig:indicator ?i ; sdmx-measure:obsValue ?v ; prov:hadPrimarySource <{BASE}id/source/globalcit> .
            ?i skos:notation ?indicator . ?v a mig:CategoricalValue ; skos:prefLabel ?valueLabel .
            OPTIONAL {{ ?obs mig:qualifier/skos:prefLabel ?qualifier }}
        }} ORDER BY ?indicator""")
    assert [(r["indicator"], r["valueLabel"], r["qualifier"]) for r in rows] == [
        ("citizenship-by-birth", "No", None),
        ("citizenship-by-descent", "Yes", "conditional"),
    ]


def question_stat_kz_and_un_desa_immigration_figures_are_kept_apart(select):
    """ "What does STAT KZ say about immigration in 2024, and what does UN DESA say?"""
    rows = select("""
        SELECT ?sourceName ?indicator ?period ?value WHERE {
            ?obs mig:indicator ?i ; sdmx-measure:obsValue ?value ; sdmx-dimension:refPeriod/rdfs:label ?period ;
                 prov:hadPrimarySource/skos:altLabel ?sourceName .
            ?i skos:notation ?indicator .
            FILTER (?indicator IN ("immigrant-stock", "immigration-flow"))
            FILTER (?sourceName IN ("STAT KZ"@en, "UN DESA"@en))
            ?obs sdmx-dimension:refPeriod/time:hasBeginning/time:inXSDDate ?begin .
            FILTER (YEAR(?begin) = 2024)
        } ORDER BY ?sourceName""")
    assert [(r["sourceName"], r["indicator"], r["period"], r["value"]) for r in rows] == [
        ("STAT KZ", "immigration-flow", "2024-Q3", "20383"),
        ("UN DESA", "immigrant-stock", "2024", "2089797"),
    ]


def question_table_1_time_series(select):
    rows = select(f"""
        SELECT ?year ?value WHERE {{
            ?obs mig:indicator <{BASE}id/indicator/immigration-flow> ; mig:locator "Table 1" ;
                 mig:counterpartArea <{BASE}id/area/world> ; sdmx-measure:obsValue ?value ;
                 sdmx-dimension:refPeriod/rdfs:label ?year .
        }} ORDER BY ?year""")
    assert [(r["year"], int(r["value"])) for r in rows] == [
        ("2009", 41511),
        ("2010", 42057),
        ("2011", 38016),
        ("2012", 28296),
        ("2013", 24105),
        ("2014", 16784),
    ]


def question_refugees_by_sex_from_the_mia(select):
    rows = select(f"""
        SELECT ?year ?sex ?value WHERE {{
            ?obs mig:indicator <{BASE}id/indicator/refugees> ; sdmx-dimension:sex ?s ;
                 prov:hadPrimarySource <{BASE}id/source/mia> ; mig:region <{BASE}id/area/all-regions> ;
                 sdmx-measure:obsValue ?value ; sdmx-dimension:refPeriod/rdfs:label ?year .
            ?s skos:notation ?sex .
        }} ORDER BY ?year ?sex""")
    assert [(r["year"], r["sex"], int(r["value"])) for r in rows] == [
        ("2014", "F", 283),
        ("2014", "M", 357),
        ("2014", "T", 640),
        ("2015", "F", 299),
        ("2015", "M", 379),
        ("2015", "T", 678),
    ]


def question_qualifiers_are_kept(select):
    rows = select(f"""
        SELECT ?published ?qualifier ?lower ?upper WHERE {{
            <{BASE}id/observation/mpl-s43-irregular-migrants-estimate> mig:publishedValue ?published ;
                mig:qualifier/skos:prefLabel ?qualifier ; mig:lowerBound ?lower ; mig:upperBound ?upper .
        }}""")
    assert rows == [
        {
            "published": "200-300 thousand",
            "qualifier": "range",
            "lower": "200000",
            "upper": "700000",
        }
    ]


def _holders(select, function: str, year: int) -> set[tuple[str, str]]:
    rows = select(f"""
        SELECT ?authority ?status WHERE {{
            ?a a mig:FunctionAssignment ; mig:function <{BASE}id/function/{function}> ;
               mig:authority/skos:prefLabel ?authority ; mig:assignmentStatus/skos:prefLabel ?status ;
               mig:validDuring ?p .
            ?p time:hasBeginning/time:inXSDDate ?b ; time:hasEnd/time:inXSDDate ?e .
            FILTER (YEAR(?b) <= {year} && YEAR(?e) >= {year})
        }}""")
    return {(r["authority"], r["status"]) for r in rows}


def question_who_decided_refugee_status_in_2016_and_in_2024(select):
    assert _holders(select, "refugee-status-determination", 2016) == {
        (
            "Migration Police of the Ministry of Internal Affairs of the Republic of Kazakhstan",
            "performs",
        )
    }
    assert _holders(select, "refugee-status-determination", 2024) == {
        ("Ministry of Internal Affairs of the Republic of Kazakhstan", "no longer performs"),
        (
            "Ministry of Labour and Social Protection of Population of the Republic of Kazakhstan",
            "performs",
        ),
    }


def question_responsible_bodies_2016_and_2024(select):
    rows = select("""
        SELECT ?year ?role ?authority WHERE {
            ?r a mig:RoleAssignment ; org:role/skos:prefLabel ?role ; org:member/skos:prefLabel ?authority ;
               org:memberDuring/time:hasBeginning/time:inXSDDate ?b .
            BIND (YEAR(?b) AS ?year)
            FILTER (?role IN ("Responsible body"@en, "Authorised body"@en, "Policy-shaping body"@en))
        } ORDER BY ?year ?role""")
    assert [(r["year"], r["role"], r["authority"]) for r in rows] == [
        (
            "2016",
            "Authorised body",
            "Ministry of Health and Social Development of the Republic of Kazakhstan",
        ),
        (
            "2016",
            "Policy-shaping body",
            "Ministry of National Economy of the Republic of Kazakhstan",
        ),
        (
            "2024",
            "Responsible body",
            "Ministry of Labour and Social Protection of Population of the Republic of Kazakhstan",
        ),
    ]


def question_laws_with_adoption_and_amendment_years(select):
    rows = select("""
        SELECT ?title ?adopted ?amended WHERE {
            ?law a mig:Law ; eli:is_realized_by/eli:title ?title ; mig:amendmentYear ?amended .
            OPTIONAL { ?law eli:date_document ?date }
            OPTIONAL { ?law mig:adoptionYear ?year }
            BIND (COALESCE(STR(?year), SUBSTR(STR(?date), 1, 4)) AS ?adopted)
        } ORDER BY ?adopted""")
    assert [(r["title"], r["adopted"], r["amended"]) for r in rows] == [
        ("On legal status of foreigners", "1995", "2021"),
        ("On Refugees", "2009", "2021"),
        ("On population migration", "2011", "2018"),
    ]


def question_migration_policy_concept_2023_2027(select):
    rows = select(f"""
        SELECT ?approved ?from ?to ?by WHERE {{
            <{BASE}id/law/migration-policy-concept-2023-2027> mig:adoptionYear ?approved ;
                mig:validDuring ?p ; eli:passed_by/skos:prefLabel ?by .
            ?p time:hasBeginning/time:inXSDDate ?from ; time:hasEnd/time:inXSDDate ?to .
        }}""")
    assert rows == [
        {
            "approved": "2022",
            "from": "2023-01-01",
            "to": "2027-12-31",
            "by": "Government of the Republic of Kazakhstan",
        }
    ]


def question_every_ministry_is_an_org_organization_through_the_class_hierarchy(select):
    rows = select("""
        SELECT (COUNT(DISTINCT ?m) AS ?n) WHERE {
            ?m a/rdfs:subClassOf* <http://www.w3.org/ns/org#Organization> ; a mig:Ministry .
        }""")
    assert int(rows[0]["n"]) == 5  # MNE, MIA, MFA, MHSD, MLSPP


def question_every_source_organisation_has_its_short_name(select):
    rows = select("""
        SELECT ?short WHERE { ?s prov:hadPrimarySource|^prov:hadPrimarySource ?x .
                              ?x dct:publisher/(mig:shortName|skos:prefLabel) ?short } """)
    names = {r["short"] for r in rows}
    assert {
        "STAT KZ",
        "UN DESA",
        "UNHCR",
        "World Bank",
        "GLOBALCIT",
        "CIA",
        "IOM",
        "MIA",
        "MHSD",
    } <= names


def question_kazakhs_in_turkiye_as_each_document_states_them_in_one_query(select):
    """One convention for stocks abroad (by residence): the MPL's 13,000 (2016) and the 2024
    page's 30,000 are both refArea Türkiye, counterpart Kazakhstan, one indicator."""
    rows = select(f"""
        SELECT ?publication ?value ?published WHERE {{
            ?obs mig:indicator <{BASE}id/indicator/ethnic-kazakhs-abroad> ;
                 sdmx-dimension:refArea <{BASE}id/area/tr> ;
                 mig:counterpartArea <{BASE}id/area/kz> ;
                 sdmx-measure:obsValue ?value ; mig:publishedValue ?published ;
                 prov:wasDerivedFrom ?publication .
            ?publication a mig:Publication .
        }} ORDER BY ?publication""")
    assert [(r["publication"].rsplit("/", 1)[1], int(r["value"])) for r in rows] == [
        ("mpl-2015", 13000),
        ("profile-2024", 30000),
    ]


def question_a_query_by_calendar_year_can_leave_out_vague_periods(select):
    """The post-mobilisation arrivals are not an annual 2022 figure: their period is vague and
    lies inside 2022, so a calendar-year query that excludes vague periods does not count them."""
    rows = select(f"""
        SELECT ?obs ?vague WHERE {{
            ?obs mig:indicator <{BASE}id/indicator/border-crossing-arrivals> ;
                 mig:counterpartArea <{BASE}id/area/ru> ; sdmx-dimension:refPeriod ?p .
            OPTIONAL {{ ?p mig:vaguePeriod ?vague }}
        }}""")
    assert rows == [
        {"obs": f"{BASE}id/observation/web-n4-border-arrivals-ru-2022", "vague": "true"}
    ]
    annual = select(f"""
        SELECT ?obs WHERE {{
            ?obs sdmx-dimension:refPeriod <{BASE}id/period/2022> ;
                 mig:indicator <{BASE}id/indicator/border-crossing-arrivals> . }}""")
    assert f"{BASE}id/observation/web-n4-border-arrivals-ru-2022" not in {r["obs"] for r in annual}


def question_no_flow_sits_at_an_instant(select):
    rows = select("""
        SELECT ?obs WHERE {
            ?obs mig:indicator/mig:statisticType mig:stat-flow ; sdmx-dimension:refPeriod ?p .
            ?p time:hasBeginning/time:inXSDDate ?b ; time:hasEnd/time:inXSDDate ?e . FILTER(?b >= ?e) }""")
    assert rows == []


def question_every_directional_observation_follows_its_convention(select):
    rows = select("""
        SELECT (COUNT(?obs) AS ?n) (SUM(IF(?area = ?cp, 1, 0)) AS ?same) WHERE {
            ?obs mig:indicator/mig:direction ?d ; sdmx-dimension:refArea ?area ; mig:counterpartArea ?cp . }""")
    assert int(rows[0]["n"]) > 150 and int(rows[0]["same"]) == 0
    kin = select("""
        SELECT ?obs WHERE { ?obs mig:indicator/mig:kinState ?kin ; mig:counterpartArea ?cp ;
                                 sdmx-dimension:refArea ?area . FILTER(?cp != ?kin || ?area = ?kin) }""")
    assert kin == []


#: Every question by name (without the ``question_`` prefix).
QUESTIONS = {
    name.removeprefix("question_"): function
    for name, function in sorted(globals().items())
    if name.startswith("question_")
}
