"""Access-matrix rules of the newer modules, one file per app, so that work on one app never edits another's
rules (tests/test_access_matrix.py merges them). A module here may define:

    specs(S)  -> list of Spec          the rules of its endpoints (S is test_access_matrix.S)
    objects() -> {kind: [None, ...]}   object keys of its own kinds (None first: a missing id)
    build(w)                           add its objects to the world: w.extra[kind][key] = object

Its scope oracles are written from docs/reliability/access.md, not imported from gridgov's access modules.
"""
import importlib
import pkgutil

MODULES = [importlib.import_module(f"{__name__}.{m.name}") for m in sorted(pkgutil.iter_modules(__path__),
                                                                          key=lambda m: m.name)]


def specs(S):
    return [s for m in MODULES if hasattr(m, "specs") for s in m.specs(S)]


def objects():
    out = {}
    for m in MODULES:
        if hasattr(m, "objects"):
            out.update(m.objects())
    return out


def build(w):
    for m in MODULES:
        if hasattr(m, "build"):
            m.build(w)
