import time

from django.core.management.base import BaseCommand, CommandError

from gridgov.classify.model import HELDOUT, get_model, read_examples, train
from gridgov.classify.report import evaluate
from gridgov.core.errors import FieldError


class Command(BaseCommand):
    help = "分类模型在带标注 CSV（text,category_code）上的准确率 / accuracy of the category classifier on a labelled CSV"

    def add_arguments(self, parser):
        parser.add_argument("--heldout", default=str(HELDOUT),
                            help="CSV with the columns text,category_code (default: the dev set data/heldout.csv)")
        parser.add_argument("--retrain", action="store_true",
                            help="train now (and time it) instead of using the cached model in var/")

    def handle(self, *args, **options):
        texts, labels = read_examples()
        if options["retrain"]:
            t0, c0 = time.perf_counter(), time.process_time()
            model = train(texts, labels)
            how = f"trained now in {time.perf_counter() - t0:.1f} s ({time.process_time() - c0:.1f} s CPU)"
        else:
            model = get_model()
            how = "cached model (var/classifier-<hash>.pkl)"
        try:
            r = evaluate(model, options["heldout"])
        except FieldError as exc:
            raise CommandError(f"{exc.message_zh} / {exc.message_en}") from exc
        self.stdout.write(f"training examples: {len(texts)} ({len(set(labels))} categories); {how}")
        self.stdout.write(f"file: {options['heldout']}")
        self.stdout.write(f"examples: {r.n} ({len(r.per_category)} categories); top-1 {r.top1:.1%}; top-3 {r.top3:.1%}"
                          + (f"; {r.skipped} rows without text or category skipped" if r.skipped else ""))
        self.stdout.write("per category (n, top-1, top-3):")
        for code, (n, acc) in r.per_category.items():
            self.stdout.write(f"  {code}: {n:4d}  {acc:6.1%}  {r.per_category_top3[code]:6.1%}")
        self.stdout.write(f"never predicted first ({len(r.never_predicted)}): {' '.join(r.never_predicted) or '—'}")
        if r.unknown_labels:
            self.stdout.write(f"labels the model does not know ({len(r.unknown_labels)}): {' '.join(r.unknown_labels)}")
        for (y, p), count in r.confusions:
            self.stdout.write(f"  confused {y} → {p}: {count}")
