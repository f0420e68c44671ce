"""Reads of petition work: the petitioner's file and the repeat candidates of a new petition."""
from django.db import connection
from django.db.models import Prefetch

from .models import PetitionMatter, PetitionParty, Petitioner, _last_day

# A candidate must share a petitioner, or lie within this distance with similar text (the same matter
# raised by someone else: a group's members, a neighbour).
NEAR_METRES = 500
MIN_TEXT_SIMILARITY = 0.15

REPEAT_SQL = """
WITH me AS (
    SELECT k.id, k.point, k.description, k.category_id, k.received_at,
           array(SELECT p.petitioner_id FROM petitions_petitionparty p WHERE p.matter_id = k.id) AS people
    FROM cases_case k WHERE k.id = %(case_id)s
), pool AS (
    -- earlier matters of the same people (index on petitionparty.petitioner_id) ...
    SELECT DISTINCT pp.matter_id AS id, true AS same_person
    FROM petitions_petitionparty pp, me WHERE pp.petitioner_id = ANY (me.people) AND pp.matter_id <> me.id
    UNION ALL
    -- ... and others' matters nearby with similar words (GiST on point, trigram GIN on description)
    SELECT k.id, false FROM cases_case k JOIN petitions_petitionmatter m ON m.case_id = k.id, me
    WHERE k.id <> me.id
      -- the box first (GiST index on the geometry), then metres on the spheroid
      AND k.point && ST_Expand(me.point, %(near)s / (111320 * cos(radians(ST_Y(me.point)))))
      AND ST_DWithin(k.point::geography, me.point::geography, %(near)s)
      AND k.description %% me.description
)
SELECT k.id, bool_or(pool.same_person) AS same_person,
       similarity(k.description, me.description) AS text_similarity,
       ST_Distance(k.point::geography, me.point::geography) AS metres,
       (k.category_id = me.category_id) AS same_category
FROM pool JOIN cases_case k ON k.id = pool.id, me
WHERE k.received_at <= me.received_at
GROUP BY k.id, me.description, me.point, me.category_id
HAVING bool_or(pool.same_person) OR similarity(k.description, me.description) >= %(min_sim)s
ORDER BY bool_or(pool.same_person) DESC,
         (similarity(k.description, me.description)
          + CASE WHEN k.category_id = me.category_id THEN 0.3 ELSE 0 END
          + greatest(0, 0.2 * (1 - ST_Distance(k.point::geography, me.point::geography) / %(near)s))) DESC,
         k.id DESC
LIMIT %(limit)s
"""


def repeat_candidates(matter, limit=10):
    """Earlier matters that may be the same one raised again, best first, for staff to confirm:
    [{"case_id", "same_person", "text_similarity", "metres", "same_category"}]."""
    with connection.cursor() as cur:
        cur.execute("SELECT set_limit(%s)", [MIN_TEXT_SIMILARITY])
        cur.execute(REPEAT_SQL, {"case_id": matter.pk, "near": NEAR_METRES, "min_sim": MIN_TEXT_SIMILARITY,
                                 "limit": limit})
        cols = ["case_id", "same_person", "text_similarity", "metres", "same_category"]
        return [dict(zip(cols, row)) for row in cur.fetchall()]


def current_file(petitioner):
    """The file a (possibly merged) petitioner now lives in (read as stored)."""
    petitioner = Petitioner.objects.get(pk=petitioner.pk)
    while petitioner.merged_into_id:
        petitioner = petitioner.merged_into
    return petitioner


def petitioner_file(petitioner):
    """一人一档: the person and every matter they took part in, oldest first, with each matter's case."""
    person = current_file(petitioner)
    matters = (PetitionMatter.objects.filter(parties__petitioner=person).select_related("case", "case__category")
               .prefetch_related(Prefetch("parties", queryset=PetitionParty.objects.select_related("petitioner")))
               .order_by("case__received_at", "case_id"))
    return person, list(matters)


def people_of(matter):
    return list(Petitioner.objects.filter(parties__matter=matter).order_by("parties__id"))


def petition_panel(case):
    """What the command centre's case page shows of a petition matter, or None for other cases."""
    from gridgov.cases.models import Case

    matter = PetitionMatter.objects.filter(pk=case.pk).select_related("repeat_of__case").first()
    if matter is None:
        return None
    parties = list(PetitionParty.objects.filter(matter=matter).select_related("petitioner").order_by("id"))
    found = repeat_candidates(matter) if matter.repeat_of_id is None else []
    numbers = dict(Case.objects.filter(pk__in=[c["case_id"] for c in found]).values_list("id", "number"))
    for c in found:
        c["number"] = numbers.get(c["case_id"], "")
    reviews = list(matter.reviews.order_by("requested_at"))
    return {"matter": matter, "parties": parties, "candidates": found, "reviews": reviews,
            "can_request": {"review": matter.replied_at is not None and not any(r.kind == "review" for r in reviews),
                            "re_review": any(r.kind == "review" and r.outcome != "pending" for r in reviews)
                            and not any(r.kind == "re_review" for r in reviews)}}


def desk_queue(now, clock="", query="", limit=200):
    """The desk's open matters with their running statutory clock (告知 while undecided, 办结 once accepted
    and not closed), worst first: [PetitionMatter] with .stage, .due and .clock ('overdue' | 'near' | 'ok').
    clock filters on that state; query matches a case number or a petitioner's name."""
    from datetime import timedelta

    from django.db.models import Case as When_, CharField, DateTimeField, F, Q, Value, When

    from gridgov.cases.models import Status

    from . import conf
    from .models import Decision

    near = now + timedelta(days=conf.days("NEAR_DAYS"))
    rows = (PetitionMatter.objects.select_related("case", "case__category")
            .filter(Q(decision=Decision.PENDING) | Q(decision=Decision.ACCEPTED) & ~Q(case__status=Status.CLOSED))
            .annotate(stage=When_(When(decision=Decision.PENDING, then=Value("notice")), default=Value("handling"),
                                  output_field=CharField()),
                      due=When_(When(decision=Decision.PENDING, then=F("notice_due")), default=F("handling_due"),
                                output_field=DateTimeField()))
            .annotate(clock=When_(When(due__lt=now, then=Value("overdue")), When(due__lt=near, then=Value("near")),
                                  default=Value("ok"), output_field=CharField())))
    if clock:
        rows = rows.filter(clock=clock)
    query = (query or "").strip()
    if query:
        rows = rows.filter(Q(case__number=query.upper()) | Q(parties__petitioner__name=query)).distinct()
    found = list(rows.order_by("due", "case_id")[:limit])
    for m in found:
        m.due_last_day = _last_day(m.due)
    return found
