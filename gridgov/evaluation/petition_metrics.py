"""The petition measures (信访) per street/town and period, in one SQL aggregate. Definitions in
docs/evaluation.md ("Petition measures"); in short, over petition matters received in [start, end), nothing
after as_of = min(end, now) counted:

  初信初访一次性化解率 first-time resolution = first petitions (not a confirmed repeat of an earlier matter)
             that were accepted (受理), whose case is closed by as_of and that no later petition repeats by as_of
             / first petitions accepted
  复访率     repeat rate    = petitions that are confirmed repeats (复访/重复访) / all petitions
  越级访率   skip-level rate = petitions that reached a level above the responsible one (越级) / all petitions
  群众满意率 satisfaction   = petitions closed by as_of rated satisfied (GRIDGOV_EVALUATION_SATISFIED; the
             citizen's rating, else the verifier's) / closed petitions rated

By street: the first 9 digits of the case's grid code. A unit with a zero denominator has no rate (None),
never 0 % or 100 %.
"""
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

from gridgov.cases.models import Status
from gridgov.grids.models import GridUnit
from gridgov.petitions.models import Decision

from . import conf
from .metrics import parse_period
from .models import RatingSource

SQL = """
WITH m AS (
    SELECT left(k.grid_code, 9) AS unit, pm.case_id, pm.repeat_of_id IS NULL AS first_time,
           pm.decision = %(accepted)s AND pm.decided_at <= %(as_of)s AS accepted,
           k.status = %(closed)s AND k.closed_at <= %(as_of)s AS closed,
           pm.level_reached > pm.responsible_level AS skipped,
           EXISTS (SELECT 1 FROM petitions_petitionmatter r JOIN cases_case rk ON rk.id = r.case_id
                   WHERE r.repeat_of_id = pm.case_id AND rk.received_at <= %(as_of)s) AS repeated,
           coalesce((SELECT level FROM evaluation_rating WHERE case_id = k.id AND source = %(reporter)s),
                    (SELECT level FROM evaluation_rating WHERE case_id = k.id AND source = %(verifier)s)) AS rating
    FROM petitions_petitionmatter pm JOIN cases_case k ON k.id = pm.case_id
    WHERE k.received_at >= %(start)s AND k.received_at < %(end)s AND k.received_at <= %(as_of)s
)
SELECT unit, count(*) AS petitions,
       count(*) FILTER (WHERE first_time AND accepted) AS first_accepted,
       count(*) FILTER (WHERE first_time AND accepted AND closed AND NOT repeated) AS first_resolved,
       count(*) FILTER (WHERE NOT first_time) AS repeats,
       count(*) FILTER (WHERE skipped) AS skipped,
       count(*) FILTER (WHERE closed AND rating IS NOT NULL) AS rated,
       count(*) FILTER (WHERE closed AND rating = ANY (%(satisfied)s)) AS satisfied
FROM m GROUP BY unit ORDER BY unit
"""


@dataclass
class PetitionFigures:
    key: str
    name: str
    petitions: int = 0
    first_accepted: int = 0
    first_resolved: int = 0
    repeats: int = 0
    skipped: int = 0
    rated: int = 0
    satisfied: int = 0
    rates: dict = field(default_factory=dict)

    def compute_rates(self):
        def ratio(a, b):
            return round(a / b, 4) if b else None

        self.rates = {"first_time_resolution_rate": ratio(self.first_resolved, self.first_accepted),
                      "repeat_rate": ratio(self.repeats, self.petitions),
                      "skip_level_rate": ratio(self.skipped, self.petitions),
                      "satisfaction_rate": ratio(self.satisfied, self.rated)}
        return self


def petition_figures(period_start, period_end, now=None):
    """[PetitionFigures] per street/town with petitions in the period, by street code."""
    start, end = parse_period(period_start, period_end)
    as_of = min(end, now or timezone.now())
    with connection.cursor() as cur:
        cur.execute(SQL, {"start": start, "end": end, "as_of": as_of, "reporter": RatingSource.REPORTER,
                          "verifier": RatingSource.VERIFIER, "accepted": Decision.ACCEPTED, "closed": Status.CLOSED, "satisfied": list(conf.satisfied_levels())})
        cols = [c.name for c in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    names = dict(GridUnit.objects.filter(code__in=[r["unit"] for r in rows], is_active=True)
                 .values_list("code", "name"))
    return [PetitionFigures(key=r["unit"], name=names.get(r["unit"], r["unit"]),
                            **{k: v for k, v in r.items() if k != "unit"}).compute_rates() for r in rows]
