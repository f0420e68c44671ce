import time

from django.core.management.base import BaseCommand

from gridgov.classify.model import read_examples, train
from gridgov.classify.report import evaluate


class Command(BaseCommand):
    help = "分类模型在留出集上的准确率 / held-out accuracy of the category classifier"

    def handle(self, *args, **options):
        texts, labels = read_examples()
        t0 = time.perf_counter()
        model = train(texts, labels)
        seconds = time.perf_counter() - t0
        r = evaluate(model)
        self.stdout.write(f"training examples: {len(texts)} ({len(set(labels))} categories), trained in {seconds:.1f} s")
        self.stdout.write(f"held-out: {r.n} examples; top-1 {r.top1:.1%}; top-3 {r.top3:.1%}")
        for code, (n, acc) in r.per_category.items():
            self.stdout.write(f"  {code}: {acc:.0%} of {n}")
        for (y, p), count in r.confusions:
            self.stdout.write(f"  confused {y} → {p}: {count}")
