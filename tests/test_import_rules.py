"""The import graph rule: `kerasgen.restoration` imports nothing outside itself.

The numpy layer must never reach up into the Keras side, lazily or not: every
module under `kerasgen/restoration/` is parsed and each import statement
(absolute or relative, at any depth, inside functions too) and each string
target given to `importlib.import_module` / `__import__` / `find_spec` (or
written as a "module:function" target) must stay inside
`kerasgen.restoration`.
"""

import ast
import pathlib

import pytest

import kerasgen

PACKAGE_ROOT = pathlib.Path(kerasgen.__file__).parent
RESTORATION = "kerasgen.restoration"
_IMPORT_FUNCTIONS = {"import_module", "__import__", "find_spec", "import_string"}


def _module_name(path):
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(parts), is_package


def _inside(name):
    return name == RESTORATION or name.startswith(RESTORATION + ".")


def _is_kerasgen(name):
    return name == "kerasgen" or name.startswith("kerasgen.")


def _docstring_nodes(tree):
    nodes = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                nodes.add(id(body[0].value))
    return nodes


def forbidden_imports(source, module_name, is_package=False):
    """Returns `(line, target)` for each import of kerasgen outside restoration."""
    tree = ast.parse(source)
    package = module_name.split(".") if is_package else module_name.split(".")[:-1]
    docstrings = _docstring_nodes(tree)
    found = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from kerasgen import inference` imports kerasgen.inference.
            targets = [f"{module}.{alias.name}" if module == "kerasgen" else module for alias in node.names]
        elif isinstance(node, ast.Call):
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", None)
            if name in _IMPORT_FUNCTIONS and node.args and isinstance(node.args[0], ast.Constant):
                target = node.args[0].value
                if isinstance(target, str) and target.startswith("."):
                    level = len(target) - len(target.lstrip("."))
                    base = package[: len(package) - (level - 1)] if level > 1 else package
                    target = ".".join(base + [target.lstrip(".")] if target.lstrip(".") else base)
                targets = [target] if isinstance(target, str) else []
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            # "package.module:function" targets (a registry entry, an entry point).
            text = node.value.strip()
            if ":" in text and " " not in text:
                targets = [text.split(":", 1)[0]]
        for target in targets:
            if _is_kerasgen(target) and not _inside(target):
                found.append((node.lineno, target))
    return found


def _restoration_modules():
    return sorted((PACKAGE_ROOT / "restoration").rglob("*.py"))


def test_restoration_modules_found():
    names = [_module_name(path)[0] for path in _restoration_modules()]
    assert "kerasgen.restoration" in names and "kerasgen.restoration.repair" in names


@pytest.mark.parametrize("path", _restoration_modules(), ids=lambda p: p.name)
def test_restoration_imports_nothing_outside_restoration(path):
    module_name, is_package = _module_name(path)
    found = forbidden_imports(path.read_text(encoding="utf-8"), module_name, is_package)
    assert not found, f"{path.relative_to(PACKAGE_ROOT.parent)} imports outside kerasgen.restoration: {found}"


@pytest.mark.parametrize(
    "source",
    [
        "import kerasgen",
        "import kerasgen.inference",
        "import numpy, kerasgen.pretrained as p",
        "from kerasgen import inference",
        "from kerasgen._checks import check_int",
        "from .. import inference",
        "from ..inference import restore",
        "def f():\n    if True:\n        from kerasgen.inference import restore",
        "class A:\n    def f(self):\n        import kerasgen.pretrained",
        "import importlib\nimportlib.import_module('kerasgen.inference')",
        "from importlib import import_module\nimport_module('kerasgen.models')",
        "__import__('kerasgen.inference')",
        "import importlib\nimportlib.import_module('..inference', 'kerasgen.restoration')",
        "TARGET = 'kerasgen.learned_repair:repair_unet'",
    ],
)
def test_checker_catches_back_edges(source):
    assert forbidden_imports(source, "kerasgen.restoration.repair"), source


@pytest.mark.parametrize(
    "source",
    [
        "import numpy as np",
        "from kerasgen.restoration._checks import check_int",
        "from kerasgen import restoration",
        "from . import io",
        "from .io import read_image",
        "import kerasgen.restoration.io",
        "import importlib\nimportlib.import_module('bm3d')",
        '"""Uses kerasgen.inference:restore in a docstring."""',
    ],
)
def test_checker_accepts_inside_imports(source):
    assert forbidden_imports(source, "kerasgen.restoration.repair") == []


def test_restoration_use_loads_no_other_kerasgen_module(run_python):
    code = (
        "import sys, numpy as np; import kerasgen.restoration as R; "
        "img = np.full((32, 32), 0.5, np.float32); "
        "R.repair_image(img, 'tv', sigma=0.1); R.compare(img, img + 0.01, ['tv'], figure=False); "
        "assert 'unet' in R.REPAIR_METHODS; "
        "other = sorted(m for m in sys.modules if m.startswith('kerasgen') and m != 'kerasgen' "
        "and not m.startswith('kerasgen.restoration')); assert not other, other"
    )
    run_python(code)


def test_learned_methods_registered_whatever_the_import_order(run_python):
    # Keras first: registering the Keras objects imports kerasgen.restoration
    # from inside `import kerasgen`; REPAIR_METHODS must already hold "unet".
    run_python(
        """
        import keras
        import kerasgen
        from kerasgen.restoration import REPAIR_METHODS
        from kerasgen.restoration.repair import repair_methods
        assert "unet" in REPAIR_METHODS and REPAIR_METHODS == repair_methods(), REPAIR_METHODS
        """,
        timeout=300,
    )


def test_modules_stay_under_500_lines():
    import pathlib

    root = pathlib.Path(__file__).resolve().parent.parent / "kerasgen"
    long = {str(p.relative_to(root)): n for p in root.rglob("*.py") if (n := len(p.read_text().splitlines())) >= 500}
    assert not long, f"split these modules (one thing each): {long}"
