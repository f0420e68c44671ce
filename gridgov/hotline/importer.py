"""Import a 12345 ticket file as cases, in chunks, set-based in PostGIS.

Per chunk (one transaction): rows checked in Python (reading.parse_row); tickets already imported
skipped; rows with coordinates located with gridgov.grids.locate.bulk_assign over a COPY-loaded
staging table; rows with only a village/community name matched against the grid hierarchy in
memory (exact name, then name contained in the address; longest wins; a tie is an error);
categories suggested by gridgov.classify; then gridgov.cases.bulk.do_bulk_create_cases (one COPY, one
locate over all points, one INSERT … SELECT; the audit trigger records each insert, attributed to the
importing user) writes the cases, and one more INSERT their HotlineTicket rows.
The batch row's counters are committed after each chunk, so a page can poll the progress.
"""
import csv
import io
import time
import uuid
from collections import defaultdict
import multiprocessing
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone

from geodata.datums import to_wgs84_arrays
from gridgov.cases.bulk import BulkCase, do_bulk_create_cases
from gridgov.cases.models import Category, Channel
from gridgov.grids.models import Level
from gridgov.spreadsheets import neutralise

from .models import BatchStatus
from .reading import COLUMNS, MAX_TEXT, RowError, _cell, map_headings, parse_row, read_table

CHUNK = 10_000
# Files above this many rows are classified in a separate process (spawned: it loads the cached model
# itself; no fork of a threaded server). The model's Python/NumPy work holds the GIL, so in a thread it
# slowed the COPY/INSERT path it was meant to overlap: 100,000 rows took 134 s that way, quiet machine.
PROCESS_ABOVE = 5_000
# Tickets → cases: a fixed namespace, so a ticket number always gives the same client_uuid.
TICKET_NAMESPACE = uuid.UUID("6f1d2c1e-12a4-5d0e-9b1f-123450000000")


def ticket_uuid(ticket_no):
    return uuid.uuid5(TICKET_NAMESPACE, ticket_no)


@dataclass
class Failed:
    line: int
    raw: dict
    zh: str
    en: str


class _DryRun(Exception):
    def __init__(self, would_create):
        super().__init__(would_create)
        self.would_create = would_create


class NameIndex:
    """Village/community (and town) names of the active grid hierarchy, matched offline."""

    def __init__(self):
        with connection.cursor() as cur:
            cur.execute("SELECT u.id, u.code, u.name, coalesce(p.name, ''), ST_X(ST_PointOnSurface(u.geom)),"
                        " ST_Y(ST_PointOnSurface(u.geom)) FROM grids_gridunit u"
                        " LEFT JOIN grids_gridunit p ON p.id = u.parent_id"
                        " WHERE u.is_active AND u.level = %s", [int(Level.COMMUNITY)])
            self.units = cur.fetchall()
        self.by_name = {}
        for unit in self.units:
            self.by_name.setdefault(unit[2], []).append(unit)
        self.names = sorted(self.by_name, key=len, reverse=True)

    def _one(self, candidates, text, name):
        if len(candidates) == 1:
            return candidates[0]
        narrowed = [u for u in candidates if u[3] and u[3] in text]  # the town named too
        if len(narrowed) == 1:
            return narrowed[0]
        towns = "、".join(sorted({u[3] for u in candidates}))
        raise RowError(f"村社区名称“{name}”不唯一（{towns} 都有），请补充镇街名称或坐标",
                       f"the village name {name!r} is ambiguous ({len(candidates)} units); add the town or coordinates")

    def match(self, village, address):
        village = (village or "").strip()
        text = f"{village} {address or ''}"
        if village in self.by_name:
            return self._one(self.by_name[village], text, village)
        found = [n for n in self.names if n in text]
        if not found:
            raise RowError(f"找不到村社区：{village or address!r} 不含任何已知村社区名称",
                           f"unknown village: {village or address!r} names no known village or community")
        longest = [n for n in found if len(n) == len(found[0])]
        if len(longest) > 1:
            raise RowError(f"地址同时包含多个村社区名称：{'、'.join(longest)}",
                           f"the address names several villages: {', '.join(longest)}")
        return self._one(self.by_name[longest[0]], text, longest[0])


_TICKETS_SQL = """
    INSERT INTO hotline_hotlineticket (ticket_no, case_id, batch_id, located_by)
    SELECT s.tag, c.id, %s, CASE WHEN s.grid_id IS NULL THEN 'coordinates' ELSE 'name' END
    FROM case_bulk_created c JOIN case_bulk_stage s USING (idx)
"""


