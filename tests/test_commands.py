"""`python -m discogan` lists every command, and no command module imports another."""
import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "discogan"


def command_modules():
    """Modules that run as `python -m discogan.NAME`."""
    return sorted(path.stem for path in PACKAGE.glob("*.py")
                  if path.stem != "__main__" and 'if __name__ == "__main__":' in path.read_text())


def test_python_m_discogan_lists_every_command():
    listing = subprocess.run([sys.executable, "-m", "discogan"], capture_output=True, text=True, check=True,
                             cwd=PACKAGE.parent).stdout
    for name in command_modules():
        assert f"python -m discogan.{name}" in listing, name


def test_no_command_imports_another():
    commands = set(command_modules())
    for name in commands:
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        imported = {alias.name.split(".")[-1] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                    and node.module == "discogan" for alias in node.names}
        imported |= {node.module.split(".")[-1] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and node.module and node.module.startswith("discogan.")}
        assert not imported & (commands - {name}), f"{name} imports {imported & commands}"


def layout_rows():
    """The README's layout table: {folder named in a row's first cell: the rest of that row}."""
    readme = (PACKAGE.parent / "README.md").read_text()
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) > 1 and cells[0].startswith("`") and cells[0].endswith("/`"):
            rows[cells[0].strip("`")] = " | ".join(cells[1:])
    return rows


def test_the_readme_layout_table_names_every_module_and_folder():
    """Each package folder has a row, and each module is named in its own folder's row."""
    rows = layout_rows()
    for path in PACKAGE.rglob("*.py"):
        folder = path.parent.relative_to(PACKAGE.parent).as_posix() + "/"
        assert folder in rows, f"no row for {folder}"
        if path.stem != "__init__":
            assert f"`{path.name}`" in rows[folder], f"{path.name} is not in the row of {folder}"
