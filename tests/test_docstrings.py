"""The public API's docstrings agree with its signatures (import and inspect only).

Walks every public function, class and method reachable from ``kerasgen``,
``kerasgen.restoration`` and the public sub-packages / modules, and checks
the Google-style docstring the README's style guide asks for:

* a one-line summary (first line, ending with a period, then a blank line);
* an ``Args:`` section (``Attributes:`` for a dataclass) naming exactly the
  parameters, in order (``self``/``cls`` left out, ``*args`` / ``**kwargs``
  written with their stars);
* ``Returns:`` (or ``Yields:``) for a function that returns a value;
* an ``Example:`` section for functions and classes;
* a default quoted in an argument's description (``default 8``,
  ``Default: 0.23``, ``"raise"`` (default)) equal to the signature's;
* a parameter described as "Keyword-only" is keyword-only.

Methods whose contract is Keras' (``KERAS_CONTRACT`` below: ``call``,
``get_config``, ``train_step``...) are only checked for a summary line.
"""

import ast
import dataclasses
import functools
import importlib
import inspect
import math
import re
import textwrap

import pytest

# Public modules whose ``__all__`` (or, without one, whose own public names)
# make up the API.
PUBLIC_MODULES = (
    "kerasgen",
    "kerasgen.restoration",
    "kerasgen.models",
    "kerasgen.layers",
    "kerasgen.losses",
    "kerasgen.metrics",
    "kerasgen.callbacks",
    "kerasgen.export",
    "kerasgen.pretrained",
    "kerasgen.precision",
    "kerasgen.inference",
    "kerasgen.plug_and_play",
    "kerasgen.data",
    "kerasgen.batch",
    "kerasgen.recipes",
    "kerasgen.distribution",
    "kerasgen.trainers",
)

# Private modules whose public names a module without ``__all__`` re-exports
# as its own (``kerasgen.metrics`` serves FID / KID from ``_distances``).
REEXPORTED_FROM = {"kerasgen.metrics": ("kerasgen._distances",)}

# Methods whose contract (arguments, return value, documentation) is Keras':
# kerasgen overrides them without changing what they take or give, so their
# docstring (when they have one of their own) is only checked for a summary.
KERAS_CONTRACT = frozenset(
    {
        "build",
        "call",
        "compile_from_config",
        "compute_output_shape",
        "evaluate",
        "export",
        "fit",
        "from_config",
        "get_compile_config",
        "get_config",
        "load_own_variables",
        "make_predict_function",
        "make_test_function",
        "make_train_function",
        "metrics",
        "metrics_names",
        "on_epoch_end",
        "on_train_begin",
        "on_train_end",
        "predict_step",
        "save",
        "save_own_variables",
        "test_step",
        "train_step",
    }
)

# Google-style section headers (a line of its own, not indented).
SECTION = re.compile(r"^([A-Z][A-Za-z ]*):\s*$")
# An argument entry: ``name: text`` or ``name (type): text``, indented 4.
ARG_ENTRY = re.compile(r"^ {4}(\*{0,2}[A-Za-z_]\w*)(?: \([^)]*\))?:(?:\s|$)")
# A default as the text writes it: between double back-quotes, in double
# quotes, or bare (a number, a name, maybe a ratio such as ``30 / 255``).
_LITERAL = r'(``[^`]+``|"[^"`]*"|-?[\w.]+(?:\s*/\s*[\w.]+)?)'
# "default 8", "Default: 0.23", "defaults to ``"auto"``", "(default ``(-1, 1)``".
DEFAULT_AFTER = re.compile(r"\b[Dd]efaults?(?:\s+(?:is|to|of))?\s*[:=]?\s*" + _LITERAL)
# ``"raise"`` (default), 1 (default, off), ``"conv"`` (stride-2 conv, default),
# ``False`` by default.
DEFAULT_BEFORE = re.compile(_LITERAL + r"\s*(?:\((?:[^()]*?,\s*)?|by\s+)(default)\b")


def _own_names(module):
    if hasattr(module, "__all__"):
        return list(module.__all__)
    homes = (module.__name__, *REEXPORTED_FROM.get(module.__name__, ()))
    return [
        name
        for name, value in vars(module).items()
        if (inspect.isclass(value) or inspect.isfunction(value)) and getattr(value, "__module__", None) in homes
    ]


def _is_kerasgen(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0] == "kerasgen"


@functools.cache
def _api():
    """``{qualified name: object}`` of the public functions, classes and methods."""
    found, seen = {}, set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in _own_names(module):
            if name.startswith("_"):
                continue
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)) or not _is_kerasgen(obj) or id(obj) in seen:
                continue
            seen.add(id(obj))
            found[f"{module_name}.{name}"] = obj
            if inspect.isclass(obj):
                for method_name, method in _methods(obj):
                    found[f"{module_name}.{name}.{method_name}"] = method
    return found