class Importer:
    def __init__(self, batch, actor, progress=None, classify=True, confirm_below=None):
        from gridgov.classify.suggest import low_confidence_threshold

        self.batch, self.actor, self.progress = batch, actor, progress or (lambda batch: None)
        self.classify = classify
        self.confirm_below = low_confidence_threshold() if confirm_below is None else confirm_below
        self.failed = []
        self.seen = set()
        self.timings = defaultdict(float)  # phase → seconds, for the bench
        self.categories = {c.code: c for c in Category.objects.filter(is_active=True, level=2)}

    def run(self, path, data=None):
        batch = self.batch
        headings, rows = read_table(path, data)
        keys = map_headings(headings)
        self.headings = headings
        self.names = NameIndex()
        batch.status, batch.started_at, batch.total_rows = BatchStatus.RUNNING, timezone.now(), len(rows)
        batch.save(update_fields=["status", "started_at", "total_rows"])
        now = timezone.now()
        starts = list(range(0, len(rows), CHUNK))
        # Tickets imported before: not classified again (each chunk still checks, for concurrent runs).
        at = keys.index("ticket_no")
        with connection.cursor() as cur:
            cur.execute("SELECT ticket_no FROM hotline_hotlineticket WHERE ticket_no = ANY(%s)",
                        [[_cell(c[at]) for c in rows if at < len(c)]])
            self.known = {t for (t,) in cur.fetchall()}
        # The next chunk's texts are classified beside this chunk's writing: in a thread for small files,
        # in a second process for large ones (PROCESS_ABOVE), so the classifier runs on the other core.
        with self._classifier_pool(len(rows)) as pool:
            pending = self._classify_chunk(pool, rows[:CHUNK], keys, 0) if starts else None
            for start in starts:
                chunk = rows[start:start + CHUNK]
                with self._timed("classify (waiting)"):
                    predictions = self._predictions(pending)
                following = start + CHUNK
                if following < len(rows):
                    pending = self._classify_chunk(pool, rows[following:following + CHUNK], keys, following)
                self._chunk([(start + i + 2, cells) for i, cells in enumerate(chunk)], keys, now, predictions)
                self._progress(start + len(chunk))
        self._finish()
        return batch

    def _classifier_pool(self, n_rows):
        if self.classify and n_rows > PROCESS_ABOVE:
            from gridgov.classify.model import get_model

            get_model()  # trained and cached here if needed, so the child only loads the cache
            return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return ThreadPoolExecutor(max_workers=1)

    def _classify_chunk(self, pool, chunk, keys, start):
        """(lines, future of their top 3) for the chunk's texts (rows not yet checked; bad rows are simply
        not used later)."""
        if not self.classify:
            return [], None
        at, ticket_at = keys.index("text"), keys.index("ticket_no")
        wanted = [(start + 2 + i, _cell(cells[at])[:MAX_TEXT]) for i, cells in enumerate(chunk)
                  if at < len(cells) and ticket_at < len(cells) and _cell(cells[ticket_at]) not in self.known]
        if not wanted:
            return [], None
        from gridgov.classify.model import predict_top

        return [line for line, _ in wanted], pool.submit(predict_top, [text for _, text in wanted], 3)

    @staticmethod
    def _predictions(pending):
        """{line: top 3} once the chunk's classification is done."""
        lines, future = pending
        return dict(zip(lines, future.result())) if future is not None else {}

    def _progress(self, processed):
        batch = self.batch
        batch.processed_rows = processed
        batch.error_count = len(self.failed)
        batch.save(update_fields=["processed_rows", "created_count", "skipped_count", "error_count",
                                  "unconfirmed_count"])
        self.progress(batch)

    @contextmanager
    def _timed(self, phase):
        t = time.perf_counter()
        yield
        self.timings[phase] += time.perf_counter() - t

    def _fail(self, line, raw, zh, en):
        self.failed.append(Failed(line, raw, zh, en))

    def _parse(self, lines, keys, now):
        good = []
        for line, cells in lines:
            raw = dict(zip(self.headings, (str(c) if c is not None else "" for c in cells)))
            try:
                row = parse_row(line, keys, cells, self.batch.datum, now)
            except RowError as exc:
                self._fail(line, raw, exc.zh, exc.en)
                continue
            row.raw = raw
            if row.ticket_no in self.seen:
                self._fail(line, raw, f"工单号 {row.ticket_no} 在文件中重复", f"ticket {row.ticket_no} appears twice in the file")
                continue
            self.seen.add(row.ticket_no)
            good.append(row)
        return good

    def _chunk(self, lines, keys, now, predictions):
        with self._timed("parse"):
            rows = self._parse(lines, keys, now)
        with connection.cursor() as cur:
            cur.execute("SELECT ticket_no FROM hotline_hotlineticket WHERE ticket_no = ANY(%s)",
                        [[r.ticket_no for r in rows]])
            existing = {t for (t,) in cur.fetchall()}
        self.batch.skipped_count += len(existing)
        rows = [r for r in rows if r.ticket_no not in existing]
        with self._timed("names"):
            staged = self._locate_by_name(rows)
        if not staged:
            return
        suggestions = [predictions.get(s[0].line, []) for s in staged]
        try:
            created, outside = self._write(staged, suggestions)
        except _DryRun as dry:
            self.batch.created_count += dry.would_create
            return
        outside = set(outside)
        unconfirmed = sum(1 for i, top in enumerate(suggestions)
                          if i not in outside and (not top or top[0][1] < self.confirm_below))
        self.batch.created_count += created
        self.batch.skipped_count += len(staged) - len(outside) - created  # imported meanwhile by another run
        self.batch.unconfirmed_count += unconfirmed

    def _write(self, staged, suggestions):
        with transaction.atomic():
            with self._timed("stage"):
                rows = self._bulk_rows(staged, suggestions)
            result = do_bulk_create_cases(self.actor, rows, action="import_hotline", outside="skip",
                                          dry_run=self.batch.dry_run)
            for phase in ("stage", "locate", "insert"):
                self.timings[phase] += result.timings.get(phase, 0.0)
            for i in result.outside:
                row = staged[i][0]
                self._fail(row.line, row.raw, f"坐标不在任何网格内（{row.datum}：{row.lon}, {row.lat}）",
                           f"the point is outside every grid ({row.datum}: {row.lon}, {row.lat})")
            if self.batch.dry_run:  # everything checked and located; nothing was written
                raise _DryRun(result.created)
            with connection.cursor() as cur, self._timed("insert"):
                cur.execute(_TICKETS_SQL, [self.batch.pk])
            return result.created, result.outside

    def _locate_by_name(self, rows):
        """[(row, grid_id or None, wlon, wlat, located_by)]; rows without coordinates matched by name."""
        staged = []
        with_coords = [r for r in rows if r.lon is not None]
        converted = {}
        for datum in {r.datum for r in with_coords}:
            group = [r for r in with_coords if r.datum == datum]
            x, y = to_wgs84_arrays(np.array([r.lon for r in group]), np.array([r.lat for r in group]), datum)
            converted.update({id(r): (float(a), float(b)) for r, a, b in zip(group, x, y)})
        for r in rows:
            if r.lon is not None:
                wlon, wlat = converted[id(r)]
                staged.append((r, None, wlon, wlat, "coordinates"))
                continue
            try:
                unit = self.names.match(r.village, r.address)
            except RowError as exc:
                self._fail(r.line, r.raw, exc.zh, exc.en)
                continue
            staged.append((r, unit[0], unit[4], unit[5], "name"))
        return staged

    def _bulk_rows(self, staged, suggestions):
        rows = []
        for (row, grid_id, wlon, wlat, located_by), top in zip(staged, suggestions):
            category, flags = self._category(top)
            if located_by == "name":
                flags.append({"code": "located_by_name", "village": row.village, "address": row.address})
            by_coordinates = row.lon is not None
            rows.append(BulkCase(
                client_uuid=ticket_uuid(row.ticket_no), lon=wlon, lat=wlat, grid_id=grid_id,
                input_lon=row.lon if by_coordinates else wlon, input_lat=row.lat if by_coordinates else wlat,
                input_datum=row.datum if by_coordinates else "wgs84", category_id=category.pk if category else None,
                description=row.text, address=row.address, channel=Channel.HOTLINE, contact_name=row.name,
                contact_phone=row.phone, flags=flags, reported_at=row.reported_at,
                tag=row.ticket_no))
        return rows

    def _category(self, top):
        if not top:
            return None, [{"code": "category_unconfirmed", "suggestions": []}]
        code, confidence = top[0]
        category = self.categories.get(code)
        if category is None:
            return None, [{"code": "category_unconfirmed", "suggestions": [list(t) for t in top]}]
        if confidence < self.confirm_below:
            return category, [{"code": "category_unconfirmed", "confidence": round(confidence, 3),
                               "suggestions": [[c, round(p, 3)] for c, p in top]}]
        return category, []

    def _finish(self):
        batch = self.batch
        batch.error_count = len(self.failed)
        if self.failed:
            batch.error_report.save(f"{batch.pk}-errors.csv", ContentFile(error_report_csv(self.headings, self.failed)),
                                    save=False)
        batch.status, batch.finished_at = BatchStatus.DONE, timezone.now()
        batch.save()


def error_report_csv(headings, failed):
    """The failed rows as they were, with the line number and the reason in Chinese and English."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["行号 line", *headings, "原因", "reason"])
    for f in sorted(failed, key=lambda f: f.line):
        w.writerow([f.line, *[neutralise(f.raw.get(h, "")) for h in headings], neutralise(f.zh), neutralise(f.en)])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def expected_columns():
    return {key: names[0] for key, names in COLUMNS.items()}
