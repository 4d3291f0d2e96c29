"""Third-party runners: a real distribution with an entry point, used from a checklist."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import latest_record, make_plugin, run_relcheck, step_record

GREETER = """
from dataclasses import dataclass
from typing import ClassVar

from relcheck.api import Runner, Status, StepResult


@dataclass(frozen=True)
class GreetParams:
    __pydantic_config__: ClassVar[dict] = {"extra": "forbid"}
    name: str
    times: int = 1


class Greeter(Runner):
    name = "greet"
    Params = GreetParams
    description = "Says hello."

    def run(self, params, ctx):
        result = ctx.run_command(["echo", "hello " + params.name])
        return StepResult(Status.PASSED, f"greeted {params.name} x{params.times}",
                          metrics={"times": params.times})
"""


def test_a_third_party_runner_is_used_from_a_checklist(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    plugins = make_plugin(tmp_path / "site", {"greet": "demo_plugin:Greeter"}, GREETER)
    checklist(
        """
        version: 1
        steps:
          - id: hello
            uses: greet
            with: {name: world, times: 2}
        """
    )
    env = {"PYTHONPATH": str(plugins)}
    proc = run_relcheck("run", "--dry-run", cwd=git_repo, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    step = step_record(latest_record(git_repo), "hello")
    assert step["runner"] == "greet"
    assert step["summary"] == "greeted world x2"
    assert step["metrics"] == {"times": 2}
    assert "hello world" in step["output_tail"]

    listing = run_relcheck("runners", cwd=git_repo, env=env)
    assert "greet  (from demo_plugin: demo_plugin:Greeter)" in listing.stdout
    assert "name: str  (required)" in listing.stdout


def test_a_typo_in_a_plugin_runner_parameter_is_a_load_time_error(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    plugins = make_plugin(tmp_path / "site", {"greet": "demo_plugin:Greeter"}, GREETER)
    checklist(
        """
        version: 1
        steps:
          - id: hello
            uses: greet
            with: {nmae: world}
        """
    )
    proc = run_relcheck("run", cwd=git_repo, env={"PYTHONPATH": str(plugins)})
    assert proc.returncode == 2
    assert (
        "relcheck.yaml:5:12: steps[0].with: unknown key 'nmae'; did you mean 'name'?" in proc.stderr
    )
    assert "relcheck.yaml:5:11: steps[0].with: missing required key 'name'" in proc.stderr


def test_a_plugin_that_fails_to_import_names_itself(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    plugins = make_plugin(
        tmp_path / "site", {"broken": "demo_plugin:Nope"}, "import not_a_module\n"
    )
    checklist(
        """
        version: 1
        steps:
          - id: b
            uses: broken
        """
    )
    proc = run_relcheck("validate", cwd=git_repo, env={"PYTHONPATH": str(plugins)})
    assert proc.returncode == 2
    assert "runner 'broken' (demo_plugin:Nope, from demo_plugin) failed to load" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_name_claimed_by_two_distributions_is_refused(
    git_repo: Path, checklist, tmp_path: Path
) -> None:
    make_plugin(tmp_path / "site", {"greet": "demo_plugin:Greeter"}, GREETER)
    make_plugin(tmp_path / "site", {"greet": "other_plugin:Greeter"}, GREETER, dist="other_plugin")
    checklist("version: 1\nsteps:\n  - id: hello\n    uses: greet\n    with: {name: x}\n")
    proc = run_relcheck("validate", cwd=git_repo, env={"PYTHONPATH": str(tmp_path / "site")})
    assert proc.returncode == 2
    assert "runner name 'greet' is claimed twice" in proc.stderr


def test_disabled_plugins_are_not_loaded(git_repo: Path, checklist, tmp_path: Path) -> None:
    plugins = make_plugin(tmp_path / "site", {"greet": "demo_plugin:Greeter"}, GREETER)
    checklist("version: 1\nsteps:\n  - id: hello\n    uses: greet\n    with: {name: x}\n")
    proc = run_relcheck(
        "validate",
        cwd=git_repo,
        env={"PYTHONPATH": str(plugins), "RELCHECK_DISABLE_PLUGINS": "demo_plugin"},
    )
    assert proc.returncode == 2
    assert "unknown runner 'greet'" in proc.stderr


def test_every_builtin_runner_module_is_declared_as_an_entry_point() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[1]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["entry-points"][
        "relcheck.runners"
    ]
    modules = {v.split(":")[0] for v in declared.values()}
    on_disk = {
        f"relcheck.runners.{p.stem}"
        for p in (root / "relcheck" / "runners").glob("*.py")
        if not p.stem.startswith("_") and p.stem != "registry"  # finds runners; is none
    }
    assert on_disk <= modules, f"runner modules not declared: {sorted(on_disk - modules)}"