def _methods(cls):
    """Public methods and properties that kerasgen defines on ``cls`` (or its kerasgen bases)."""
    names = []
    for klass in cls.__mro__:
        if _is_kerasgen(klass):
            names += [n for n in vars(klass) if not n.startswith("_") and n not in names]
    for name in names:
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, (staticmethod, classmethod)):
            attr = attr.__func__
        if isinstance(attr, property) or inspect.isfunction(attr):
            yield name, attr


def _kind(qualname, obj):
    if isinstance(obj, property):
        return "property"
    if inspect.isclass(obj):
        return "class"
    parent = _api().get(qualname.rsplit(".", 1)[0])
    return "method" if inspect.isclass(parent) else "function"


def _own_doc(obj):
    doc = obj.__doc__ if not isinstance(obj, property) else obj.fget.__doc__
    if inspect.isclass(obj) and dataclasses.is_dataclass(obj) and doc and doc.startswith(obj.__name__ + "("):
        return None  # the signature dataclasses writes when there is no docstring
    return inspect.cleandoc(doc) if doc else None


def _sections(doc):
    """``{header: [lines]}`` of a cleaned docstring (the summary block under ``""``)."""
    sections, current = {"": []}, ""
    for line in doc.splitlines():
        header = SECTION.match(line)
        if header:
            current = header.group(1)
            sections.setdefault(current, [])
        elif line and not line[0].isspace() and current != "":
            current = "\n"  # a plain paragraph after a section ends it
            sections.setdefault(current, [])
        else:
            sections[current].append(line)
    return sections


def _arg_entries(lines):
    """``[(name, description)]`` of an ``Args:`` section, in order."""
    entries = []
    for line in lines:
        entry = ARG_ENTRY.match(line)
        if entry:
            entries.append([entry.group(1), line[entry.end() :]])
        elif entries and (line.startswith(" " * 5) or not line.strip()):
            entries[-1][1] += " " + line.strip()
    return [(name, " ".join(text.split())) for name, text in entries]


def _parameters(obj):
    func = obj.fget if isinstance(obj, property) else obj
    signature = inspect.signature(func)
    params = list(signature.parameters.values())
    if not inspect.isclass(obj) and params and params[0].name in ("self", "cls"):
        params = params[1:]
    return params


def _documented_name(param):
    return {param.VAR_POSITIONAL: "*", param.VAR_KEYWORD: "**"}.get(param.kind, "") + param.name


def _returns_value(func):
    """(returns a value, is a generator) from the function's own body."""
    func = inspect.unwrap(func)
    tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    body = tree.body[0]
    returns = generator = False
    stack = list(body.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            returns |= not (isinstance(node.value, ast.Constant) and node.value.value is None)
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            generator = True
        stack.extend(ast.iter_child_nodes(node))
    return returns, generator


_SAFE_NODES = (ast.Expression, ast.Constant, ast.Tuple, ast.List, ast.BinOp, ast.UnaryOp, ast.operator, ast.unaryop)


def _literal(text):
    """The value of a quoted default (a literal, maybe ``25 / 255``), or a sentinel."""
    text = text.strip("`").rstrip(".")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError:
        return _literal
    if not all(isinstance(node, _SAFE_NODES + (ast.Load,)) for node in ast.walk(tree)):
        return _literal
    return eval(compile(tree, "<default>", "eval"))  # noqa: S307 - constants and arithmetic only


def _same(a, b):
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-6)
    return a == b


def _quoted_defaults(text):
    """``[(as written, value)]`` of the defaults an argument's description quotes."""
    found, taken = [], set()
    for match in DEFAULT_BEFORE.finditer(text):
        if _literal(match.group(1)) is not _literal:
            taken.add(match.start(2))  # "X (default: Y)": X is the default, Y what it means
            found.append(match.group(1))
    found += [m.group(1) for m in DEFAULT_AFTER.finditer(text) if m.start() not in taken]
    return [(quoted, value) for quoted in found if (value := _literal(quoted)) is not _literal]


def _keras_contract(qualname, obj):
    return _kind(qualname, obj) in ("method", "property") and qualname.rsplit(".", 1)[-1] in KERAS_CONTRACT


API = _api()
# A Keras override without a docstring of its own shows Keras' (inherited).
DOCUMENTED = {q: o for q, o in API.items() if _own_doc(o) or not _keras_contract(q, o)}
CHECKED = {q: o for q, o in API.items() if not _keras_contract(q, o)}
CALLABLE = {q: o for q, o in CHECKED.items() if _kind(q, o) != "property"}
TOP_LEVEL = {q: o for q, o in CHECKED.items() if _kind(q, o) in ("function", "class")}


def test_the_walk_finds_the_api():
    # The walk itself: it reaches every kind of object it must check.
    for name in (
        "kerasgen.GAN",
        "kerasgen.GAN.generate",
        "kerasgen.GAN.compile",
        "kerasgen.VAE.encode",
        "kerasgen.restoration.denoise",
        "kerasgen.metrics.frechet_distance",
        "kerasgen.layers.PixelShuffle",
        "kerasgen.batch.FolderSummary.images_per_second",
        "kerasgen.plug_and_play.deblur",
    ):
        assert name in API, name
    assert not any(part.startswith("_") for name in API for part in name.split(".")[1:])
    assert len(TOP_LEVEL) > 100


@pytest.mark.parametrize("qualname", sorted(DOCUMENTED))
def test_one_line_summary(qualname):
    doc = _own_doc(API[qualname])
    assert doc, f"{qualname} has no docstring"
    lines = doc.splitlines()
    assert lines[0].strip() and lines[0].rstrip().endswith("."), f"{qualname}: summary line {lines[0]!r}"
    assert len(lines) == 1 or not lines[1].strip(), f"{qualname}: the summary is not one line: {lines[:2]}"


@pytest.mark.parametrize("qualname", sorted(CALLABLE))
def test_args_name_the_parameters_in_order(qualname):
    obj = API[qualname]
    doc = _own_doc(obj) or ""
    sections = _sections(doc)
    header = "Attributes" if inspect.isclass(obj) and dataclasses.is_dataclass(obj) else "Args"
    documented = [name for name, _ in _arg_entries(sections.get(header, []))]
    expected = [_documented_name(p) for p in _parameters(obj)]
    assert documented == expected, f"{qualname}: {header}: documents {documented}, the signature has {expected}"


@pytest.mark.parametrize("qualname", sorted(q for q, o in CALLABLE.items() if not inspect.isclass(o)))
def test_returns_or_yields_documented(qualname):
    returns, generator = _returns_value(API[qualname])
    sections = _sections(_own_doc(API[qualname]) or "")
    if generator:
        assert "Yields" in sections or "Returns" in sections, f"{qualname} yields: no Yields: section"
    elif returns:
        assert "Returns" in sections, f"{qualname} returns a value: no Returns: section"
    else:
        assert "Yields" not in sections, f"{qualname} yields nothing but documents Yields:"
        documented = " ".join(sections.get("Returns", ["None."])).split()
        assert documented == ["None."], f"{qualname} returns nothing but documents Returns: {documented}"


@pytest.mark.parametrize("qualname", sorted(TOP_LEVEL))
def test_example_section(qualname):
    sections = _sections(_own_doc(API[qualname]) or "")
    assert "Example" in sections or "Examples" in sections, f"{qualname}: no Example: section"


@pytest.mark.parametrize("qualname", sorted(CALLABLE))
def test_quoted_defaults_match_the_signature(qualname):
    obj = API[qualname]
    params = {_documented_name(p): p for p in _parameters(obj)}
    for name, text in _arg_entries(_sections(_own_doc(obj) or "").get("Args", [])):
        param = params.get(name)
        if param is None or param.default is param.empty:
            continue  # required (or ``**kwargs``): a quoted default is another's
        for quoted, value in _quoted_defaults(text):
            if param.default is None and value is not None:
                continue  # None resolved to the quoted value in the body
            assert _same(value, param.default), (
                f"{qualname}: {name}: the description says default {quoted}, the signature {param.default!r}"
            )


@pytest.mark.parametrize("qualname", sorted(CALLABLE))
def test_documented_keyword_only_is_keyword_only(qualname):
    obj = API[qualname]
    params = {_documented_name(p): p for p in _parameters(obj)}
    for name, text in _arg_entries(_sections(_own_doc(obj) or "").get("Args", [])):
        if name in params and re.search(r"\bkeyword-only\b", text, re.IGNORECASE):
            assert params[name].kind == params[name].KEYWORD_ONLY, f"{qualname}: {name} is documented keyword-only"


# --- the checks themselves, on small samples (they must be able to fail) ---


def _sample(a, b=8, *, c="raise", **kwargs):
    """Sample.

    Args:
        a: A.
        b: B, default 9.
        c: ``"skip"`` (default) or ``"raise"``.
        **kwargs: More.

    Returns:
        Something.
    """
    return a


def _sample_generator():
    def inner():
        return 1

    yield inner


def test_the_checks_catch_wrong_docstrings():
    sections = _sections(_own_doc(_sample))
    entries = _arg_entries(sections["Args"])
    assert [n for n, _ in entries] == ["a", "b", "c", "**kwargs"]
    quoted = {n: [v for _, v in _quoted_defaults(t)] for n, t in entries}
    assert quoted == {"a": [], "b": [9], "c": ["skip"], "**kwargs": []}
    assert _returns_value(_sample) == (True, False)
    assert _returns_value(_sample_generator) == (False, True)  # inner's return is not its own
    assert _sections("Summary.\n\nArgs:\n    x: X.\n\nMore text.\n\nExample:\n")["Args"] == ["    x: X.", ""]
    assert _literal("``25 / 255``") == 25 / 255 and _literal("the native size") is _literal
    assert not _same((-1, 1), (0.0, 1.0)) and _same((-1, 1), (-1.0, 1.0)) and not _same(1, True)
